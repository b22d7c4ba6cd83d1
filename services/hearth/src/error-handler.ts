import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { HearthError, isHearthError } from '@hearth/core';
import { validationError } from './validation-error.ts';

const invalidJson = (): HearthError => new HearthError('invalid_json', 'the request body is not valid JSON', { field: 'body' });

/** Fastify's refusals of a body or its headers, by Fastify's error code. */
const BODY_REFUSALS = new Map<string, () => HearthError>([
  ['FST_ERR_CTP_INVALID_JSON_BODY', invalidJson],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', invalidJson],
  ['FST_ERR_CTP_BODY_TOO_LARGE', () => new HearthError('payload_too_large', 'the request body is too large', { field: 'body' })],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', () => new HearthError('invalid_request', 'send the body as application/json', { field: 'content-type' })],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', () => new HearthError('invalid_request', 'content-length does not match the body', { field: 'content-length' })],
]);

/** Fastify's own failures that are the client's fault, mapped to our stable codes. */
export function fromFastify(error: FastifyError): HearthError | null {
  if (error.validation !== undefined) return validationError(error.validation as Parameters<typeof validationError>[0], error.validationContext);
  const refusal = BODY_REFUSALS.get(error.code);
  if (refusal !== undefined) return refusal();
  if (error instanceof SyntaxError) return invalidJson();
  if (isClientStatus(error.statusCode)) return new HearthError('invalid_request', error.message);
  return null;
}

function isClientStatus(statusCode: number | undefined): boolean {
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/**
 * What a failed request becomes: our error, or for anything we did not throw on purpose an
 * internal one that keeps the original as its cause (for the log, never for the client).
 */
export function toHearthError(error: FastifyError): HearthError {
  if (isHearthError(error)) return error;
  return fromFastify(error) ?? new HearthError('internal', error.message, { cause: error });
}

/** Logs a server-side failure with its detail; the request logger adds the request id. */
function logFailure(request: FastifyRequest, known: HearthError, original: unknown): void {
  // An unexpected error is a bug (error); a backend that is down is an outage, already alerted on (warn).
  const level = known.code === 'internal' ? 'error' : 'warn';
  request.log[level]({ err: original, code: known.code }, `request failed: ${known.message}`);
}

/**
 * One place turns every error into the JSON error body, for every target: the body is the
 * error's public face, so a 5xx never shows internals; the detail goes to the log.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toHearthError(error);
    if (known.isServerSide) logFailure(request, known, error);
    // A 503 is always worth retrying (a backend failing over, a node restarting): say when.
    const retryAfter = known.retryAfterSeconds;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    return reply.code(known.status).send(known.toJSON());
  });
}

/** The 404 of an unknown path, in the error shape. */
export function notFoundBody(request: FastifyRequest): unknown {
  return new HearthError('not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`).toJSON();
}

/**
 * The 404 for targets without the gateway (which serves the web UI from its own): realtime
 * and messaging answer unknown paths in the same shape as every other error.
 */
export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send(notFoundBody(request)));
}
