import type { CommandName, CommandPayloads, CommandResults } from '../domain/commands.ts';
import { HearthError } from '../errors.ts';
import type { Bus } from './bus.ts';

/** Sends typed commands over the bus and turns error replies back into HearthErrors. */
export interface CommandClient {
  send<N extends CommandName>(name: N, payload: CommandPayloads[N], traceparent?: string): Promise<CommandResults[N]>;
}

export function createCommandClient(bus: Bus, timeoutMs = 10_000): CommandClient {
  return {
    async send(name, payload, traceparent) {
      const reply = await bus.request({ name, payload, ...(traceparent === undefined ? {} : { traceparent }) }, timeoutMs);
      if (!reply.ok) throw HearthError.fromJSON({ error: reply.error });
      // The reply crossed a process boundary as JSON; messaging's handler table is what types it.
      return reply.result as CommandResults[typeof name];
    },
  };
}
