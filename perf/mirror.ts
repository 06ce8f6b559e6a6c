/**
 * The mirror from empty at scale (issue 19: "mirror of 10M rows ≥ 500,000 rows/s"), beside raw baselines in one run,
 * on a GENERATED MySQL store (perf/generate.ts: N rows over N/20 items, 20 models), built once and reused:
 *   raw binary  the mirror's own SELECT of the mirrored result columns through the binary protocol (a
 *               prepared statement's execute), every row parsed by mysql2 and dropped: what MySQL and the
 *               driver cost before DuckDB sees a row
 *   raw text    the same SELECT through the text protocol (MySQL formats each value as text)
 *   raw items   the items' mirrored columns, binary
 *   mirror      one Mirror.syncOnce onto a fresh DuckDB file: catalog (items) and results, timed apart,
 *               then MySQL and the mirror compared (count, id sum, value sums per table)
 *
 *   npx tsx perf/mirror.ts [--rows 10000000] [--db evalhouse_perf_mirror_10000000] [--repeat 1] [--rebuild] [--drop]
 * The database is built when it does not hold the plan's rows (about 90 s for 10M); --drop removes it at the end.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { Mirror } from '../store/mirror/mirror.ts';
import { streamRows } from '../store/mirror/stream-rows.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { ITEMS, mirrored, RESULTS } from '../store/schema.ts';
import { generateBatches, plan } from './generate.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    db: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    rebuild: { type: 'boolean', default: false },
    drop: { type: 'boolean', default: false },
  },
});
const SERVER = values.mysql.replace(/\/$/, '');
const P = plan(Number(values.rows));
const N = P.rows;
const DB = values.db ?? `evalhouse_perf_mirror_${N}`;
const URL_DB = `${SERVER}/${DB}`;
const OUT = new URL('./out/', import.meta.url).pathname;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const line = (label: string, rows: number, seconds: number, extra = '') =>
  console.log(
    `${label.padEnd(46)} ${fmt(rows).padStart(11)} rows ${seconds.toFixed(2).padStart(7)} s ${fmt(rows / seconds).padStart(10)} rows/s  ${extra}`,
  );

// WARNING: the database name is an identifier from the command line of a benchmark, quoted, never request input
const admin = await mysql.createConnection({ uri: SERVER });
const [[have]] = (await admin.query(
  'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
  [DB, 'results'],
)) as unknown as [[{ n: number }]];
let stored = 0;
if (Number(have!.n) > 0 && !values.rebuild) {
  const [[c]] = (await admin.query(`SELECT COUNT(*) AS n FROM \`${DB}\`.results`)) as unknown as [
    [{ n: number }],
  ];
  stored = Number(c!.n);
}
if (stored !== N) {
  console.log(`building ${DB}: ${fmt(N)} GENERATED rows over ${fmt(P.items)} items (not measured) ...`);
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.query(`CREATE DATABASE \`${DB}\``);
  const store = await MysqlStore.open(URL_DB, 4);
  const t0 = performance.now();
  for (const batch of generateBatches(N, 100_000)) await store.ingest(batch);
  await store.close();
  console.log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  // the mirror passes its watermark over rows once they are 10 s old (store/mirror/mirror.ts LOOKBACK_SECONDS)
  await new Promise((r) => setTimeout(r, 11_000));
} else {
  console.log(`reusing ${DB} (${fmt(N)} rows over ${fmt(P.items)} items)`);
}

const RESULT_LIST = mirrored(RESULTS)
  .map((c) => c.name)
  .join(', ');
const ITEM_LIST = mirrored(ITEMS)
  .map((c) => c.name)
  .join(', ');
const SCAN = `SELECT ${RESULT_LIST} FROM results IGNORE INDEX (ix_results_id) WHERE id > ? AND id <= ?`;

/** A SELECT streamed to nothing on a connection of its own: rows and seconds. */
async function raw(sql: string, params: unknown[], binary: boolean): Promise<[number, number]> {
  const conn = mysqlCallback.createConnection({ uri: URL_DB, supportBigNumbers: true });
  const t0 = performance.now();
  let n = 0;
  if (binary) n = await streamRows(conn, sql, params, () => undefined);
  else {
    await new Promise<void>((resolve, reject) => {
      conn
        .query({ sql, values: params, rowsAsArray: true })
        .on('result', () => {
          n++;
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
  }
  const s = (performance.now() - t0) / 1000;
  await conn.promise().end();
  return [n, s];
}

/** Per table: count, id sum and sums of value columns, as text (equal on both engines when the copy is). */
async function digest(q: (sql: string) => Promise<unknown[]>): Promise<string> {
  const parts = [
    'SELECT COUNT(*), SUM(id), SUM(score), SUM(latency_ms), SUM(tokens_out), COUNT(answer), SUM(correct), SUM(outcome) FROM results',
    'SELECT COUNT(*), SUM(id), COUNT(m0), COUNT(m1), COUNT(m2), COUNT(m3), SUM(LENGTH(item_key)) FROM items',
  ];
  const out: string[] = [];
  for (const sql of parts) {
    const [row] = (await q(sql)) as unknown[][];
    out.push((row ?? []).map((v) => (v === null ? 'null' : Number(v).toPrecision(12))).join(' '));
  }
  return out.join(' | ');
}

const figures: Record<string, number | string>[] = [];
for (let rep = 0; rep < Number(values.repeat); rep++) {
  const [rb, sb] = await raw(SCAN, [0, Number.MAX_SAFE_INTEGER], true);
  line('raw SELECT, binary protocol, rows dropped', rb, sb, 'the mirror reads this statement');
  const [rt, st] = await raw(SCAN, [0, Number.MAX_SAFE_INTEGER], false);
  line('raw SELECT, text protocol, rows dropped', rt, st);
  const [ri, si] = await raw(`SELECT ${ITEM_LIST} FROM items WHERE id > ?`, [0], true);
  line('raw SELECT items, binary protocol', ri, si);

  const duckPath = join(OUT, 'mirror-perf.duckdb');
  for (const f of [duckPath, `${duckPath}.wal`]) rmSync(f, { force: true });
  const store = await MysqlStore.open(URL_DB, 4);
  const duck = await DuckDbStore.open(duckPath);
  const mirror = new Mirror(store.pool, duck, { reconcileIntervalMs: 3_600_000 });
  const t0 = performance.now();
  const s = await mirror.syncOnce();
  const total = (performance.now() - t0) / 1000;
  const catalog = s.catalogMs / 1000;
  line(
    'mirror from empty (one syncOnce)',
    s.rows,
    total,
    `${(total / sb).toFixed(2)}× raw binary; target ≥ 500,000 rows/s${s.rows / total >= 500_000 ? ' MET' : ' MISSED'}`,
  );
  const items = (await duck.db.conn.runAndReadAll('SELECT count(*)::INTEGER FROM items')).getRows()[0]?.[0];
  line(
    '  of which the catalog (items, meta tables)',
    Number(items),
    catalog,
    `${(catalog / si).toFixed(2)}× raw items`,
  );
  line(
    '  the rest (results, runs, commit)',
    s.rows,
    total - catalog,
    `${((total - catalog) / sb).toFixed(2)}× raw binary`,
  );
  const mine = await digest(async (sql) => (await duck.db.conn.runAndReadAll(sql)).getRows());
  const theirs = await digest(
    async (sql) => (await store.pool.query({ sql, rowsAsArray: true }))[0] as unknown[],
  );
  console.log(
    `  MySQL and mirror ${mine === theirs ? 'equal' : `DIFFER\n    mysql  ${theirs}\n    mirror ${mine}`}`,
  );
  console.log(`  peak RSS of this process so far: ${fmt(process.resourceUsage().maxRSS / 1024)} MB`);
  figures.push({
    rawBinary: sb,
    rawText: st,
    rawItems: si,
    mirror: total,
    catalog,
    rows: s.rows,
    equal: String(mine === theirs),
  });
  mirror.dispose();
  await duck.close();
  await store.close();
  for (const f of [duckPath, `${duckPath}.wal`]) rmSync(f, { force: true });
}

if (values.drop) await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
await admin.end();
console.log(`\n${JSON.stringify({ date: new Date().toISOString(), rows: N, db: DB, figures })}`);
