import type { DatabaseSync } from 'node:sqlite';
import { pendingMigrations, type Migration } from './migrations.ts';

/*
 * Every table is STRICT, so a column holds exactly its declared type and rows can be
 * read back as their declared shape. Times are ISO-8601 UTC text, which sorts in time order.
 *
 * Search uses two external-content FTS5 indexes over messages.body, kept in sync by triggers:
 * - messages_fts (unicode61, diacritics folded, prefix indexes) answers word and prefix queries;
 * - messages_trigram answers substring queries for scripts written without spaces (CJK, Thai…),
 *   where unicode61 sees a whole sentence as one token. Trigrams cannot match a needle shorter
 *   than three characters; the store falls back to a scan of the member's rooms for those.
 * Both point at messages.pk, an INTEGER PRIMARY KEY, because VACUUM may renumber an implicit rowid.
 */
const INITIAL = `
CREATE TABLE account (
  singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  join_code TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT UNIQUE CHECK (email = lower(email)),
  role TEXT NOT NULL CHECK (role IN ('member', 'administrator', 'bot')),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  password_hash TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE rooms (
  id TEXT NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'closed', 'direct')),
  name TEXT,
  created_by TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_message_seq INTEGER NOT NULL DEFAULT 0,
  direct_key TEXT UNIQUE
) STRICT;
CREATE INDEX rooms_kind ON rooms (kind);

CREATE TABLE memberships (
  room_id TEXT NOT NULL REFERENCES rooms (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  involvement TEXT NOT NULL CHECK (involvement IN ('invisible', 'nothing', 'mentions', 'everything')),
  read_seq INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE messages (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL REFERENCES rooms (id),
  seq INTEGER NOT NULL,
  author_id TEXT NOT NULL REFERENCES users (id),
  client_message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  mentions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(mentions)),
  sound TEXT,
  created_at TEXT NOT NULL,
  edited_at TEXT,
  deleted_at TEXT,
  UNIQUE (room_id, seq),
  UNIQUE (room_id, author_id, client_message_id)
) STRICT;

CREATE TABLE boosts (
  id TEXT NOT NULL PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages (id),
  author_id TEXT NOT NULL REFERENCES users (id),
  content TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX boosts_message ON boosts (message_id, created_at);

CREATE TABLE room_events (
  room_id TEXT NOT NULL REFERENCES rooms (id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (room_id, seq)
) STRICT;

-- AUTOINCREMENT so an outbox id is never reused, even after published rows are pruned.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  published_at TEXT,
  FOREIGN KEY (room_id, seq) REFERENCES room_events (room_id, seq)
) STRICT;
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  body,
  content = 'messages',
  content_rowid = 'pk',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);
CREATE VIRTUAL TABLE messages_trigram USING fts5 (
  body,
  content = 'messages',
  content_rowid = 'pk',
  tokenize = 'trigram remove_diacritics 1'
);

-- An external-content index must be told the exact old text to forget, so every change goes through these.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
  INSERT INTO messages_trigram (rowid, body) VALUES (new.pk, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
  INSERT INTO messages_trigram (messages_trigram, rowid, body) VALUES ('delete', old.pk, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
  INSERT INTO messages_trigram (messages_trigram, rowid, body) VALUES ('delete', old.pk, old.body);
  INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
  INSERT INTO messages_trigram (rowid, body) VALUES (new.pk, new.body);
END;
`;

/** Single sign-on, bots and the audit log. */
const SSO_BOTS_AUDIT = `
ALTER TABLE sessions ADD COLUMN idp_session_id TEXT;
CREATE INDEX sessions_idp_session ON sessions (idp_session_id) WHERE idp_session_id IS NOT NULL;

CREATE TABLE identities (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  PRIMARY KEY (issuer, subject)
) STRICT, WITHOUT ROWID;
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  detail TEXT NOT NULL CHECK (json_valid(detail)),
  ip TEXT,
  user_agent TEXT
) STRICT;

CREATE TABLE bots (
  user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id),
  webhook_url TEXT,
  created_by TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  room_ids TEXT NOT NULL CHECK (json_valid(room_ids)),
  created_by TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_used_at TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bot_id TEXT NOT NULL REFERENCES users (id),
  message_id TEXT NOT NULL REFERENCES messages (id),
  room_id TEXT NOT NULL REFERENCES rooms (id),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  failed_at TEXT,
  last_error TEXT
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);
`;

