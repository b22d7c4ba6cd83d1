import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HearthError, rawErrorResponse } from '@hearth/core';

/*
 * What Fastify and Node's HTTP server refuse before a route runs, in the one error shape,
 * naming the part of the request at fault and never echoing it: a path or a header that was
 * too long would otherwise come back whole in the body.
 */

/** The longest path segment (a room id, a message id) the router reads; Fastify's default is 100. */
export const MAX_PARAM_LENGTH = 100;

/** Fastify's refusals of a request's URL, by Fastify's error code. */
export function fromRouting(code: string): HearthError {
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new HearthError('uri_too_long', `a segment of the path is longer than ${MAX_PARAM_LENGTH} characters`, { field: 'path' });
  }
  if (code === 'FST_ERR_BAD_URL') return new HearthError('invalid_request', 'the path has a %-escape that is not UTF-8', { field: 'path' });
  return new HearthError('invalid_request', 'the request cannot be routed', { field: 'path' });
}

/** Fastify's `frameworkErrors`: its refusals of a URL answered like every other error. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = fromRouting(error.code);
  void reply.code(known.status).send(known.toJSON());
}

/** Node's refusals of a request it could not read whole, by the parser's or server's error code. */
export function fromClientError(code: string | undefined): HearthError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new HearthError('request_timeout', 'the request was not received whole within the request timeout');
  if (code === 'HPE_HEADER_OVERFLOW') return new HearthError('headers_too_large', 'the request headers are too large', { field: 'headers' });
  if (code === 'HPE_URI_TOO_LONG') return new HearthError('uri_too_long', 'the request line is too long', { field: 'path' });
  return new HearthError('invalid_request', 'the request is not valid HTTP/1.1');
}

/**
 * Node's `clientError` (Fastify's clientErrorHandler): a request the server could not read is
 * answered in the error shape, then its connection closed, as Node does by default. A connection
 * the client reset, or one already gone, gets nothing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) socket.write(rawErrorResponse(fromClientError(error.code)));
  socket.destroy();
}
