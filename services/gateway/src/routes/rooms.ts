import type { FastifyInstance } from 'fastify';
import { HearthError, isUnread, requireMembership, requireRoom, type Involvement, type RoomWithCounts } from '@hearth/core';
import { requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { directBody, memberParams, membershipPatchBody, roomCreateBody, roomParams, roomPatchBody } from '../schemas.ts';
import { commandMeta } from '../origin.ts';

type RoomParams = { roomId: string };

const NO_COUNTS = { unreadCount: 0, mentionCount: 0 } as const;

export function registerRoomRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { store, commands } = deps;

  async function roomForMember(roomId: string, userId: string): Promise<RoomWithCounts> {
    const room = await requireRoom(store, roomId);
    const membership = await requireMembership(store, room, userId);
    const memberIds = (await store.listMembers(room.id)).map((m) => m.userId);
    const counts = (await store.unreadCounts(userId, room.id)).get(room.id) ?? NO_COUNTS;
    return { ...room, involvement: membership.involvement, readSeq: membership.readSeq, unread: isUnread(room, membership), ...counts, memberIds };
  }

  app.get('/api/rooms', async (request) => {
    const userId = requireSignedIn(request).user.id;
    const [rooms, counts] = await Promise.all([store.listRoomsForMember(userId), store.unreadCounts(userId)]);
    return { rooms: rooms.map((room): RoomWithCounts => ({ ...room, ...(counts.get(room.id) ?? NO_COUNTS) })) };
  });

  app.post<{ Body: { kind: 'open' | 'closed'; name: string; memberIds?: string[] } }>(
    '/api/rooms',
    { schema: { body: roomCreateBody } },
    async (request, reply) => {
      const { user } = requireSignedIn(request);
      const room = await commands.send(
        'room.create',
        { actorId: user.id, kind: request.body.kind, name: request.body.name, memberIds: request.body.memberIds ?? [] },
        commandMeta(request),
      );
      return reply.code(201).send(room);
    },
  );

  app.post<{ Body: { userIds: string[] } }>('/api/rooms/direct', { schema: { body: directBody } }, async (request) => {
    const { user } = requireSignedIn(request);
    return commands.send('direct.open', { actorId: user.id, userIds: request.body.userIds }, commandMeta(request));
  });

  app.get<{ Params: RoomParams }>('/api/rooms/:roomId', { schema: { params: roomParams } }, async (request) =>
    roomForMember(request.params.roomId, requireSignedIn(request).user.id),
  );

  app.patch<{ Params: RoomParams; Body: { name?: string; kind?: 'open' | 'closed' } }>(
    '/api/rooms/:roomId',
    { schema: { params: roomParams, body: roomPatchBody } },
    async (request) =>
      commands.send('room.update', { actorId: requireSignedIn(request).user.id, roomId: request.params.roomId, ...request.body }, commandMeta(request)),
  );

  app.put<{ Params: { roomId: string; userId: string } }>('/api/rooms/:roomId/members/:userId', { schema: { params: memberParams } }, async (request) =>
    commands.send(
      'membership.add',
      { actorId: requireSignedIn(request).user.id, roomId: request.params.roomId, userId: request.params.userId },
      commandMeta(request),
    ),
  );

  app.delete<{ Params: { roomId: string; userId: string } }>(
    '/api/rooms/:roomId/members/:userId',
    { schema: { params: memberParams } },
    async (request, reply) => {
      const { removed } = await commands.send(
        'membership.remove',
        {
          actorId: requireSignedIn(request).user.id,
          roomId: request.params.roomId,
          userId: request.params.userId,
        },
        commandMeta(request),
      );
      if (!removed) throw new HearthError('not_found', 'that person is not a member of this room', { field: 'userId' });
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: RoomParams; Body: { involvement?: Involvement; readSeq?: number } }>(
    '/api/rooms/:roomId/membership',
    { schema: { params: roomParams, body: membershipPatchBody } },
    async (request) =>
      commands.send('membership.update', { actorId: requireSignedIn(request).user.id, roomId: request.params.roomId, ...request.body }, commandMeta(request)),
  );

  app.post<{ Params: RoomParams }>('/api/rooms/:roomId/typing', { schema: { params: roomParams } }, async (request, reply) => {
    const { user } = requireSignedIn(request);
    const room = await requireRoom(store, request.params.roomId);
    await requireMembership(store, room, user.id);
    if (await deps.ephemeral.throttle(`typing:${room.id}:${user.id}`, 3_000)) {
      await deps.bus.publishSignal({ type: 'typing', roomId: room.id, userId: user.id, at: new Date().toISOString() });
    }
    return reply.code(204).send();
  });
}
