/**
 * The model registry's store on both engines (#22): keys only as ciphertext (the table read raw, and
 * every table of the database), bound to their model; prices over time; audit entries in the change's
 * transaction without the key; base URL refusals; rotation of the server secret.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import type { AuditActor } from '../../accounts/types.ts';
import { type Config, loadConfig } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';
import { ModelSetupError } from '../../ingest/providers/registry.ts';
import { KyselyModelRegistry } from '../../models/registry-store.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ACTOR: AuditActor = {
  actor: { userId: 1, email: 'a@example.com', role: 'admin', keyId: null },
  requestId: 'req-1',
  address: '127.0.0.1',
};
const b64 = () => randomBytes(32).toString('base64');
const KEY_A = `sk-alpha-${randomBytes(12).toString('hex')}`;
const KEY_B = `sk-bravo-${randomBytes(12).toString('hex')}`;

async function expectCode(p: Promise<unknown>, status: number, message?: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).statusCode).toBe(status);
  if (message) expect((err as AppError).message).toMatch(message);
}

describe.each(['duckdb', 'mysql'] as const)('model registry store on %s', (engine) => {
  const tmp = tmpDir('evalhouse-registry-');
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let store: DuckDbStore | MysqlStore;
  let config: Config;
  const v1 = b64();
  const v2 = b64();
  let now = new Date('2026-01-10T12:00:00.000Z');
  const clock = () => now;
  const lookup = async (host: string) => {
    const table: Record<string, string> = {
      'api.example.com': '93.184.216.34',
      'sneaky.example.com': '169.254.169.254',
      'intranet.example.com': '10.1.2.3',
    };
    const a = table[host];
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return [{ address: a }];
  };
  const registry = (secrets = `v1:${v1}`, c?: Partial<Config['runs']>) =>
    new KyselyModelRegistry(accountDb(store), {
      config: {
        ...config,
        modelKeys: loadConfig({ MODEL_KEYS_SECRETS: secrets }).modelKeys,
        runs: { ...config.runs, ...c },
      },
      workspaceId: 1,
      clock,
      lookup,
    });

  /** Every row of every table of the database, as text. */
  async function everything(): Promise<string> {
    if (store.kind === 'mysql') {
      const [tables] = (await store.pool.query(
        'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
      )) as unknown as [{ t: string }[]];
      let out = '';
      for (const { t } of tables)
        out += JSON.stringify((await store.pool.query(`SELECT * FROM \`${t}\``))[0]);
      return out;
    }
    const tables = await store.db.all<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'main'",
    );
    let out = '';
    for (const { t } of tables)
      out += JSON.stringify(await store.db.all(`SELECT * FROM "${t}"`), (_k, v) =>
        typeof v === 'bigint' ? Number(v) : v,
      );
    return out;
  }
  const rawRows = async () => store.kysely.selectFrom('registry_models').selectAll().orderBy('id').execute();

  beforeAll(async () => {
    db = engine === 'mysql' ? await createTestDatabase('registry') : null;
    const path = join(tmp.dir, 'registry.duckdb');
    config = loadConfig({ DUCKDB_PATH: path, ...(db ? { MYSQL_URL: db.url } : {}) });
    store = db ? await MysqlStore.open(db.url) : await DuckDbStore.open(path);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('stores the key as ciphertext only, shows its last four, and gives it back to a caller', async () => {
    const r = registry();
    const m = await r.create(
      {
        name: 'alpha',
        provider: 'openai',
        model: 'gpt-4o-mini',
        api_key: KEY_A,
        price_in_per_mtok: 0.15,
        price_out_per_mtok: 0.6,
        params: { temperature: 0 },
      },
      ACTOR,
    );
    expect(m).toMatchObject({
      name: 'alpha',
      provider: 'openai',
      model: 'gpt-4o-mini',
      base_url: null,
      api_key_last4: `…${KEY_A.slice(-4)}`,
      price_in_per_mtok: 0.15,
      price_out_per_mtok: 0.6,
      price_effective_from: now.toISOString(),
      params: { temperature: 0 },
      active: true,
      created_at: now.toISOString(),
      health: null,
    });
    expect(JSON.stringify(m)).not.toContain(KEY_A);
    const [row] = await rawRows();
    expect(row!.key_ciphertext).toBeTypeOf('string');
    expect(row!.key_ciphertext).not.toContain(KEY_A);
    expect(Buffer.from(row!.key_ciphertext!, 'base64').includes(Buffer.from(KEY_A))).toBe(false);
    expect(Number(row!.key_version)).toBe(1);
    const c = await r.callable('alpha');
    expect(c?.apiKey).toBe(KEY_A);
    expect(c?.def).toEqual({
      name: 'alpha',
      provider: 'openai',
      model: 'gpt-4o-mini',
      price: { input: 0.15, output: 0.6 },
      params: { temperature: 0 },
    });
    expect(c?.prices).toEqual({ input: 0.15, output: 0.6 });
    expect((await r.callable(m.id))?.apiKey).toBe(KEY_A);
    expect(await everything()).not.toContain(KEY_A);
  });

  it('a ciphertext copied onto another model does not decrypt', async () => {
    const r = registry();
    const b = await r.create(
      { name: 'bravo', provider: 'anthropic', model: 'claude-x', api_key: KEY_B },
      ACTOR,
    );
    const [alpha] = await rawRows();
    await store.kysely
      .updateTable('registry_models')
      .set({ key_ciphertext: alpha!.key_ciphertext, key_version: alpha!.key_version })
      .where('id', '=', b.id)
      .execute();
    await expect(r.callable('bravo')).rejects.toThrow(ModelSetupError);
    await expect(r.callable('bravo')).rejects.toThrow(/does not decrypt/);
    // put it back through the API: a new key, sealed under bravo's own id
    await r.update(b.id, { api_key: KEY_B }, ACTOR);
    expect((await r.callable('bravo'))?.apiKey).toBe(KEY_B);
  });

  it('refuses duplicates (409), bad fields (400) and unknown ids (null)', async () => {
    const r = registry();
    await expectCode(r.create({ name: 'alpha', provider: 'openai', model: 'x' }, ACTOR), 409, /alpha/);
    const b = await r.byName('bravo');
    await expectCode(r.update(b!.id, { name: 'alpha' }, ACTOR), 409);
    await expectCode(r.create({ name: 'has space', provider: 'openai', model: 'x' }, ACTOR), 400, /name/);
    await expectCode(
      r.create({ name: 'p', provider: 'nope' as 'openai', model: 'x' }, ACTOR),
      400,
      /provider/,
    );
    await expectCode(
      r.create(
        { name: 'p', provider: 'openai', model: 'x', price_in_per_mtok: -1, price_out_per_mtok: 1 },
        ACTOR,
      ),
      400,
      /price_in_per_mtok/,
    );
    await expectCode(
      r.create({ name: 'p', provider: 'openai', model: 'x', price_in_per_mtok: 1 }, ACTOR),
      400,
      /together/,
    );
    await expectCode(
      r.create({ name: 'p', provider: 'openai-compatible', model: 'x' }, ACTOR),
      400,
      /base_url/,
    );
    await expectCode(r.update(b!.id, { price_in_per_mtok: null }, ACTOR), 400, /not removed/);
    expect(await r.get(99_999)).toBeNull();
    expect(await r.update(99_999, { active: false }, ACTOR)).toBeNull();
    expect(await r.delete(99_999, ACTOR)).toBe(false);
    expect(await r.byName('p')).toBeNull();
  });

  it('refuses metadata, link-local and (unless allowed) private and loopback base URLs', async () => {
    const r = registry(`v1:${v1}`, { allowPrivateUrls: false, allowLoopbackUrls: false });
    const base = { provider: 'openai-compatible' as const, model: 'm' };
    const refused: [string, RegExp][] = [
      ['http://169.254.169.254/v1', /link-local, metadata or reserved/],
      ['http://[fe80::1]:8000/v1', /link-local/],
      ['http://metadata.google.internal/v1', /metadata/],
      ['http://sneaky.example.com/v1', /resolves to 169\.254\.169\.254/],
      ['http://10.0.0.5:8000/v1', /private address.*RUN_ALLOW_PRIVATE_URLS/],
      ['http://intranet.example.com/v1', /private/],
      ['http://127.0.0.1:8000/v1', /loopback.*RUN_ALLOW_LOOPBACK_URLS/],
      ['http://user:pw@api.example.com/v1', /credentials/],
    ];
    for (const [url, why] of refused)
      await expectCode(r.create({ name: 'u', base_url: url, ...base }, ACTOR), 400, why);
    const ok = await r.create({ name: 'u', base_url: 'https://api.example.com/v1', ...base }, ACTOR);
    await expectCode(r.update(ok.id, { base_url: 'http://169.254.169.254/' }, ACTOR), 400, /metadata/);
    // allowed where the configuration allows it; link-local never
    const lax = registry(`v1:${v1}`, { allowPrivateUrls: true, allowLoopbackUrls: true });
    const local = await lax.update(ok.id, { base_url: 'http://127.0.0.1:8000/v1' }, ACTOR);
    expect(local?.base_url).toBe('http://127.0.0.1:8000/v1');
    await expectCode(lax.update(ok.id, { base_url: 'http://[fe80::1]/v1' }, ACTOR), 400, /link-local/);
    // checked again on call: a registry whose policy is stricter refuses to call it
    await expect(r.callable('u')).rejects.toThrow(/loopback/);
    expect((await lax.callable('u'))?.def.base_url).toBe('http://127.0.0.1:8000/v1');
    expect(await lax.delete(ok.id, ACTOR)).toBe(true);
  });

  it('keeps prices over time: priceAt picks the one in effect, old instants keep theirs', async () => {
    const r = registry();
    const t0 = now;
    const a = (await r.byName('alpha'))!;
    now = new Date('2026-02-01T00:00:00.000Z');
    const t1 = new Date('2026-01-20T00:00:00.000Z');
    const changed = await r.update(
      a.id,
      { price_in_per_mtok: 0.3, price_out_per_mtok: 1.2, price_effective_from: t1.toISOString() },
      ACTOR,
    );
    expect(changed).toMatchObject({ price_in_per_mtok: 0.3, price_out_per_mtok: 1.2 });
    expect(changed?.price_effective_from).toBe(t1.toISOString());
    // only the output price changes now: the input one carries over
    const later = await r.update(a.id, { price_out_per_mtok: 2 }, ACTOR);
    expect(later).toMatchObject({ price_in_per_mtok: 0.3, price_out_per_mtok: 2 });
    // a future price is not current yet
    const t3 = new Date('2026-03-01T00:00:00.000Z');
    await r.update(
      a.id,
      { price_in_per_mtok: 5, price_out_per_mtok: 5, price_effective_from: t3.toISOString() },
      ACTOR,
    );
    expect((await r.get(a.id))?.price_in_per_mtok).toBe(0.3);
    expect(await r.prices(a.id)).toEqual([
      { price_in_per_mtok: 0.15, price_out_per_mtok: 0.6, effective_from: t0.toISOString() },
      { price_in_per_mtok: 0.3, price_out_per_mtok: 1.2, effective_from: t1.toISOString() },
      { price_in_per_mtok: 0.3, price_out_per_mtok: 2, effective_from: now.toISOString() },
      { price_in_per_mtok: 5, price_out_per_mtok: 5, effective_from: t3.toISOString() },
    ]);
    expect(await r.priceAt(a.id, new Date('2026-01-01T00:00:00Z'))).toBeNull();
    expect(await r.priceAt(a.id, t0)).toEqual({ input: 0.15, output: 0.6 });
    expect(await r.priceAt(a.id, new Date('2026-01-19T23:59:59.999Z'))).toEqual({ input: 0.15, output: 0.6 });
    expect(await r.priceAt(a.id, t1)).toEqual({ input: 0.3, output: 1.2 });
    expect(await r.priceAt(a.id, new Date('2026-02-15T00:00:00Z'))).toEqual({ input: 0.3, output: 2 });
    expect(await r.priceAt(a.id, new Date('2026-04-01T00:00:00Z'))).toEqual({ input: 5, output: 5 });
    // the same prices again, with no date: no new point
    await r.update(a.id, { price_in_per_mtok: 0.3, price_out_per_mtok: 2 }, ACTOR);
    expect(await r.prices(a.id)).toHaveLength(4);
  });

  it('records health and gives it newest first; the list shows the latest', async () => {
    const r = registry();
    const a = (await r.byName('alpha'))!;
    const limits = {
      requestsLimit: 100,
      requestsRemaining: 99,
      requestsResetMs: 1000,
      tokensLimit: null,
      tokensRemaining: null,
      tokensResetMs: null,
    };
    await r.recordHealth(a.id, {
      at: '2026-02-01T00:00:00.000Z',
      status: 'error',
      latency_ms: null,
      error: 'HTTP 500',
      limits: null,
    });
    await r.recordHealth(a.id, {
      at: '2026-02-01T00:05:00.000Z',
      status: 'ok',
      latency_ms: 12.5,
      error: null,
      limits,
    });
    const h = await r.healthHistory(a.id);
    expect(h.map((x) => x.status)).toEqual(['ok', 'error']);
    expect(h[0]).toEqual({
      at: '2026-02-01T00:05:00.000Z',
      status: 'ok',
      latency_ms: 12.5,
      error: null,
      limits,
    });
    expect(await r.healthHistory(a.id, { limit: 1 })).toHaveLength(1);
    const listed = await r.list();
    expect(listed.map((m) => m.name)).toEqual(['alpha', 'bravo']);
    expect(listed[0]!.health?.status).toBe('ok');
    expect(listed[1]!.health).toBeNull();
    expect((await r.get(a.id))?.health?.at).toBe('2026-02-01T00:05:00.000Z');
  });

  it('inactive models are listed but not callable', async () => {
    const r = registry();
    const b = (await r.byName('bravo'))!;
    await r.update(b.id, { active: false }, ACTOR);
    expect((await r.list({ activeOnly: true })).map((m) => m.name)).toEqual(['alpha']);
    expect(await r.callable('bravo')).toBeNull();
    await r.update(b.id, { active: true }, ACTOR);
    expect((await r.callable('bravo'))?.apiKey).toBe(KEY_B);
  });

  it('rotation: old ciphertexts decrypt until rotate re-encrypts every key under the current secret', async () => {
    const rotated = registry(`v2:${v2},v1:${v1}`);
    expect((await rotated.callable('alpha'))?.apiKey).toBe(KEY_A);
    const before = await rawRows();
    expect(before.filter((r) => r.key_ciphertext).map((r) => Number(r.key_version))).toEqual([1, 1]);
    expect(await rotated.rotateKeys(ACTOR)).toEqual({ reencrypted: 2, keys: 2, version: 2 });
    const after = await rawRows();
    expect(after.filter((r) => r.key_ciphertext).map((r) => Number(r.key_version))).toEqual([2, 2]);
    for (const [i, r] of after.entries())
      if (r.key_ciphertext) expect(r.key_ciphertext).not.toBe(before[i]!.key_ciphertext);
    // v1 no longer needed
    const onlyV2 = registry(`v2:${v2}`);
    expect((await onlyV2.callable('alpha'))?.apiKey).toBe(KEY_A);
    expect((await onlyV2.callable('bravo'))?.apiKey).toBe(KEY_B);
    expect(await onlyV2.rotateKeys(ACTOR)).toEqual({ reencrypted: 0, keys: 2, version: 2 });
    // and v1 alone no longer opens them
    await expect(registry(`v1:${v1}`).callable('alpha')).rejects.toThrow(/secret v2/);
    expect(await everything()).not.toMatch(new RegExp(`${KEY_A}|${KEY_B}`));
  });

  it('audits every change in its database, with the model as answers show it and never the key', async () => {
    const r = registry(`v2:${v2}`);
    const b = (await r.byName('bravo'))!;
    expect(await r.delete(b.id, ACTOR)).toBe(true);
    expect(await r.get(b.id)).toBeNull();
    const leftovers = await store.kysely
      .selectFrom('registry_model_prices')
      .select('model_id')
      .where('model_id', '=', b.id)
      .execute();
    expect(leftovers).toEqual([]);
    const log = new KyselyAuditLog(accountDb(store));
    const entries = (await log.list({ limit: 1000 })).filter((e) => e.action.startsWith('model.'));
    const actions = entries.map((e) => `${e.action} ${e.resource}`);
    expect(actions).toContain('model.create model:alpha');
    expect(actions).toContain('model.create model:bravo');
    expect(actions).toContain('model.update model:alpha');
    expect(actions).toContain('model.delete model:bravo');
    expect(actions).toContain('model.key_rotate models');
    const del = entries.find((e) => e.action === 'model.delete')!;
    expect(del).toMatchObject({ workspaceId: 1, requestId: 'req-1', actor: { userId: 1 } });
    expect(del.before).toMatchObject({ name: 'bravo', api_key_last4: `…${KEY_B.slice(-4)}` });
    const upd = entries.find(
      (e) => e.action === 'model.update' && (e.after as { active: boolean }).active === false,
    )!;
    expect(upd.before).toMatchObject({ active: true });
    const text = JSON.stringify(entries);
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain(KEY_B);
    expect((await log.verify()).firstBad).toBeNull();
  });

  // MySQL only: embedded, a missing variable means a generated key file (registry-secret tests), not a refusal.
  if (engine === 'mysql')
    it('with MySQL and no MODEL_KEYS_SECRETS, a key is refused (400) and a keyless model is not', async () => {
      const r = new KyselyModelRegistry(accountDb(store), { config, workspaceId: 1, clock, lookup });
      await expectCode(
        r.create(
          { name: 'nokey', provider: 'openai', model: 'm', api_key: 'sk-should-not-be-stored-1234' },
          ACTOR,
        ),
        400,
        /MODEL_KEYS_SECRETS/,
      );
      expect(await r.byName('nokey')).toBeNull();
      expect(
        (await r.create({ name: 'nokey', provider: 'openai', model: 'm' }, ACTOR)).api_key_last4,
      ).toBeNull();
    });
});
