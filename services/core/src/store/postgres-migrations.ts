import type { ClientBase } from 'pg';
import { pendingMigrations, type Migration } from './migrations.ts';

/**
 * Taken with pg_advisory_xact_lock by every process that migrates, so processes starting
 * together (replicas of one Deployment) apply each step exactly once. Any constant works
 * as long as it never changes; this one spells "hearth" in hex.
 */
export const MIGRATION_LOCK_KEY = 0x686561727468;

/*
 * The same tables, keys and checks as sqlite-migrations.ts, so both stores refuse and
 * keep the same things. Differences, and why:
 * - Times are timestamptz; the store reads them back as toISOString() text, like SQLite's.
 * - Ids, emails and keys are COLLATE "C": byte order and ASCII-only lower(), as in SQLite,
 *   whatever the database's locale (which also keeps these indexes cheap).
 * - messages.search holds the search lexemes, written by the store beside the body
 *   (see search-postgres.ts) instead of an FTS5 index. PostgreSQL's text
 *   parser is not used because it keeps `example.com`, `a@b.c`, `/usr/bin` and `1.2.3` as
 *   single tokens, glues words to any non-ASCII punctuation in a C-locale database, and
 *   cannot fold accents in an immutable expression; the store's own tokenizer matches
 *   the SQLite store's word rules exactly and adds trigrams for CJK text, so no extension
 *   (pg_trgm, unaccent) is needed and search behaves the same under any locale.
 * - The outbox has no published_at: a published row is deleted, as in the SQLite store.
 * - rooms leaves room on each page so the last_seq update of every post stays a HOT update.
 */
const INITIAL = `
CREATE TABLE account (
  singleton integer NOT NULL PRIMARY KEY CHECK (singleton = 1),
  id text NOT NULL,
  name text NOT NULL,
  join_code text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE users (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  name text NOT NULL,
  email text COLLATE "C" CONSTRAINT users_email_key UNIQUE CHECK (email = lower(email)),
  role text NOT NULL CHECK (role IN ('member', 'administrator', 'bot')),
  active boolean NOT NULL DEFAULT true,
  password_hash text,
  created_at timestamptz NOT NULL
);

CREATE TABLE rooms (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('open', 'closed', 'direct')),
  name text,
  created_by text COLLATE "C" NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  last_message_seq bigint NOT NULL DEFAULT 0,
  direct_key text COLLATE "C" CONSTRAINT rooms_direct_key_key UNIQUE
) WITH (fillfactor = 80);
CREATE INDEX rooms_kind ON rooms (kind);

CREATE TABLE memberships (
  room_id text COLLATE "C" NOT NULL REFERENCES rooms (id),
  user_id text COLLATE "C" NOT NULL REFERENCES users (id),
  involvement text NOT NULL CHECK (involvement IN ('invisible', 'nothing', 'mentions', 'everything')),
  read_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE messages (
  pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL CONSTRAINT messages_id_key UNIQUE,
  room_id text COLLATE "C" NOT NULL REFERENCES rooms (id),
  seq bigint NOT NULL,
  author_id text COLLATE "C" NOT NULL REFERENCES users (id),
  client_message_id text COLLATE "C" NOT NULL,
  body text NOT NULL,
  mentions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(mentions) = 'array'),
  sound text,
  created_at timestamptz NOT NULL,
  edited_at timestamptz,
  deleted_at timestamptz,
  search tsvector NOT NULL DEFAULT '',
  CONSTRAINT messages_room_seq_key UNIQUE (room_id, seq),
  CONSTRAINT messages_client_message_key UNIQUE (room_id, author_id, client_message_id)
);
CREATE INDEX messages_search ON messages USING gin (search);

CREATE TABLE boosts (
  pk bigint GENERATED ALWAYS AS IDENTITY,
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  message_id text COLLATE "C" NOT NULL REFERENCES messages (id),
  author_id text COLLATE "C" NOT NULL REFERENCES users (id),
  content text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX boosts_message ON boosts (message_id, created_at, pk);

CREATE TABLE room_events (
  room_id text COLLATE "C" NOT NULL REFERENCES rooms (id),
  seq bigint NOT NULL,
  type text NOT NULL,
  body jsonb NOT NULL,
  PRIMARY KEY (room_id, seq)
);

-- A sequence never hands an id out twice, even after published rows are deleted.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  room_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  FOREIGN KEY (room_id, seq) REFERENCES room_events (room_id, seq)
);

CREATE TABLE sessions (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL REFERENCES users (id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  user_agent text NOT NULL,
  ip text NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
`;

