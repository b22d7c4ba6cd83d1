import { rotateJoinCode, setupAccount, createUser, updateUser } from './account.ts';
import { setAvatar } from './avatar.ts';
import { createBot, createBotToken, revokeBotToken, rotateWebhookSecret } from './bots.ts';
import { addBoost, deleteMessage, editMessage, postMessage, removeBoost } from './messages.ts';
import { addMembership, createRoom, openDirect, removeMembership, updateMembership, updateRoom } from './rooms.ts';
import { provisionUser } from './provision.ts';
import type { HandlerTable } from './types.ts';

export type { HandlerContext } from './types.ts';

/** Which function applies which command; the type makes a missing command a compile error. */
export const HANDLERS: HandlerTable = {
  'account.setup': setupAccount,
  'account.rotateJoinCode': rotateJoinCode,
  'user.create': createUser,
  'user.update': updateUser,
  'user.setAvatar': setAvatar,
  'room.create': createRoom,
  'direct.open': openDirect,
  'room.update': updateRoom,
  'membership.add': addMembership,
  'membership.remove': removeMembership,
  'membership.update': updateMembership,
  'message.post': postMessage,
  'message.edit': editMessage,
  'message.delete': deleteMessage,
  'boost.add': addBoost,
  'boost.remove': removeBoost,
  'bot.create': createBot,
  'bot.token.create': createBotToken,
  'bot.token.revoke': revokeBotToken,
  'bot.rotateWebhookSecret': rotateWebhookSecret,
  'user.provision': provisionUser,
};
