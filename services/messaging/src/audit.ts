import type { AuditAction, AuditTargetType, NewAuditEntry } from '@hearth/core';
import type { CommandContext } from './emit.ts';

/** Records what a command did in the audit log, inside the command's transaction: both commit or neither does. */
export async function audit(
  ctx: CommandContext,
  actorId: string | null,
  action: AuditAction,
  target: { readonly type: AuditTargetType; readonly id: string },
  detail: NewAuditEntry['detail'] = {},
): Promise<void> {
  await ctx.tx.appendAudit({ at: ctx.now, actorId, action, targetType: target.type, targetId: target.id, detail, origin: ctx.origin });
}