/** Where an import of a record stream has got to, so a stopped one resumes (record-import.ts). */
const RECORD_IMPORT = `
CREATE TABLE record_import (
  singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
  rows_done INTEGER NOT NULL,
  lines_sha256 TEXT NOT NULL,
  finished_at TEXT
) STRICT;
`;

/** Whether writes are paused (write-gate.ts): one row, always there, open while paused_since is NULL. */
const WRITE_GATE = `
CREATE TABLE write_gate (
  singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
  paused_since TEXT,
  reason TEXT
) STRICT;
INSERT INTO write_gate (singleton) VALUES (1);
`;

/**
 * A pause with a lease (hearth migrate renews it while it runs, so a killed copy lets writes in
 * again by itself), and a copy's marks on its target: which source it came from, and when it
 * was verified (record-import.ts, hearth migrate).
 */
const MIGRATE_COPY = `
ALTER TABLE write_gate ADD COLUMN lease_expires_at TEXT;
ALTER TABLE record_import ADD COLUMN copied_from TEXT;
ALTER TABLE record_import ADD COLUMN verified_at TEXT;
`;

/** The file posted with a message (MessageFile as JSON text; null for none). */
const FILES = `ALTER TABLE messages ADD COLUMN file TEXT;`;

/**
 * The secrets a bot's webhook deliveries are signed with: its own, and for a grace period after
 * a rotation the one it replaced. Null for a bot made before this step, until it is rotated.
 */
const WEBHOOK_SECRETS = `
ALTER TABLE bots ADD COLUMN webhook_secret TEXT;
ALTER TABLE bots ADD COLUMN webhook_previous_secret TEXT;
ALTER TABLE bots ADD COLUMN webhook_previous_expires_at TEXT;
`;

/** The version of a person's uploaded picture (User.avatar); null for none, shown by their initials. */
const AVATARS = `ALTER TABLE users ADD COLUMN avatar TEXT;`;

/**
 * Web Push: each browser's subscription, with the session it was made in (ending the session ends
 * it), and the server's VAPID key pair (server_keys: made once, on first need, by whichever process
 * needs it first).
 */
const PUSH = `
CREATE TABLE push_subscriptions (
  endpoint TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);
CREATE TABLE server_keys (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`;

export const MIGRATIONS: readonly Migration[] = [
  { id: '0001-initial', sql: INITIAL },
  { id: '0002-sso-bots-audit', sql: SSO_BOTS_AUDIT },
  { id: '0003-record-import', sql: RECORD_IMPORT },
  { id: '0004-write-gate', sql: WRITE_GATE },
  { id: '0005-migrate-copy', sql: MIGRATE_COPY },
  { id: '0006-files', sql: FILES },
  { id: '0007-webhook-secrets', sql: WEBHOOK_SECRETS },
  { id: '0008-avatars', sql: AVATARS },
  { id: '0009-push', sql: PUSH },
];

/**
 * Applies the migrations not yet recorded in schema_migrations, all in one transaction,
 * and returns their ids. BEGIN IMMEDIATE takes the write lock first, so two processes
 * opening the same file cannot both apply a step. Refuses a database that has a step
 * this build does not know: it was written by a newer Hearth.
 */
export function applyMigrations(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): string[] {
  db.exec('BEGIN IMMEDIATE');
  try {
    const applied = ensureMigrationTable(db);
    const pending = pendingMigrations(applied, migrations);
    const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
    for (const migration of pending) {
      db.exec(migration.sql);
      record.run(migration.id, new Date().toISOString());
    }
    db.exec('COMMIT');
    return pending.map((migration) => migration.id);
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function ensureMigrationTable(db: DatabaseSync): Set<string> {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const rows = db.prepare('SELECT id FROM schema_migrations').all();
  return new Set(rows.map((row) => String(row['id'])));
}
