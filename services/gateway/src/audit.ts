import type { FastifyRequest } from 'fastify';
import { GATED, type AuditAction, type AuditTargetType, type NewAuditEntry } from '@hearth/core';
import type { GatewayDeps } from './deps.ts';
import { originOf } from './origin.ts';

/**
 * Records what the gateway itself decides (sign-in, sign-out, refused sign-ins): these
 * change no domain state through a command, so they get a transaction of their own.
 */
export async function recordAudit(
  deps: GatewayDeps,
  request: FastifyRequest,
  entry: {
    readonly actorId: string | null;
    readonly action: AuditAction;
    readonly target: { readonly type: AuditTargetType; readonly id: string } | null;
    readonly detail?: NewAuditEntry['detail'];
  },
): Promise<void> {
  const { actorId, action, target, detail = {} } = entry;
  await deps.store.transaction(
    (tx) =>
      tx.appendAudit({
        at: new Date().toISOString(),
        actorId,
        action,
        targetType: target?.type ?? null,
        targetId: target?.id ?? null,
        detail,
        origin: originOf(request),
      }),
    GATED,
  );
}
