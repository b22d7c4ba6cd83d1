import type { Involvement, Message, RoomKind } from './types.ts';

/**
 * Web Push (RFC 8030, 8291, 8292): a browser's subscription, kept with the session it was made in
 * (ending the session ends it, so a signed-out device is told nothing more), and the decision of
 * whom a new message is pushed to, which is Campfire's involvement levels as the page's own
 * notifications apply them (services/web/src/notifications.ts).
 */

/** A browser's push subscription, as PushSubscription.toJSON() gives it, and whose it is. */
export interface PushSubscriptionRecord {
  /** The push service's URL for this browser; unique, so a browser that subscribes again replaces its record. */
  readonly endpoint: string;
  readonly userId: string;
  readonly sessionId: string;
  /** The browser's P-256 public key (65 bytes, base64url) the payload is encrypted to. */
  readonly p256dh: string;
  /** The browser's 16-byte authentication secret (base64url). */
  readonly auth: string;
  readonly createdAt: string;
}

/** A subscription of a member of the room a message was posted in, with what decides whether they are told. */
export interface PushTarget {
  readonly userId: string;
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
  readonly involvement: Involvement;
  readonly roomKind: RoomKind;
}

/** The server's VAPID key pair (RFC 8292), both base64url: the public key uncompressed (65 bytes), the private key raw (32 bytes). */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** Whether a member with this involvement is told of a message: everything, or (at `mentions`) one that mentions them or is in a direct room. */
export function isToldOf(involvement: Involvement, mentionsThem: boolean): boolean {
  return involvement === 'everything' || (involvement === 'mentions' && mentionsThem);
}

/** The targets `message` is pushed to: never its author, and each as their involvement in the room says. */
export function pushRecipients(targets: readonly PushTarget[], message: Pick<Message, 'authorId' | 'mentions'>): PushTarget[] {
  return targets.filter(
    (target) => target.userId !== message.authorId && isToldOf(target.involvement, target.roomKind === 'direct' || message.mentions.includes(target.userId)),
  );
}
