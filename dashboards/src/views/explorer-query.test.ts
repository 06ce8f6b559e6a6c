/** The explorer's URL → request rules: typed filter values, the cascade's options bodies, the analysis body. */
import { describe, expect, it } from 'vitest';
import type { MetadataResponse } from '../../../api/routes/benchmarks.ts';
import { analysisQuery, optionsRequest, readFilters, readKs } from './explorer-query.ts';

type Field = MetadataResponse['fields'][number];
const field = (name: string, type: string, values: (string | number | boolean)[]): Field => ({
  name,
  type,
  label: name,
  groupable: true,
  distinct: values.length,
  nulls: 0,
  values: values.map((value) => ({ value, count: 1 })),
  capped: false,
});

describe('explorer query', () => {
  const fields = [
    field('subject', 'string', ['한국사', '2024']),
    field('year', 'integer', [2023, 2024]),
    field('hard', 'boolean', [true, false]),
    { ...field('notes', 'text', []), groupable: false },
  ];

  it('types filter values from the metadata: "2024" stays a string for a string field, a number for an integer one', () => {
    const p = new URLSearchParams(
      'f.subject=2024&f.subject=한국사&f.year=2024&f.year=1999&f.hard=false&f.notes=x&f.year=abc',
    );
    expect(readFilters(p, fields)).toEqual({
      subject: ['2024', '한국사'],
      year: [2024, 1999],
      hard: [false],
    });
  });

  it('asks the options of the next level with the filtered values of the levels chosen', () => {
    const filters = { subject: ['한국사'], year: [2024] };
    expect(optionsRequest(['subject'], filters)).toEqual({ level1: 'subject', level1_values: ['한국사'] });
    expect(optionsRequest(['hard', 'year'], filters)).toEqual({
      level1: 'hard',
      level2: 'year',
      level2_values: [2024],
    });
  });

  it('sends the measures in catalogue order, with pass_at only when pass@k is asked', () => {
    const base = {
      benchmark: 'b',
      levels: ['subject'],
      models: [],
      filters: {},
      unscored: 'exclude' as const,
      passAt: [1, 4],
      majAt: [8],
    };
    expect(analysisQuery({ ...base, extra: [] })).toEqual({
      benchmark: 'b',
      levels: ['subject'],
      unscored: 'exclude',
      measures: ['n', 'n_items', 'accuracy', 'ci95'],
    });
    expect(analysisQuery({ ...base, extra: ['cost_usd', 'pass@k', 'stderr'], models: ['m'] })).toEqual({
      benchmark: 'b',
      levels: ['subject'],
      models: ['m'],
      unscored: 'exclude',
      measures: ['n', 'n_items', 'accuracy', 'stderr', 'ci95', 'cost_usd', 'pass@k'],
      pass_at: [1, 4],
    });
  });

  it('reads k lists within the API limits, falling back when nothing usable is left', () => {
    expect(readKs('1, 4,8 4', [1])).toEqual([1, 4, 8]);
    expect(readKs('0, -2, x, 1001', [1])).toEqual([1]);
    expect(readKs(null, [2])).toEqual([2]);
    expect(readKs(Array.from({ length: 12 }, (_, i) => i + 1).join(','), [1])).toHaveLength(10);
  });
});
