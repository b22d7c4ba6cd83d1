import {
  HearthError,
  isCommandName,
  isHearthError,
  nowIso,
  type Bus,
  type CommandName,
  type CommandPayloads,
  type CommandReply,
  type CommandRequest,
  type EphemeralSignal,
  type Logger,
  type Store,
} from '@hearth/core';
import { HANDLERS, type HandlerContext } from './handlers/index.ts';
import { createOutboxRelay } from './outbox-relay.ts';

export interface MessagingDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly limits: { readonly messageChars: number };
}

export interface Messaging {
  /** Applies one command; exposed for tests and for the embedded tier's start-up. */
  apply(request: CommandRequest): Promise<CommandReply>;
  stop(): Promise<void>;
}

/** Owns persistence: applies each command in one transaction, then hands its events to the relay. */
export function startMessaging(deps: MessagingDeps): Messaging {
  const { store, bus, logger } = deps;
  const relay = createOutboxRelay(store, bus, logger);

  async function run<N extends CommandName>(name: N, payload: CommandPayloads[N], request: CommandRequest): Promise<unknown> {
    const afterCommit: EphemeralSignal[] = [];
    const result = await store.transaction((tx) => {
      const ctx: HandlerContext = { tx, now: nowIso(), traceparent: request.traceparent, origin: request.origin ?? null, limits: deps.limits, afterCommit };
      return HANDLERS[name](ctx, payload);
    });
    relay.kick();
    for (const signal of afterCommit) await bus.publishSignal(signal);
    return result;
  }

  async function apply(request: CommandRequest): Promise<CommandReply> {
    try {
      if (!isCommandName(request.name)) throw new HearthError('invalid_request', `unknown command ${request.name}`);
      if (typeof request.payload !== 'object' || request.payload === null) throw new HearthError('invalid_request', 'command payload must be an object');
      // The gateway validated the payload against its JSON schema before sending it.
      const result = await run(request.name, request.payload as CommandPayloads[CommandName], request);
      return { ok: true, result };
    } catch (error) {
      if (isHearthError(error)) return { ok: false, error: error.toJSON().error };
      logger.error({ err: error, command: request.name }, 'command failed');
      return { ok: false, error: { code: 'internal', message: 'the command failed; see the messaging log' } };
    }
  }

  const subscription = bus.handleCommands(apply);
  relay.kick();
  return {
    apply,
    async stop() {
      subscription.unsubscribe();
      await relay.stop();
    },
  };
}
