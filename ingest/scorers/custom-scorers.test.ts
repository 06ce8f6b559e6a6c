import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { validateBenchmark } from '../benchmarks/load.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import { ScorerConfigSchema } from './config.ts';
import { jsonText } from './json-schema.ts';
import { createScorer, type ScoreContext, type Scorer, scorerTypes } from './registry.ts';

const item = (reference: string, vars: Record<string, unknown> = {}): BenchItem => ({
  id: 'i1',
  vars,
  reference,
  metadata: {},
});
const outcome = async (s: Scorer, response: string, it: BenchItem, ctx?: ScoreContext) =>
  (await s.score(response, it, ctx)).outcome;

describe('contains / starts_with', () => {
  it('looks for the reference, case-insensitively by default', async () => {
    const s = createScorer({ type: 'contains' });
    expect(await outcome(s, 'The answer is PARIS, France.', item('paris'))).toBe('correct');
    expect(await outcome(s, 'Lyon', item('paris'))).toBe('incorrect');
    expect(await outcome(s, '   ', item('paris'))).toBe('unscored');
    const cs = createScorer({ type: 'contains', case_sensitive: true });
    expect(await outcome(cs, 'PARIS', item('paris'))).toBe('incorrect');
  });
  it('configured texts: any one is enough; starts_with ignores leading spaces', async () => {
    const s = createScorer({ type: 'starts_with', text: ['yes', 'sure'] });
    expect(await outcome(s, '  Sure, here it is', item('ignored'))).toBe('correct');
    expect(await outcome(s, 'I say yes', item('ignored'))).toBe('incorrect');
    expect(await s.score('YES.', item('x'))).toEqual({
      outcome: 'correct',
      correct: true,
      score: 1,
      answer: 'YES.',
    });
  });
});

describe('json_schema', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string' },
      age: { type: 'integer', minimum: 0 },
      tags: { $ref: '#/$defs/tags' },
    },
    required: ['name', 'age'],
    additionalProperties: false,
    $defs: { tags: { type: 'array', items: { type: 'string' } } },
  };
  const s = createScorer({ type: 'json_schema', schema });
  it('valid JSON satisfying the schema is correct; the fence of a markdown answer is read', async () => {
    expect(await s.score('{"name":"Ada","age":36}', item(''))).toMatchObject({
      outcome: 'correct',
      score: 1,
    });
    expect(
      await outcome(s, 'Here:\n```json\n{"name":"Ada","age":36,"tags":["x"]}\n```\nDone.', item('')),
    ).toBe('correct');
    expect(jsonText('```\n[1]\n```')).toBe('[1]');
  });
  it('invalid JSON, a schema violation or an internal $ref violation are incorrect; empty is unscored', async () => {
    expect(await outcome(s, '{"name":"Ada",}', item(''))).toBe('incorrect');
    expect(await outcome(s, '{"name":"Ada","age":-1}', item(''))).toBe('incorrect');
    expect(await outcome(s, '{"name":"Ada","age":1,"extra":true}', item(''))).toBe('incorrect');
    expect(await outcome(s, '{"name":"Ada","age":1,"tags":[1]}', item(''))).toBe('incorrect');
    expect(await outcome(s, '', item(''))).toBe('unscored');
  });
  it('2020-12 schemas by their $schema; format is an annotation only', async () => {
    const s2 = createScorer({
      type: 'json_schema',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'number' }, { type: 'string', format: 'email' }],
      },
    });
    expect(await outcome(s2, '[1, "not an email"]', item(''))).toBe('correct');
    expect(await outcome(s2, '["1", "x"]', item(''))).toBe('incorrect');
  });
  it('refuses, when the benchmark loads, a misspelt keyword, a bad type and a $ref to another document', () => {
    const msg = (schema: unknown) =>
      ScorerConfigSchema.safeParse({ type: 'json_schema', schema }).error?.issues.map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    expect(msg({ type: 'object', requird: ['a'] })).toEqual([
      'schema: invalid JSON schema: strict mode: unknown keyword: "requird"',
    ]);
    expect(msg({ type: 'integr' })?.[0]).toMatch(/^schema: invalid JSON schema: .*type/);
    expect(msg({ properties: { a: { $ref: 'https://example.com/a.json' } } })).toEqual([
      'schema: invalid JSON schema: $ref may only point inside the schema (#/...); found #/properties/a/$ref = "https://example.com/a.json"',
    ]);
    expect(msg('{"type":"object"}')?.[0]).toMatch(/^schema: /);
  });
});

