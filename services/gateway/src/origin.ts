import type { FastifyRequest } from 'fastify';
import type { CommandMeta, RequestOrigin } from '@hearth/core';

/** The client address (as HEARTH_TRUST_PROXY allows it to be read) and user agent of a request. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, userAgent: (request.headers['user-agent'] ?? '').slice(0, 300) };
}

/** What a command sent for this request carries: its origin, for the audit log. */
export function commandMeta(request: FastifyRequest): CommandMeta {
  return { origin: originOf(request) };
}
