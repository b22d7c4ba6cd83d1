import type { FastifyInstance } from 'fastify';
import { HearthError } from '@hearth/core';

/** A declared body up to this many times the limit is read and thrown away rather than cut off. */
const DRAIN_FACTOR = 4;

/**
 * Refuses a declared body over the limit before it is read, with our 413, on a connection that
 * stays well-formed. Left to fastify, the refusal closes the connection while the client (or the
 * Ingress in front, still forwarding the body) is sending: the proxy then sees its upstream reset
 * and answers 502 with its own HTML page instead of ours, depending on which comes first. A body a
 * few times the limit is drained, so the answer always arrives; a larger one is still cut off, as
 * reading it would let anyone make the server read without bound.
 */
export function registerBodyLimit(app: FastifyInstance, limitBytes: number): void {
  // preParsing: after the onRequest checks (sign-in, CSRF), which answer first whatever the body.
  app.addHook('preParsing', async (request, reply, payload) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    // A route may set its own limit (a file upload), and say in its own words what was too large.
    const limit = request.routeOptions.bodyLimit ?? limitBytes;
    if (!(declared > limit)) return payload;
    if (declared <= limit * DRAIN_FACTOR) request.raw.resume();
    else reply.header('connection', 'close');
    const refusal = request.routeOptions.config.refuseLargeBody;
    throw refusal?.(declared, limit) ?? new HearthError('payload_too_large', `the request body is too large: at most ${limit} bytes`, { field: 'body' });
  });
}
