import type { ApiToken, CreatedBot, WebhookSecretRotation } from './bots.ts';
import type { Account, Boost, Involvement, Membership, Message, MessageFile, Role, Room, User } from './types.ts';

/**
 * Every change to the domain is one of these commands, sent by the gateway over the
 * bus and applied by messaging in one transaction. `actorId` is the signed-in user
 * the gateway authenticated; messaging re-checks what that user may do.
 */
export interface CommandPayloads {
  'account.setup': { readonly accountName: string; readonly admin: NewUserInput };
  'account.rotateJoinCode': { readonly actorId: string };
  'user.create': { readonly joinCode: string | null; readonly actorId: string | null; readonly user: NewUserInput };
  'user.update': {
    readonly actorId: string;
    readonly userId: string;
    readonly name?: string;
    readonly role?: Role;
    readonly active?: boolean;
  };
  /**
   * The actor's own picture: the version of what the gateway has just kept under
   * avatarBlobKey(actorId, avatar), or null when they removed it (routes/avatars.ts).
   */
  'user.setAvatar': { readonly actorId: string; readonly avatar: string | null };
  'room.create': {
    readonly actorId: string;
    readonly kind: 'open' | 'closed';
    readonly name: string;
    readonly memberIds: readonly string[];
  };
  'direct.open': { readonly actorId: string; readonly userIds: readonly string[] };
  'room.update': { readonly actorId: string; readonly roomId: string; readonly name?: string; readonly kind?: 'open' | 'closed' };
  'membership.add': { readonly actorId: string; readonly roomId: string; readonly userId: string };
  'membership.remove': { readonly actorId: string; readonly roomId: string; readonly userId: string };
  'membership.update': {
    readonly actorId: string;
    readonly roomId: string;
    readonly involvement?: Involvement;
    readonly readSeq?: number;
  };
  'message.post': {
    readonly actorId: string;
    readonly roomId: string;
    readonly clientMessageId: string;
    /** May be empty with a file. */
    readonly body: string;
    /** A file the gateway has already kept in the Blob store (routes/files.ts). */
    readonly file?: MessageFile;
  };
  'message.edit': { readonly actorId: string; readonly messageId: string; readonly body: string };
  'message.delete': { readonly actorId: string; readonly messageId: string };
  'boost.add': { readonly actorId: string; readonly messageId: string; readonly content: string };
  'boost.remove': { readonly actorId: string; readonly boostId: string };
  'bot.create': { readonly actorId: string; readonly name: string; readonly webhookUrl: string | null; readonly roomIds: readonly string[] };
  /**
   * The gateway makes the token's id and secret and sends only the secret's hash, as with
   * passwords: the secret itself never crosses the bus and is never stored.
   */
  'bot.token.create': {
    readonly actorId: string;
    readonly botId: string;
    readonly tokenId: string;
    readonly secretHash: string;
    readonly name: string;
    readonly roomIds: readonly string[];
  };
  'bot.token.revoke': { readonly actorId: string; readonly botId: string; readonly tokenId: string };
  /** A new webhook signing secret; the old one signs alongside it for a grace period (docs/protocol.md §5.3). */
  'bot.rotateWebhookSecret': { readonly actorId: string; readonly botId: string };
  /**
   * A sign-in through the OpenID provider: finds the person's user by (issuer, subject), links
   * an existing user by the provider-verified email, or creates one; then sets the role their
   * groups give. The gateway validated the ID token before sending this.
   */
  'user.provision': {
    readonly issuer: string;
    readonly subject: string;
    readonly email: string;
    readonly name: string;
    readonly role: 'administrator' | 'member';
    readonly groups: readonly string[];
  };
}

export interface NewUserInput {
  readonly name: string;
  readonly email: string | null;
  /** Already hashed by the gateway: plain passwords never cross the bus. */
  readonly passwordHash: string | null;
  readonly role?: Role;
}

export interface CommandResults {
  'account.setup': { readonly account: Account; readonly user: User };
  'account.rotateJoinCode': Account;
  'user.create': User;
  'user.update': User;
  'user.setAvatar': User;
  'room.create': Room;
  'direct.open': Room;
  'room.update': Room;
  'membership.add': Membership;
  'membership.remove': { readonly removed: boolean };
  'membership.update': Membership;
  'message.post': Message;
  'message.edit': Message;
  'message.delete': Message;
  'boost.add': Boost;
  'boost.remove': { readonly removed: boolean };
  'bot.create': CreatedBot;
  'bot.token.create': ApiToken;
  'bot.token.revoke': ApiToken;
  'bot.rotateWebhookSecret': WebhookSecretRotation;
  'user.provision': { readonly user: User; readonly created: boolean };
}

export type CommandName = keyof CommandPayloads;

export const COMMAND_NAMES: readonly CommandName[] = [
  'account.setup',
  'account.rotateJoinCode',
  'user.create',
  'user.update',
  'user.setAvatar',
  'room.create',
  'direct.open',
  'room.update',
  'membership.add',
  'membership.remove',
  'membership.update',
  'message.post',
  'message.edit',
  'message.delete',
  'boost.add',
  'boost.remove',
  'bot.create',
  'bot.token.create',
  'bot.token.revoke',
  'bot.rotateWebhookSecret',
  'user.provision',
];

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}
