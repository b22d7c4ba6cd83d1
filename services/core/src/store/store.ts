import type { AuditEntry, NewAuditEntry } from '../domain/audit.ts';
import type { ApiToken, Bot, WebhookDelivery, WebhookSecrets } from '../domain/bots.ts';
import type { PushSubscriptionRecord, PushTarget } from '../domain/push.ts';
import type { EventStamp, RoomEvent } from '../domain/events.ts';
import type { Account, Boost, Membership, Message, MessageFile, Role, Room, RoomForMember, SearchHit, Session, UnreadCounts, User } from '../domain/types.ts';
import type { ExportOptions, ExportResult } from './record-export.ts';
import type { ImportState } from './record-copy-target.ts';
import type { ImportOptions, ImportResult } from './record-import.ts';

/**
 * The source of truth. Every write that belongs to one command happens inside one
 * `transaction`; reads outside a transaction see only committed data.
 * Implementations: StoreSqlite (embedded tier), StorePostgres (server tiers).
 */
export interface Store extends StoreReads {
  /**
   * Runs `work` in one serialisable-enough transaction: it commits when `work`
   * resolves and rolls back when it rejects (the rejection is passed on).
   * Transactions never interleave their writes on the same room.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Where the store can (PostgreSQL), writes a post in one round trip: the room's next seq, the
   * message, its message.created event and outbox row, and the author's read marker, as a post's
   * transaction does, under the room's lock and the write gate. The post was checked against a
   * context read without the lock (readPostContext); under the lock the store checks again what
   * that context said (the room, the membership, no earlier post with the clientMessageId, writes
   * not paused) and writes nothing, answering null, when any of it changed: the caller then
   * posts in a transaction, which says why or finds the earlier post.
   */
  postAtOnce?(draft: PostDraft): Promise<Message | null>;
  /**
   * postAtOnce for a plain post (no file, no mention) whose context was not read first: the
   * store also checks what that read would have decided (an active author; a room that is not
   * direct, unless the author is a bot) in the same round trip. Null, writing nothing, for any
   * refusal: the caller then reads the context, which says why or finds the earlier post.
   */
  postPlain?(draft: PostDraft): Promise<Message | null>;
  /**
   * Pauses writes (write-gate.ts): gated transactions are refused with `migrating` from now
   * on, and it resolves once none that began before is still open.
   */
  pauseWrites(pause: WritePause, options?: PauseOptions): Promise<void>;
  /**
   * Renews the lease of the pause made at `since` for `leaseSeconds`, or ends its lease (null),
   * leaving writes paused with no end. False, changing nothing, when that pause no longer holds:
   * resumed, replaced by another, or its lease lapsed (writes may have been taken since).
   */
  holdWritePause(since: string, leaseSeconds: number | null): Promise<boolean>;
  resumeWrites(): Promise<void>;
  /** The pause in force, or null. */
  writePause(): Promise<WritePause | null>;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;
  /** The connection pool's use now, or null for a store without a pool (SQLite). */
  poolStats(): PoolStats | null;
  /**
   * Every record as the dialect-neutral NDJSON of record-stream.ts, read from one consistent
   * snapshot, each line handed to `write` in order. Returns the rows and their summary.
   */
  exportRecords(write: (line: string) => Promise<void> | void, options?: ExportOptions): Promise<ExportResult>;
  /**
   * Loads such a stream into this store, which must be empty, a batch at a time
   * (record-import.ts): a stream that is refused part way leaves the rows before it, and the
   * same stream given again resumes after them.
   */
  importRecords(lines: AsyncIterable<string> | Iterable<string>, options?: ImportOptions): Promise<ImportResult>;
  /** Whether this store has records, and what the import that loaded them says (record-copy-target.ts). */
  importState(): Promise<ImportState>;
  /** Marks the finished import as verified against its source; false when no import has finished. */
  markImportVerified(at: string): Promise<boolean>;
  /** Deletes every record and the import's marker, so a copy can start again from nothing. */
  clearRecords(): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /** A command's writes: refused with `migrating` while writes are paused, and waited for by a pause. */
  readonly gated?: boolean;
  /**
   * The commit returns before it is on disk (SQLite: synchronous=NORMAL for this transaction;
   * PostgreSQL: synchronous_commit off), and the next durable commit carries it there. Only for
   * writes whose loss is harmless: the outbox relay's published marks, where a lost mark
   * republishes events the bus de-duplicates. It saves the relay a disk sync per pass, which on
   * the embedded tier was one of the two syncs of every post.
   */
  readonly lazyCommit?: boolean;
}

