/**
 * The bulk path (ingest/import-bulk.ts: DuckDB reads, checks and writes a canonical CSV itself) against
 * the record path it accelerates: the same files imported both ways, into fresh embedded stores, must
 * leave the same tables (compared by names and keys, not by ids) and the same summaries. Also which
 * files the bulk path takes and which it leaves to the record path, and that an abandoned bulk import
 * leaves nothing. TEST DATA written here: benchmarks `bp-*`, models `m-*`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { lastDecline } from '../../ingest/import-bulk.ts';
import { type ImportFileOptions, type ImportSummary, importFile } from '../../ingest/import-file.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { dump, dumpMysql } from '../helpers/store-dump.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir('evalhouse-bulk-path-');
afterAll(() => tmp.cleanup());

let n = 0;
function write(name: string, text: string | Buffer): string {
  const path = join(tmp.dir, `${n++}-${name}`);
  writeFileSync(path, text);
  return path;
}

type Outcome = {
  summaries: Omit<ImportSummary, 'elapsedMs' | 'path' | 'file'>[];
  paths: string[];
  /** why the bulk path declined each file (null: it took it) */
  declined: (string | null)[];
};

type Engine = 'duckdb' | 'mysql';
const ENGINES: Engine[] = ['duckdb', 'mysql'];