/** Single sign-on, bots and the audit log. */
const SSO_BOTS_AUDIT = `
ALTER TABLE sessions ADD COLUMN idp_session_id text;
CREATE INDEX sessions_idp_session ON sessions (idp_session_id) WHERE idp_session_id IS NOT NULL;

CREATE TABLE identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id text COLLATE "C" NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_id text COLLATE "C",
  action text NOT NULL,
  target_type text,
  target_id text,
  detail jsonb NOT NULL CHECK (jsonb_typeof(detail) = 'object'),
  ip text,
  user_agent text
);

CREATE TABLE bots (
  user_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id),
  webhook_url text,
  created_by text COLLATE "C" NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);

CREATE TABLE api_tokens (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL REFERENCES users (id),
  name text NOT NULL,
  secret_hash text NOT NULL,
  room_ids jsonb NOT NULL CHECK (jsonb_typeof(room_ids) = 'array'),
  created_by text COLLATE "C" NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  bot_id text COLLATE "C" NOT NULL REFERENCES users (id),
  message_id text COLLATE "C" NOT NULL REFERENCES messages (id),
  room_id text COLLATE "C" NOT NULL REFERENCES rooms (id),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);
`;

/** Where an import of a record stream has got to, so a stopped one resumes (record-import.ts). */
const RECORD_IMPORT = `
CREATE TABLE record_import (
  singleton integer PRIMARY KEY CHECK (singleton = 1),
  rows_done integer NOT NULL,
  lines_sha256 text NOT NULL,
  finished_at text
);
`;

/** Whether writes are paused (write-gate.ts): one row, always there, open while paused_since is NULL. */
const WRITE_GATE = `
CREATE TABLE write_gate (
  singleton integer PRIMARY KEY CHECK (singleton = 1),
  paused_since text,
  reason text
);
INSERT INTO write_gate (singleton) VALUES (1);
`;

/**
 * A pause with a lease (hearth migrate renews it while it runs, so a killed copy lets writes in
 * again by itself), and a copy's marks on its target: which source it came from, and when it
 * was verified (record-import.ts, hearth migrate).
 */
const MIGRATE_COPY = `
ALTER TABLE write_gate ADD COLUMN lease_expires_at timestamptz;
ALTER TABLE record_import ADD COLUMN copied_from text;
ALTER TABLE record_import ADD COLUMN verified_at text;
`;

/**
 * A post in one round trip (StorePostgres.postAtOnce): the room's lock is held for this call
 * alone, not across the round trips of a transaction, so one busy room takes many more posts a
 * second. The post was checked against what was read before, without the lock; here, under the
 * lock, each statement reads what committed before it began (a volatile function's statements
 * each take a snapshot of their own), so what the checks relied on is checked again, and any
 * change writes nothing and answers null. The writes are a post's transaction's: nextSeq,
 * insertMessage, appendEvent (with the room's last message) and the author's read marker. The
 * event is given with seq 0; its seq and its message's are set to the one taken. The gate is
 * share-locked as a gated transaction's BEGIN locks it (write-gate.ts).
 */
const POST_AT_ONCE = `
CREATE FUNCTION hearth_post(p_id text, p_room text, p_author text, p_client_id text, p_body text, p_mentions jsonb,
    p_sound text, p_created_at timestamptz, p_search tsvector, p_event jsonb)
  RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_paused boolean;
  v_seq bigint;
BEGIN
  SELECT paused_since IS NOT NULL AND (lease_expires_at IS NULL OR lease_expires_at > statement_timestamp())
    INTO v_paused FROM write_gate WHERE singleton = 1 FOR SHARE;
  IF v_paused THEN RETURN NULL; END IF;
  PERFORM 1 FROM rooms WHERE id = p_room FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  PERFORM 1 FROM memberships WHERE room_id = p_room AND user_id = p_author;
  IF NOT FOUND THEN RETURN NULL; END IF;
  PERFORM 1 FROM messages WHERE room_id = p_room AND author_id = p_author AND client_message_id = p_client_id;
  IF FOUND THEN RETURN NULL; END IF;
  UPDATE rooms SET last_seq = last_seq + 1, last_message_seq = last_seq + 1 WHERE id = p_room RETURNING last_seq INTO v_seq;
  INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, created_at, search)
    VALUES (p_id, p_room, v_seq, p_author, p_client_id, p_body, p_mentions, p_sound, p_created_at, p_search);
  INSERT INTO room_events (room_id, seq, type, body)
    VALUES (p_room, v_seq, 'message.created', jsonb_set(jsonb_set(p_event, '{seq}', to_jsonb(v_seq)), '{message,seq}', to_jsonb(v_seq)));
  INSERT INTO outbox (room_id, seq) VALUES (p_room, v_seq);
  UPDATE memberships SET read_seq = greatest(read_seq, v_seq) WHERE room_id = p_room AND user_id = p_author;
  RETURN v_seq;
END
$$;
`;

