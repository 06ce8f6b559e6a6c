import { DuckDBInstance } from '@duckdb/node-api';
import type { Connection as CallbackConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkAppender } from '../../store/mirror/binary.ts';
import { streamRows } from '../../store/mirror/stream-rows.ts';
import { createTestDatabase } from '../helpers/mysql.ts';

// Every layout the binary copy writes (BIGINT as two 32-bit words, INTEGER, UTINYINT, BOOLEAN, DOUBLE,
// VARCHAR), NULLs at every position across chunk boundaries, values at the types' edges.
const N = 5000; // more than two of DuckDB's 2048-row chunks, the last one partial
const EDGE_IDS = [1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 1];
const TEXTS = ['', 'a,"b"\nc', '日本語 ✓ 🧪', 'x'.repeat(3000), "it's \\ fine"];
const DOUBLES = [0, -0, 1e308, 5e-324, -123.456, 0.1 + 0.2];

function row(i: number): unknown[] {
  const nul = (k: number) => (i * 7 + k) % (k + 3) === 0; // a different NULL pattern per column
  return [
    i < EDGE_IDS.length ? EDGE_IDS[i]! : 10_000_000_000 + i,
    nul(1) ? null : i % 2 === 0 ? -(2 ** 31) + i : 2 ** 31 - 1 - i,
    i % 256,
    nul(2) ? null : i % 3 === 0,
    nul(3) ? null : DOUBLES[i % DOUBLES.length]! / (i % 5 === 0 ? 1 : i),
    nul(4) ? null : TEXTS[i % TEXTS.length]!,
  ];
}

describe('the binary copy MySQL → DuckDB', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: mysql.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('mbin');
    pool = mysql.createPool({ uri: db.url, supportBigNumbers: true, bigNumberStrings: false });
    await pool.query(`CREATE TABLE t (id BIGINT UNSIGNED PRIMARY KEY, i INT NULL, u TINYINT UNSIGNED NOT NULL,
      b TINYINT NULL, d DOUBLE NULL, s MEDIUMTEXT NULL) CHARSET utf8mb4`);
    for (let i = 0; i < N; i += 500) {
      const part = Array.from({ length: Math.min(500, N - i) }, (_, j) => row(i + j));
      await pool.query('INSERT INTO t VALUES ?', [part]);
    }
    await pool.query('UPDATE t SET b = 7 WHERE id = 1'); // a TINYINT other than 0 and 1 is true
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('gives DuckDB the values MySQL holds, NULLs where MySQL has them', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`CREATE TABLE t (id BIGINT, i INTEGER, u UTINYINT, b BOOLEAN, d DOUBLE, s VARCHAR,
      extra VARCHAR, created_at TIMESTAMP)`);
    const appender = await ChunkAppender.open(duck, 't', ['id', 'i', 'u', 'b', 'd', 's']);
    const conn = await pool.getConnection();
    const before = Date.now();
    const n = await streamRows(
      conn.connection as unknown as CallbackConnection,
      'SELECT id, i, u, b, d, s FROM t WHERE id > ? ORDER BY id',
      [0],
      (r) => appender.add(r),
    );
    appender.close();
    conn.release();
    expect(n).toBe(N);
    const [mine] = await Promise.all([
      duck.runAndReadAll(
        'SELECT id::VARCHAR, i, u, b, d, s, extra, epoch_ms(created_at) AS at FROM t ORDER BY id',
      ),
    ]);
    const got = mine.getRows();
    const [want] = (await pool.query({
      sql: 'SELECT CAST(id AS CHAR), i, u, b, d, s FROM t ORDER BY id',
      rowsAsArray: true,
    })) as unknown as [unknown[][]];
    expect(got.length).toBe(N);
    let nulls = 0;
    for (let r = 0; r < N; r++) {
      const [id, i, u, b, d, s, extra, at] = got[r]!;
      const w = want[r]!;
      expect([id, i, u, b, d, s]).toEqual([w[0], w[1], w[2], w[3] === null ? null : w[3] !== 0, w[4], w[5]]);
      if (d !== null) expect(Object.is(d, w[4])).toBe(true); // -0 stays -0
      expect(extra).toBeNull();
      expect(Number(at)).toBeGreaterThanOrEqual(before - 1);
      nulls += [i, b, d, s].filter((v) => v === null).length;
    }
    expect(nulls).toBeGreaterThan(N / 2); // the NULL patterns were exercised
    expect(got[0]![3]).toBe(true);
    // DuckDB compares a BOOLEAN's byte: one stored as 7 would not equal true
    const trues = (
      await duck.runAndReadAll('SELECT count(*)::INTEGER FROM t WHERE b = true')
    ).getRows()[0]![0];
    const [[mysqlTrues]] = (await pool.query({
      sql: 'SELECT COUNT(*) FROM t WHERE b <> 0',
      rowsAsArray: true,
    })) as unknown as [[number][]];
    expect(trues).toBe(Number(mysqlTrues![0]));
    expect(got[N - 1]![0]).toBe(String(2 ** 53 - 1)); // the largest id, both 32-bit words set
  });

  it('rejects a SELECT the server refuses, and a row its sink refuses', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run('CREATE TABLE t (id BIGINT, u UTINYINT NOT NULL)');
    const conn = await pool.getConnection();
    const c = conn.connection as unknown as CallbackConnection;
    try {
      await expect(streamRows(c, 'SELECT nope FROM t WHERE id > ?', [0], () => undefined)).rejects.toThrow(
        /nope/,
      );
      const appender = await ChunkAppender.open(duck, 't', ['id', 'u']);
      await expect(
        streamRows(c, 'SELECT id, u FROM t WHERE id > ?', [0], (r) => {
          if (Number(r[0]) === 2 ** 40 + 5) throw new Error('refused');
          appender.add(r);
        }),
      ).rejects.toThrow('refused');
      // the connection is usable after the dropped rest of the result set
      expect(await streamRows(c, 'SELECT 1 FROM t WHERE id > ?', [0], () => undefined)).toBe(N);
    } finally {
      conn.release();
    }
  });
});