export interface WritePause {
  /** When writes were paused (ISO time). */
  readonly since: string;
  /** Why, for the log and `hearth writes status` (not shown to clients). */
  readonly reason: string;
  /** When a pause with a lease lapses unless it is renewed (ISO time); a pause without one holds until resumed. */
  readonly leaseUntil?: string;
}

export interface PauseOptions {
  /** The pause lapses by itself this many seconds from now, unless holdWritePause renews it. */
  readonly leaseSeconds?: number;
}

export interface PoolStats {
  /** Connections checked out. */
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

export interface OutboxBacklog {
  readonly events: number;
  /** The `at` of the oldest waiting event. */
  readonly oldestAt: string | null;
}

export interface MessagePage {
  /** Return messages with seq < before (newest first internally, returned oldest first). */
  readonly before?: number;
  /** Return messages with seq > after, oldest first. */
  readonly after?: number;
  readonly limit: number;
}

export interface NewUser {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly role: Role;
  readonly passwordHash: string | null;
  readonly createdAt: string;
}

export interface UserPatch {
  readonly name?: string;
  readonly role?: Role;
  readonly active?: boolean;
  readonly passwordHash?: string;
}

export interface Credentials {
  readonly user: User;
  readonly passwordHash: string | null;
}

export interface NewMessage {
  readonly id: string;
  readonly roomId: string;
  readonly seq: number;
  readonly authorId: string;
  readonly clientMessageId: string;
  readonly body: string;
  readonly mentions: readonly string[];
  readonly sound: string | null;
  readonly file: MessageFile | null;
  readonly createdAt: string;
}

/** A user's account at an OpenID provider: the provider's (issuer, subject) pair never changes for a person. */
export interface Identity {
  readonly issuer: string;
  readonly subject: string;
  readonly userId: string;
  readonly createdAt: string;
}

/** A token with its stored hash, for the one place that checks a presented secret. */
export interface ApiTokenCredentials {
  readonly token: ApiToken;
  readonly secretHash: string;
}

export interface AuditPage {
  /** Entries with id < before, newest first (the admin view pages backwards). */
  readonly before?: number;
  /** Entries with id > after, oldest first (the export walks forwards). */
  readonly after?: number;
  readonly limit: number;
}

/** A post to write with Store.postAtOnce: the message (the store gives it the seq it takes) and its event's envelope. */
export interface PostDraft extends EventStamp {
  readonly message: Omit<NewMessage, 'seq'>;
}

/** What a post checks before it writes (StoreTx.lockRoomForPost); null for what does not exist. */
export interface PostContext {
  readonly author: User | null;
  readonly room: Room | null;
  /** The author's membership of the room. */
  readonly membership: Membership | null;
  /** The author's message in the room with the post's clientMessageId: the post is a retry of it. */
  readonly earlier: Message | null;
}

/** An event waiting in the outbox, with its store-assigned position. */
export interface OutboxEntry {
  readonly id: number;
  readonly event: RoomEvent;
}

/** Reads that may run inside or outside a transaction. */
export interface StoreReads {
  getAccount(): Promise<Account | null>;
  getUser(id: string): Promise<User | null>;
  getCredentialsByEmail(email: string): Promise<Credentials | null>;
  listUsers(): Promise<User[]>;
  countUsers(): Promise<number>;

  getRoom(id: string): Promise<Room | null>;
  /** Every room `userId` is a member of, with that membership (invisible ones too), sorted by name. */
  listRoomsForMember(userId: string): Promise<RoomForMember[]>;
  /** Each of the member's rooms' unread and mention counts (or only `roomId`'s), by room id. */
  unreadCounts(userId: string, roomId?: string): Promise<Map<string, UnreadCounts>>;
  listOpenRooms(): Promise<Room[]>;
  /** The direct room whose member set is exactly `userIds` (order-insensitive). */
  findDirectRoom(userIds: readonly string[]): Promise<Room | null>;

