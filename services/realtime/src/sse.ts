import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { invalid, type SignedIn } from '@hearth/core';
import { refuseStream, UNAVAILABLE_STREAM_MESSAGE, type Connection, type Transport } from './connection.ts';
import { encodeOnce, frameJson, isSharedFrame } from './frame-json.ts';
import type { ServerFrame } from '@hearth/core';
import { FrameError, parseResume } from './frames.ts';
import type { Hub } from './hub.ts';
import { createConnectionHooks, limitStreamConnects, openStream } from './open-stream.ts';
import type { Authenticate, RealtimeDeps } from './deps.ts';

export const SSE_PATH = '/api/realtime/sse';
const KEEPALIVE_MS = 20_000;

/** The resume map from `?resume=` plus the room named by the browser's Last-Event-ID. */
export function resumeOf(query: string | undefined, lastEventId: string | undefined): Record<string, number> {
  const resume = query === undefined || query === '' ? {} : resumeOfQuery(query);
  const last = lastEventId === undefined ? null : eventPositionOf(lastEventId);
  if (last !== null) resume[last.roomId] = Math.max(resume[last.roomId] ?? 0, last.seq);
  return resume;
}

function resumeOfQuery(query: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch {
    throw invalid('resume', 'resume must be a URL-encoded JSON object of room id to sequence');
  }
  try {
    return parseResume(parsed);
  } catch (error) {
    throw error instanceof FrameError ? invalid('resume', error.message) : error;
  }
}

/** The room and sequence of an SSE event id (`roomId:seq`, as sseText writes it), or null for another id. */
function eventPositionOf(eventId: string): { readonly roomId: string; readonly seq: number } | null {
  const match = /^(.+):(\d+)$/.exec(eventId);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { roomId: match[1], seq: Number(match[2]) };
}

function sseText(frame: ServerFrame): string {
  const id = frame.type === 'room.event' ? `id: ${frame.event.roomId}:${frame.event.seq}\n` : '';
  return `event: ${frame.type}\n${id}data: ${frameJson(frame)}\n\n`;
}

/** A shared frame's SSE text, made once for every stream it goes to. */
const sharedTexts = new WeakMap<object, string>();

/** A response's frames; a class, so each stream holds one object and no closures. */
class SseTransport implements Transport {
  readonly kind = 'sse';
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /** A stream that ended (refused, or the client left) takes no more frames: a write after end is an error event. */
  send(frame: ServerFrame): void {
    const res = this.#res;
    if (res.writableEnded || res.destroyed) return;
    res.write(isSharedFrame(frame) ? encodeOnce(sharedTexts, frame, sseText) : sseText(frame));
  }

  bufferedBytes(): number {
    return this.#res.writableLength;
  }

  cork(): void {
    this.#res.cork();
  }

  /** Only while corked: `close` may have uncorked already, and Node's count would go below zero. */
  uncork(): void {
    if (this.#res.writableCorked > 0) this.#res.uncork();
  }

  close(): void {
    const res = this.#res;
    // Node's end() writes the last chunk before it flushes corked writes; uncorked first,
    // the too_slow error frame comes before the end of the response, not after it.
    while (res.writableCorked > 0) res.uncork();
    res.end();
  }
}

/**
 * The open SSE streams, kept alive by one timer for them all (a comment line now and then, so
 * that proxies do not cut a quiet stream) rather than one timer per stream.
 */
class KeepAlive {
  readonly streams = new Set<ServerResponse>();
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#timer = setInterval(() => this.#ping(), KEEPALIVE_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #ping(): void {
    for (const res of this.streams) if (!res.writableEnded && !res.destroyed) res.write(': ping\n\n');
  }
}

/** Server-Sent Events: the same frames as the WebSocket, for networks that block upgrades. Returns what stops its timer. */
export function registerSse(app: FastifyInstance, deps: RealtimeDeps, hub: Hub, authenticate: Authenticate): { close(): void } {
  const keepAlive = new KeepAlive();
  const hooks = createConnectionHooks(deps, hub, 'sse');
  app.get<{ Querystring: { resume?: string } }>(
    SSE_PATH,
    { schema: { querystring: { type: 'object', properties: { resume: { type: 'string', maxLength: 100_000 } } } } },
    async (request: FastifyRequest<{ Querystring: { resume?: string } }>, reply: FastifyReply) => {
      const lastEventId = request.headers['last-event-id'];
      const resume = resumeOf(request.query.resume, Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
      const signedIn: SignedIn | null = await authenticate(request.headers.cookie);
      if (signedIn === null) {
        deps.metrics.connectFailures.inc({ transport: 'sse', reason: 'refused' });
        return reply.code(401).send({ error: { code: 'unauthenticated', message: 'sign in first' } });
      }
      await limitStreamConnects(deps, signedIn).catch((error: unknown) => {
        deps.metrics.connectFailures.inc({ transport: 'sse', reason: 'refused' });
        throw error;
      });
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      reply.raw.write('retry: 2000\n\n');
      const transport = new SseTransport(reply.raw);
      let connection: Connection;
      try {
        connection = await openStream(deps, hub, { signedIn, transport, resume, hooks });
      } catch (error) {
        // The response is already a stream: the failure is a frame, its detail a log line.
        request.log.warn({ err: error, userId: signedIn.user.id }, 'realtime stream could not open');
        refuseStream(transport, 'unavailable', UNAVAILABLE_STREAM_MESSAGE);
        return;
      }
      keepAlive.streams.add(reply.raw);
      const closed = (): void => {
        keepAlive.streams.delete(reply.raw);
        connection.dropped();
        void hub.detach(connection).catch((error: unknown) => deps.logger.warn({ err: error }, 'presence update failed'));
      };
      if (reply.raw.destroyed || reply.raw.writableEnded) closed();
      else reply.raw.on('close', closed);
    },
  );
  return keepAlive;
}
