import type { Message, Room } from '@hearth/core';

/**
 * What a push message tells the browser (the service worker shows it as a notification): a glance
 * of the message, as the page's own notifications word it (services/web/src/notifications.ts).
 * It travels encrypted to the browser (RFC 8291); push services cap a payload near 4 KB, and a
 * glance is far below that.
 */
export interface PushNotice {
  readonly v: 1;
  readonly kind: 'message';
  readonly roomId: string;
  readonly messageId: string;
  readonly title: string;
  readonly body: string;
  /** The room's page, opened when the notification is clicked. */
  readonly path: string;
}

const BODY_CHARS = 140;
const TITLE_CHARS = 120;
const MENTION = /<@([^<>\s]+)>/g;

export function noticeOf(message: Message, room: Pick<Room, 'id' | 'kind' | 'name'>, nameOf: (userId: string) => string): PushNotice {
  const author = nameOf(message.authorId);
  const title = room.kind === 'direct' || room.name === null ? author : `${author} in ${room.name}`;
  return {
    v: 1,
    kind: 'message',
    roomId: room.id,
    messageId: message.id,
    title: cut(title, TITLE_CHARS),
    body: cut(textOf(message, nameOf), BODY_CHARS),
    path: `/rooms/${room.id}`,
  };
}

/** The sound it played, its body with mentions as names, and the name of any file it carries. */
function textOf(message: Message, nameOf: (userId: string) => string): string {
  if (message.sound !== null) return `played ${message.sound}`;
  const text = message.body.replace(MENTION, (_, userId: string) => `@${nameOf(userId)}`);
  const file = message.file?.name;
  if (file === undefined) return text;
  return text === '' ? `sent ${file}` : `${text} (${file})`;
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}