  getMembership(roomId: string, userId: string): Promise<Membership | null>;
  listMembers(roomId: string): Promise<Membership[]>;
  /** What lockRoomForPost reads, without the lock: what a post written with Store.postAtOnce is checked against. */
  readPostContext(roomId: string, authorId: string, clientMessageId: string): Promise<PostContext>;

  getMessage(id: string): Promise<Message | null>;
  getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null>;
  /** Oldest first. Without before/after, the newest `limit` messages. Deleted messages included (body empty). */
  listMessages(roomId: string, page: MessagePage): Promise<Message[]>;
  getBoost(id: string): Promise<Boost | null>;

  /** Stored events of a room with seq > afterSeq, oldest first, at most `limit`. */
  eventsSince(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]>;
  /** Events not yet published to the bus, in the order they were appended. */
  unpublishedEvents(limit: number): Promise<OutboxEntry[]>;
  /** How many events wait to be published, and when the oldest of them happened (null when none wait). */
  outboxBacklog(): Promise<OutboxBacklog>;

  /**
   * Full-text search over non-deleted messages in rooms `userId` is a member of.
   * Every word of `query` must match, the last one (and each one) also as a prefix.
   * Newest first.
   */
  searchMessages(userId: string, query: string, limit: number): Promise<SearchHit[]>;

  getSession(id: string): Promise<Session | null>;
  /** The session and its user in one read (every signed-in request asks for both); null when either is gone. */
  getSessionWithUser(id: string): Promise<{ readonly session: Session; readonly user: User } | null>;
  /** Every stored session of the user (expired ones included until they are deleted), the most recently seen first. */
  listSessionsOfUser(userId: string): Promise<Session[]>;

  getUserByIdentity(issuer: string, subject: string): Promise<User | null>;
  listAudit(page: AuditPage): Promise<AuditEntry[]>;
  getBot(userId: string): Promise<Bot | null>;
  listBots(): Promise<Bot[]>;
  /** The secrets a bot's webhook deliveries are signed with; null for no bot. Never part of a Bot. */
  getWebhookSecrets(botId: string): Promise<WebhookSecrets | null>;
  getApiToken(id: string): Promise<ApiTokenCredentials | null>;
  listApiTokens(userId: string): Promise<ApiToken[]>;
  /** The deliveries of a message's mentions (for tests and the admin view), oldest first. */
  listWebhookDeliveries(messageId: string): Promise<WebhookDelivery[]>;
  /** The push subscriptions of the room's members whose involvement may tell them of a message, by endpoint. */
  listPushTargets(roomId: string): Promise<PushTarget[]>;
  listPushSubscriptionsOfUser(userId: string): Promise<PushSubscriptionRecord[]>;
  /** A key the server made for itself (the VAPID pair), by name; null before it was made. */
  getServerKey(name: string): Promise<string | null>;
}

export interface StoreTx extends StoreReads {
  insertAccount(account: Account): Promise<void>;
  updateAccount(patch: { readonly name?: string; readonly joinCode?: string }): Promise<Account>;

  /** Refuses a duplicate email with HearthError('email_taken'). */
  insertUser(user: NewUser): Promise<User>;
  updateUser(id: string, patch: UserPatch): Promise<User>;
  /** Sets (a version) or clears (null) the user's picture; refuses an unknown user with user_not_found. */
  setUserAvatar(id: string, avatar: string | null): Promise<User>;

  insertRoom(room: {
    readonly id: string;
    readonly kind: Room['kind'];
    readonly name: string | null;
    readonly createdBy: string;
    readonly createdAt: string;
    /** For direct rooms: the sorted member ids, so the same set maps to one room. */
    readonly directKey: string | null;
  }): Promise<Room>;
  updateRoom(id: string, patch: { readonly name?: string | null; readonly kind?: Room['kind'] }): Promise<Room>;
  /**
   * Increments and returns the room's sequence number. Concurrent transactions on
   * the same room are serialised by this call, so sequences have no gap or duplicate.
   */
  nextSeq(roomId: string): Promise<number>;
  /**
   * Holds the room's row lock until the transaction ends, so check-then-insert work on
   * the room (a retried post's clientMessageId) cannot race another transaction.
   */
  lockRoom(roomId: string): Promise<void>;
  /**
   * Takes the room's lock as lockRoom does (a missing room is not refused here: the caller says
   * what is missing first), then reads, in as few statements as the store can, what a post
   * checks. They are read after the lock is held, so a retry of the same post that committed
   * while this one waited is found as `earlier`.
   */
  lockRoomForPost(roomId: string, authorId: string, clientMessageId: string): Promise<PostContext>;

