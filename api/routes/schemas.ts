/** Schemas several routes' answers share. */
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

/** The error answers a route declares, by status: `problems(400, 404)`. */
export function problems<S extends number>(...statuses: S[]): Record<S, typeof Problem> {
  return Object.fromEntries(statuses.map((s) => [s, Problem])) as Record<S, typeof Problem>;
}
