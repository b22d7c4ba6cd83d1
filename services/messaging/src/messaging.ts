import {
  GATED,
  HearthError,
  isCommandName,
  isHearthError,
  contextOfTraceparent,
  currentTraceparent,
  inSpan,
  nowIso,
  SpanKind,
  type Bus,
  type CommandName,
  type CommandPayloads,
  type CommandReply,
  type CommandRequest,
  type EphemeralSignal,
  type HearthMetrics,
  type Logger,
  type Message,
  type RoomEvent,
  type Store,
  type StoreTx,
} from '@hearth/core';
import { HANDLERS, type HandlerContext } from './handlers/index.ts';
import { postMessageAtOnce } from './handlers/messages.ts';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay.ts';
import { createPushNotifier, DEFAULT_PUSH_OPTIONS, type PushNotifier, type PushOptions } from './push/push-notifier.ts';
import { createWebhookDeliverer, DEFAULT_WEBHOOK_OPTIONS, type BotReply, type WebhookOptions } from './webhooks/deliverer.ts';

export interface MessagingDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: HearthMetrics;
  readonly limits: { readonly messageChars: number };
  /** Hearth's public URL, for the reply URL in bot webhooks. */
  readonly publicUrl: string;
  /** Bot webhook delivery timings; the defaults suit production (tests shorten them). */
  readonly webhooks?: Partial<WebhookOptions>;
  /** Removes a deleted message's file from the Blob store; absent where files are off. */
  readonly removeFile?: (fileId: string) => Promise<void>;
  /** Web Push of new messages to the browsers of those they concern; absent where push is off. */
  readonly push?: Pick<PushOptions, 'contact' | 'addressPolicy'> & Partial<PushOptions>;
}

export interface Messaging {
  /** Applies one command; exposed for tests and for the embedded tier's start-up. */
  apply(request: CommandRequest): Promise<CommandReply>;
  stop(): Promise<void>;
}

/** A post written in one statement, with the event it wrote (none when it answered with an earlier post). */
interface PostedAtOnce {
  readonly message: Message;
  readonly emitted: readonly RoomEvent[];
}

/** message.post in one round trip where the store can (postMessageAtOnce); null for any other command, or a post its transaction writes. */
function postAtOnce(deps: MessagingDeps, name: CommandName, payload: unknown, request: CommandRequest): Promise<PostedAtOnce | null> {
  if (name !== 'message.post') return Promise.resolve(null);
  return inSpan('hearth.post', {}, async () => {
    const emitted: RoomEvent[] = [];
    const context = { store: deps.store, now: nowIso(), traceparent: currentTraceparent() ?? request.traceparent, limits: deps.limits, emitted };
    const message = await postMessageAtOnce(context, payload as CommandPayloads['message.post']);
    return message === null ? null : { message, emitted };
  });
}

/**
 * A deleted message's bytes, once its deletion has committed. A failure leaves bytes no message
 * points at (never a message without its file); it is logged with the file's id to remove by hand.
 */
async function removeFile(deps: MessagingDeps, fileId: string): Promise<void> {
  try {
    await deps.removeFile?.(fileId);
  } catch (error) {
    deps.logger.warn({ err: error, fileId }, `the file ${fileId} of a deleted message could not be removed from the Blob store`);
  }
}

/** A post written in one statement: its event goes out as a transaction's events do (runInTransaction does this itself, before its signals). */
function appliedAtOnce(logger: Logger, bus: Bus, relay: OutboxRelay, posted: PostedAtOnce): void {
  logger.debug({ command: 'message.post', statement: 'hearth_post' }, 'command applied');
  committed(bus, relay, posted.emitted);
}

/** A transaction's events, once it has committed: straight to live delivery, and to the relay for the stream. */
function committed(bus: Bus, relay: OutboxRelay, events: readonly RoomEvent[]): void {
  for (const event of events) bus.announceRoomEvent(event);
  relay.kick();
}

/** Web Push of new messages, where configuration turns it on. */
function pushNotifierOf(deps: MessagingDeps): PushNotifier | null {
  if (deps.push === undefined) return null;
  return createPushNotifier({ store: deps.store, logger: deps.logger, options: { ...DEFAULT_PUSH_OPTIONS, ...deps.push } });
}

/** A handler's context in `tx`, for the command `request` sent. */
function handlerContext(
  tx: StoreTx,
  request: CommandRequest,
  own: Pick<HandlerContext, 'limits' | 'webhookAddresses' | 'webhookSecretGraceMs' | 'afterCommit' | 'emitted' | 'queued'>,
): HandlerContext {
  return { tx, now: nowIso(), traceparent: currentTraceparent() ?? request.traceparent, origin: request.origin ?? null, ...own };
}

