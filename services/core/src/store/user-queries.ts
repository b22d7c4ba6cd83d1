import type { Account, Session, User } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { found, userNotFound } from './refusals.ts';
import { type AccountRow, type SessionRow, type UserRow, toAccount, toSession, toUser } from './rows.ts';
import type { QueryTable } from './sql-conn.ts';
import type { Credentials, Identity, NewUser, UserPatch } from './store.ts';

/** The user's columns beside the session's, prefixed so that none shadows a session column. */
interface SessionUserColumns {
  u_name: UserRow['name'];
  u_email: UserRow['email'];
  u_role: UserRow['role'];
  u_active: UserRow['active'];
  u_created_at: UserRow['created_at'];
  u_avatar: UserRow['avatar'];
}

const SESSION_WITH_USER = `SELECT s.*, u.name AS u_name, u.email AS u_email, u.role AS u_role, u.active AS u_active, u.created_at AS u_created_at,
  u.avatar AS u_avatar FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`;

/*
 * Inserts that may meet a duplicate use ON CONFLICT DO NOTHING and refuse when no row comes
 * back, instead of catching a unique violation: a failed statement would abort the whole
 * PostgreSQL transaction, and callers may catch the refusal and carry on. In PostgreSQL, ON
 * CONFLICT also waits for a concurrent insert of the same key to commit or roll back, so the
 * refusal is exact under concurrency.
 */

/** The account, users, their provider identities and their sessions. */
export const userQueries = {
  async getAccount(): Promise<Account | null> {
    const row = await this.sql.row<AccountRow>('SELECT * FROM account WHERE singleton = 1');
    return row === undefined ? null : toAccount(row);
  },

  async insertAccount(account: Account): Promise<void> {
    const sql = `INSERT INTO account (singleton, id, name, join_code, created_at) VALUES (1, ?, ?, ?, ?)
      ON CONFLICT (singleton) DO NOTHING`;
    const inserted = await this.sql.run(sql, account.id, account.name, account.joinCode, account.createdAt);
    if (inserted === 0) throw new HearthError('already_set_up', 'this Hearth already has an account');
  },

  async updateAccount(patch: { readonly name?: string; readonly joinCode?: string }): Promise<Account> {
    const sql = 'UPDATE account SET name = coalesce(?::text, name), join_code = coalesce(?::text, join_code) RETURNING *';
    const row = await this.sql.row<AccountRow>(sql, patch.name ?? null, patch.joinCode ?? null);
    return toAccount(found(row, () => new HearthError('not_set_up', 'this Hearth has no account yet')));
  },

  async getUser(id: string): Promise<User | null> {
    const row = await this.sql.row<UserRow>('SELECT * FROM users WHERE id = ?', id);
    return row === undefined ? null : toUser(row);
  },

  async getCredentialsByEmail(email: string): Promise<Credentials | null> {
    const row = await this.sql.row<UserRow>('SELECT * FROM users WHERE email = ?', email.toLowerCase());
    return row === undefined ? null : { user: toUser(row), passwordHash: row.password_hash };
  },

  async listUsers(): Promise<User[]> {
    return (await this.sql.rows<UserRow>('SELECT * FROM users ORDER BY created_at, id')).map(toUser);
  },

  async countUsers(): Promise<number> {
    return (await this.sql.row<{ count: number }>('SELECT count(*) AS count FROM users'))?.count ?? 0;
  },

  async insertUser(user: NewUser): Promise<User> {
    const sql = `INSERT INTO users (id, name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (email) DO NOTHING RETURNING *`;
    const email = user.email?.toLowerCase() ?? null;
    const row = await this.sql.row<UserRow>(sql, user.id, user.name, email, user.role, user.passwordHash, user.createdAt);
    if (row === undefined) throw new HearthError('email_taken', 'another user already has this email', { field: 'email' });
    return toUser(row);
  },

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const sql = `UPDATE users SET name = coalesce(?::text, name), role = coalesce(?::text, role),
      active = coalesce(?::boolean, active), password_hash = coalesce(?::text, password_hash) WHERE id = ? RETURNING *`;
    const { name, role, active, passwordHash } = patch;
    const row = await this.sql.row<UserRow>(sql, name ?? null, role ?? null, active ?? null, passwordHash ?? null, id);
    return toUser(found(row, userNotFound(id)));
  },

  async setUserAvatar(id: string, avatar: string | null): Promise<User> {
    const row = await this.sql.row<UserRow>('UPDATE users SET avatar = ? WHERE id = ? RETURNING *', avatar, id);
    return toUser(found(row, userNotFound(id)));
  },

  async getUserByIdentity(issuer: string, subject: string): Promise<User | null> {
    const sql = 'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = ? AND i.subject = ?';
    const row = await this.sql.row<UserRow>(sql, issuer, subject);
    return row === undefined ? null : toUser(row);
  },

  async linkIdentity(identity: Identity): Promise<void> {
    const sql = 'INSERT INTO identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
    const inserted = await this.sql.run(sql, identity.issuer, identity.subject, identity.userId, identity.createdAt);
    if (inserted === 0) throw new HearthError('conflict', 'this provider account is already linked to a user');
  },

  async getSession(id: string): Promise<Session | null> {
    const row = await this.sql.row<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
    return row === undefined ? null : toSession(row);
  },

  async getSessionWithUser(id: string): Promise<{ session: Session; user: User } | null> {
    const row = await this.sql.row<SessionRow & SessionUserColumns>(SESSION_WITH_USER, id);
    if (row === undefined) return null;
    const { u_name: name, u_email: email, u_role: role, u_active: active, u_created_at: created_at, u_avatar: avatar } = row;
    const user = toUser({ id: row.user_id, name, email, role, active, created_at, avatar });
    return { session: toSession(row), user };
  },

  async listSessionsOfUser(userId: string): Promise<Session[]> {
    const sql = 'SELECT * FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, created_at DESC, id';
    return (await this.sql.rows<SessionRow>(sql, userId)).map(toSession);
  },

  async insertSession(session: Session): Promise<void> {
    const sql = `INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip, idp_session_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const { id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId } = session;
    await this.sql.run(sql, id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId);
  },

  async touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    await this.sql.run('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?', lastSeenAt, expiresAt, id);
  },

  async deleteSession(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM sessions WHERE id = ?', id)) > 0;
  },

  async deleteUserSessions(userId: string): Promise<number> {
    return this.sql.run('DELETE FROM sessions WHERE user_id = ?', userId);
  },

  async deleteOtherSessionsOfUser(userId: string, keepSessionId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>('DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id', userId, keepSessionId);
    return rows.map((row) => row.id);
  },

  async deleteSessionsByIdpSession(idpSessionId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>('DELETE FROM sessions WHERE idp_session_id = ? RETURNING id', idpSessionId);
    return rows.map((row) => row.id);
  },
} satisfies QueryTable;
