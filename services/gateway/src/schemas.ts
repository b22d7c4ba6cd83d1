/** JSON schemas of request inputs; fastify validates every request against them, and they make the OpenAPI document. */

export const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;
/** Query numbers arrive as text; they are checked here and parsed by `seqParam`. */
export const seqQuery = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
/** The largest number seqQuery lets through (15 digits); the OpenAPI document states it as the maximum. */
export const SEQ_MAX = 999_999_999_999_999;
/** Page sizes of the paged lists: the default, and the most a client may ask for (checked by the route, stated in the document). */
export const MESSAGE_PAGE = { default: 40, max: 100 } as const;
export const AUDIT_PAGE = { default: 50, max: 200 } as const;
const email = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' } as const;
const password = { type: 'string', minLength: 8, maxLength: 1024 } as const;
/**
 * Names, bodies and boosts are trimmed before they are kept, so one of only whitespace is empty:
 * the pattern says so in the document (JS's \S is exactly what trim() keeps).
 */
export const NOT_BLANK = '\\S';
const personName = { type: 'string', minLength: 1, maxLength: 100, pattern: NOT_BLANK } as const;
const roomName = { type: 'string', minLength: 1, maxLength: 100, pattern: NOT_BLANK } as const;

export function objectSchema(properties: Record<string, object>, required: readonly string[] = []) {
  return { type: 'object', additionalProperties: false, properties, required } as const;
}

export const setupBody = objectSchema({ accountName: personName, name: personName, email, password }, ['accountName', 'name', 'email', 'password']);
export const signInBody = objectSchema(
  { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
  ['email', 'password'],
);
export const joinBody = objectSchema({ name: personName, email, password }, ['name', 'email', 'password']);
export const userPatchBody = objectSchema({
  name: personName,
  role: { type: 'string', enum: ['member', 'administrator', 'bot'] },
  active: { type: 'boolean' },
});

export const roomCreateBody = objectSchema(
  {
    kind: { type: 'string', enum: ['open', 'closed'] },
    name: roomName,
    memberIds: { type: 'array', items: id, maxItems: 1000 },
  },
  ['kind', 'name'],
);
export const directBody = objectSchema({ userIds: { type: 'array', items: id, minItems: 1, maxItems: 15 } }, ['userIds']);
export const roomPatchBody = objectSchema({ name: roomName, kind: { type: 'string', enum: ['open', 'closed'] } });
export const membershipPatchBody = objectSchema({
  involvement: { type: 'string', enum: ['invisible', 'nothing', 'mentions', 'everything'] },
  readSeq: { type: 'integer', minimum: 0 },
});
/** The message length is checked by messaging (it counts characters, and knows the configured limit). */
export const postBody = objectSchema(
  { body: { type: 'string', minLength: 1, maxLength: 1_000_000, pattern: NOT_BLANK }, clientMessageId: { type: 'string', minLength: 1, maxLength: 100 } },
  ['body', 'clientMessageId'],
);
export const editBody = objectSchema({ body: { type: 'string', minLength: 1, maxLength: 1_000_000, pattern: NOT_BLANK } }, ['body']);
/** maxLength bounds the code points; messaging counts the 16 characters as people see them (grapheme clusters). */
export const boostBody = objectSchema(
  {
    content: { type: 'string', minLength: 1, maxLength: 64, pattern: NOT_BLANK, description: 'an emoji or a word: at most 16 characters (grapheme clusters)' },
  },
  ['content'],
);

export const roomParams = objectSchema({ roomId: id }, ['roomId']);
export const memberParams = objectSchema({ roomId: id, userId: id }, ['roomId', 'userId']);
export const messageParams = objectSchema({ messageId: id }, ['messageId']);
export const boostParams = objectSchema({ boostId: id }, ['boostId']);
export const userParams = objectSchema({ userId: id }, ['userId']);
/** A session as GET /api/sessions names it (its public id, not its cookie). */
export const sessionParams = objectSchema({ sessionId: id }, ['sessionId']);
export const joinParams = objectSchema({ joinCode: { type: 'string', minLength: 1, maxLength: 64 } }, ['joinCode']);
export const pageQuery = objectSchema({ before: seqQuery, after: seqQuery, limit: seqQuery });
export const searchQuery = objectSchema({ q: { type: 'string', minLength: 1, maxLength: 200 } }, ['q']);

/** Checked again by messaging, which parses the URL; the pattern makes a wrong scheme a 400 here. */
const webhookUrl = { type: ['string', 'null'], minLength: 1, maxLength: 2000, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$' } as const;
const botRoomIds = { type: 'array', items: id, maxItems: 100 } as const;
export const botCreateBody = objectSchema({ name: personName, webhookUrl, roomIds: botRoomIds }, ['name']);
export const botTokenCreateBody = objectSchema({ name: personName, roomIds: { ...botRoomIds, minItems: 1 } }, ['name', 'roomIds']);
export const botParams = objectSchema({ botId: id }, ['botId']);
export const botTokenParams = objectSchema({ botId: id, tokenId: id }, ['botId', 'tokenId']);
export const auditQuery = objectSchema({ before: seqQuery, limit: seqQuery });

/** A browser's PushSubscription.toJSON(): keys in base64url (a P-256 point of 65 bytes, a secret of 16). */
export const pushSubscriptionBody = objectSchema(
  {
    endpoint: { type: 'string', minLength: 9, maxLength: 2000, pattern: '^https://[^\\s]+$', description: "the push service's URL for this browser (https)" },
    expirationTime: { type: ['number', 'null'] },
    keys: objectSchema({ p256dh: { type: 'string', pattern: '^[A-Za-z0-9_-]{87}=?$' }, auth: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}(==)?$' } }, [
      'p256dh',
      'auth',
    ]),
  },
  ['endpoint', 'keys'],
);
export const pushEndpointQuery = objectSchema({ endpoint: { type: 'string', minLength: 1, maxLength: 2000 } }, ['endpoint']);
