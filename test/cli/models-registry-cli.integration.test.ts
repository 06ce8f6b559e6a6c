/**
 * `evalhouse models import` and `evalhouse keys rotate-secret` on both engines (#22): models.yaml into a
 * workspace's registry (keys from the variables it names, stored encrypted), then every workspace's keys
 * re-encrypted under the current secret, the old one still opening them until then.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import type { Workspace } from '../../accounts/types.ts';
import { workspaceDatabase, workspaceDuckdbPath } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { registryOfStore } from '../../models/registry.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { evalhouse } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SETUP = {
  actor: { userId: null, email: null, role: 'admin' as const, keyId: null },
  requestId: null,
  address: null,
};
const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;
const KEY = `sk-cli-${randomBytes(10).toString('hex')}`;
const OTHER_KEY = `sk-cli-other-${randomBytes(10).toString('hex')}`;

describe.each(['duckdb', 'mysql'] as const)('models import and keys rotate-secret (%s)', (engine) => {
  const tmp = tmpDir('evalhouse-models-cli-');
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let env: Record<string, string>;
  let research: Workspace;
  const file = () => join(tmp.dir, 'models.yaml');

  /** Opens a workspace's store (default: the control store) and runs `f` on its registry. */
  async function withStore<T>(
    ws: { id: number; slug: string },
    secrets: string,
    f: (s: DuckDbStore | MysqlStore, r: ReturnType<typeof registryOfStore>) => Promise<T>,
  ) {
    const config = loadConfig({ ...env, MODEL_KEYS_SECRETS: secrets });
    const store =
      ws.slug === 'default'
        ? db
          ? await MysqlStore.open(db.url)
          : await DuckDbStore.open(env.DUCKDB_PATH!)
        : db
          ? await MysqlStore.open(workspaceDatabase(db.url, ws.id).url)
          : await DuckDbStore.open(workspaceDuckdbPath(env.DUCKDB_PATH!, ws.id));
    try {
      return await f(store, registryOfStore(store, config, ws.id, { clock: () => new Date() }));
    } finally {
      await store.close();
    }
  }
  const versions = (s: DuckDbStore | MysqlStore) =>
    s.kysely
      .selectFrom('registry_models')
      .select(['name', 'key_version', 'key_ciphertext'])
      .orderBy('name')
      .execute();

  beforeAll(async () => {
    db = engine === 'mysql' ? await createTestDatabase('modelscli') : null;
    env = {
      DUCKDB_PATH: join(tmp.dir, 'cli.duckdb'),
      DEMO_DATA: 'off',
      ...(db ? { MYSQL_URL: db.url } : {}),
    };
    // a second workspace, made as the server would
    const control = db ? await MysqlStore.open(db.url) : await DuckDbStore.open(env.DUCKDB_PATH!);
    research = await new KyselyAccountStore(accountDb(control), {
      auth: { secret: undefined, refreshTtlS: 60 },
    }).createWorkspace('research', 'Research', SETUP);
    await control.close();
    writeFileSync(
      file(),
      [
        'models:',
        '  - name: gpt-small',
        '    provider: openai',
        '    model: gpt-4o-mini',
        '    api_key_env: MY_OPENAI_KEY',
        '    price: { input: 0.15, output: 0.6 }',
        '    params: { temperature: 0 }',
        '  - name: local-vllm',
        '    provider: openai-compatible',
        '    model: qwen',
        '    base_url: http://127.0.0.1:8000/v1',
        '  - name: claude',
        '    provider: anthropic',
        '    model: claude-x',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await db?.drop();
    tmp.cleanup();
  });

  it('imports models.yaml into a workspace with the keys its variables hold, encrypted', async () => {
    const run = await evalhouse(['models', 'import', file(), '--workspace', 'research'], {
      ...env,
      MODEL_KEYS_SECRETS: V1,
      MY_OPENAI_KEY: KEY,
      ANTHROPIC_API_KEY: OTHER_KEY,
    }).done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `created gpt-small in research: key from $MY_OPENAI_KEY (…${KEY.slice(-4)})`,
    );
    expect(run.stdout).toContain('created local-vllm in research: no key');
    expect(run.stdout).toContain('created claude in research: key from $ANTHROPIC_API_KEY');
    expect(run.stdout + run.stderr).not.toContain(KEY);
    await withStore(research, V1, async (s, r) => {
      const m = (await r.list()).map((x) => [x.name, x.provider, x.price_in_per_mtok, x.api_key_last4]);
      expect(m).toEqual([
        ['claude', 'anthropic', null, `…${OTHER_KEY.slice(-4)}`],
        ['gpt-small', 'openai', 0.15, `…${KEY.slice(-4)}`],
        ['local-vllm', 'openai-compatible', null, null],
      ]);
      expect((await r.callable('gpt-small'))?.apiKey).toBe(KEY);
      expect((await r.callable('gpt-small'))?.def.params).toEqual({ temperature: 0 });
      for (const row of await versions(s)) expect(row.key_ciphertext ?? '').not.toContain('sk-cli');
    });
    // the default workspace's registry is another one: empty
    await withStore({ id: 1, slug: 'default' }, V1, async (_s, r) => expect(await r.list()).toEqual([]));
    // again, without the variable: updated, the key kept
    const again = await evalhouse(['models', 'import', file(), '--workspace', 'research'], {
      ...env,
      MODEL_KEYS_SECRETS: V1,
    }).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('updated gpt-small in research: $MY_OPENAI_KEY not set: key kept');
    const into = await evalhouse(['models', 'import', file()], {
      ...env,
      MODEL_KEYS_SECRETS: V1,
      MY_OPENAI_KEY: KEY,
    }).done;
    expect(into.code, into.stderr).toBe(0);
    expect(into.stdout).toContain('created gpt-small in default');
  });

  it('rotate-secret re-encrypts every key of every workspace; the old secret opens them until then', async () => {
    // before: v1 ciphertexts, and a keyring with v2 current still opens them
    await withStore(research, `${V2},${V1}`, async (s, r) => {
      expect((await versions(s)).map((x) => x.key_version && Number(x.key_version))).toEqual([1, 1, null]);
      expect((await r.callable('claude'))?.apiKey).toBe(OTHER_KEY);
    });
    const rot = await evalhouse(['keys', 'rotate-secret'], { ...env, MODEL_KEYS_SECRETS: `${V2},${V1}` })
      .done;
    expect(rot.code, rot.stderr).toBe(0);
    expect(rot.stdout).toContain('default: 1 of 1 key(s) re-encrypted under v2');
    expect(rot.stdout).toContain('research: 2 of 2 key(s) re-encrypted under v2');
    expect(rot.stdout).toContain('re-encrypted 3 of 3 model key(s)');
    // after: v2 alone opens every key
    await withStore(research, V2, async (s, r) => {
      expect((await versions(s)).map((x) => x.key_version && Number(x.key_version))).toEqual([2, 2, null]);
      expect((await r.callable('gpt-small'))?.apiKey).toBe(KEY);
      expect((await r.callable('claude'))?.apiKey).toBe(OTHER_KEY);
    });
    await withStore({ id: 1, slug: 'default' }, V2, async (_s, r) =>
      expect((await r.callable('gpt-small'))?.apiKey).toBe(KEY),
    );
    const twice = await evalhouse(['keys', 'rotate-secret'], { ...env, MODEL_KEYS_SECRETS: V2 }).done;
    expect(twice.stdout).toContain('re-encrypted 0 of 3 model key(s)');
  });
});
