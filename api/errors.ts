import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errors } from '../core/errors.ts';

/** Every error leaves as JSON `{error, message, details}`; only bugs are 5xx, and they show no stack. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    const send = (e: AppError) =>
      reply.code(e.statusCode).send({ error: e.code, message: e.message, details: e.details ?? null });
    if (err instanceof AppError) return send(err);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({
        path: v.instancePath || '/',
        message: v.message,
        ...(v.params && typeof v.params === 'object' ? { params: v.params } : {}),
      }));
      return send(errors.validationFailed((err as FastifyError).validationContext ?? 'body', issues));
    }
    // Fastify's own refusals of a malformed request (a body that is not JSON, too large, of an unparsed
    // type) keep the status and FST_ERR_* code the framework gives them: they are not ours to renumber.
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message, details: null });
    }
    req.log.error({ err }, 'unhandled error');
    return send(errors.internal());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = errors.noRoute(req.method, req.url);
    reply.code(e.statusCode).send({ error: e.code, message: e.message, details: null });
  });
}
