import type { FastifyError, FastifyInstance } from 'fastify';
import { HearthError, isHearthError, UNAVAILABLE_RETRY_AFTER_S } from '@hearth/core';
import { validationError } from './validation-error.ts';

/** Fastify's own failures that are the client's fault, mapped to our stable codes. */
function fromFastify(error: FastifyError): HearthError | null {
  if (error.validation !== undefined) return validationError(error.validation as Parameters<typeof validationError>[0], error.validationContext);
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HearthError('invalid_json', 'the request body is not valid JSON', { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HearthError('payload_too_large', 'the request body is too large', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HearthError('invalid_request', 'send the body as application/json', { field: 'content-type' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HearthError('invalid_request', 'content-length does not match the body', { field: 'content-length' });
  }
  if (error instanceof SyntaxError) return new HearthError('invalid_json', 'the request body is not valid JSON', { field: 'body' });
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new HearthError('invalid_request', error.message);
  }
  return null;
}

/** One place turns every error into the JSON error body; a 5xx never shows internals. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = isHearthError(error) ? error : fromFastify(error);
    if (known === null) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ error: { code: 'internal', message: 'something went wrong on our side; it has been logged' } });
    }
    if (known.status >= 500) request.log.warn({ err: error }, 'request failed');
    // A 503 is always worth retrying (a backend failing over, a node restarting): say when.
    const retryAfter = known.retryAfter ?? (known.status === 503 ? UNAVAILABLE_RETRY_AFTER_S : undefined);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    return reply.code(known.status).send(known.toJSON());
  });
}
