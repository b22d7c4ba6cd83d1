/**
 * The audit log: who did what security-relevant thing, when and from where. Entries are
 * written in the same transaction as the change they record, so a change and its record
 * commit or roll back together; failed sign-ins, which change nothing, get one of their own.
 */
export const AUDIT_ACTIONS = [
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.sign_out',
  'auth.logout_from_provider',
  'auth.session_revoked',
  'auth.other_sessions_revoked',
  'user.created',
  'user.role_changed',
  'user.deactivated',
  'user.reactivated',
  'account.join_link_rotated',
  'room.created',
  'room.updated',
  'membership.added',
  'membership.removed',
  'bot.created',
  'bot_token.created',
  'bot_token.revoked',
  'bot.webhook_secret_rotated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGETS = ['user', 'room', 'session', 'bot', 'bot_token', 'account'] as const;
export type AuditTargetType = (typeof AUDIT_TARGETS)[number];

/** Where a request came from, carried with commands so messaging can record it. */
export interface RequestOrigin {
  readonly ip: string;
  readonly userAgent: string;
}

export interface NewAuditEntry {
  readonly at: string;
  /** The user who acted; null for the anonymous (a failed sign-in) and the provider (a back-channel logout). */
  readonly actorId: string | null;
  readonly action: AuditAction;
  readonly targetType: AuditTargetType | null;
  readonly targetId: string | null;
  /** What changed, in the action's own words (old and new role, the method of a sign-in…). Never secrets. */
  readonly detail: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
  readonly origin: RequestOrigin | null;
}

export interface AuditEntry extends NewAuditEntry {
  /** Store-assigned and increasing: the order entries were written, and the paging cursor. */
  readonly id: number;
}
