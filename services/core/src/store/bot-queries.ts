import type { ApiToken, Bot, WebhookDelivery, WebhookSecrets } from '../domain/bots.ts';
import { apiTokenNotFound, found, messageNotFound, userNotFound, webhookDeliveryNotFound } from './refusals.ts';
import {
  type ApiTokenRow,
  type BotRow,
  type WebhookDeliveryRow,
  type WebhookSecretsRow,
  toApiToken,
  toBot,
  toWebhookDelivery,
  toWebhookSecrets,
} from './rows.ts';
import type { QueryTable } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import type { ApiTokenCredentials, StoreTx } from './store.ts';

// The columns of a Bot only: its webhook secrets are read where deliveries are signed, and nowhere else.
const BOT_SELECT = 'SELECT b.user_id, b.webhook_url, b.created_by, b.created_at, u.name, u.active FROM bots b JOIN users u ON u.id = b.user_id';
const BOT = `${BOT_SELECT} WHERE b.user_id = ?`;
const BOTS = `${BOT_SELECT} ORDER BY b.created_at, b.user_id`;

const SECRETS = 'webhook_secret, webhook_previous_secret, webhook_previous_expires_at';
/** The secret signing now becomes the previous one (none, when there was none) until `expiresAt`. */
const ROTATE_SECRET = `UPDATE bots SET webhook_previous_secret = webhook_secret,
  webhook_previous_expires_at = CASE WHEN webhook_secret IS NULL THEN NULL ELSE ?::timestamptz END,
  webhook_secret = ? WHERE user_id = ? RETURNING ${SECRETS}`;

const CLAIM_DELIVERIES = (d: Dialect) => `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (
  SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
  ORDER BY next_attempt_at, id LIMIT ? ${d.forUpdateSkipLocked}
) RETURNING *`;

/** Bots, their API tokens, and the webhook deliveries of their mentions. */
export const botQueries = {
  async insertBot(bot: Parameters<StoreTx['insertBot']>[0]): Promise<Bot> {
    await this.sql.run(
      'INSERT INTO bots (user_id, webhook_url, created_by, created_at, webhook_secret) VALUES (?, ?, ?, ?, ?)',
      bot.userId,
      bot.webhookUrl,
      bot.createdBy,
      bot.createdAt,
      bot.webhookSecret ?? null,
    );
    return found((await this.getBot(bot.userId)) ?? undefined, userNotFound(bot.userId));
  },

  async getBot(userId: string): Promise<Bot | null> {
    const row = await this.sql.row<BotRow>(BOT, userId);
    return row === undefined ? null : toBot(row);
  },

  async listBots(): Promise<Bot[]> {
    return (await this.sql.rows<BotRow>(BOTS)).map(toBot);
  },

  async getWebhookSecrets(botId: string): Promise<WebhookSecrets | null> {
    const row = await this.sql.row<WebhookSecretsRow>(`SELECT ${SECRETS} FROM bots WHERE user_id = ?`, botId);
    return row === undefined ? null : toWebhookSecrets(row);
  },

  async rotateWebhookSecret(botId: string, secret: string, previousExpiresAt: string): Promise<WebhookSecrets> {
    const row = await this.sql.row<WebhookSecretsRow>(ROTATE_SECRET, previousExpiresAt, secret, botId);
    return toWebhookSecrets(found(row, userNotFound(botId)));
  },

  async insertApiToken(token: ApiToken, secretHash: string): Promise<ApiToken> {
    const sql = `INSERT INTO api_tokens (id, user_id, name, secret_hash, room_ids, created_by, created_at) VALUES (?, ?, ?, ?, ?::jsonb, ?, ?) RETURNING *`;
    const row = await this.sql.row<ApiTokenRow>(
      sql,
      token.id,
      token.userId,
      token.name,
      secretHash,
      JSON.stringify(token.roomIds),
      token.createdBy,
      token.createdAt,
    );
    return toApiToken(found(row, apiTokenNotFound(token.id)));
  },

  async getApiToken(id: string): Promise<ApiTokenCredentials | null> {
    const row = await this.sql.row<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ?', id);
    return row === undefined ? null : { token: toApiToken(row), secretHash: row.secret_hash };
  },

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return (await this.sql.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at, id', userId)).map(toApiToken);
  },

  async revokeApiToken(id: string, revokedAt: string): Promise<ApiToken> {
    const row = await this.sql.row<ApiTokenRow>('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *', revokedAt, id);
    return toApiToken(found(row, apiTokenNotFound(id)));
  },

  async touchApiToken(id: string, usedAt: string): Promise<void> {
    await this.sql.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', usedAt, id);
  },

  async insertWebhookDelivery(delivery: Parameters<StoreTx['insertWebhookDelivery']>[0]): Promise<WebhookDelivery> {
    const sql = `INSERT INTO webhook_deliveries (bot_id, message_id, room_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *`;
    const { botId, messageId, roomId, createdAt } = delivery;
    const row = await this.sql.row<WebhookDeliveryRow>(sql, botId, messageId, roomId, createdAt, createdAt);
    return toWebhookDelivery(found(row, messageNotFound(messageId)));
  },

  /** SKIP LOCKED: two messaging processes claiming at once take different deliveries (SQLite runs one transaction at a time). */
  async claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    return (await this.sql.rows<WebhookDeliveryRow>(this.sql.statement(CLAIM_DELIVERIES), leaseUntil, now, limit))
      .map(toWebhookDelivery)
      .sort((a, b) => a.id - b.id);
  },

  async recordWebhookAttempt(id: number, outcome: Parameters<StoreTx['recordWebhookAttempt']>[1]): Promise<WebhookDelivery> {
    const sql = `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?::text,
      delivered_at = CASE WHEN ?::boolean THEN ?::timestamptz END,
      failed_at = CASE WHEN ?::boolean THEN NULL WHEN ?::timestamptz IS NULL THEN ?::timestamptz END,
      next_attempt_at = coalesce(?::timestamptz, next_attempt_at) WHERE id = ? RETURNING *`;
    const { at, delivered, error, nextAttemptAt } = outcome;
    const row = await this.sql.row<WebhookDeliveryRow>(sql, error, delivered, at, delivered, nextAttemptAt, at, nextAttemptAt, id);
    return toWebhookDelivery(found(row, webhookDeliveryNotFound(id)));
  },

  async listWebhookDeliveries(messageId: string): Promise<WebhookDelivery[]> {
    return (await this.sql.rows<WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE message_id = ? ORDER BY id', messageId)).map(toWebhookDelivery);
  },
} satisfies QueryTable;
