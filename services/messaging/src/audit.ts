import type { AuditAction, AuditTargetType, NewAuditEntry } from '@hearth/core';
import type { CommandContext } from './emit.ts';

/** What a command did, as the audit log records it: who (null: Hearth itself), what, to what. */
export interface AuditRecord {
  readonly actorId: string | null;
  readonly action: AuditAction;
  readonly target: { readonly type: AuditTargetType; readonly id: string };
  readonly detail?: NewAuditEntry['detail'];
}

/** Records what a command did in the audit log, inside the command's transaction: both commit or neither does. */
export async function audit(ctx: CommandContext, record: AuditRecord): Promise<void> {
  const { actorId, action, target, detail = {} } = record;
  await ctx.tx.appendAudit({ at: ctx.now, actorId, action, targetType: target.type, targetId: target.id, detail, origin: ctx.origin });
}
