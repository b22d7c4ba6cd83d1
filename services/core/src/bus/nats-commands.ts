import { setTimeout as sleep } from 'node:timers/promises';
import { RequestError, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { RequestOrigin } from '../domain/audit.ts';
import { HearthError, isHearthError } from '../errors.ts';
import { answerCommand } from './answer-command.ts';
import type { CommandHandler, CommandReply, CommandRequest, Subscription } from './bus.ts';
import type { ConnectionWatch } from './nats-connection.ts';
import { subjectTokens } from './nats-names.ts';
import { backoffMs } from './nats-retry.ts';
import { traceHeaders } from './trace-headers.ts';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const COMMAND_QUEUE_GROUP = 'messaging';

export interface NatsCommandsDeps {
  readonly nc: NatsConnection;
  readonly watch: ConnectionWatch;
  /** The subject prefix of the instance's commands (NatsNames.commands). */
  readonly prefix: string;
  readonly onError: (error: unknown) => void;
  /** Throws once the bus is closed; asked again between retries. */
  readonly assertOpen: () => void;
}

/** The command side of BusNats: core NATS requests to the `messaging` queue group, and their replies. */
export class NatsCommands {
  readonly #deps: NatsCommandsDeps;
  readonly #answering = new Set<Promise<void>>();
  #registration: NatsSubscription | undefined;

  constructor(deps: NatsCommandsDeps) {
    this.#deps = deps;
  }

  /**
   * The deadline covers the whole exchange. "No responders" (no messaging process subscribed,
   * as during a rolling restart) is retried until the deadline, since nobody saw the command;
   * a timeout is not, since a handler may be working on it.
   */
  async request(request: CommandRequest, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<CommandReply> {
    const { nc, watch, prefix, assertOpen } = this.#deps;
    const subject = prefix + subjectTokens(request.name, 'command name');
    const body = JSON.stringify({ payload: request.payload, traceparent: request.traceparent, origin: request.origin });
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      await watch.connected(deadline - Date.now());
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw noAnswer();
      try {
        const reply = await nc.request(subject, body, { timeout: remaining, ...traceHeaders(request.traceparent) });
        return parseReply(reply);
      } catch (error) {
        if (!isNoResponders(error)) throw isHearthError(error) ? error : noAnswer(error);
        await sleep(Math.min(backoffMs(attempt), Math.max(deadline - Date.now(), 0)));
        assertOpen();
      }
    }
  }

  handle(handler: CommandHandler): Subscription {
    const { nc, prefix, onError } = this.#deps;
    if (this.#registration !== undefined) throw new Error('BusNats: a command handler is already registered');
    const subscription = nc.subscribe(`${prefix}>`, {
      queue: COMMAND_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error !== null) onError(error);
        else this.#track(this.#answer(handler, msg));
      },
    });
    this.#registration = subscription;
    return {
      unsubscribe: () => {
        if (this.#registration !== subscription) return;
        this.#registration = undefined;
        // Commands already received still get their replies; drain only stops new ones.
        subscription.drain().catch(onError);
      },
    };
  }

  /** Stops taking commands and lets the ones in hand answer. */
  async stop(): Promise<void> {
    const registration = this.#registration;
    this.#registration = undefined;
    await registration?.drain().catch(() => undefined);
    await Promise.allSettled([...this.#answering]);
  }

  async #answer(handler: CommandHandler, msg: Msg): Promise<void> {
    const reply = await answer(handler, msg, this.#deps);
    try {
      msg.respond(JSON.stringify(reply));
    } catch (error) {
      this.#deps.onError(error);
    }
  }

  #track(work: Promise<void>): void {
    this.#answering.add(work);
    void work.finally(() => this.#answering.delete(work));
  }
}

/** A body that is not JSON gets the same reply shape as a handler's failure. */
async function answer(handler: CommandHandler, msg: Msg, deps: Pick<NatsCommandsDeps, 'prefix' | 'onError'>): Promise<CommandReply> {
  let request: CommandRequest;
  try {
    request = toCommandRequest(msg, deps.prefix);
  } catch {
    return { ok: false, error: { code: 'invalid_json', message: 'the command body is not JSON' } };
  }
  return answerCommand(handler, request, deps.onError);
}

function toCommandRequest(msg: Msg, prefix: string): CommandRequest {
  const name = msg.subject.slice(prefix.length);
  const body = msg.json<{ payload?: unknown; traceparent?: unknown; origin?: unknown }>();
  const headerTrace = msg.headers?.get('traceparent') ?? '';
  const traceparent = typeof body.traceparent === 'string' ? body.traceparent : headerTrace;
  const origin = originOf(body.origin);
  return { name, payload: body.payload ?? null, ...(traceparent === '' ? {} : { traceparent }), ...(origin === null ? {} : { origin }) };
}

/** The request origin a command carries, if it is well-formed (it came over the wire). */
function originOf(value: unknown): RequestOrigin | null {
  if (typeof value !== 'object' || value === null) return null;
  const { ip, userAgent } = value as { ip?: unknown; userAgent?: unknown };
  return typeof ip === 'string' && typeof userAgent === 'string' ? { ip, userAgent } : null;
}

function parseReply(msg: Msg): CommandReply {
  const reply = msg.json<CommandReply>();
  if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean') {
    throw new HearthError('internal', 'the command handler sent a reply that is not a CommandReply');
  }
  return reply;
}

function isNoResponders(error: unknown): boolean {
  return error instanceof RequestError && error.isNoResponders();
}

function noAnswer(cause?: unknown): HearthError {
  return new HearthError('unavailable', 'no messaging handler answered', cause === undefined ? {} : { cause });
}
