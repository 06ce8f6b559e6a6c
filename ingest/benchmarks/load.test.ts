import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { listBenchmarks, loadBenchmark, promptVersion, renderPrompt, validateBenchmark } from './load.ts';
import { renderTemplate, TemplateError } from './render.ts';
import { BenchmarkError, type BenchmarkProblem } from './types.ts';

const { dir: tmp, cleanup } = tmpDir('evalhouse-bench-');
afterAll(cleanup);

const YAML = `slug: quiz
version: 2
task: multiple_choice
description: A tiny quiz.
attribution: { source: hand-written, license: CC0 }
metadata:
  - { name: topic, type: string, label: Topic }
  - { name: level, type: integer, label: Level }
  - { name: hard, type: boolean, label: Hard }
cluster: topic
template:
  system: You answer quizzes about {{topic}}.
  user: "{{question}}\\n\\n{{choices}}"
scorer: { type: multiple_choice }
`;

function bench(name: string, yaml: string, files: Record<string, string>): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'benchmark.yaml'), yaml);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

const line = (o: unknown) => JSON.stringify(o);
const GOOD = [
  { id: 'q1', question: '2+2?', choices: ['3', '4'], reference: 'B', topic: 'math', level: 1, hard: false },
  {
    id: 'q2',
    question: 'Capital of France?',
    choices: ['Paris', 'Rome', 'Oslo'],
    reference: 'A',
    topic: 'geo',
    level: 2,
    hard: null,
  },
];

const problemsOf = async (d: string) => (await validateBenchmark(d)).problems;
const brief = (ps: BenchmarkProblem[]) =>
  ps.map((p) => `${p.file}:${p.line ?? ''}:${p.field ?? ''}: ${p.message}`);

describe('bundled benchmarks', () => {
  it('are all valid, with the expected sizes, metadata and stable ids', async () => {
    const all = await listBenchmarks();
    const bySlug = Object.fromEntries(all.map((b) => [b.slug, b]));
    for (const b of all) expect(brief(b.problems), b.slug).toEqual([]);
    const sizes = Object.fromEntries(all.map((b) => [b.slug, b.def?.items.length]));
    expect(sizes).toEqual({
      'aime-2024': 30,
      'aime-2025': 30,
      'math-500': 500,
      mmlu: 570,
      'mmlu-pro': 280,
      'mmlu-redux': 5700,
    });
    const redux = bySlug['mmlu-redux']!.def!;
    expect(redux.items[0]).toMatchObject({
      id: 'abstract_algebra/0',
      reference: 'A',
      metadata: { subject: 'abstract_algebra', category: 'STEM', error_type: 'bad_question_clarity' },
    });
    expect(new Set(redux.items.map((i) => i.metadata.category))).toEqual(
      new Set(['STEM', 'humanities', 'social sciences', 'other']),
    );
    const mmlu = bySlug.mmlu!.def!;
    const perSubject = new Map<unknown, number>();
    for (const i of mmlu.items)
      perSubject.set(i.metadata.subject, (perSubject.get(i.metadata.subject) ?? 0) + 1);
    expect(perSubject.size).toBe(57);
    expect([...perSubject.values()].every((n) => n === 10)).toBe(true);
    const reduxIds = new Set(redux.items.map((i) => i.id));
    expect(mmlu.items.every((i) => reduxIds.has(i.id))).toBe(true);
    const aime = bySlug['aime-2024']!.def!;
    expect(aime.items.find((i) => i.id === '2024-II-4')).toMatchObject({
      reference: '33',
      metadata: { year: 2024, exam: 'II', number: 4 },
    });
    const math = bySlug['math-500']!.def!;
    expect(math.items[0]).toMatchObject({
      id: 'test/precalculus/807.json',
      metadata: { subject: 'Precalculus', level: 2 },
    });
    expect(math.scorer).toEqual({ type: 'math', tolerance: 1e-4 });
  });

  it('loads by slug or by path', async () => {
    const a = await loadBenchmark('aime-2025');
    const b = await loadBenchmark(a.dir);
    expect(b.items).toEqual(a.items);
    await expect(loadBenchmark('no-such-benchmark')).rejects.toThrow(/no such benchmark folder/);
  });
});

