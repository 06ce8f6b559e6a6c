import { describe, expect, it } from 'vitest';
import { openContext } from '../api/context.ts';
import type { DuckDbEngine } from '../store/engines.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits, LIMIT_SETTINGS } from './import-limits.ts';

describe('loadConfig', () => {
  it('has defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.duckdbReaders).toBe(4);
    expect(c.duckdbThreads).toBeUndefined();
    expect(c.port).toBe(3000);
  });

  it('names the variable and the value it refuses', () => {
    expect(() => loadConfig({ DUCKDB_THREADS: 'two' })).toThrow(ConfigError);
    expect(() => loadConfig({ DUCKDB_THREADS: 'two' })).toThrow(/DUCKDB_THREADS.*"two"/);
    expect(() => loadConfig({ DUCKDB_READERS: '0' })).toThrow(/DUCKDB_READERS/);
  });

  it('queue mode: REDIS_URL is a redis:// URL and needs MYSQL_URL', () => {
    expect(loadConfig({}).queue).toMatchObject({ redisUrl: undefined, chunkItems: 50, metricsPort: 9465 });
    const c = loadConfig({
      REDIS_URL: 'redis://r:6379',
      MYSQL_URL: 'mysql://u@h/db',
      WORKER_METRICS_PORT: '0',
    });
    expect(c.queue).toMatchObject({ redisUrl: 'redis://r:6379', metricsPort: 0, prefix: 'evalhouse' });
    expect(() => loadConfig({ REDIS_URL: 'http://r:6379', MYSQL_URL: 'mysql://u@h/db' })).toThrow(
      /REDIS_URL.*redis:\/\//,
    );
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/REDIS_URL.*needs MYSQL_URL/);
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://r:6379', MYSQL_URL: 'mysql://u@h/db', QUEUE_PREFIX: 'a b' }),
    ).toThrow(/QUEUE_PREFIX/);
  });

  it('DUCKDB_THREADS and DUCKDB_READERS reach the server context', async () => {
    const { dir, cleanup } = tmpDir();
    const ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${dir}/t.duckdb`,
        DEMO_DATA: 'off',
        DUCKDB_THREADS: '1',
        DUCKDB_READERS: '3',
      }),
      { mirrorLoop: false },
    );
    try {
      const [row] = await ctx.duck.db.all<{ t: number }>("SELECT current_setting('threads') AS t");
      expect(Number(row?.t)).toBe(1);
      expect((ctx.analysis.engines.duckdb as DuckDbEngine).stats.size).toBe(3);
    } finally {
      await ctx.close();
      cleanup();
    }
  });

  it('DUCKDB_MEMORY_LIMIT and DUCKDB_TEMP_DIR bound the DuckDB instance (default 2GB)', async () => {
    expect(loadConfig({}).duckdbMemoryLimit).toBe('2GB');
    expect(loadConfig({}).duckdbTempDir).toBeUndefined();
    expect(loadConfig({ DUCKDB_MEMORY_LIMIT: ' 1.5 GiB ' }).duckdbMemoryLimit).toBe('1.5GiB');
    for (const bad of ['lots', '80%', '2', "1GB'; SELECT 1", '-1GB'])
      expect(() => loadConfig({ DUCKDB_MEMORY_LIMIT: bad })).toThrow(/DUCKDB_MEMORY_LIMIT/);
    const { dir, cleanup } = tmpDir();
    const ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${dir}/t.duckdb`,
        DEMO_DATA: 'off',
        DUCKDB_MEMORY_LIMIT: '300MB',
        DUCKDB_TEMP_DIR: `${dir}/spill`,
      }),
      { mirrorLoop: false },
    );
    try {
      const [row] = await ctx.duck.db.all<{ m: string; t: string }>(
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t",
      );
      // DuckDB shows 300 MB (10^6 bytes each) in MiB
      expect(row).toEqual({ m: '286.1 MiB', t: `${dir}/spill` });
    } finally {
      await ctx.close();
      cleanup();
    }
  });
});

describe('import limits', () => {
  it('default to DEFAULT_IMPORT_LIMITS and each IMPORT_MAX_* variable sets its own limit', () => {
    expect(loadConfig({}).imports.limits).toEqual(DEFAULT_IMPORT_LIMITS);
    for (const [key, env] of Object.entries(LIMIT_SETTINGS) as [keyof ImportLimits, string][]) {
      const c = loadConfig({ [env]: '12345' });
      expect(c.imports.limits[key]).toBe(12345);
      const others = Object.keys(DEFAULT_IMPORT_LIMITS).filter((k) => k !== key) as (keyof ImportLimits)[];
      for (const k of others) expect(c.imports.limits[k]).toBe(DEFAULT_IMPORT_LIMITS[k]);
    }
  });

  it('the other IMPORT_* variables keep their names and land in config.imports', () => {
    const c = loadConfig({
      IMPORT_CONCURRENCY: '3',
      IMPORT_MAX_ERRORS: '17',
      IMPORT_KEEP_BYTES: '4000000',
      IMPORT_BATCH_ROWS: '700',
      IMPORT_BATCH_BYTES: '5000000',
      IMPORT_MAX_UPLOAD_BYTES: '6000000',
      IMPORT_BULK: 'off',
    });
    expect(c.imports).toEqual({
      limits: DEFAULT_IMPORT_LIMITS,
      concurrency: 3,
      maxErrors: 17,
      keepBytes: 4_000_000,
      batchRows: 700,
      batchBytes: 5_000_000,
      maxUploadBytes: 6_000_000,
      bulk: false,
    });
    expect(loadConfig({}).imports.bulk).toBe(true);
    expect(() => loadConfig({ IMPORT_BULK: 'yes' })).toThrow(/IMPORT_BULK/);
  });

  it('refuses a limit that is not a positive integer, naming it', () => {
    expect(() => loadConfig({ IMPORT_MAX_FIELD_BYTES: '0' })).toThrow(/IMPORT_MAX_FIELD_BYTES/);
    expect(() => loadConfig({ IMPORT_MAX_BYTES: '1.5' })).toThrow(/IMPORT_MAX_BYTES/);
    expect(() => loadConfig({ IMPORT_MAX_ZIP_ENTRIES: 'many' })).toThrow(/IMPORT_MAX_ZIP_ENTRIES.*"many"/);
  });
});
