/**
 * The registry's API keys at rest (#22): AES-256-GCM (Node's crypto) under a server secret with a
 * version, the additional authenticated data binding each ciphertext to its database and model id (a
 * ciphertext copied to another model, or another workspace's database, does not decrypt).
 *
 * Choices made here:
 * - The secrets are MODEL_KEYS_SECRETS (core/config.ts), current first; the others still decrypt until
 *   `evalhouse keys rotate-secret` re-encrypts under the current one.
 * - Without the variable, embedded mode generates one secret in a file beside the DuckDB file (mode 0600,
 *   created once: written under a temporary name and hard-linked into place, so two processes racing keep
 *   the first). With MYSQL_URL there is no such file (API replicas would each make their own): storing a
 *   key is refused with a message naming the variable, never encrypted under a weak or local key.
 * - A ciphertext is base64 of IV (12 bytes) ‖ tag (16) ‖ data; the version is stored beside it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { type Config, type ModelKeySecret, parseModelKeySecrets } from '../core/config.ts';
import { errors } from '../core/errors.ts';

/** The secrets keys are sealed and opened with: `current` seals, any version opens. */
export interface Keyring {
  readonly current: ModelKeySecret;
  readonly secrets: readonly ModelKeySecret[];
  /** Where the secrets come from, for messages (never their value). */
  readonly source: string;
}

/** What a ciphertext is bound to: the database's registry scope (a random id it keeps) and the model. */
export interface KeyBinding {
  scope: string;
  modelId: number;
}

export interface SealedKey {
  ciphertext: string;
  version: number;
}

/** A key that does not decrypt: unknown secret version, another model's ciphertext, or tampered data. */
export class KeyCipherError extends Error {}

const IV = 12;
const TAG = 16;

const aad = (b: KeyBinding, version: number) =>
  Buffer.from(`evalhouse:model-key:${b.scope}:${b.modelId}:v${version}`, 'utf8');

export function sealKey(ring: Keyring, plain: string, binding: KeyBinding): SealedKey {
  const { version, key } = ring.current;
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(binding, version));
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return { ciphertext: Buffer.concat([iv, c.getAuthTag(), data]).toString('base64'), version };
}

export function openKey(ring: Keyring, sealed: SealedKey, binding: KeyBinding): string {
  const secret = ring.secrets.find((s) => s.version === sealed.version);
  if (!secret)
    throw new KeyCipherError(
      `the key of model ${binding.modelId} is encrypted with secret v${sealed.version}, which ${ring.source} does not hold`,
    );
  const raw = Buffer.from(sealed.ciphertext, 'base64');
  if (raw.length < IV + TAG) throw new KeyCipherError(`the key of model ${binding.modelId} is truncated`);
  try {
    const d = createDecipheriv('aes-256-gcm', secret.key, raw.subarray(0, IV));
    d.setAAD(aad(binding, sealed.version));
    d.setAuthTag(raw.subarray(IV, IV + TAG));
    return Buffer.concat([d.update(raw.subarray(IV + TAG)), d.final()]).toString('utf8');
  } catch {
    throw new KeyCipherError(
      `the key of model ${binding.modelId} does not decrypt (another model's or database's ciphertext, or altered)`,
    );
  }
}

/** What an answer may show of a key: its last four characters (fewer for a short key, none under 8). */
export function last4(key: string): string {
  return key.length >= 16 ? key.slice(-4) : key.slice(key.length - Math.floor(key.length / 4));
}

/** The secrets file of an embedded install: `<DUCKDB_PATH>.model-keys`. */
export const keyFileOf = (duckdbPath: string) => `${duckdbPath}.model-keys`;

const files = new Map<string, Promise<Keyring>>();

/** Reads the key file, creating it first if absent (race-safe: the first hard link wins). */
async function fileKeyring(path: string): Promise<Keyring> {
  const source = `the key file ${path}`;
  const read = async () => {
    let secrets: ModelKeySecret[];
    try {
      secrets = parseModelKeySecrets(await readFile(path, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw err;
      throw new Error(`${source}: ${(err as Error).message}`);
    }
    if (secrets.length === 0) throw new Error(`${source} holds no secret`);
    return { current: secrets[0]!, secrets, source };
  };
  try {
    return await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `v1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return read();
}

/**
 * The keyring of a configuration: MODEL_KEYS_SECRETS; else (embedded) the generated key file, one per
 * DuckDB path and process; else (MySQL) null: keys cannot be stored.
 */
export function keyringOf(
  config: Pick<Config, 'modelKeys' | 'mysqlUrl' | 'duckdbPath'>,
): Promise<Keyring | null> {
  const secrets = config.modelKeys.secrets;
  if (secrets.length > 0)
    return Promise.resolve({ current: secrets[0]!, secrets, source: 'MODEL_KEYS_SECRETS' });
  if (config.mysqlUrl) return Promise.resolve(null);
  const path = keyFileOf(config.duckdbPath);
  let ring = files.get(path);
  if (!ring) {
    if (config.duckdbPath === ':memory:') {
      // a database that lives as long as the process: so does its secret
      const current = { version: 1, key: randomBytes(32) };
      ring = Promise.resolve({ current, secrets: [current], source: 'the in-memory secret' });
    } else ring = fileKeyring(path);
    files.set(path, ring);
    ring.catch(() => files.delete(path));
  }
  return ring;
}

/** The 400 for storing a key where no secret is configured. */
export const noKeySecret = () =>
  errors.badRequest(
    'this server cannot store API keys: set MODEL_KEYS_SECRETS (v1:<base64 of 32 bytes>, e.g. v1:$(openssl rand -base64 32)) on every API replica; with MYSQL_URL no secret is generated',
    { setting: 'MODEL_KEYS_SECRETS' },
  );
