import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../store/engines.ts';
import { type ApiFixture, LEVELS, MODELS, openApiFixture, SUBJECTS } from './fixture.ts';
import { close, type RefRequest, referenceAnalysis } from './reference.ts';

/**
 * 10,000 random requests mixing valid and hostile names, values and shapes: no 5xx, every
 * invalid one a 4xx, every valid one equal on both engines and to the in-memory computation,
 * and no string from any request ever in SQL text.
 */
let fx: ApiFixture;
const sqlLog: string[] = [];
beforeAll(async () => {
  fx = await openApiFixture();
  for (const name of ['duckdb', 'mysql'] as const) {
    const engine = fx.ctx.analysis.engines[name] as Engine;
    const query = engine.query.bind(engine);
    engine.query = (sql, params, t) => {
      sqlLog.push(sql);
      return query(sql, params, t);
    };
  }
});
afterAll(async () => fx?.close());

const FIELDS = ['subj', 'yr', 'hard', 'lvl'] as const;
const VALUES: Record<(typeof FIELDS)[number], (string | number | boolean)[]> = {
  subj: SUBJECTS,
  yr: [2019, 2020, 2021],
  hard: [true, false],
  lvl: LEVELS,
};

const validRequest = fc
  .record(
    {
      // [] is one row per model
      levels: fc.uniqueArray(fc.constantFrom(...FIELDS), { minLength: 0, maxLength: 3 }),
      models: fc.option(fc.uniqueArray(fc.constantFrom(...MODELS), { minLength: 1, maxLength: 3 }), {
        nil: undefined,
      }),
      runs: fc.option(fc.constantFrom(['r1'], ['r2'], ['r1', 'r2']), { nil: undefined }),
      filters: fc.option(
        fc
          .constantFrom(...FIELDS)
          .chain((f) =>
            fc
              .uniqueArray(fc.constantFrom(...VALUES[f]), { minLength: 1, maxLength: 3 })
              .map((v) => ({ [f]: v })),
          ),
        { nil: undefined },
      ),
      unscored: fc.option(fc.constantFrom('exclude' as const, 'wrong' as const), { nil: undefined }),
    },
    { requiredKeys: ['levels'] },
  )
  .map((r) => {
    const out: Record<string, unknown> = { benchmark: 'alpha', levels: r.levels };
    for (const k of ['models', 'runs', 'filters', 'unscored'] as const) if (r[k] !== undefined) out[k] = r[k];
    return { kind: 'valid' as const, body: out };
  });

/** Strings an attacker would try; each carries a marker so it can be searched for in SQL text. */
const hostileString = fc.oneof(
  fc.constantFrom(
    "zq' OR '1'='1",
    'zq"; DROP TABLE results; --',
    'zq`) UNION SELECT * FROM models --',
    'zq\\',
    'zq\u0000nul',
    'zq__proto__',
    'zqconstructor',
    'zq m0',
    'zqf0) OR (1=1',
    'zq'.padEnd(400, 'x'),
  ),
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => `zq${s}`),
);

const hostileRequest = fc
  .oneof(
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.array(hostileString, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ benchmark: hostileString, levels: fc.constant(['subj']) }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      models: fc.array(hostileString, { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      runs: fc.array(hostileString, { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      filters: fc.dictionary(
        hostileString,
        fc.array(fc.oneof(hostileString, fc.integer(), fc.boolean()), { minLength: 1, maxLength: 2 }),
        {
          minKeys: 1,
          maxKeys: 2,
        },
      ),
    }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      filters: fc
        .constantFrom(...FIELDS)
        .chain((f) => fc.array(hostileString, { minLength: 1, maxLength: 2 }).map((v) => ({ [f]: v }))),
    }),
    // wrong shapes and types: nothing is coerced
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.oneof(fc.constant('subj'), fc.constant([1]), fc.constant(null)),
    }),
    fc.record({ benchmark: fc.constant('alpha'), levels: fc.constant(['subj', 'yr', 'hard', 'lvl']) }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      zqextra: fc.anything().filter((v) => v !== undefined),
    }),
    fc.record({ benchmark: fc.constant('alpha'), levels: fc.constant(['subj']), engine: hostileString }),
    fc.record({
      benchmark: fc.constant('alpha'),
      levels: fc.constant(['subj']),
      pass_at: fc.constantFrom([0], ['1'], [1.5], []),
    }),
    fc.anything().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
  )
  .map((body) => ({ kind: 'hostile' as const, body }));

/** Every string value in a request, and the keys of `filters` (user field names); other keys are our schema's. */
function strings(v: unknown, out: string[] = [], userKeys = false): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (userKeys) out.push(k);
      strings(x, out, k === 'filters');
    }
  }
  return out;
}

describe('POST /analysis under 10,000 random requests', () => {
  it('never answers 5xx, rejects hostile input with 4xx, and agrees with the reference on both engines', async () => {
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: validRequest, weight: 3 }, { arbitrary: hostileRequest, weight: 7 }),
        async (req) => {
          sqlLog.length = 0;
          const answers = [];
          for (const engine of ['duckdb', 'mysql']) {
            const body = req.kind === 'valid' ? { ...req.body, engine } : req.body;
            const res = await fx.app.inject({
              method: 'POST',
              url: '/analysis',
              payload: JSON.stringify(body),
              headers: { 'content-type': 'application/json' },
            });
            expect(res.statusCode).toBeLessThan(500);
            answers.push(res);
            if (req.kind === 'hostile') break;
          }
          // no string of the request (of 3+ characters) ever reaches SQL text
          for (const s of strings(req.body).filter((x) => x.length >= 3)) {
            for (const sql of sqlLog) expect(sql.includes(s), `${JSON.stringify(s)} in SQL`).toBe(false);
          }
          if (req.kind === 'hostile') {
            const body = answers[0]!.json();
            if (answers[0]!.statusCode === 200) {
              // only a hostile *value* for a valid string field is a valid request: bound, it matches nothing
              expect(body.rows).toEqual([]);
              return;
            }
            invalid++;
            expect([400, 404]).toContain(answers[0]!.statusCode);
            expect(typeof body.message).toBe('string');
            return;
          }
          valid++;
          const ref = referenceAnalysis(fx.records, req.body as unknown as RefRequest);
          for (const res of answers) {
            expect(res.statusCode).toBe(200);
            const body = res.json();
            expect(body.excluded).toBe(ref.excluded);
            expect(body.rows.length).toBe(ref.rows.length);
            for (const want of ref.rows) {
              const got = body.rows.find(
                (r: { model: string; groups: unknown }) =>
                  r.model === want.model && JSON.stringify(r.groups) === JSON.stringify(want.groups),
              );
              expect(got).toBeDefined();
              for (const k of [
                'n',
                'n_items',
                'n_samples',
                'correct',
                'unscored',
                'errors',
                'accuracy',
                'stderr',
                'mean_score',
                'latency_ms_p50',
                'latency_ms_p95',
                'tokens_in',
                'cost_usd',
              ] as const) {
                expect(close(got[k], want[k]), `${k}: ${got[k]} vs ${want[k]}`).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 10_000, seed: 20261125 },
    );
    expect(valid).toBeGreaterThan(2000);
    expect(invalid).toBeGreaterThan(5000);
  }, 600_000);
});
