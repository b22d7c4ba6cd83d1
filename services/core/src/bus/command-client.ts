import type { RequestOrigin } from '../domain/audit.ts';
import type { CommandName, CommandPayloads, CommandResults } from '../domain/commands.ts';
import { SpanKind } from '../telemetry/otel-api.ts';
import { HearthError } from '../errors.ts';
import { currentTraceparent, inSpan } from '../telemetry/spans.ts';
import type { Bus } from './bus.ts';

/** What travels with a command besides its payload. */
export interface CommandMeta {
  readonly traceparent?: string;
  /** The request's client address and user agent, for the audit log. */
  readonly origin?: RequestOrigin;
}

export interface CommandClient {
  send<N extends CommandName>(name: N, payload: CommandPayloads[N], meta?: CommandMeta): Promise<CommandResults[N]>;
}

/** Sends typed commands over the bus and turns error replies back into HearthErrors. */
export function createCommandClient(bus: Bus, timeoutMs = 10_000): CommandClient {
  return {
    send(name, payload, meta = {}) {
      // A span of its own, whose context the command carries to messaging: the post's trace goes on there.
      return inSpan(`hearth.send ${name}`, { kind: SpanKind.CLIENT }, async () => {
        const traceparent = meta.traceparent ?? currentTraceparent();
        const reply = await bus.request({ name, payload, ...meta, ...(traceparent === undefined ? {} : { traceparent }) }, timeoutMs);
        if (!reply.ok) throw HearthError.fromJSON({ error: reply.error });
        // The reply crossed a process boundary as JSON; messaging's handler table is what types it.
        return reply.result as CommandResults[typeof name];
      });
    },
  };
}
