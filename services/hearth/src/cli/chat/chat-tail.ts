import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from '@hearth/core';
import { authHeaders, callApi, ChatError, reach, type ChatCredentials } from './chat-connection.ts';
import { SseParser } from './sse-parser.ts';

/**
 * `hearth chat tail`: a room's messages as they come, from the sequence after the last one shown,
 * across lost connections and server restarts: each reconnect resumes after the last event
 * applied (protocol §4), so no message is missed and none is shown twice. A person's session
 * follows the realtime stream (SSE); a bot, which has no stream, asks for what is new every second.
 */

export interface TailOptions {
  readonly roomId: string;
  /** The sequence of the last event already shown (the history's). */
  readonly after: number;
  readonly show: (message: Message) => void;
  readonly signal: AbortSignal;
  /** Told of each lost connection, before the wait to reconnect. */
  readonly onLost?: (why: string) => void;
}

const BACKOFF = { firstMs: 250, maxMs: 5_000 };
const POLL_EVERY_MS = 1_000;

export function reconnectDelay(attempt: number): number {
  return Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** attempt);
}

/** Follows the room until `signal` aborts; throws only for what reconnecting cannot mend (the session ended). */
export async function tailRoom(credentials: ChatCredentials, options: TailOptions): Promise<void> {
  const follow = credentials.kind === 'bot' ? pollOnce : streamOnce;
  let last = options.after;
  let attempt = 0;
  while (!options.signal.aborted) {
    const outcome = await follow(credentials, options, last).catch((error: unknown) => lostBecause(error, options.signal));
    if (outcome.last > last) attempt = 0;
    last = Math.max(last, outcome.last);
    if (options.signal.aborted) return;
    if (outcome.lost !== null) options.onLost?.(outcome.lost);
    await sleep(outcome.lost === null ? POLL_EVERY_MS : reconnectDelay(attempt++), undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/** How one connection ended: the last sequence it applied, and why it was lost (null: it was not, a poll ends by itself). */
interface Outcome {
  readonly last: number;
  readonly lost: string | null;
}

function lostBecause(error: unknown, signal: AbortSignal): Outcome {
  if (error instanceof ChatError && error.fatal) throw error;
  if (signal.aborted) return { last: 0, lost: null };
  return { last: 0, lost: error instanceof Error ? error.message : String(error) };
}

/** One SSE connection, resumed after `last`, until it ends. */
async function streamOnce(credentials: ChatCredentials, options: TailOptions, after: number): Promise<Outcome> {
  const resume = encodeURIComponent(JSON.stringify({ [options.roomId]: after }));
  const response = await reach(credentials.url, `/api/realtime/sse?resume=${resume}`, { headers: authHeaders(credentials, 'GET'), signal: options.signal });
  if (response.status === 401) throw fatal('your session ended: sign in again with hearth chat login');
  if (!response.ok || response.body === null) return { last: after, lost: `the stream answered ${response.status}` };
  const applied = { last: after };
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
      const lost = applyFrame(JSON.parse(event.data) as StreamFrame, options, applied);
      if (lost !== null) return { last: applied.last, lost };
    }
  }
  return { last: applied.last, lost: 'the stream ended' };
}

type StreamFrame =
  | { readonly type: 'room.event'; readonly event: { readonly roomId: string; readonly seq: number; readonly type: string; readonly message?: Message } }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: string };

/** Shows what the frame brings; a reason to reconnect, or null to read on. */
function applyFrame(frame: StreamFrame, options: TailOptions, applied: { last: number }): string | null {
  if (isError(frame)) {
    if (frame.code === 'unauthenticated') throw fatal('your session ended: sign in again with hearth chat login');
    return `the server said ${frame.code}: ${frame.message}`;
  }
  if (!isRoomEvent(frame) || frame.event.roomId !== options.roomId || frame.event.seq <= applied.last) return null;
  // A sequence skipped cannot happen on a healthy stream: resume from the last one applied.
  if (frame.event.seq > applied.last + 1) return `sequence ${frame.event.seq} came after ${applied.last}`;
  applied.last = frame.event.seq;
  if (frame.event.type === 'message.created' && frame.event.message !== undefined) options.show(frame.event.message);
  return null;
}

function isError(frame: StreamFrame): frame is Extract<StreamFrame, { type: 'error' }> {
  return frame.type === 'error';
}

function isRoomEvent(frame: StreamFrame): frame is Extract<StreamFrame, { type: 'room.event' }> {
  return frame.type === 'room.event';
}

/** One look for messages after `after` (a bot's way: its token reaches the messages, not the stream). */
async function pollOnce(credentials: ChatCredentials, options: TailOptions, after: number): Promise<Outcome> {
  const { messages } = await callApi<{ messages: Message[] }>(
    credentials,
    'GET',
    `/api/rooms/${encodeURIComponent(options.roomId)}/messages?after=${after}&limit=100`,
  );
  let last = after;
  for (const message of messages) {
    options.show(message);
    last = message.seq;
  }
  return { last, lost: null };
}

function fatal(message: string): ChatError {
  const error = new ChatError(message);
  error.fatal = true;
  return error;
}
