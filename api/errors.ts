import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../core/errors.ts';

/** Every error leaves as JSON `{error, message, details}`; only bugs are 5xx, and they show no stack. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, details: err.details ?? null });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({
        path: v.instancePath || '/',
        message: v.message,
        ...(v.params && typeof v.params === 'object' ? { params: v.params } : {}),
      }));
      const where = (err as FastifyError).validationContext ?? 'body';
      return reply.code(400).send({
        error: 'VALIDATION_FAILED',
        message: `invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
        details: issues,
      });
    }
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message, details: null });
    }
    req.log.error({ err }, 'unhandled error');
    return reply
      .code(500)
      .send({ error: 'INTERNAL', message: 'internal error (logged on the server)', details: null });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url}; see /docs`, details: null });
  });
}