describe('rouge and bleu scorers', () => {
  it('rouge: the chosen variant and measure, stemmer optional', async () => {
    const it1 = item('police killed the gunman');
    // rouge1 recall without stemming: police, the, gunman of 4 target tokens; "kill" ≠ "killed"
    const r = createScorer({ type: 'rouge', variant: 'rouge1', measure: 'recall', threshold: 0.8 });
    expect(await r.score('police kill the gunman', it1)).toMatchObject({
      score: 3 / 4,
      outcome: 'incorrect',
    });
    // With the stemmer "killed" and "kill" are both "kill": 4/4
    const rs = createScorer({
      type: 'rouge',
      variant: 'rouge1',
      measure: 'recall',
      stemmer: true,
      threshold: 0.8,
    });
    expect(await rs.score('police kill the gunman', it1)).toMatchObject({ score: 1, outcome: 'correct' });
    // rouge2 F: bigrams of the prediction "the gunman police" = {the gunman, gunman police}; overlap 1 of 2 and 3
    const r2 = createScorer({ type: 'rouge', variant: 'rouge2' });
    expect((await r2.score('the gunman police', it1)).score).toBeCloseTo(
      (2 * (1 / 2) * (1 / 3)) / (1 / 2 + 1 / 3),
      12,
    );
  });
  it('bleu: several references from an item variable (the closest length and clipped counts)', async () => {
    const s = createScorer({ type: 'bleu', references: 'refs', threshold: 0.99 });
    const it1 = item('unused', { refs: ['the cat is on the mat', 'there is a cat on the mat'] });
    const r = await s.score('the cat is on the mat', it1);
    expect(r.outcome).toBe('correct');
    expect(r.score).toBeCloseTo(1, 12);
    // Against the second reference only: 1-grams 5/6 (the·2 clipped to 1)… not 1, so the first one counted.
    const other = await s.score('the cat is on the mat', item('u', { refs: ['there is a cat on the mat'] }));
    expect(other.score).toBeLessThan(0.99);
    await expect(s.score('x', item('r', { refs: 3 }))).rejects.toThrow(/list of strings/);
  });
});