/**
 * Owns persistence: applies each command in one transaction (a post, where the store can, in one
 * statement), then announces its events to live delivery and hands them to the relay, which
 * publishes them to the stream.
 */
export function startMessaging(deps: MessagingDeps): Messaging {
  const { store, bus, logger } = deps;
  const relay = createOutboxRelay(store, bus, logger, deps.metrics);
  const webhookOptions: WebhookOptions = { ...DEFAULT_WEBHOOK_OPTIONS, ...deps.webhooks };
  const webhooks = createWebhookDeliverer({
    store,
    logger,
    publicUrl: deps.publicUrl,
    options: webhookOptions,
    async postReply(reply: BotReply) {
      const { botId, roomId, clientMessageId, body } = reply;
      await run('message.post', { actorId: botId, roomId, clientMessageId, body }, { name: 'message.post', payload: null });
    },
  });
  const push = pushNotifierOf(deps);

  async function run<N extends CommandName>(name: N, payload: CommandPayloads[N], request: CommandRequest): Promise<unknown> {
    const atOnce = await postAtOnce(deps, name, payload, request);
    if (atOnce !== null) appliedAtOnce(logger, bus, relay, atOnce);
    const result = atOnce?.message ?? (await runInTransaction(name, payload, request));
    // Acknowledged first: the push goes out after, and its fate never holds up or fails the post.
    if (name === 'message.post') push?.notify(result as Message);
    return result;
  }

  async function runInTransaction<N extends CommandName>(name: N, payload: CommandPayloads[N], request: CommandRequest): Promise<unknown> {
    const afterCommit: EphemeralSignal[] = [];
    const emitted: RoomEvent[] = [];
    const queued = { webhookDeliveries: 0, removedFiles: [] as string[] };
    // The events carry the transaction's span, so each realtime process's fan-out joins the post's trace.
    const result = await inSpan('hearth.transaction', {}, () =>
      store.transaction((tx) => {
        const webhooksOwn = { webhookAddresses: webhookOptions.addressPolicy, webhookSecretGraceMs: webhookOptions.secretGraceMs };
        const ctx = handlerContext(tx, request, { limits: deps.limits, ...webhooksOwn, afterCommit, emitted, queued });
        return HANDLERS[name](ctx, payload);
      }, GATED),
    );
    logger.debug({ command: name }, 'command applied');
    committed(bus, relay, emitted);
    if (queued.webhookDeliveries > 0) webhooks.kick();
    for (const signal of afterCommit) await bus.publishSignal(signal);
    for (const fileId of queued.removedFiles) await removeFile(deps, fileId);
    return result;
  }

  /** One command, in a span that continues the trace of the request that sent it. */
  function apply(request: CommandRequest): Promise<CommandReply> {
    const options = { kind: SpanKind.CONSUMER, parent: contextOfTraceparent(request.traceparent), attributes: { 'hearth.command': request.name } };
    return inSpan(`hearth.command ${request.name}`, options, () => applyNow(request));
  }

  async function applyNow(request: CommandRequest): Promise<CommandReply> {
    try {
      if (!isCommandName(request.name)) throw new HearthError('invalid_request', `unknown command ${request.name}`);
      if (typeof request.payload !== 'object' || request.payload === null) throw new HearthError('invalid_request', 'command payload must be an object');
      // The gateway validated the payload against its JSON schema before sending it.
      const result = await run(request.name, request.payload as CommandPayloads[CommandName], request);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: failed(request, error).toJSON().error };
    }
  }

  /**
   * The error a failed command answers with. Only its public face crosses the bus (a 5xx's
   * message names hosts and queries), so the detail is logged here, with the command and the
   * trace it belongs to; a client's own mistake is no news for the log.
   */
  function failed(request: CommandRequest, error: unknown): HearthError {
    const known = isHearthError(error) ? error : new HearthError('internal', error instanceof Error ? error.message : String(error), { cause: error });
    if (known.isServerSide) {
      const fields = {
        err: error,
        code: known.code,
        command: request.name,
        ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
      };
      logger[known.code === 'internal' ? 'error' : 'warn'](fields, `command ${request.name} failed: ${known.message}`);
    }
    return known;
  }

  const subscription = bus.handleCommands(apply);
  relay.kick();
  webhooks.kick();
  return {
    apply,
    async stop() {
      subscription.unsubscribe();
      // Before the relay: an answer a webhook gave while stopping is still published.
      await webhooks.stop();
      await push?.stop();
      await relay.stop();
    },
  };
}
