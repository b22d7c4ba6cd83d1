import { isHearthError, limitRate, type SignedIn } from '@hearth/core';
import { Connection, type ConnectionHooks, type Transport, type TransportKind } from './connection.ts';
import type { Hub } from './hub.ts';
import type { RealtimeDeps } from './deps.ts';

/** Who opens a stream, on which transport, and where each of their rooms continues from. */
export interface StreamClient {
  readonly signedIn: SignedIn;
  readonly transport: Transport;
  readonly resume: Readonly<Record<string, number>>;
  /** The transport's hooks (createConnectionHooks), one object for all its connections. */
  readonly hooks: ConnectionHooks;
}

/** What connections of one transport ask of the process: made once per endpoint, shared by its connections. */
export function createConnectionHooks(deps: RealtimeDeps, hub: Hub, kind: TransportKind): ConnectionHooks {
  const { metrics } = deps;
  return {
    async loadEvents(_connection, roomId, afterSeq, limit) {
      const events = await hub.loadEvents(roomId, afterSeq, limit);
      metrics.replayedEvents.inc({ transport: kind }, events.length);
      return events;
    },
    roomJoined: (connection, roomId, afterSeq) => hub.roomJoined(connection, roomId, afterSeq),
    roomLeft: (connection, roomId) => hub.roomLeft(connection, roomId),
    maxBufferedBytes: deps.limits.connectionBufferBytes,
    tooSlow: () => metrics.slowConsumerCloses.inc({ transport: kind }),
  };
}

/**
 * Refuses (429, with when to retry) a user past HEARTH_STREAM_CONNECTS_PER_MINUTE stream opens, on
 * either transport and any realtime process: a client stuck in a reconnect loop, or a script
 * opening streams, costs the server a catch-up each time.
 */
export async function limitStreamConnects(deps: RealtimeDeps, signedIn: SignedIn): Promise<void> {
  try {
    await limitRate(deps.ephemeral, `stream:${signedIn.user.id}`, deps.limits.streamConnectsPerMinute);
  } catch (error) {
    // A limiter that cannot count (Redis down) lets the stream try: it then opens, or ends with the
    // protocol's own unavailable frame (1013 on a WebSocket), as a client expects of an outage.
    if (!isHearthError(error) || error.code !== 'unavailable') throw error;
  }
}

/**
 * Starts a client's stream: registers the connection, says where each room
 * continues from (`ready`), then catches every room up in the background; live
 * events that arrive meanwhile wait in each room's stream, so nothing is lost or
 * sent twice. Resolves once `ready` is sent.
 */
export async function openStream(deps: RealtimeDeps, hub: Hub, client: StreamClient): Promise<Connection> {
  const { metrics } = deps;
  const { transport, resume } = client;
  try {
    const connection = await start(deps, hub, client);
    metrics.connects.inc({ transport: transport.kind, kind: Object.keys(resume).length > 0 ? 'resume' : 'new' });
    return connection;
  } catch (error) {
    metrics.connectFailures.inc({ transport: transport.kind, reason: 'error' });
    throw error;
  }
}

async function start(deps: RealtimeDeps, hub: Hub, { signedIn, transport, resume, hooks }: StreamClient): Promise<Connection> {
  const { user } = signedIn;
  const connection = new Connection(signedIn, transport, hooks);
  let starts: Record<string, number>;
  try {
    await hub.attach(connection);
    starts = startsOf(await deps.store.listRoomsForMember(user.id), resume);
    connection.send({ type: 'ready', connectionId: connection.id, userId: user.id, rooms: starts, online: await hub.online() });
  } catch (error) {
    // A stream that could not open must not stay registered: it would be sent frames, and held, for ever.
    connection.dropped();
    await hub.detach(connection).catch(() => undefined);
    throw error;
  }
  // Catch-up runs on while the caller starts taking the client's frames (ping, typing).
  Promise.all(Object.entries(starts).map(([roomId, afterSeq]) => connection.joinRoom(roomId, afterSeq))).catch((error: unknown) => {
    deps.logger.error({ err: error, userId: user.id }, 'catch-up failed; asking the client to resume');
    connection.close('shutting_down', 'catch-up failed; reconnect with resume');
  });
  return connection;
}

/** Where each room continues from: where the client says it left off, never past the room's end. */
function startsOf(rooms: readonly { readonly id: string; readonly lastSeq: number }[], resume: Readonly<Record<string, number>>): Record<string, number> {
  const starts: Record<string, number> = {};
  for (const room of rooms) starts[room.id] = Math.min(resume[room.id] ?? room.lastSeq, room.lastSeq);
  return starts;
}
