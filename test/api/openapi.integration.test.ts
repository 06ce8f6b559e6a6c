import { readFileSync } from 'node:fs';
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
  it("lists exactly the endpoints of the README's table", () => {
    const names = operations.map(([name]) => name).sort();
    // the API section's table: its first column names each endpoint, `METHOD /path` (query strings aside)
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const api = readme.slice(readme.indexOf('## API'), readme.indexOf('\n## ', readme.indexOf('## API') + 1));
    const documented = new Set<string>();
    for (const line of api.split('\n')) {
      const first = line.startsWith('| `') ? line.split(' | ')[0]! : '';
      for (const m of first.matchAll(/`(GET|POST|DELETE|PUT|PATCH) (\/[^`?\s]*)/g)) {
        documented.add(`${m[1]!.toLowerCase()} ${m[2]}`);
      }
    }
    // the API reference itself is documented by its own row (GET /docs, GET /openapi.json), and is hidden
    documented.delete('get /docs');
    documented.delete('get /openapi.json');
    // the web UI's page (GET /) is not an API operation: hidden from the reference, documented in its own row
    documented.delete('get /');
    expect(names).toEqual([...documented].sort());
  });

  it('every operation has a response schema for its success status, and for 400 where it takes input', () => {
    const missing: string[] = [];
    for (const [name, op] of operations) {
      if (DERIVED_ELSEWHERE.has(name)) continue;
      const statuses = Object.keys(op.responses ?? {});
      // a redirect is the success of the browser sign-in routes (GET /auth/google → the provider → back)
      const success = statuses.filter((s) => /^2\d\d$/.test(s) || s === '302');
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