/**
 * Files posted with messages: the message's file (MessageFile as JSON, null for none), and the
 * table the PostgreSQL Blob store keeps bytes in (blob-postgres.ts) when files are kept in the
 * database rather than in a bucket.
 */
const FILES = `
ALTER TABLE messages ADD COLUMN file jsonb;
CREATE TABLE blobs (
  key text COLLATE "C" NOT NULL PRIMARY KEY,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

/**
 * The secrets a bot's webhook deliveries are signed with: its own, and for a grace period after
 * a rotation the one it replaced. Null for a bot made before this step, until it is rotated.
 */
const WEBHOOK_SECRETS = `
ALTER TABLE bots ADD COLUMN webhook_secret text;
ALTER TABLE bots ADD COLUMN webhook_previous_secret text;
ALTER TABLE bots ADD COLUMN webhook_previous_expires_at timestamptz;
`;

/** The version of a person's uploaded picture (User.avatar); null for none, shown by their initials. */
const AVATARS = `ALTER TABLE users ADD COLUMN avatar text;`;

/**
 * Web Push: each browser's subscription, with the session it was made in (ending the session ends
 * it), and the server's VAPID key pair (server_keys: made once, on first need, by whichever process
 * needs it first).
 */
const PUSH = `
CREATE TABLE push_subscriptions (
  endpoint text NOT NULL PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  p256dh text NOT NULL,
  auth text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);
CREATE TABLE server_keys (
  name text NOT NULL PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL
);
`;

/**
 * A plain post in one round trip with no read before it (StorePostgres.postPlain): one with no
 * file and no mention, whose context messaging has not read. What that read would have decided
 * is checked here first: an active author, and a room that is not direct unless the author is a
 * bot (a direct room's other member may be a bot to notify, which only a transaction queues).
 * hearth_post then checks the rest under the room's lock, as it does for any post. Null means
 * not written, for any reason; messaging then reads the context, which names the reason (or the
 * earlier post a retry repeats).
 */
const POST_PLAIN = `
CREATE FUNCTION hearth_post_plain(p_id text, p_room text, p_author text, p_client_id text, p_body text, p_mentions jsonb,
    p_sound text, p_created_at timestamptz, p_search tsvector, p_event jsonb)
  RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM users u, rooms r
    WHERE u.id = p_author AND r.id = p_room AND u.active AND (u.role = 'bot' OR r.kind <> 'direct');
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN hearth_post(p_id, p_room, p_author, p_client_id, p_body, p_mentions, p_sound, p_created_at, p_search, p_event);
END
$$;
`;

export const MIGRATIONS: readonly Migration[] = [
  { id: '0001-initial', sql: INITIAL },
  { id: '0002-sso-bots-audit', sql: SSO_BOTS_AUDIT },
  { id: '0003-record-import', sql: RECORD_IMPORT },
  { id: '0004-write-gate', sql: WRITE_GATE },
  { id: '0005-migrate-copy', sql: MIGRATE_COPY },
  { id: '0006-post-at-once', sql: POST_AT_ONCE },
  { id: '0007-files', sql: FILES },
  { id: '0008-webhook-secrets', sql: WEBHOOK_SECRETS },
  { id: '0009-avatars', sql: AVATARS },
  { id: '0010-push', sql: PUSH },
  { id: '0011-post-plain', sql: POST_PLAIN },
];

/**
 * Applies the migrations not yet recorded in schema_migrations, all in one transaction on
 * `client`, and returns their ids. The advisory lock is taken before anything is read, so a
 * second process waits, then finds every step recorded and applies nothing. Refuses a
 * database that has a step this build does not know: it was written by a newer Hearth.
 * Every step runs inside the transaction, so none may use CREATE INDEX CONCURRENTLY.
 */
export async function applyMigrations(client: ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ensureMigrationTable(client);
    const pending = pendingMigrations(applied, migrations);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
    }
    await client.query('COMMIT');
    return pending.map((migration) => migration.id);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function ensureMigrationTable(client: ClientBase): Promise<Set<string>> {
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
  return new Set(rows.map((row) => row.id));
}
