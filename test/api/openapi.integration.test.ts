import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { tmpDir } from '../helpers/tmp.ts';

// every operation declares its answers (POST /analysis from the measures catalogue, POST /compare from
// api/compare/service.ts's schema); a new exemption must say why
const DERIVED_ELSEWHERE = new Set<string>();

interface Operation {
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const tmp = tmpDir();
let ctx: AppContext;
let app: FastifyInstance;
let operations: [string, Operation][];

beforeAll(async () => {
  ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/o.duckdb`, DEMO_DATA: 'off' }), {
    mirrorLoop: false,
  });
  app = await buildApp(ctx);
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json() as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [`${method} ${path}`, op] as [string, Operation]),
  );
});
afterAll(async () => {
  await app.close();
  await ctx.close();
  tmp.cleanup();
});

const schemaOf = (op: Operation, status: string) => {
  const content = op.responses?.[status]?.content ?? {};
  return Object.values(content).find((c) => c.schema !== undefined)?.schema;
};

describe('/openapi.json declares what every endpoint answers', () => {
  it('lists every endpoint of the README', () => {
    const names = operations.map(([name]) => name);
    // one per endpoint of the README's table (documentation routes aside)
    for (const name of [
      'get /health',
      'get /metrics',
      'get /benchmarks',
      'get /benchmarks/{benchmark}/metadata',
      'post /benchmarks/{benchmark}/metadata/options',
      'post /analysis',
      'get /analysis/summary',
      'post /compare',
      'get /benchmarks/{benchmark}/items/analysis',
      'get /benchmarks/{benchmark}/items/{item}/results',
      'get /trends',
      'post /imports',
      'post /runs',
      'get /runs',
      'get /runs/{id}',
      'post /runs/{id}/cancel',
      'delete /runs/{id}',
      'delete /benchmarks/{benchmark}/data',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('every operation has a response schema for its success status, and for 400 where it takes input', () => {
    const missing: string[] = [];
    for (const [name, op] of operations) {
      if (DERIVED_ELSEWHERE.has(name)) continue;
      const statuses = Object.keys(op.responses ?? {});
      const success = statuses.filter((s) => /^2\d\d$/.test(s));
      if (success.length === 0 || success.some((s) => schemaOf(op, s) === undefined))
        missing.push(`${name}: no success response schema`);
      const takesInput = op.requestBody !== undefined || (op.parameters ?? []).length > 0;
      if (takesInput && schemaOf(op, '400') === undefined)
        missing.push(`${name}: takes input, no 400 schema`);
      // (a 5xx may be a body of its own: GET /health's 503 is the degraded health report)
      for (const s of statuses.filter((s) => /^4\d\d$/.test(s))) {
        const schema = schemaOf(op, s) as { properties?: Record<string, unknown> } | undefined;
        // an error answer is the {error, message, details} every error handler answer has
        if (!schema?.properties?.error || !schema.properties.message)
          missing.push(`${name}: ${s} is not the error shape`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the allow-list names only operations that exist', () => {
    const names = new Set(operations.map(([name]) => name));
    for (const name of DERIVED_ELSEWHERE) expect(names.has(name), name).toBe(true);
  });
});
