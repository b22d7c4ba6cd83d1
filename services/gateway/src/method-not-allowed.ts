import type { FastifyInstance } from 'fastify';
import { HearthError } from '@hearth/core';

/** The methods the API's routes use; HEAD comes with every GET. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods `path` (no query) has a route for, in METHODS' order; none for a path that is not the
 * API's. Only the most specific routes count: /api/users/me is GET's own path, though PATCH's
 * /api/users/:userId would take "me" as an id (the router, too, prefers a fixed path to a parameter).
 */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  const found = METHODS.flatMap((method) => {
    const route = app.findRoute({ method, url: path });
    return route === null ? [] : [{ method, params: Object.keys(route.params).length }];
  });
  const fewest = Math.min(...found.map((route) => route.params));
  return found.filter((route) => route.params === fewest).map((route) => route.method);
}

/**
 * A request for a path that exists, with a method it does not have (TRACE /api/status, GET
 * /api/setup), is answered 405 method_not_allowed with an Allow header, as HTTP asks, instead of
 * the 404 of a path that does not exist. onRequest, before any body is read: a method fastify
 * expects a body for (QUERY) would otherwise be refused for its missing Content-Type first.
 */
export function registerMethodNotAllowed(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(app, path);
    if (allowed.length === 0) return;
    void reply.header('allow', allowed.join(', '));
    throw new HearthError('method_not_allowed', `${request.method} is not a method of ${path}; it has ${allowed.join(', ')}`);
  });
}
