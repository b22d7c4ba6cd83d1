/** Bots are users with the `bot` role that act through API tokens instead of sessions. */
export interface Bot {
  readonly userId: string;
  readonly name: string;
  /** Where mentions of the bot are POSTed; null for a bot that only posts. */
  readonly webhookUrl: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly active: boolean;
}

/** An API token as it may be shown: never its secret, which is only stored hashed. */
export interface ApiToken {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The rooms the token may read and post in; the bot must also be a member. */
  readonly roomIds: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** A mention of a bot waiting to be POSTed to its webhook; retried with back-off until it is delivered or given up. */
export interface WebhookDelivery {
  readonly id: number;
  readonly botId: string;
  readonly messageId: string;
  readonly roomId: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  readonly failedAt: string | null;
  readonly lastError: string | null;
}

/**
 * The secrets a bot's webhook deliveries are signed with (docs/protocol.md §5.3). Never shown
 * after the answer that made them: not in a Bot, not in the audit log, not in a log line.
 */
export interface WebhookSecrets {
  /** Null for a bot made before deliveries were signed, until its secret is first rotated. */
  readonly current: string | null;
  /** The secret a rotation replaced, still signing alongside the new one until `expiresAt`. */
  readonly previous: { readonly secret: string; readonly expiresAt: string } | null;
}

/** A bot as its creation answers: with its webhook signing secret, shown this once. */
export interface CreatedBot extends Bot {
  readonly webhookSecret: string;
}

/** What rotating a bot's webhook secret answers: the new secret, shown this once, and when the old one stops signing. */
export interface WebhookSecretRotation {
  readonly botId: string;
  readonly webhookSecret: string;
  /** Null when the bot had no secret before. */
  readonly previousSecretExpiresAt: string | null;
}