describe('composition', () => {
  const judgeSays =
    (grade: string): ScoreContext['judge'] =>
    async () =>
      `GRADE: ${grade}`;
  it('all / any: three-valued, an unscored part is unknown', async () => {
    const all = createScorer({ type: 'all', of: [{ type: 'contains', text: 'paris' }, { type: 'judge' }] });
    const any = createScorer({ type: 'any', of: [{ type: 'contains', text: 'paris' }, { type: 'judge' }] });
    const it1 = item('Paris', { question: 'Capital?' });
    const cases: [string, string, string, string][] = [
      // response, judge grade, all, any
      ['Paris', 'CORRECT', 'correct', 'correct'],
      ['Paris', 'INCORRECT', 'incorrect', 'correct'],
      ['Paris', 'NOT_ATTEMPTED', 'unscored', 'correct'],
      ['Lyon', 'CORRECT', 'incorrect', 'correct'],
      ['Lyon', 'NOT_ATTEMPTED', 'incorrect', 'unscored'],
      ['Lyon', 'INCORRECT', 'incorrect', 'incorrect'],
    ];
    for (const [response, grade, wantAll, wantAny] of cases) {
      const ctx = { judge: judgeSays(grade) };
      const a = await all.score(response, it1, ctx);
      const b = await any.score(response, it1, ctx);
      expect([a.outcome, b.outcome], `${response} ${grade}`).toEqual([wantAll, wantAny]);
      expect(a.score).toBe(wantAll === 'unscored' ? null : wantAll === 'correct' ? 1 : 0);
      expect(b.correct).toBe(wantAny === 'unscored' ? null : wantAny === 'correct');
    }
  });
  it('weighted: the weighted mean of the parts, an unscored part counting 0', async () => {
    const s = createScorer({
      type: 'weighted',
      threshold: 0.6,
      of: [
        { scorer: { type: 'contains' }, weight: 1 },
        { scorer: { type: 'rouge', variant: 'rouge1' }, weight: 2 },
        { scorer: { type: 'numeric' }, weight: 1 },
        { scorer: { type: 'starts_with', text: 'answer' }, weight: 1 },
      ],
    });
    // reference "42", response "Answer: 42": contains 1; rouge1 of target [42] and prediction
    // [answer, 42]: P = 1/2, R = 1, F = 2/3; numeric 42 = 42 → 1; starts with "answer" → 1
    const r = await s.score('Answer: 42', item('42'));
    expect(r.score).toBeCloseTo((1 + 2 * (2 / 3) + 1 + 1) / 5, 12);
    expect(r.outcome).toBe('correct');
    // "Answer unknown": contains 0, rouge1 0, numeric finds no number (unscored → 0), starts_with 1:
    // 1/5 (skipping the unscored part instead would give 1/4)
    const r2 = await s.score('Answer unknown', item('42'));
    expect(r2.score).toBeCloseTo(1 / 5, 12);
    expect(r2.outcome).toBe('incorrect');
    expect((await s.score('', item('42'))).outcome).toBe('unscored');
  });
  it('nests; a failing part rejects the whole; scorerTypes sees inside', async () => {
    const config = ScorerConfigSchema.parse({
      type: 'all',
      of: [
        { type: 'json_schema', schema: { type: 'object' } },
        { type: 'any', of: [{ type: 'judge' }] },
      ],
    });
    expect([...scorerTypes(config)].sort()).toEqual(['all', 'any', 'json_schema', 'judge']);
    const s = createScorer(config);
    await expect(s.score('{}', item('x'))).rejects.toThrow(/needs a judge/);
    expect(await outcome(s, '{}', item('x'), { judge: judgeSays('CORRECT') })).toBe('correct');
    expect(await outcome(s, '[]', item('x'), { judge: judgeSays('CORRECT') })).toBe('incorrect');
  });
  it('config errors: empty lists, bad weights, unknown keys deep inside, bad regex', () => {
    const issues = (v: unknown) =>
      ScorerConfigSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ type: 'all', of: [] })).toEqual(['of: name at least one scorer']);
    expect(issues({ type: 'weighted', of: [{ scorer: { type: 'contains' }, weight: 0 }] })[0]).toMatch(
      /^of\.0\.weight:/,
    );
    expect(
      issues({
        type: 'any',
        of: [{ type: 'weighted', of: [{ scorer: { type: 'bleu', treshold: 1 }, weight: 1 }] }],
      }),
    ).toEqual(['of.0.of.0.scorer: Unrecognized key: "treshold"']);
    expect(issues({ type: 'regex', pattern: '(' })[0]).toMatch(/^pattern: not a valid regular expression/);
    expect(issues({ type: 'semantic', model: 'm', threshold: 2 })[0]).toMatch(/^threshold:/);
    expect(issues({ type: 'bleu', references: 'not a name' })[0]).toMatch(/^references:/);
  });
});

describe('a benchmark.yaml with a composed scorer', () => {
  const tmp = tmpDir('evalhouse-scorers-');
  afterAll(() => tmp.cleanup());
  const write = (name: string, scorer: string) => {
    const dir = join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'benchmark.yaml'),
      [
        `slug: ${name}`,
        'version: "1"',
        'task: free_text',
        'description: composed scorer test',
        'attribution: { source: test, license: CC0 }',
        'template: { user: "{{question}}" }',
        scorer,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'items.jsonl'),
      `${JSON.stringify({ id: 'a', question: 'q', reference: 'r' })}\n`,
    );
    return dir;
  };
  it('loads a valid one; reports a bad JSON schema by field, at load', async () => {
    const ok = await validateBenchmark(
      write(
        'good',
        'scorer:\n  type: weighted\n  threshold: 0.7\n  of:\n    - { scorer: { type: json_schema, schema: { type: object } }, weight: 3 }\n    - { scorer: { type: contains }, weight: 1 }',
      ),
    );
    expect(ok.problems).toEqual([]);
    expect(ok.def?.scorer).toMatchObject({ type: 'weighted', threshold: 0.7 });
    const bad = await validateBenchmark(
      write('bad', 'scorer:\n  type: all\n  of:\n    - { type: json_schema, schema: { type: objekt } }'),
    );
    expect(bad.problems.map((p) => p.field)).toEqual(['scorer.of.0.schema']);
    expect(bad.problems[0]!.message).toMatch(/invalid JSON schema/);
  });
});
