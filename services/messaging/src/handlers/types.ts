import type { CommandName, CommandPayloads, CommandResults, EphemeralSignal, OutboundAddressPolicy } from '@hearth/core';
import type { CommandContext } from '../emit.ts';

export interface HandlerContext extends CommandContext {
  readonly limits: { readonly messageChars: number };
  /** Where a bot's webhook may be (checked again at each delivery, against its name's addresses then). */
  readonly webhookAddresses: OutboundAddressPolicy;
  /** How long a rotated-out webhook secret goes on signing beside the new one. */
  readonly webhookSecretGraceMs: number;
  /** Signals to publish once the transaction has committed (never for a rolled-back command). */
  readonly afterCommit: EphemeralSignal[];
  /** What the command queued for messaging's own workers, so they are woken once it commits. */
  readonly queued: {
    webhookDeliveries: number;
    /** Files of deleted messages, whose bytes go once the deletion has committed. */
    readonly removedFiles: string[];
  };
}

export type Handler<N extends CommandName> = (ctx: HandlerContext, payload: CommandPayloads[N]) => Promise<CommandResults[N]>;
export type HandlerTable = { readonly [N in CommandName]: Handler<N> };