  /** Inserts or updates (keeping createdAt). */
  putMembership(membership: Membership): Promise<Membership>;
  /** Moves a member's read marker up to `seq`, never back; nothing when there is no such membership. */
  markReadUpTo(roomId: string, userId: string, seq: number): Promise<void>;
  deleteMembership(roomId: string, userId: string): Promise<boolean>;

  insertMessage(message: NewMessage): Promise<Message>;
  updateMessageBody(id: string, body: string, mentions: readonly string[], editedAt: string): Promise<Message>;
  markMessageDeleted(id: string, deletedAt: string): Promise<Message>;

  insertBoost(boost: Boost): Promise<Boost>;
  deleteBoost(id: string): Promise<boolean>;

  /** Appends to the room's event log and the outbox; also records lastMessageSeq for message.created. */
  appendEvent(event: RoomEvent): Promise<void>;
  markPublished(outboxIds: readonly number[]): Promise<void>;

  insertSession(session: Session): Promise<void>;
  touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void>;
  deleteSession(id: string): Promise<boolean>;
  deleteUserSessions(userId: string): Promise<number>;
  /** Ends every session of the user but `keepSessionId` ("sign out all other devices"); returns their ids. */
  deleteOtherSessionsOfUser(userId: string, keepSessionId: string): Promise<string[]>;
  /** Ends every session started from the provider's session `idpSessionId`; returns their ids. */
  deleteSessionsByIdpSession(idpSessionId: string): Promise<string[]>;

  /** Refuses a second user for the same (issuer, subject) with HearthError('conflict'). */
  linkIdentity(identity: Identity): Promise<void>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;

  insertBot(bot: {
    readonly userId: string;
    readonly webhookUrl: string | null;
    readonly createdBy: string;
    readonly createdAt: string;
    /** The webhook signing secret (docs/protocol.md §5.3); none leaves deliveries unsigned until a rotation. */
    readonly webhookSecret?: string;
  }): Promise<Bot>;
  /**
   * Makes `secret` the bot's webhook secret; the one it replaces (if any) goes on signing until
   * `previousExpiresAt`, and one replaced before that stops at once. HearthError('not_found') for no bot.
   */
  rotateWebhookSecret(botId: string, secret: string, previousExpiresAt: string): Promise<WebhookSecrets>;
  insertApiToken(token: ApiToken, secretHash: string): Promise<ApiToken>;
  /** Marks the token revoked (keeping the first revocation time); HearthError('not_found') when there is none. */
  revokeApiToken(id: string, revokedAt: string): Promise<ApiToken>;
  touchApiToken(id: string, usedAt: string): Promise<void>;

  insertWebhookDelivery(delivery: {
    readonly botId: string;
    readonly messageId: string;
    readonly roomId: string;
    readonly createdAt: string;
  }): Promise<WebhookDelivery>;
  /**
   * Takes up to `limit` deliveries due at `now` and pushes their next attempt to `leaseUntil`,
   * so another messaging process does not take them too; a process that dies mid-attempt
   * leaves them to be retried when the lease runs out.
   */
  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]>;
  /** Records an attempt: delivered, retried at `nextAttemptAt`, or given up (`nextAttemptAt` null). */
  /** Keeps a browser's subscription; one with the same endpoint is replaced (the browser subscribed again). */
  putPushSubscription(subscription: PushSubscriptionRecord): Promise<void>;
  /** Removes the user's subscription at `endpoint`; false when they had none there. */
  deletePushSubscription(userId: string, endpoint: string): Promise<boolean>;
  /** Removes the subscription at `endpoint` whoever's it is: the push service said it is gone. */
  deletePushSubscriptionByEndpoint(endpoint: string): Promise<boolean>;
  /** Keeps `value` as the server key `name` unless one is kept already, and returns the kept one: the first of racing processes wins. */
  keepServerKey(name: string, value: string, createdAt: string): Promise<string>;
  recordWebhookAttempt(
    id: number,
    outcome: { readonly at: string; readonly delivered: boolean; readonly error: string | null; readonly nextAttemptAt: string | null },
  ): Promise<WebhookDelivery>;
}