describe('validation', () => {
  it('accepts a good JSONL benchmark; vars exclude metadata unless the template uses them', async () => {
    const d = bench('good', YAML, { 'items.jsonl': GOOD.map(line).join('\n') });
    const def = await loadBenchmark(d);
    expect(def).toMatchObject({ slug: 'quiz', version: '2', cluster: 'topic' });
    expect(def.items[1]).toEqual({
      id: 'q2',
      vars: { question: 'Capital of France?', choices: ['Paris', 'Rome', 'Oslo'], topic: 'geo' },
      reference: 'A',
      metadata: { topic: 'geo', level: 2, hard: null },
    });
  });

  it('lists item problems with line numbers and field names', async () => {
    const rows = [
      line(GOOD[0]),
      line({ ...GOOD[1], level: '2' }), // wrong type
      '{not json',
      line({
        id: 'q3',
        question: 'x',
        choices: ['a', 'b'],
        reference: 'C',
        topic: 't',
        level: 1,
        hard: true,
      }),
      line({ id: 'q1', choices: ['a', 'b'], reference: 'A', topic: 't', level: 1 }), // dup id, no question, no hard
    ];
    const d = bench('bad-items', YAML, { 'items.jsonl': rows.join('\n') });
    const ps = brief(await problemsOf(d));
    expect(ps[0]).toMatch(/^items.jsonl:3:: invalid JSON/);
    expect(ps.slice(1)).toEqual([
      'items.jsonl:2:level: metadata field "level" must be integer, got string "2"',
      'items.jsonl:4:reference: must be one of the letters AB (item has 2 choices), got "C"',
      'items.jsonl:5:id: duplicate id "q1" (first on line 1)',
      'items.jsonl:5:hard: metadata field "hard" (boolean) is missing',
      'items.jsonl:5:question: template variable "question" is missing',
    ]);
    await expect(loadBenchmark(d)).rejects.toBeInstanceOf(BenchmarkError);
  });

  it('reports a template slot that no item provides once', async () => {
    const yaml = YAML.replace('"{{question}}\\n\\n{{choices}}"', '"{{question}} {{context}}\\n{{choices}}"');
    const d = bench('no-slot', yaml, { 'items.jsonl': GOOD.map(line).join('\n') });
    expect(brief(await problemsOf(d))).toEqual([
      'items.jsonl::context: template slot {{context}} is provided by no item; item fields: id, question, choices, reference, topic, level, hard',
    ]);
  });

  it('reports benchmark.yaml problems by field', async () => {
    const yaml = YAML.replace('scorer: { type: multiple_choice }', 'scorer: { type: fuzzy }')
      .replace('cluster: topic', 'cluster: nope\ncolour: red')
      .replace('type: integer', 'type: int');
    const d = bench('bad-yaml', yaml, { 'items.jsonl': GOOD.map(line).join('\n') });
    const ps = brief(await problemsOf(d));
    expect(ps).toContain('benchmark.yaml::: unknown key(s) "colour"');
    expect(ps).toContain(
      "benchmark.yaml::scorer.type: Invalid discriminator value. Expected 'multiple_choice' | 'exact_match' | 'numeric' | 'math' | 'regex' | 'contains' | 'starts_with' | 'json_schema' | 'bleu' | 'rouge' | 'rouge_l' | 'judge' | 'semantic' | 'all' | 'any' | 'weighted'",
    );
    expect(ps.some((p) => p.startsWith('benchmark.yaml::metadata.1.type:'))).toBe(true);
    const d2 = bench('bad-cluster', YAML.replace('cluster: topic', 'cluster: nope'), {
      'items.jsonl': GOOD.map(line).join('\n'),
    });
    expect(brief(await problemsOf(d2))).toEqual([
      'benchmark.yaml::cluster: "nope" is not a metadata field; fields: topic, level, hard',
    ]);
    const d3 = bench('bad-option', YAML.replace('{ type: multiple_choice }', '{ type: bleu, treshold: 1 }'), {
      'items.jsonl': GOOD.map(line).join('\n'),
    });
    expect(brief(await problemsOf(d3))).toEqual(['benchmark.yaml::scorer: unknown key(s) "treshold"']);
    const d4 = bench('no-items', YAML, {});
    expect(brief(await problemsOf(d4))[0]).toMatch(/no items file/);
    const d5 = bench('broken-yaml', 'slug: [unclosed', {});
    expect((await problemsOf(d5))[0]).toMatchObject({ file: 'benchmark.yaml', line: 1 });
  });

  it('reads CSV: types converted, empty cells null, JSON-array cells as lists, line numbers', async () => {
    const csv = [
      'id,question,choices,reference,topic,level,hard',
      'q1,2+2?,"[""3"",""4""]",B,math,1,false',
      'q2,"multi\nline?","[""a"",""b""]",A,geo,,1',
      'q3,x?,"[""a"",""b""]",A,geo,two,true',
    ].join('\n');
    const d = bench('csv', YAML, { 'items.csv': csv });
    const { def, problems } = await validateBenchmark(d);
    expect(brief(problems)).toEqual([
      'items.csv:5:level: metadata field "level" must be integer, got string "two"',
    ]);
    expect(def!.items[0]).toEqual({
      id: 'q1',
      vars: { question: '2+2?', choices: ['3', '4'], topic: 'math' },
      reference: 'B',
      metadata: { topic: 'math', level: 1, hard: false },
    });
    expect(def!.items[1]!.metadata).toEqual({ topic: 'geo', level: null, hard: true });
  });

  it('reads Parquet', async () => {
    const d = bench('parquet', YAML, {});
    const src = join(d, 'src.jsonl');
    writeFileSync(src, GOOD.map(line).join('\n'));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    // Paths are ours (a temp dir), not user input.
    await conn.run(
      `COPY (SELECT * FROM read_json_auto('${src}')) TO '${join(d, 'items.parquet')}' (FORMAT parquet)`,
    );
    conn.closeSync();
    db.closeSync();
    const { unlinkSync } = await import('node:fs');
    unlinkSync(src);
    const def = await loadBenchmark(d);
    expect(def.items.map((i) => [i.id, i.reference, i.metadata])).toEqual([
      ['q1', 'B', { topic: 'math', level: 1, hard: false }],
      ['q2', 'A', { topic: 'geo', level: 2, hard: null }],
    ]);
    expect(def.items[1]!.vars.choices).toEqual(['Paris', 'Rome', 'Oslo']);
  });
});