/** A fresh store of the engine (a MySQL database is dropped on close), and what it holds. */
async function freshStore(engine: Engine) {
  if (engine === 'duckdb') {
    const store = await DuckDbStore.open(join(tmp.dir, `${n++}.duckdb`));
    return {
      store,
      tables: async () => {
        // nothing of the bulk path's staging outlives an import, taken or declined
        const [left] = await store.db.all<{ n: number }>(
          "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE temporary AND table_name LIKE 'bulk%'",
        );
        expect(left?.n).toBe(0);
        return dump(store);
      },
      close: () => store.close(),
    };
  }
  const db = await createTestDatabase('bulkpath');
  const store = await MysqlStore.open(db.url);
  return {
    store,
    tables: () => dumpMysql(store),
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Imports the files in order into a fresh store, bulk path allowed or not; what it stored and answered. */
async function importAll(
  files: string[],
  bulk: boolean,
  opts: ImportFileOptions = {},
  engine: Engine = 'duckdb',
) {
  const fresh = await freshStore(engine);
  const out: Outcome = { summaries: [], paths: [], declined: [] };
  try {
    for (const f of files) {
      const { elapsedMs: _e, path, file: _f, ...s } = await importFile(fresh.store, f, { ...opts, bulk });
      out.summaries.push(s);
      out.paths.push(path);
      out.declined.push(lastDecline);
    }
    return { ...out, tables: await fresh.tables() };
  } finally {
    await fresh.close();
  }
}

/** Both ways; they must agree. Returns the paths the bulk-allowed import took. */
async function bothWays(files: string[], opts: ImportFileOptions, engine: Engine): Promise<string[]> {
  const bulk = await importAll(files, true, opts, engine);
  const records = await importAll(files, false, opts, engine);
  expect(records.paths.every((p) => p === 'records')).toBe(true);
  expect(records.summaries.map((s) => s.errors)).toEqual(files.map(() => []));
  expect(bulk.summaries).toEqual(records.summaries);
  if (bulk.paths.includes('records')) console.log('bulk path declined:', bulk.declined);
  expect(bulk.tables).toEqual(records.tables);
  return bulk.paths;
}

/** Both ways on the embedded store. */
const same = (files: string[], opts: ImportFileOptions = {}) => bothWays(files, opts, 'duckdb');

const HEADER =
  'benchmark,model,run,item_id,sample,correct,score,outcome,response,answer,reference,input,latency_ms,ttft_ms,tokens_in,tokens_out,cost_usd,error,evaluated_at,meta.subject,meta.year,meta.level,meta.flag';

describe.each(ENGINES)('the bulk path stores what the record path stores (%s)', (engine) => {
  const same = (files: string[], opts: ImportFileOptions = {}) => bothWays(files, opts, engine);
  it('values in every accepted form: numbers, booleans, quoted cells with commas, quotes and newlines, unicode, dates', async () => {
    const rows = [
      'bp-a,m-1,,q1,,true,0.5,,"yes, ""quoted""",B,B,What is 2+2?,12.3456789,1.5,10,20,0.001,,2025-01-31,algebra,2021,3,true',
      'bp-a,m-1,,q2,0,FALSE,.5,,"line one\nline two",C,B,,5.,,+7,1e2,0,,2025-01-31T12:00:00Z,geometry,2022,1.25,false',
      'bp-a,m-1,,q3,1,0,-0,incorrect,,D,B,,0,0,0,0,,,2025-01-31,함수,2023,,',
      'bp-a,m-1,,q3,2,,,,,,B,,,,,,,provider timeout,,함수,2023,,',
      'bp-a,m-1,,q4,0,0,1E-3,,résumé ✓,A,A,,1000000000000,,2147483647,,,,,algebra,0,-4,',
      'bp-a,m-2,alt,q1,0,true,,correct,,,B,What is 2+2?,,,,,,,,algebra,2021,3,true',
      'bp-a,m-2,alt,q2,0,,,unscored,,,B,,,,,,,,,geometry,2022,1.25,false',
      'bp-b,m-1,,x-1,0,true,,,,,,,,,,,,,,,,,',
    ];
    const file = write('forms.csv', `${HEADER}\n${rows.join('\n')}\n`);
    expect(await same([file])).toEqual(['bulk']);
  });

  it('a gzipped file, several benchmarks and models, then the same file again (all duplicates)', async () => {
    const lines = ['benchmark,model,item_id,correct,latency_ms,meta.topic,meta.level'];
    for (const b of ['bp-g1', 'bp-g2'])
      for (const m of ['m-a', 'm-b', 'm-c'])
        for (let i = 0; i < 300; i++)
          lines.push(`${b},${m},i${i},${(i * m.length) % 3 === 0},${i + 0.25},t${i % 7},${i % 5}`);
    const file = write('g.csv.gz', gzipSync(`${lines.join('\n')}\n`));
    expect(await same([file, file])).toEqual(['bulk', 'bulk']);
  });

  it('a file whose items are all new, then one whose items all exist (with values for fields they lacked)', async () => {
    const first = ['benchmark,model,item_id,correct,meta.topic,meta.level'];
    const second = ['benchmark,model,item_id,correct,meta.topic,meta.level,meta.source'];
    for (let i = 0; i < 500; i++) {
      first.push(`bp-e,m-a,q${i},${i % 2 === 0},${i % 3 === 0 ? '' : `t${i % 4}`},${i % 5}`);
      second.push(`bp-e,m-b,q${i},${i % 3 === 0},t${i % 4},${i % 5},s${i % 2}`);
      second.push(`bp-e,m-c,q${i},${i % 5 === 0},t${i % 4},${i % 5},s${i % 2}`);
    }
    const a = write('new.csv', `${first.join('\n')}\n`);
    const b = write('existing.csv', `${second.join('\n')}\n`);
    expect(await same([a, b])).toEqual(['bulk', 'bulk']);
  });

  it('a record longer than the readers are given by default (their line size follows the longest record)', async () => {
    // four cells of 700 KB (each within IMPORT_MAX_FIELD_BYTES): a 2.8 MB line
    const cell = (c: string) => c.repeat(700 * 1024);
    const file = write(
      'long.csv',
      `benchmark,model,item_id,correct,response,input,reference,error\nbp-l,m-a,q1,true,${cell('r')},${cell('i')},${cell('f')},${cell('e')}\nbp-l,m-a,q2,false,short,,,\n`,
    );
    expect(await same([file])).toEqual(['bulk']);
  });

  it('a key twice in one file keeps its first record, both ways', async () => {
    const file = write(
      'dup.csv',
      'benchmark,model,item_id,correct,answer\nbp-d,m-a,q1,true,first\nbp-d,m-a,q2,false,x\nbp-d,m-a,q1,false,second\n',
    );
    const paths = await same([file]);
    expect(paths).toEqual(['bulk']);
  });

  it('with the benchmark, model and run given as options', async () => {
    const file = write('o.csv', 'item_id,correct,meta.k\nq1,true,a\nq2,false,b\n');
    expect(await same([file], { benchmark: 'bp-opt', model: 'm-opt', run: 'r1' })).toEqual(['bulk']);
  });

  it('a type widening over two files (integer, then number, then string)', async () => {
    const a = write(
      'w1.csv',
      'benchmark,model,item_id,correct,meta.v\nbp-w,m-a,q1,true,1\nbp-w,m-a,q2,true,2\n',
    );
    const b = write('w2.csv', 'benchmark,model,item_id,correct,meta.v\nbp-w,m-a,q3,true,2.5\n');
    const c = write('w3.csv', 'benchmark,model,item_id,correct,meta.v\nbp-w,m-a,q4,true,x\n');
    expect(await same([a, b, c])).toEqual(['bulk', 'bulk', 'bulk']);
  });
});

describe('which CSV files the bulk path takes, and which it leaves to the record path (same answers, errors included)', () => {
  const cases: [string, string][] = [
    ['an invalid number', 'benchmark,model,item_id,correct,score\nbp-x,m,q1,true,abc\n'],
    ['a padded number', 'benchmark,model,item_id,correct,score\nbp-x,m,q1,true, 5\n'],
    ['a number DuckDB alone reads', 'benchmark,model,item_id,correct,score\nbp-x,m,q1,true,+-5\n'],
    ['a latency out of range', 'benchmark,model,item_id,correct,latency_ms\nbp-x,m,q1,true,-1\n'],
    ['an infinite score', 'benchmark,model,item_id,correct,score\nbp-x,m,q1,true,1e400\n'],
    ['too many tokens', 'benchmark,model,item_id,correct,tokens_in\nbp-x,m,q1,true,2147483648\n'],
    ['a correct with spaces', 'benchmark,model,item_id,correct\nbp-x,m,q1, true\n'],
    ['an unknown outcome', 'benchmark,model,item_id,outcome\nbp-x,m,q1,maybe\n'],
    ['an outcome against correct', 'benchmark,model,item_id,correct,outcome\nbp-x,m,q1,true,incorrect\n'],
    ['an empty model', 'benchmark,model,item_id,correct\nbp-x,,q1,true\n'],
    ['a sample that is not an integer', 'benchmark,model,item_id,sample,correct\nbp-x,m,q1,1.5,true\n'],
    ['an unknown column', 'benchmark,model,item_id,correct,colour\nbp-x,m,q1,true,red\n'],
    ['a short row', 'benchmark,model,item_id,correct\nbp-x,m,q1\n'],
    ['an unclosed quote', 'benchmark,model,item_id,correct,answer\nbp-x,m,q1,true,"abc\n'],
    ['a quote inside a cell', 'benchmark,model,item_id,correct,answer\nbp-x,m,q1,true,ab"c\n'],
    ['a bare CR', 'benchmark,model,item_id,correct\nbp-x,m,q1,true\rbp-x,m,q2,false\n'],
    ['a byte order mark', '\ufeffbenchmark,model,item_id,correct\nbp-x,m,q1,true\n'],
    ['a bad date', 'benchmark,model,item_id,correct,evaluated_at\nbp-x,m,q1,true,2024-02-30\n'],
    ['an infinite metadata number', 'benchmark,model,item_id,correct,meta.v\nbp-x,m,q1,true,1e999\n'],
    ['an array-index field name', 'benchmark,model,item_id,correct,meta.2024,meta.b\nbp-x,m,q1,true,x,y\n'],
    [
      'rows of one item that disagree',
      'benchmark,model,item_id,correct,meta.v\nbp-x,m,q1,true,a\nbp-x,n,q1,true,b\n',
    ],
    ['a long name', `benchmark,model,item_id,correct\nbp-x,m,${'q'.repeat(192)},true\n`],
  ];
  for (const [what, text] of cases) {
    it(what, async () => {
      const file = write('case.csv', text);
      const bulk = await importAll([file], true).catch((e: Error) => ({ error: e.message }));
      const records = await importAll([file], false).catch((e: Error) => ({ error: e.message }));
      // paths included: the bulk path declined, and said why
      if ('declined' in bulk) expect(bulk.declined[0]).toEqual(expect.any(String));
      const strip = (o: object) => ({ ...o, declined: undefined });
      expect(strip(bulk)).toEqual(strip(records));
    });
  }

  it('CRLF line ends', async () => {
    const file = write(
      'case.csv',
      'benchmark,model,item_id,correct\r\nbp-x,m,q1,true\r\nbp-x,m,q2,false\r\n',
    );
    expect(await same([file])).toEqual(['bulk']);
  });

  it('a metadata number in another form', async () => {
    const file = write('case.csv', 'benchmark,model,item_id,correct,meta.v\nbp-x,m,q1,true,1.50\n');
    expect(await same([file])).toEqual(['bulk']);
  });

  it('a metadata code with a leading zero', async () => {
    const file = write('case.csv', 'benchmark,model,item_id,correct,meta.v\nbp-x,m,q1,true,007\n');
    expect(await same([file])).toEqual(['bulk']);
  });

  it('a metadata string JSON escapes', async () => {
    const file = write('case.csv', 'benchmark,model,item_id,correct,meta.v\nbp-x,m,q1,true,"a ""b"""\n');
    expect(await same([file])).toEqual(['bulk']);
  });

  it('blank lines, which both readers skip', async () => {
    const file = write('blank.csv', 'benchmark,model,item_id,correct\n\nbp-x,m,q1,true\n\nbp-x,m,q2,false\n');
    expect(await same([file])).toEqual(['bulk']);
  });
});

describe('MariaDB: three bulk imports at once over the same new items', () => {
  it('each stores its results, and the shared items are stored once', async () => {
    const files = ['m-a', 'm-b', 'm-c'].map((m) => {
      const lines = ['benchmark,model,item_id,correct,meta.topic'];
      for (let i = 0; i < 20_000; i++) lines.push(`bp-race,${m},q${i},${i % 3 === 0},t${i % 5}`);
      return write(`race-${m}.csv`, `${lines.join('\n')}\n`);
    });
    const db = await createTestDatabase('bulkrace');
    const stores = await Promise.all(files.map(() => MysqlStore.open(db.url)));
    try {
      const out = await Promise.all(files.map((f, k) => importFile(stores[k]!, f)));
      expect(out.map((s) => [s.path, s.inserted])).toEqual(files.map(() => ['bulk', 20_000]));
      const [[row]] = (await stores[0]!.pool.query(
        `SELECT (SELECT count(*) FROM items) AS items, (SELECT count(DISTINCT item_key) FROM items) AS keys_,
                (SELECT count(*) FROM results) AS results,
                (SELECT count(DISTINCT item_id) FROM results) AS resultItems`,
      )) as unknown as [[Record<string, number>]];
      expect(Object.values(row!).map(Number)).toEqual([20_000, 20_000, 60_000, 20_000]);
    } finally {
      for (const s of stores) await s.close();
      await db.drop();
    }
  });
});

describe('MariaDB: a large file', () => {
  it('arrives whole and in key order (ids ascend with the key), with the values of its rows', async () => {
    // 3 models × 110,000 items, in an order that is not the key's: 330,000 rows
    const lines = ['benchmark,model,item_id,correct,latency_ms'];
    let correct = 0;
    let latency = 0;
    for (const m of ['m-c', 'm-a', 'm-b'])
      for (let i = 0; i < 110_000; i++) {
        const ok = (i * m.charCodeAt(2)) % 7 < 3;
        correct += ok ? 1 : 0;
        latency += i % 1000;
        lines.push(`bp-chunks,${m},q${(i * 7919) % 110_000},${ok},${i % 1000}`);
      }
    const file = write('chunks.csv', `${lines.join('\n')}\n`);
    const db = await createTestDatabase('bulkchunks');
    const store = await MysqlStore.open(db.url);
    try {
      const s = await importFile(store, file);
      expect(s).toMatchObject({ path: 'bulk', rows: 330_000, inserted: 330_000 });
      const [[row]] = (await store.pool.query(
        `SELECT count(*) AS n, count(DISTINCT run_id, item_id, sample) AS k, sum(correct) AS c, sum(latency_ms) AS l
         FROM results`,
      )) as unknown as [[Record<string, number>]];
      expect(Object.values(row!).map(Number)).toEqual([330_000, 330_000, correct, latency]);
      // the next id never holds a smaller key: the results were loaded sorted by key
      const [[order]] = (await store.pool.query(
        `SELECT count(*) AS n FROM results a JOIN results b ON b.id = a.id + 1
         WHERE (b.run_id, b.item_id, b.sample) < (a.run_id, a.item_id, a.sample)`,
      )) as unknown as [[{ n: number }]];
      expect(Number(order!.n)).toBe(0);
    } finally {
      await store.close();
      await db.drop();
    }
  }, 120_000);
});

describe('an abandoned bulk import', () => {
  it('writes nothing when aborted while DuckDB works', async () => {
    const lines = ['benchmark,model,item_id,correct,latency_ms,meta.topic'];
    for (let i = 0; i < 200_000; i++) lines.push(`bp-k,m-a,q${i},${i % 2 === 0},${i},t${i % 9}`);
    const file = write('abort.csv', `${lines.join('\n')}\n`);
    const store = await DuckDbStore.open(join(tmp.dir, 'abort.duckdb'));
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop')), 150);
      await expect(importFile(store, file, { signal: ac.signal })).rejects.toThrow();
      const tables = await dump(store);
      expect(tables.results).toEqual([]);
      expect(tables.items).toEqual([]);
      expect(tables.runs).toEqual([]);
      // and the file imports whole afterwards
      const s = await importFile(store, file);
      expect(s).toMatchObject({ path: 'bulk', rows: 200_000, inserted: 200_000 });
    } finally {
      await store.close();
    }
  });
});

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe.each(ENGINES)('canonical JSONL: the bulk path stores what the record path stores (%s)', (engine) => {
  const same = (files: string[], opts: ImportFileOptions = {}) => bothWays(files, opts, engine);
  it('the bundled demo files (real results), each as shipped', async () => {
    for (const f of ['math-cot.jsonl.gz', 'mmlu-redux.jsonl.gz'])
      expect(await same([join(import.meta.dirname, '../../demo', f)])).toEqual(['bulk']);
  });

  it('values in every accepted JSON form', async () => {
    const rows = [
      {
        benchmark: 'bj-a',
        model: 'm-1',
        item_id: 'q1',
        correct: true,
        score: 0.5,
        response: 'a "quoted"\nline',
        answer: '',
        metadata: { subject: 'algebra', year: 2021, level: 1.5, flag: true, none: null },
      },
      {
        benchmark: 'bj-a',
        model: 'm-1',
        item_id: 'q2',
        sample: 3,
        correct: 0,
        score: null,
        latency_ms: 12.3456789,
        tokens_in: 1e2,
        cost_usd: 0,
        error: null,
        metadata: { subject: '함수 ✓', year: 2022, level: 2, flag: false, none: null },
        evaluated_at: '2025-01-31T12:00:00Z',
      },
      {
        benchmark: 'bj-a',
        model: 'm-2',
        run: 'alt',
        item_id: 'q1',
        correct: 1,
        outcome: 'correct',
        metadata: { subject: 'algebra', year: 2021, level: 1.5, flag: true, none: null },
      },
      {
        benchmark: 'bj-a',
        model: 'm-2',
        run: 'alt',
        item_id: 'q3',
        correct: null,
        error: 'timeout',
        input: 'What?',
        reference: 'B',
      },
      { benchmark: 'bj-a', model: 'm-2', run: 'alt', item_id: 'q4', outcome: 'unscored', error: '' },
      { benchmark: 'bj-b', model: 'm-1', item_id: 7, correct: false, metadata: { year: 2020 } },
      { benchmark: 'bj-b', model: 'm-1', item_id: -8, correct: true, metadata: {} },
    ];
    const file = write('forms.jsonl', `${rows.map(line).join('\n')}\n\n  \n`);
    expect(await same([file])).toEqual(['bulk']);
  });

  it('gzipped, with the benchmark and model given as options, then again', async () => {
    const rows = Array.from({ length: 400 }, (_, i) =>
      line({ item_id: `q${i}`, correct: i % 3 === 0, metadata: { k: `v${i % 4}` } }),
    );
    const file = write('o.jsonl.gz', gzipSync(`${rows.join('\n')}\n`));
    expect(await same([file, file], { benchmark: 'bj-opt', model: 'm-opt' })).toEqual(['bulk', 'bulk']);
  });
});

describe('canonical JSONL: which files the bulk path declines (same answers, errors included)', () => {
  const declined: [string, string][] = [
    ['an unknown key', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', colour: 'red' })],
    ['a key twice', '{"benchmark":"bj-x","model":"m","item_id":"q","correct":true,"correct":false}'],
    ['a number as the model', line({ benchmark: 'bj-x', model: 5, item_id: 'q' })],
    ['a fractional item id', '{"benchmark":"bj-x","model":"m","item_id":1.0}'],
    ['an unsafe integer item id', '{"benchmark":"bj-x","model":"m","item_id":12345678901234567890}'],
    ['a null sample', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', sample: null })],
    // read_json reads absent and null alike: one null among lines without the key
    ...(['run', 'sample', 'outcome', 'metadata'] as const).map((f): [string, string] => [
      `a null ${f} among lines without it`,
      [
        line({ benchmark: 'bj-x', model: 'm', item_id: 'q1' }),
        line({ benchmark: 'bj-x', model: 'm', item_id: 'q2', [f]: null }),
        line({ benchmark: 'bj-x', model: 'm', item_id: 'q3' }),
      ].join('\n'),
    ]),
    ['a negative sample', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', sample: -1 })],
    ['correct 2', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', correct: 2 })],
    ['a huge correct', '{"benchmark":"bj-x","model":"m","item_id":"q","correct":18446744073709551615}'],
    ['correct as text', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', correct: 'true' })],
    ['a score as text', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', score: '0.5' })],
    ['nested metadata', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', metadata: { a: { b: 1 } } })],
    ['metadata as an array', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', metadata: [1] })],
    ['an empty benchmark', line({ benchmark: '', model: 'm', item_id: 'q' })],
    ['not JSON', '{"benchmark":"bj-x",'],
    ['an array line', '[1,2,3]'],
    ['a lone surrogate', '{"benchmark":"bj-x","model":"m","item_id":"q","answer":"\\ud800"}'],
    ['a bad date', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', evaluated_at: '2024-02-30' })],
    ['a negative latency', line({ benchmark: 'bj-x', model: 'm', item_id: 'q', latency_ms: -1 })],
    [
      'an outcome against correct',
      line({ benchmark: 'bj-x', model: 'm', item_id: 'q', correct: true, outcome: 'incorrect' }),
    ],
  ];
  for (const [what, text] of declined) {
    it(`declines ${what}, answering as the record path`, async () => {
      const file = write('case.jsonl', `${text}\n`);
      const bulk = await importAll([file], true).catch((e: Error) => ({ error: e.message }));
      const records = await importAll([file], false).catch((e: Error) => ({ error: e.message }));
      if ('declined' in bulk) expect(bulk.declined[0]).toEqual(expect.any(String));
      const strip = (o: object) => ({ ...o, declined: undefined });
      expect(strip(bulk)).toEqual(strip(records));
    });
  }

  it('declines benchmarks that order their fields differently (the record path registers them so)', async () => {
    const file = write(
      'order.jsonl',
      `${[
        line({ benchmark: 'bj-o1', model: 'm', item_id: 'q', metadata: { a: 1, b: 2 } }),
        line({ benchmark: 'bj-o2', model: 'm', item_id: 'q', metadata: { b: 1, a: 2 } }),
      ].join('\n')}\n`,
    );
    const bulk = await importAll([file], true);
    const records = await importAll([file], false);
    expect(bulk.declined[0]).toMatch(/order/);
    expect(bulk.tables).toEqual(records.tables);
  });
});
