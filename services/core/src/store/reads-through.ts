import type { AuditEntry } from '../domain/audit.ts';
import type { ApiToken, Bot, WebhookDelivery, WebhookSecrets } from '../domain/bots.ts';
import type { RoomEvent } from '../domain/events.ts';
import type { PushSubscriptionRecord, PushTarget } from '../domain/push.ts';
import type { Account, Boost, Membership, Message, Room, RoomForMember, SearchHit, Session, UnreadCounts, User } from '../domain/types.ts';
import type { ApiTokenCredentials, AuditPage, Credentials, MessagePage, OutboxBacklog, OutboxEntry, PostContext, StoreReads } from './store.ts';

/**
 * The reads of a Store, each handed to `read`, which picks the reader for the call: the
 * open transaction's when the caller is inside one, else the store's own. Both stores
 * keep their query code in one transaction class and inherit these from here.
 */
export abstract class ReadsThrough implements StoreReads {
  protected abstract read<T>(use: (reads: StoreReads) => Promise<T>): Promise<T>;

  readonly getAccount = (): Promise<Account | null> => this.read((r) => r.getAccount());
  readonly getUser = (id: string): Promise<User | null> => this.read((r) => r.getUser(id));
  readonly getCredentialsByEmail = (email: string): Promise<Credentials | null> => this.read((r) => r.getCredentialsByEmail(email));
  readonly listUsers = (): Promise<User[]> => this.read((r) => r.listUsers());
  readonly countUsers = (): Promise<number> => this.read((r) => r.countUsers());
  readonly getRoom = (id: string): Promise<Room | null> => this.read((r) => r.getRoom(id));
  readonly listRoomsForMember = (userId: string): Promise<RoomForMember[]> => this.read((r) => r.listRoomsForMember(userId));
  readonly unreadCounts = (userId: string, roomId?: string): Promise<Map<string, UnreadCounts>> => this.read((r) => r.unreadCounts(userId, roomId));
  readonly listOpenRooms = (): Promise<Room[]> => this.read((r) => r.listOpenRooms());
  readonly findDirectRoom = (userIds: readonly string[]): Promise<Room | null> => this.read((r) => r.findDirectRoom(userIds));
  readonly getMembership = (roomId: string, userId: string): Promise<Membership | null> => this.read((r) => r.getMembership(roomId, userId));
  readonly listMembers = (roomId: string): Promise<Membership[]> => this.read((r) => r.listMembers(roomId));
  readonly readPostContext = (roomId: string, authorId: string, clientMessageId: string): Promise<PostContext> =>
    this.read((r) => r.readPostContext(roomId, authorId, clientMessageId));
  readonly getMessage = (id: string): Promise<Message | null> => this.read((r) => r.getMessage(id));
  readonly getMessageByClientId = (roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> =>
    this.read((r) => r.getMessageByClientId(roomId, authorId, clientMessageId));
  readonly listMessages = (roomId: string, page: MessagePage): Promise<Message[]> => this.read((r) => r.listMessages(roomId, page));
  readonly getBoost = (id: string): Promise<Boost | null> => this.read((r) => r.getBoost(id));
  readonly eventsSince = (roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> => this.read((r) => r.eventsSince(roomId, afterSeq, limit));
  readonly unpublishedEvents = (limit: number): Promise<OutboxEntry[]> => this.read((r) => r.unpublishedEvents(limit));
  readonly outboxBacklog = (): Promise<OutboxBacklog> => this.read((r) => r.outboxBacklog());
  readonly searchMessages = (userId: string, query: string, limit: number): Promise<SearchHit[]> => this.read((r) => r.searchMessages(userId, query, limit));
  readonly getSession = (id: string): Promise<Session | null> => this.read((r) => r.getSession(id));
  readonly getSessionWithUser = (id: string): Promise<{ readonly session: Session; readonly user: User } | null> => this.read((r) => r.getSessionWithUser(id));
  readonly listSessionsOfUser = (userId: string): Promise<Session[]> => this.read((r) => r.listSessionsOfUser(userId));
  readonly getUserByIdentity = (issuer: string, subject: string): Promise<User | null> => this.read((r) => r.getUserByIdentity(issuer, subject));
  readonly listAudit = (page: AuditPage): Promise<AuditEntry[]> => this.read((r) => r.listAudit(page));
  readonly getBot = (userId: string): Promise<Bot | null> => this.read((r) => r.getBot(userId));
  readonly listBots = (): Promise<Bot[]> => this.read((r) => r.listBots());
  readonly getWebhookSecrets = (botId: string): Promise<WebhookSecrets | null> => this.read((r) => r.getWebhookSecrets(botId));
  readonly getApiToken = (id: string): Promise<ApiTokenCredentials | null> => this.read((r) => r.getApiToken(id));
  readonly listApiTokens = (userId: string): Promise<ApiToken[]> => this.read((r) => r.listApiTokens(userId));
  readonly listWebhookDeliveries = (messageId: string): Promise<WebhookDelivery[]> => this.read((r) => r.listWebhookDeliveries(messageId));
  readonly listPushTargets = (roomId: string): Promise<PushTarget[]> => this.read((r) => r.listPushTargets(roomId));
  readonly listPushSubscriptionsOfUser = (userId: string): Promise<PushSubscriptionRecord[]> => this.read((r) => r.listPushSubscriptionsOfUser(userId));
  readonly getServerKey = (name: string): Promise<string | null> => this.read((r) => r.getServerKey(name));
}
