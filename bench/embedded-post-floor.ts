import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Message } from '@hearth/core';
import { startChildServer, type ChildServer } from './child-server.ts';

/**
 * The floor for the embedded tier's post throughput (post-throughput.ts): fastify and raw
 * node:sqlite doing the least Hearth's post endpoint must do, with no Hearth code in between.
 * `POST /api/rooms/:roomId/messages` reads what e2e/client.ts post() sends, the `hearth_session`
 * cookie, the x-csrf-token header and the JSON body {body, clientMessageId}, and answers 201
 * with the message as JSON, as Hearth does.
 *
 * The database is a file made by Hearth's SQLite migrations (opened once with createStore, in
 * the driver's process, before this one starts: the floor's process loads no Hearth code), with
 * the embedded store's pragmas (store-sqlite.ts). The floor seeds the posting users, one room
 * they are members of and a session each, then for each post runs:
 *   - outside a transaction: SELECT * FROM sessions WHERE id = ?, the CSRF token and the
 *     expiry compared in JS;
 *   - BEGIN IMMEDIATE;
 *   - UPDATE rooms SET last_seq = last_seq + 1 … RETURNING last_seq (the room's sequence);
 *   - INSERT INTO messages … ON CONFLICT DO NOTHING (its triggers fill both FTS5 indexes);
 *   - INSERT INTO room_events (the message.created event, as JSON);
 *   - COMMIT.
 * Hearth does in addition, per post (traced on the embedded store): outside the transaction
 * the session's user (SELECT * FROM users); inside it the write gate (SELECT … FROM write_gate),
 * the author, the room and the membership, the room lock (SELECT id FROM rooms), the
 * idempotency read of (room, author, clientMessageId), the room's members when the body may
 * mention someone, the outbox row, the room's last_message_seq and the author's read marker
 * (an UPDATE of the membership);
 * after the commit, the outbox relay reads the event and deletes its outbox row in a
 * transaction of its own. Around them: the rate limiter, strict UTF-8 decoding of the body and
 * the text rule, the bus to the messaging handler, metrics, and the event's realtime delivery.
 *
 * Run alone it migrates a database of its own (or opens FLOOR_DATABASE), seeds FLOOR_USERS
 * users (default 8), listens on PORT (default: a free one) and prints
 * {"port":N,"roomId":…,"sessions":[{"id":…,"csrfToken":…},…]} on its first line of output;
 * `startEmbeddedPostFloor` spawns it as its own process.
 */

const SESSION_COOKIE = 'hearth_session';
/** The embedded store's wait for a lock held by another connection (store-sqlite.ts). */
const BUSY_TIMEOUT_MS = 5_000;
const SESSION_MS = 24 * 60 * 60 * 1000;
const EVENT_VERSION = 1;

export interface FloorSession {
  readonly id: string;
  readonly csrfToken: string;
}

/** What the floor prints once it listens. */
export interface FloorInfo {
  readonly port: number;
  readonly roomId: string;
  /** One per seeded user, each a member of the room. */
  readonly sessions: readonly FloorSession[];
}

interface Post {
  readonly roomId: string;
  readonly authorId: string;
  readonly body: string;
  readonly clientMessageId: string;
}

interface SessionRow {
  readonly user_id: string;
  readonly csrf_token: string;
  readonly expires_at: string;
}

// ---------------------------------------------------------------------------
// The database

