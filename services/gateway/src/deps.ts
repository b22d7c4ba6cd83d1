import type { OidcClient } from './sso/oidc-client.ts';
import type {
  AuthConfig,
  Bus,
  CommandClient,
  Ephemeral,
  HearthMetrics,
  HttpConfig,
  LimitsConfig,
  Logger,
  OutboundAddressPolicy,
  SessionService,
  SignedIn,
  Store,
} from '@hearth/core';
import type { BotSignedIn } from './bot-auth.ts';
import type { FileService } from './routes/files.ts';

export interface GatewayDeps {
  readonly store: Store;
  readonly ephemeral: Ephemeral;
  readonly bus: Bus;
  readonly commands: CommandClient;
  readonly sessions: SessionService;
  readonly logger: Logger;
  readonly metrics: HearthMetrics;
  readonly http: HttpConfig;
  readonly limits: LimitsConfig;
  /** SSO, who may use a password, and how long sessions last. */
  readonly auth: AuthConfig;
  /** The OpenID provider's client when SSO is configured (auth.oidc), else null. */
  readonly oidc: OidcClient | null;
  /** Built web UI; null when it has not been built (the API still works). */
  readonly webDir: string | null;
  /** Where files are kept and what is accepted; null when files are off (uploads are refused). */
  readonly files: FileService | null;
  /** Web Push: which push services a browser's subscription may name; null when push is off. */
  readonly push: { readonly addressPolicy: OutboundAddressPolicy } | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session and user, resolved from the cookie by the auth hook. */
    signedIn: SignedIn | null;
    /** The bot and its token, for a request with `Authorization: Bearer hbt_…` (signedIn is then null). */
    bot: BotSignedIn | null;
  }
  interface FastifyContextConfig {
    /** Routes that create a session (there is no CSRF token to send yet). */
    csrfExempt?: boolean;
    /** The refusal of a declared body over the route's limit, in the route's words (a file's size). */
    refuseLargeBody?: (declaredBytes: number, limitBytes: number) => Error;
  }
}