describe('renderPrompt and promptVersion', () => {
  it('renders choices as lettered lines and fills the system prompt', async () => {
    const def = await loadBenchmark(bench('render', YAML, { 'items.jsonl': GOOD.map(line).join('\n') }));
    expect(renderPrompt(def, def.items[1]!)).toEqual({
      system: 'You answer quizzes about geo.',
      user: 'Capital of France?\n\nA. Paris\nB. Rome\nC. Oslo',
    });
  });
  it('is a short hash that ignores key order and changes with template, scorer or version', () => {
    const base = {
      version: '1',
      template: { user: '{{q}}' },
      scorer: { type: 'math', tolerance: 1e-4 } as const,
    };
    const v = promptVersion(base);
    expect(v).toMatch(/^[0-9a-f]{12}$/);
    expect(promptVersion({ ...base, scorer: { tolerance: 1e-4, type: 'math' } })).toBe(v);
    expect(promptVersion({ ...base, version: '2' })).not.toBe(v);
    expect(promptVersion({ ...base, template: { user: '{{q}} ' } })).not.toBe(v);
    expect(promptVersion({ ...base, scorer: { type: 'math', tolerance: 1e-3 } })).not.toBe(v);
    // Pinned: a change here changes every stored run's prompt version.
    expect(v).toBe(
      promptVersion({ version: '1', template: { user: '{{q}}' }, scorer: { type: 'math', tolerance: 1e-4 } }),
    );
  });
});

describe('renderTemplate', () => {
  const t = { system: 'You are {{role}}.', user: 'Q: {{ question }}\n{{choices}}' };
  it('fills every slot, arrays as lettered options', () => {
    expect(renderTemplate(t, { role: 'a tutor', question: 'Why?', choices: ['x', 'y'] })).toEqual({
      system: 'You are a tutor.',
      user: 'Q: Why?\nA. x\nB. y',
    });
  });
  it('refuses a missing variable and an unknown one, naming them', () => {
    expect(() => renderTemplate(t, { role: 'r', question: 'q' })).toThrow(/no value for \{\{choices\}\}/);
    const e = (() => {
      try {
        renderTemplate(t, { role: 'r', question: 'q', choices: [], qestion: 'typo' });
      } catch (err) {
        return err as TemplateError;
      }
    })();
    expect(e).toBeInstanceOf(TemplateError);
    expect(e?.unknown).toEqual(['qestion']);
    expect(e?.message).toMatch(/"qestion" is not a variable/);
  });
  it('refuses a declared variable the template does not use', () => {
    expect(() => renderTemplate({ user: '{{a}}' }, { a: 1 }, ['a', 'b'])).toThrow(/"b" is not a variable/);
  });
});
