import type { RequestOrigin } from '../domain/audit.ts';
import type { CommandName, CommandPayloads, CommandResults } from '../domain/commands.ts';
import { HearthError } from '../errors.ts';
import type { Bus } from './bus.ts';

/** Sends typed commands over the bus and turns error replies back into HearthErrors. */
/** What travels with a command besides its payload. */
export interface CommandMeta {
  readonly traceparent?: string;
  /** The request's client address and user agent, for the audit log. */
  readonly origin?: RequestOrigin;
}

export interface CommandClient {
  send<N extends CommandName>(name: N, payload: CommandPayloads[N], meta?: CommandMeta): Promise<CommandResults[N]>;
}

export function createCommandClient(bus: Bus, timeoutMs = 10_000): CommandClient {
  return {
    async send(name, payload, meta = {}) {
      const reply = await bus.request({ name, payload, ...meta }, timeoutMs);
      if (!reply.ok) throw HearthError.fromJSON({ error: reply.error });
      // The reply crossed a process boundary as JSON; messaging's handler table is what types it.
      return reply.result as CommandResults[typeof name];
    },
  };
}
