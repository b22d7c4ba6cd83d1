import type { Message, RoomEvent, RoomForMember } from './api-types.ts';
import { isFresh } from './freshness.ts';
import { plainBody } from './mentions.ts';

/**
 * Which new messages tell the person, as Campfire's involvement levels say: `everything` every
 * message, `mentions` (the default) a message that mentions them or any message in a direct room,
 * `nothing` and `invisible` none. Never their own, never one in the room they are reading, never
 * history. What to tell is an Alert: shown in the page, and through the browser's Notification
 * API when the tab is hidden (notifier.ts).
 */

export interface Alert {
  readonly id: string;
  readonly roomId: string;
  readonly title: string;
  readonly body: string;
  /** They were mentioned (or written to directly), not only told of a message. */
  readonly mention: boolean;
}

export interface AlertContext {
  readonly meId: string;
  readonly rooms: readonly RoomForMember[];
  /** The room on screen in a visible tab, if any: its messages are being read. */
  readonly readingRoomId: string | null;
  readonly now: number;
  readonly nameOf: (userId: string) => string;
  readonly roomName: (room: RoomForMember) => string;
}

/** Long bodies are cut here: a notification is a glance, the room has the rest. */
const BODY_CHARS = 140;

export function alertFor(event: RoomEvent, ctx: AlertContext): Alert | null {
  if (event.type !== 'message.created' || event.roomId === ctx.readingRoomId || !isFresh(event.at, ctx.now)) return null;
  const { message } = event;
  const room = ctx.rooms.find((r) => r.id === event.roomId);
  if (room === undefined || message.authorId === ctx.meId) return null;
  const mention = room.kind === 'direct' || message.mentions.includes(ctx.meId);
  if (!tells(room.involvement, mention)) return null;
  const author = ctx.nameOf(message.authorId);
  return {
    id: message.id,
    roomId: room.id,
    title: room.kind === 'direct' ? author : `${author} in ${ctx.roomName(room)}`,
    body: glance(textOf(message, ctx.nameOf)),
    mention,
  };
}

function tells(involvement: RoomForMember['involvement'], mention: boolean): boolean {
  return involvement === 'everything' || (involvement === 'mentions' && mention);
}

/** What a message says at a glance: the sound it played, its body, and the name of any file it carries. */
function textOf(message: Message, nameOf: (userId: string) => string): string {
  if (message.sound !== null) return `played ${message.sound}`;
  const text = plainBody(message.body, nameOf);
  const file = message.file?.name;
  if (file === undefined) return text;
  return text === '' ? `sent ${file}` : `${text} (${file})`;
}

function glance(text: string): string {
  return text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS - 1)}…` : text;
}
