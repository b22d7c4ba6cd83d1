import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HearthError, observeWithTrace, requireMembership, requireRoom, requireVisibleMessage, type HearthMetrics, limitRate } from '@hearth/core';
import { requireActor, requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { MESSAGE_PAGE, boostBody, boostParams, editBody, messageParams, pageQuery, postBody, roomParams, searchQuery } from '../schemas.ts';
import { commandMeta } from '../origin.ts';

type PageQuery = { before?: string; after?: string; limit?: string };

const SEARCH_HITS = 100;

/** Reads the paging query: numbers were checked by the schema; only their ranges are left. */
export function pageOf(query: PageQuery): { before?: number; after?: number; limit: number } {
  if (query.before !== undefined && query.after !== undefined) {
    throw new HearthError('invalid_request', 'give before or after, not both', { field: 'after' });
  }
  const limit = query.limit === undefined ? MESSAGE_PAGE.default : Number(query.limit);
  if (limit < 1 || limit > MESSAGE_PAGE.max) throw new HearthError('invalid_request', `limit must be from 1 to ${MESSAGE_PAGE.max}`, { field: 'limit' });
  return {
    limit,
    ...(query.before === undefined ? {} : { before: Number(query.before) }),
    ...(query.after === undefined ? {} : { after: Number(query.after) }),
  };
}

/**
 * Counts each post by outcome, and times the acknowledged ones, at the response: a post the
 * schema refused never reaches the handler, and it counts too. Only a 5xx is a failure of Hearth.
 */
function postRecorder(metrics: HearthMetrics): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (_request, reply) => {
    const status = reply.statusCode;
    const outcome = status < 400 ? 'acknowledged' : status < 500 ? 'rejected' : 'failed';
    metrics.posts.inc({ outcome });
    if (outcome === 'acknowledged') observeWithTrace(metrics.postAck, reply.elapsedTime / 1_000);
  };
}

export function registerMessageRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { store, commands } = deps;

  app.get<{ Params: { roomId: string }; Querystring: PageQuery }>(
    '/api/rooms/:roomId/messages',
    { schema: { params: roomParams, querystring: pageQuery } },
    async (request) => {
      const user = requireActor(request);
      const room = await requireRoom(store, request.params.roomId);
      await requireMembership(store, room, user.id);
      return { messages: await store.listMessages(room.id, pageOf(request.query)) };
    },
  );

  app.post<{ Params: { roomId: string }; Body: { body: string; clientMessageId: string } }>(
    '/api/rooms/:roomId/messages',
    { schema: { params: roomParams, body: postBody }, onResponse: postRecorder(deps.metrics) },
    async (request, reply) => {
      const user = requireActor(request);
      await limitRate(deps.ephemeral, `post:${user.id}`, deps.limits.postsPerMinute);
      const message = await commands.send('message.post', { actorId: user.id, roomId: request.params.roomId, ...request.body }, commandMeta(request));
      return reply.code(201).send(message);
    },
  );

  app.get<{ Params: { messageId: string } }>('/api/messages/:messageId', { schema: { params: messageParams } }, async (request) => {
    const { message } = await requireVisibleMessage(store, request.params.messageId, requireActor(request).id);
    return message;
  });

  app.patch<{ Params: { messageId: string }; Body: { body: string } }>(
    '/api/messages/:messageId',
    { schema: { params: messageParams, body: editBody } },
    async (request) =>
      commands.send('message.edit', { actorId: requireActor(request).id, messageId: request.params.messageId, body: request.body.body }, commandMeta(request)),
  );

  app.delete<{ Params: { messageId: string } }>('/api/messages/:messageId', { schema: { params: messageParams } }, async (request) =>
    commands.send('message.delete', { actorId: requireActor(request).id, messageId: request.params.messageId }, commandMeta(request)),
  );

  app.post<{ Params: { messageId: string }; Body: { content: string } }>(
    '/api/messages/:messageId/boosts',
    { schema: { params: messageParams, body: boostBody } },
    async (request, reply) => {
      const boost = await commands.send(
        'boost.add',
        { actorId: requireSignedIn(request).user.id, messageId: request.params.messageId, content: request.body.content },
        commandMeta(request),
      );
      return reply.code(201).send(boost);
    },
  );

  app.delete<{ Params: { boostId: string } }>('/api/boosts/:boostId', { schema: { params: boostParams } }, async (request, reply) => {
    const { removed } = await commands.send(
      'boost.remove',
      { actorId: requireSignedIn(request).user.id, boostId: request.params.boostId },
      commandMeta(request),
    );
    if (!removed) throw new HearthError('not_found', 'no such boost', { field: 'boostId' });
    return reply.code(204).send();
  });

  app.get<{ Querystring: { q: string } }>('/api/search', { schema: { querystring: searchQuery } }, async (request) => ({
    hits: await store.searchMessages(requireSignedIn(request).user.id, request.query.q, SEARCH_HITS),
  }));
}
