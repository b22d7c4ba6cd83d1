import type { AuditEntry } from '../domain/audit.ts';
import type { ApiToken, Bot, WebhookDelivery } from '../domain/bots.ts';
import type { RoomEvent } from '../domain/events.ts';
import type { Account, Boost, Membership, Message, Room, RoomForMember, SearchHit, Session, User } from '../domain/types.ts';
import type { ApiTokenCredentials, AuditPage, Credentials, MessagePage, OutboxBacklog, OutboxEntry, StoreReads } from './store.ts';

/**
 * The reads of a Store, each handed to `read`, which picks the reader for the call: the
 * open transaction's when the caller is inside one, else the store's own. Both stores
 * keep their query code in one transaction class and inherit these from here.
 */
export abstract class ReadsThrough implements StoreReads {
  protected abstract read<T>(use: (reads: StoreReads) => Promise<T>): Promise<T>;

  getAccount(): Promise<Account | null> {
    return this.read((r) => r.getAccount());
  }
  getUser(id: string): Promise<User | null> {
    return this.read((r) => r.getUser(id));
  }
  getCredentialsByEmail(email: string): Promise<Credentials | null> {
    return this.read((r) => r.getCredentialsByEmail(email));
  }
  listUsers(): Promise<User[]> {
    return this.read((r) => r.listUsers());
  }
  countUsers(): Promise<number> {
    return this.read((r) => r.countUsers());
  }
  getRoom(id: string): Promise<Room | null> {
    return this.read((r) => r.getRoom(id));
  }
  listRoomsForMember(userId: string): Promise<RoomForMember[]> {
    return this.read((r) => r.listRoomsForMember(userId));
  }
  listOpenRooms(): Promise<Room[]> {
    return this.read((r) => r.listOpenRooms());
  }
  findDirectRoom(userIds: readonly string[]): Promise<Room | null> {
    return this.read((r) => r.findDirectRoom(userIds));
  }
  getMembership(roomId: string, userId: string): Promise<Membership | null> {
    return this.read((r) => r.getMembership(roomId, userId));
  }
  listMembers(roomId: string): Promise<Membership[]> {
    return this.read((r) => r.listMembers(roomId));
  }
  getMessage(id: string): Promise<Message | null> {
    return this.read((r) => r.getMessage(id));
  }
  getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> {
    return this.read((r) => r.getMessageByClientId(roomId, authorId, clientMessageId));
  }
  listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    return this.read((r) => r.listMessages(roomId, page));
  }
  getBoost(id: string): Promise<Boost | null> {
    return this.read((r) => r.getBoost(id));
  }
  eventsSince(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    return this.read((r) => r.eventsSince(roomId, afterSeq, limit));
  }
  unpublishedEvents(limit: number): Promise<OutboxEntry[]> {
    return this.read((r) => r.unpublishedEvents(limit));
  }

  outboxBacklog(): Promise<OutboxBacklog> {
    return this.read((r) => r.outboxBacklog());
  }
  searchMessages(userId: string, query: string, limit: number): Promise<SearchHit[]> {
    return this.read((r) => r.searchMessages(userId, query, limit));
  }
  getSession(id: string): Promise<Session | null> {
    return this.read((r) => r.getSession(id));
  }
  getUserByIdentity(issuer: string, subject: string): Promise<User | null> {
    return this.read((r) => r.getUserByIdentity(issuer, subject));
  }
  listAudit(page: AuditPage): Promise<AuditEntry[]> {
    return this.read((r) => r.listAudit(page));
  }
  getBot(userId: string): Promise<Bot | null> {
    return this.read((r) => r.getBot(userId));
  }
  listBots(): Promise<Bot[]> {
    return this.read((r) => r.listBots());
  }
  getApiToken(id: string): Promise<ApiTokenCredentials | null> {
    return this.read((r) => r.getApiToken(id));
  }
  listApiTokens(userId: string): Promise<ApiToken[]> {
    return this.read((r) => r.listApiTokens(userId));
  }
  listWebhookDeliveries(messageId: string): Promise<WebhookDelivery[]> {
    return this.read((r) => r.listWebhookDeliveries(messageId));
  }
}