/** The same pragmas as the embedded store: WAL, and the WAL synced on every commit. */
function openDatabase(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

const token = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** `users` members of one open room, each with a session; in one transaction. */
function seed(db: DatabaseSync, users: number): { roomId: string; sessions: FloorSession[] } {
  const now = new Date().toISOString();
  const expiresAt = new Date(Date.now() + SESSION_MS).toISOString();
  const roomId = randomUUID();
  const userIds = Array.from({ length: users }, () => randomUUID());
  const sessions = userIds.map(() => ({ id: token(32), csrfToken: token(24) }));
  const addUser = db.prepare("INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, 'member', ?)");
  const addMember = db.prepare("INSERT INTO memberships (room_id, user_id, involvement, created_at) VALUES (?, ?, 'mentions', ?)");
  const addSession = db.prepare(
    "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, 'bench', '127.0.0.1')",
  );
  db.exec('BEGIN IMMEDIATE');
  userIds.forEach((userId, i) => addUser.run(userId, `Poster ${i}`, `poster${i}@floor.test`, now));
  db.prepare("INSERT INTO rooms (id, kind, name, created_by, created_at) VALUES (?, 'open', 'Floor', ?, ?)").run(roomId, userIds[0]!, now);
  userIds.forEach((userId, i) => {
    addMember.run(roomId, userId, now);
    addSession.run(sessions[i]!.id, userId, sessions[i]!.csrfToken, now, now, expiresAt);
  });
  db.exec('COMMIT');
  return { roomId, sessions };
}

interface Statements {
  readonly session: StatementSync;
  readonly nextSeq: StatementSync;
  readonly message: StatementSync;
  readonly event: StatementSync;
}

/** Prepared once, as the embedded store caches its statements by their text. */
function prepare(db: DatabaseSync): Statements {
  return {
    session: db.prepare('SELECT * FROM sessions WHERE id = ?'),
    nextSeq: db.prepare('UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq'),
    message: db.prepare(
      'INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id',
    ),
    event: db.prepare('INSERT INTO room_events (room_id, seq, type, body) VALUES (?, ?, ?, ?)'),
  };
}

/** The room's next sequence number, the message and its event, in one write transaction. */
function insertPost(db: DatabaseSync, statements: Statements, post: Post): Message | 'no_room' | 'duplicate' {
  const createdAt = new Date().toISOString();
  db.exec('BEGIN IMMEDIATE');
  try {
    const room = statements.nextSeq.get(post.roomId) as { last_seq: number } | undefined;
    if (room === undefined) return rollBack(db, 'no_room');
    const seq = room.last_seq;
    const { roomId, authorId, clientMessageId, body } = post;
    const message: Message = {
      id: randomUUID(),
      roomId,
      seq,
      authorId,
      clientMessageId,
      body,
      mentions: [],
      sound: null,
      file: null,
      createdAt,
      editedAt: null,
      deletedAt: null,
      boosts: [],
    };
    const inserted = statements.message.get(message.id, roomId, seq, authorId, clientMessageId, body, '[]', null, createdAt);
    if (inserted === undefined) return rollBack(db, 'duplicate');
    const event = { type: 'message.created', message, v: EVENT_VERSION, roomId, seq, at: createdAt };
    statements.event.run(roomId, seq, event.type, JSON.stringify(event));
    db.exec('COMMIT');
    return message;
  } catch (error) {
    // A failed statement may already have rolled SQLite back on its own.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function rollBack<T>(db: DatabaseSync, outcome: T): T {
  db.exec('ROLLBACK');
  return outcome;
}

// ---------------------------------------------------------------------------
// The server

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The author of a request: its session cookie names a live session, and its CSRF header matches; else null. */
function authorOf(statements: Statements, request: FastifyRequest): string | null {
  const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (sessionId === null) return null;
  const session = statements.session.get(sessionId) as SessionRow | undefined;
  if (session === undefined || Date.parse(session.expires_at) <= Date.now()) return null;
  const csrf = request.headers['x-csrf-token'];
  return typeof csrf === 'string' && sameToken(csrf, session.csrf_token) ? session.user_id : null;
}

const POST_BODY = {
  type: 'object',
  required: ['body', 'clientMessageId'],
  properties: { body: { type: 'string', minLength: 1 }, clientMessageId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const errorBody = (code: string, message: string): { error: { code: string; message: string } } => ({ error: { code, message } });

export function buildFloor(db: DatabaseSync): FastifyInstance {
  const statements = prepare(db);
  const app = Fastify({ logger: false });
  app.post<{ Params: { roomId: string }; Body: { body: string; clientMessageId: string } }>(
    '/api/rooms/:roomId/messages',
    { schema: { body: POST_BODY } },
    (request, reply) => {
      const authorId = authorOf(statements, request);
      if (authorId === null) return reply.code(401).send(errorBody('unauthenticated', 'sign in first'));
      const { body, clientMessageId } = request.body;
      const outcome = insertPost(db, statements, { roomId: request.params.roomId, authorId, body, clientMessageId });
      if (outcome === 'no_room') return reply.code(404).send(errorBody('not_found', 'no such room'));
      if (outcome === 'duplicate') return reply.code(409).send(errorBody('conflict', 'this clientMessageId was used'));
      return reply.code(201).send(outcome);
    },
  );
  return app;
}

interface FloorOptions {
  readonly file: string;
  readonly port: number;
  readonly users: number;
  /** Called once the server has closed: removes a database the floor made for itself. */
  readonly cleanUp: () => Promise<void>;
}

async function serve({ file, port, users, cleanUp }: FloorOptions): Promise<void> {
  const db = openDatabase(file);
  const { roomId, sessions } = seed(db, users);
  const app = buildFloor(db);
  const stop = async (): Promise<void> => {
    await app.close();
    db.close();
    await cleanUp();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await app.listen({ port, host: '127.0.0.1' });
  const info: FloorInfo = { port: (app.server.address() as AddressInfo).port, roomId, sessions };
  console.log(JSON.stringify(info));
}

// ---------------------------------------------------------------------------
// Starting it

/** A fresh database file with Hearth's schema, made by Hearth's own store (its migrations), then closed. */
async function migratedDatabase(): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-floor-'));
  const file = path.join(dir, 'hearth.db');
  try {
    const { createStore } = await import('@hearth/core');
    await (await createStore({ type: 'sqlite', path: file })).close();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type EmbeddedPostFloor = ChildServer<FloorInfo>;

/** Migrates a database here, then spawns this file as its own Node.js process on it; stop() removes the database too. */
export async function startEmbeddedPostFloor(users: number, env: NodeJS.ProcessEnv = process.env): Promise<EmbeddedPostFloor> {
  const database = await migratedDatabase();
  try {
    const floorEnv = { ...env, FLOOR_DATABASE: database.file, FLOOR_USERS: String(users) };
    const server = await startChildServer<FloorInfo>(fileURLToPath(import.meta.url), 'the embedded post floor', floorEnv);
    return {
      ...server,
      async stop() {
        await server.stop();
        await database.remove();
      },
    };
  } catch (error) {
    await database.remove();
    throw error;
  }
}

if (import.meta.main) {
  const given = process.env['FLOOR_DATABASE'];
  const database = given === undefined ? await migratedDatabase() : { file: given, remove: async () => undefined };
  await serve({ file: database.file, port: Number(process.env['PORT'] ?? 0), users: Number(process.env['FLOOR_USERS'] ?? 8), cleanUp: database.remove });
}
