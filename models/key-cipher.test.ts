import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseModelKeySecrets } from '../core/config.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { KeyCipherError, type Keyring, keyFileOf, keyringOf, last4, openKey, sealKey } from './key-cipher.ts';

const secret = (version: number) => ({ version, key: randomBytes(32) });
const ring = (...s: { version: number; key: Buffer }[]): Keyring => ({
  current: s[0]!,
  secrets: s,
  source: 'test',
});
const KEY = 'sk-test-0123456789abcdefghij';
const AT = { scope: 'db-a', modelId: 7 };

describe('models/key-cipher: AES-256-GCM bound to database and model', () => {
  it('round-trips, with a fresh IV each time, and the ciphertext holds nothing of the key', () => {
    const r = ring(secret(1));
    const a = sealKey(r, KEY, AT);
    const b = sealKey(r, KEY, AT);
    expect(a.version).toBe(1);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(openKey(r, a, AT)).toBe(KEY);
    expect(openKey(r, b, AT)).toBe(KEY);
    const raw = Buffer.from(a.ciphertext, 'base64');
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength(KEY));
    expect(raw.includes(Buffer.from(KEY))).toBe(false);
    expect(a.ciphertext.includes(KEY)).toBe(false);
  });

  it('refuses a ciphertext moved to another model or database, or altered', () => {
    const r = ring(secret(1));
    const s = sealKey(r, KEY, AT);
    expect(() => openKey(r, s, { ...AT, modelId: 8 })).toThrow(KeyCipherError);
    expect(() => openKey(r, s, { ...AT, scope: 'db-b' })).toThrow(KeyCipherError);
    const raw = Buffer.from(s.ciphertext, 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => openKey(r, { ...s, ciphertext: raw.toString('base64') }, AT)).toThrow(/does not decrypt/);
    // the version is authenticated too: the same bytes claimed under another version fail
    const two = ring(secret(2), r.current);
    expect(() => openKey(two, { ...s, version: 2 }, AT)).toThrow(KeyCipherError);
  });

  it('opens older versions while they are configured, and names the missing one otherwise', () => {
    const v1 = secret(1);
    const old = sealKey(ring(v1), KEY, AT);
    const rotated = ring(secret(2), v1);
    expect(openKey(rotated, old, AT)).toBe(KEY);
    expect(sealKey(rotated, KEY, AT).version).toBe(2);
    expect(() => openKey(ring(secret(2)), old, AT)).toThrow(/secret v1, which test does not hold/);
  });

  it('shows at most four characters, fewer of a short key', () => {
    expect(last4(KEY)).toBe('ghij');
    expect(last4('abcdefgh')).toBe('gh');
    expect(last4('abc')).toBe('');
  });
});

describe('MODEL_KEYS_SECRETS and the keyring', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('parses versions, current first, and never repeats a value in its errors', () => {
    const [a, b] = [b64(), b64()];
    const c = loadConfig({ MODEL_KEYS_SECRETS: `v2:${a},v1:${b}` });
    expect(c.modelKeys.secrets.map((s) => s.version)).toEqual([2, 1]);
    expect(c.modelKeys.secrets[0]!.key.toString('base64')).toBe(a);
    const short = randomBytes(16).toString('base64');
    let msg = '';
    try {
      loadConfig({ MODEL_KEYS_SECRETS: `v1:${short}` });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/MODEL_KEYS_SECRETS: entry 1 is not v<version>:<base64 of 32 bytes>/);
    expect(msg).not.toContain(short);
    expect(() => parseModelKeySecrets(`v1:${a},v1:${b}`)).toThrow(/v1 is given twice/);
    expect(loadConfig({}).modelKeys.secrets).toEqual([]);
  });

  it('with MySQL and no variable there is no keyring (keys are refused, not weakly encrypted)', async () => {
    const c = loadConfig({ MYSQL_URL: 'mysql://root@127.0.0.1:3306/x' });
    expect(await keyringOf(c)).toBeNull();
    const withSecret = loadConfig({
      MYSQL_URL: 'mysql://root@127.0.0.1:3306/x',
      MODEL_KEYS_SECRETS: `v3:${b64()}`,
    });
    expect((await keyringOf(withSecret))?.current.version).toBe(3);
  });

  it('embedded: generates one key file beside the DuckDB file, mode 0600, and keeps it', async () => {
    const tmp = tmpDir('evalhouse-keyfile-');
    try {
      const path = join(tmp.dir, 'a.duckdb');
      const r = await keyringOf(loadConfig({ DUCKDB_PATH: path }));
      const file = keyFileOf(path);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      expect(text).toBe(`v1:${r!.current.key.toString('base64')}\n`);
      // a key file made by another process first is read, not replaced
      const other = join(tmp.dir, 'b.duckdb');
      const given = b64();
      writeFileSync(keyFileOf(other), `v5:${given}\n`, { mode: 0o600 });
      const read = await keyringOf(loadConfig({ DUCKDB_PATH: other }));
      expect(read!.current.version).toBe(5);
      expect(read!.current.key.toString('base64')).toBe(given);
      // concurrent first uses of a fresh path agree on one secret
      const third = join(tmp.dir, 'c.duckdb');
      const [x, y] = await Promise.all([
        keyringOf(loadConfig({ DUCKDB_PATH: third })),
        keyringOf(loadConfig({ DUCKDB_PATH: third })),
      ]);
      expect(x!.current.key.equals(y!.current.key)).toBe(true);
      expect(readFileSync(keyFileOf(third), 'utf8')).toBe(`v1:${x!.current.key.toString('base64')}\n`);
    } finally {
      tmp.cleanup();
    }
  });
});
