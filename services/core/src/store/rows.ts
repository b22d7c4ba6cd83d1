import type { AuditAction, AuditEntry, AuditTargetType } from '../domain/audit.ts';
import type { ApiToken, Bot, WebhookDelivery, WebhookSecrets } from '../domain/bots.ts';
import type { Account, Boost, Involvement, Membership, Message, MessageFile, Role, Room, RoomKind, Session, User } from '../domain/types.ts';
import type { NewMessage } from './store.ts';

/**
 * The tables' rows as both stores read them (the schemas use the same column names) and
 * their mapping to the domain records, so the two stores return identical records.
 */

export interface AccountRow {
  id: string;
  name: string;
  join_code: string;
  created_at: string;
}
export interface UserRow {
  id: string;
  name: string;
  email: string | null;
  role: Role;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  active: number | boolean;
  password_hash: string | null;
  created_at: string;
  avatar: string | null;
}
export interface RoomRow {
  id: string;
  kind: RoomKind;
  name: string | null;
  created_by: string;
  created_at: string;
  last_seq: number;
  last_message_seq: number;
}
export interface MembershipRow {
  room_id: string;
  user_id: string;
  involvement: Involvement;
  read_seq: number;
  created_at: string;
}
export interface MessageRow {
  id: string;
  room_id: string;
  seq: number;
  author_id: string;
  client_message_id: string;
  body: string;
  /** JSON text in SQLite, already an array in PostgreSQL (jsonb). */
  mentions: string | readonly string[];
  sound: string | null;
  /** JSON text in SQLite, already an object in PostgreSQL (jsonb); null for a message with no file. */
  file: string | MessageFile | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}
export interface BoostRow {
  id: string;
  message_id: string;
  author_id: string;
  content: string;
  created_at: string;
}
export interface SessionRow {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string;
  ip: string;
  idp_session_id: string | null;
}

/** JSON text in SQLite, already parsed in PostgreSQL (jsonb). */
type Json<T> = string | T;
const parsed = <T>(value: Json<T>): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export interface AuditRow {
  id: number;
  at: string;
  actor_id: string | null;
  action: AuditAction;
  target_type: AuditTargetType | null;
  target_id: string | null;
  detail: Json<AuditEntry['detail']>;
  ip: string | null;
  user_agent: string | null;
}
/** bots joined with their user. */
export interface BotRow {
  user_id: string;
  name: string;
  active: number | boolean;
  webhook_url: string | null;
  created_by: string;
  created_at: string;
}
/** A bot's webhook signing secrets (bots' own columns, never read into a Bot). */
export interface WebhookSecretsRow {
  webhook_secret: string | null;
  webhook_previous_secret: string | null;
  webhook_previous_expires_at: string | null;
}
export interface ApiTokenRow {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  room_ids: Json<readonly string[]>;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}
export interface WebhookDeliveryRow {
  id: number;
  bot_id: string;
  message_id: string;
  room_id: string;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  delivered_at: string | null;
  failed_at: string | null;
  last_error: string | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    detail: parsed(row.detail),
    origin: row.ip === null ? null : { ip: row.ip, userAgent: row.user_agent ?? '' },
  };
}

export function toBot(row: BotRow): Bot {
  return {
    userId: row.user_id,
    name: row.name,
    webhookUrl: row.webhook_url,
    createdBy: row.created_by,
    createdAt: row.created_at,
    active: row.active === true || row.active === 1,
  };
}

export function toWebhookSecrets(row: WebhookSecretsRow): WebhookSecrets {
  const { webhook_previous_secret: secret, webhook_previous_expires_at: expiresAt } = row;
  return { current: row.webhook_secret, previous: secret === null || expiresAt === null ? null : { secret, expiresAt } };
}

export function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    roomIds: parsed(row.room_ids),
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toWebhookDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    botId: row.bot_id,
    messageId: row.message_id,
    roomId: row.room_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    failedAt: row.failed_at,
    lastError: row.last_error,
  };
}

export function toAccount(row: AccountRow): Account {
  return { id: row.id, name: row.name, joinCode: row.join_code, createdAt: row.created_at };
}

/** A user's row needs no password hash to be a user. */
export function toUser(row: Omit<UserRow, 'password_hash'>): User {
  const active = row.active === 1 || row.active === true;
  return { id: row.id, name: row.name, email: row.email, role: row.role, active, createdAt: row.created_at, avatar: row.avatar };
}

export function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    lastMessageSeq: row.last_message_seq,
  };
}

export function toMembership(row: MembershipRow): Membership {
  return { roomId: row.room_id, userId: row.user_id, involvement: row.involvement, readSeq: row.read_seq, createdAt: row.created_at };
}

export function toBoost(row: BoostRow): Boost {
  return { id: row.id, messageId: row.message_id, authorId: row.author_id, content: row.content, createdAt: row.created_at };
}

/** A message as insertMessage stores it: not yet edited, deleted or boosted. */
export function postedMessage(message: NewMessage): Message {
  const { id, roomId, seq, authorId, clientMessageId, body, mentions, sound, file, createdAt } = message;
  return { id, roomId, seq, authorId, clientMessageId, body, mentions: [...mentions], sound, file, createdAt, editedAt: null, deletedAt: null, boosts: [] };
}

export function toMessage(row: MessageRow, boosts: readonly Boost[]): Message {
  return {
    id: row.id,
    roomId: row.room_id,
    seq: row.seq,
    authorId: row.author_id,
    clientMessageId: row.client_message_id,
    body: row.body,
    mentions: typeof row.mentions === 'string' ? (JSON.parse(row.mentions) as string[]) : row.mentions,
    sound: row.sound,
    file: typeof row.file === 'string' ? (JSON.parse(row.file) as MessageFile) : row.file,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    boosts,
  };
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
    idpSessionId: row.idp_session_id,
  };
}

/** A JSON column's value: text in SQLite, already parsed in PostgreSQL (jsonb). */
export function fromJson<T>(value: string | T): T {
  return parsed(value);
}

/** A message's columns, without PostgreSQL's search lexemes or the key column, which nothing outside the store reads. */
export function messageColumns(alias = ''): string {
  const prefix = alias === '' ? '' : `${alias}.`;
  const columns = ['id', 'room_id', 'seq', 'author_id', 'client_message_id', 'body', 'mentions', 'sound', 'file', 'created_at', 'edited_at', 'deleted_at'];
  return columns.map((column) => prefix + column).join(', ');
}
