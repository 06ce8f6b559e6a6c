/**
 * Export and import give back the same prompt (a property test, fast-check, both engines): an arbitrary
 * prompt document (text with any characters and slots, parameters, messages, dates, labels) imported
 * through POST /prompts/import as JSON or as YAML exports as the same document in both formats.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXCHANGE_FORMAT, type PromptDocument } from '../../prompts/exchange.ts';
import { openTestApp, type TestApp } from '../helpers/test-app.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const variable = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
/** A template: text pieces around distinct slots; its declared variables are exactly its slots. */
const template = fc
  .tuple(
    fc.uniqueArray(variable, { maxLength: 3 }),
    fc.array(text, { minLength: 4, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([vars, pieces, withSystem]) => {
    // pieces must not make slots of their own
    const clean = pieces.map((p) => p.replaceAll('{', '(').replaceAll('}', ')'));
    const user = `${clean[0]}${vars.map((v, i) => `{{${v}}}${clean[(i % 3) + 1]}`).join('')}` || 'x';
    return { system: withSystem ? clean[3]! : null, user, variables: vars };
  });
const params = fc.record(
  {
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    max_tokens: fc.integer({ min: 1, max: 100_000 }),
    seed: fc.integer(),
  },
  { requiredKeys: [] },
);
const instant = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const docOf = (n: number) =>
  fc
    .record({
      description: fc.option(text, { nil: null }),
      tags: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { maxLength: 4 }),
      model: fc.option(fc.stringMatching(/^[a-z][a-z0-9:.-]{0,20}$/), { nil: null }),
      params,
      versions: fc.array(
        fc.record({ t: template, params, message: fc.option(text, { nil: null }), created_at: instant }),
        { minLength: 1, maxLength: 4 },
      ),
      labelNames: fc.uniqueArray(fc.constantFrom('production', 'staging', 'exp-1', 'b'), { maxLength: 3 }),
      picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      yaml: fc.boolean(),
    })
    .map((r): { doc: PromptDocument; yaml: boolean } => ({
      yaml: r.yaml,
      doc: {
        format: EXCHANGE_FORMAT,
        name: `p${n}`,
        description: r.description,
        tags: r.tags,
        model: r.model,
        params: r.params,
        versions: r.versions.map((v, i) => ({
          version: i + 1,
          ...v.t,
          params: v.params,
          message: v.message,
          created_at: v.created_at,
        })),
        labels: Object.fromEntries(r.labelNames.map((l, i) => [l, (r.picks[i]! % r.versions.length) + 1])),
      },
    }));

describe.each(['duckdb', 'mysql'] as const)('prompt export/import round-trip on %s', (engine) => {
  let t: TestApp;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await openTestApp(engine, 'promptx');
    ({ app } = t);
  });
  afterAll(() => t?.close());

  it('exporting an imported prompt gives back the document, as JSON and as YAML', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer().chain(() => docOf(n++)),
        async ({ doc, yaml }) => {
          const { stringify } = await import('yaml');
          const imported = await app.inject({
            method: 'POST',
            url: '/prompts/import',
            ...(yaml
              ? { payload: stringify(doc), headers: { 'content-type': 'application/yaml' } }
              : { payload: doc }),
          });
          expect(imported.statusCode, imported.body).toBe(201);
          const id = imported.json().id;
          const json = await app.inject({ method: 'GET', url: `/prompts/${id}/export?format=json` });
          expect(json.statusCode, json.body).toBe(200);
          expect(JSON.parse(json.body)).toEqual(doc);
          const y = await app.inject({ method: 'GET', url: `/prompts/${id}/export?format=yaml` });
          expect(y.headers['content-type']).toContain('yaml');
          expect(parse(y.body)).toEqual(doc);
        },
      ),
      { numRuns: 25, seed: 2323 },
    );
    // an export imports again only under a name not taken
    const first = JSON.parse(
      (await app.inject({ method: 'GET', url: '/prompts/1/export' })).body,
    ) as PromptDocument;
    const again = await app.inject({ method: 'POST', url: '/prompts/import', payload: first });
    expect(again.statusCode).toBe(409);
    const broken = await app.inject({
      method: 'POST',
      url: '/prompts/import',
      payload: { ...first, name: 'other', labels: { production: 99 } },
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().message).toContain('label production points at version 99');
  });
});
