import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { MYSQL_TABLES, TABLES } from '../../store/schema.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** [name, type, nullable] per column, in ordinal order: what a table's DDL declares. */
type Shape = [string, string, boolean][];

function byTable(rows: [string, ...Shape[number]][]): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const [t, ...c] of rows) {
    out[t] ??= [];
    out[t].push(c);
  }
  return out;
}

/** MySQL holds the shared tables and its own (the mirror's change log). */
const ALL_MYSQL = { ...TABLES, ...MYSQL_TABLES };

const declared = (engine: 'duckdb' | 'mysql'): Record<string, Shape> =>
  Object.fromEntries(
    Object.entries(engine === 'mysql' ? ALL_MYSQL : TABLES).map(([table, cols]) => [
      table,
      cols.map((c): [string, string, boolean] => [
        c.name,
        engine === 'duckdb' ? c.duckdb : c.mysql,
        engine === 'mysql' ? (c.mysqlNullable ?? c.nullable) : c.nullable,
      ]),
    ]),
  );

describe('store/schema.ts is the DDL the migrations apply', () => {
  const tmp = tmpDir('evalhouse-schema-');
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let my: MysqlStore;
  let duck: DuckDbStore;
  beforeAll(async () => {
    db = await createTestDatabase('schema');
    my = await MysqlStore.open(db.url); // runs every migration in sql/mysql
    duck = await DuckDbStore.open(join(tmp.dir, 'schema.duckdb')); // applies sql/duckdb
  });
  afterAll(async () => {
    await my?.close();
    await duck?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('on DuckDB (information_schema.columns of a real file)', async () => {
    const rows = await duck.db.all<{ t: string; c: string; type: string; nullable: string }>(
      `SELECT table_name AS t, column_name AS c, data_type AS type, is_nullable AS nullable
       FROM information_schema.columns WHERE table_schema = 'main' AND table_name IN (${Object.keys(TABLES)
         .map(() => '?')
         .join(', ')})
       ORDER BY table_name, ordinal_position`,
      Object.keys(TABLES),
    );
    const applied = byTable(rows.map((r) => [r.t, r.c, r.type, r.nullable === 'YES']));
    expect(applied).toEqual(declared('duckdb'));
  });

  it('on MariaDB/MySQL (information_schema after migration)', async () => {
    const rows = await my.db.all<{ t: string; c: string; type: string; nullable: string; json: number }>(
      `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.COLUMN_TYPE AS type, c.IS_NULLABLE AS nullable,
         EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k
                 WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
                   AND k.CHECK_CLAUSE LIKE CONCAT('%json_valid(\`', c.COLUMN_NAME, '\`)%')) AS json
       FROM information_schema.COLUMNS c
       WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (${Object.keys(ALL_MYSQL)
         .map(() => '?')
         .join(', ')})
       ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
      Object.keys(ALL_MYSQL),
    );
    const applied = byTable(
      rows.map((r) => {
        // MySQL 8 writes `int unsigned`, MariaDB `int(10) unsigned`; MariaDB's JSON is LONGTEXT checked by json_valid
        const type = Number(r.json)
          ? 'json'
          : r.type.toLowerCase().replace(/^(tiny|small|big)?int\(\d+\)/, '$1int');
        return [r.t, r.c, type, r.nullable === 'YES'];
      }),
    );
    expect(applied).toEqual(declared('mysql'));
  });

  // `defaulted` types a column as optional in the Kysely inserts (store/schema.ts StoreTables): true
  // exactly when every engine that has the table fills it itself
  it('declares as defaulted exactly the columns each DDL fills (default, sequence, auto-increment)', async () => {
    const duckRows = await duck.db.all<{ t: string; c: string }>(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns
       WHERE table_schema = 'main' AND column_default IS NOT NULL`,
    );
    // MariaDB writes a nullable column's implicit default as the text NULL (a text default is quoted)
    const myRows = await my.db.all<{ t: string; c: string }>(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE()
         AND ((COLUMN_DEFAULT IS NOT NULL AND COLUMN_DEFAULT <> 'NULL') OR EXTRA LIKE '%auto_increment%')`,
    );
    const duckFilled = new Set(duckRows.map((r) => `${r.t}.${r.c}`));
    const myFilled = new Set(myRows.map((r) => `${r.t}.${r.c}`));
    const filled = (t: string, c: string) =>
      myFilled.has(`${t}.${c}`) && (t in MYSQL_TABLES || duckFilled.has(`${t}.${c}`));
    const expected: string[] = [];
    const got: string[] = [];
    for (const [t, cols] of Object.entries(ALL_MYSQL)) {
      for (const c of cols) {
        if (filled(t, c.name)) expected.push(`${t}.${c.name}`);
        if (c.defaulted) got.push(`${t}.${c.name}`);
      }
    }
    expect(got).toEqual(expected);
    expect(got).toContain('runs.updated_at'); // a check that can fail: the query sees defaults at all
  });
});
