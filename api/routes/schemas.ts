/** Schemas several routes share: answers, and query parameters of the same meaning. */
import { z } from 'zod';

/** The body of every error answer (api/errors.ts): `error` is a code of core/errors.ts ERROR_CODES. */
export const Problem = z
  .object({
    error: z
      .string()
      .describe("a code of the README's Errors table (or Fastify's FST_ERR_* for a malformed request)"),
    message: z.string(),
    details: z.unknown(),
  })
  .describe('an error: its code, what was wrong and what is allowed, and the same as data');

/**
 * The `models` query parameter of the GET routes that narrow to some models: comma-separated names;
 * `byDefault` says what an absent one means for that route. modelList reads it.
 */
export const modelsParam = (byDefault: string) =>
  z.string().min(1).max(20_000).optional().describe(`comma-separated model names (default: ${byDefault})`);

/** The names of a `models` parameter: split at commas, trimmed, blanks left out; absent stays absent. */
export const modelList = (models: string | undefined): string[] | undefined =>
  models
    ?.split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');

/** The error answers a route declares, by status: `problems(400, 404)`. */
export function problems<S extends number>(...statuses: S[]): Record<S, typeof Problem> {
  return Object.fromEntries(statuses.map((s) => [s, Problem])) as Record<S, typeof Problem>;
}
