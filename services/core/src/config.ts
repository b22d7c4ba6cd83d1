import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNetwork, type Network } from './outbound-address.ts';
import { parseS3Config } from './archive/s3-config.ts';
import type { BlobConfig } from './blob/blob.ts';
import type { FileLimits } from './files/file-rules.ts';

export const TARGETS = ['all', 'gateway', 'realtime', 'messaging'] as const;
export type Target = (typeof TARGETS)[number];

/** Each backend is chosen by whether its server's URL is set; the embedded ones need none. */
export type StoreConfig = { readonly type: 'sqlite'; readonly path: string } | { readonly type: 'postgres'; readonly url: string; readonly poolSize: number };
export type BusConfig =
  | { readonly type: 'local'; readonly replayLimit: number }
  | {
      readonly type: 'nats';
      readonly servers: readonly string[];
      readonly instance: string;
      readonly replayLimit: number;
      /** Copies of the event stream across a NATS cluster (JetStream R1, R3, R5); 1 when not given. */
      readonly streamReplicas?: number;
      /** The event stream's storage cap in bytes (oldest events go first); 0 or not given: the server's limits only. */
      readonly streamMaxBytes?: number;
      /** From the URLs' user:password (nats://user:pass@host:4222), which nats.js does not read itself. */
      readonly credentials?: NatsCredentials;
    };

export interface NatsCredentials {
  readonly user: string;
  readonly pass: string;
}
export type EphemeralConfig =
  | { readonly type: 'memory' }
  | {
      readonly type: 'redis';
      readonly url: string;
      readonly instance: string;
      /** With a redis-sentinel:// URL: the Sentinels to ask for the master of that name. */
      readonly sentinel?: RedisSentinelConfig;
    };

export interface RedisSentinelConfig {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  readonly name: string;
  readonly password?: string;
}

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** The URL people open; used for join links and to decide on Secure cookies. */
  readonly publicUrl: string;
  readonly secureCookies: boolean;
  /**
   * Which X-Forwarded-For hops to believe for the client address (rate limits, logs):
   * false (none; the default), true (all), a hop count, or a list of proxy addresses/CIDRs.
   */
  readonly trustProxy: boolean | number | string;
}

export interface LimitsConfig {
  /** Characters in a message body. */
  readonly messageChars: number;
  /** Bytes of an HTTP request body. */
  readonly bodyBytes: number;
  /** Sign-in attempts per minute per client address. */
  readonly signInPerMinute: number;
  /** Posts per minute per user. */
  readonly postsPerMinute: number;
  /** Bytes a WebSocket or SSE client may fall behind before it is told to resume. */
  readonly connectionBufferBytes: number;
  /**
   * Seconds a client has to send a whole request, headers and body, before it is answered 408 and
   * its connection closed: a client that trickles a request (slowloris) holds a socket no longer.
   */
  readonly requestTimeoutSeconds: number;
  /** Realtime streams (WebSocket or SSE) a user may open per minute, across every realtime process. */
  readonly streamConnectsPerMinute: number;
  /**
   * Open connections one client address may hold at once (0: no cap). Applied only where clients
   * connect directly (HEARTH_TRUST_PROXY false): behind a proxy every connection comes from it.
   */
  readonly connectionsPerAddress: number;
}

/** Sign-in through the company's OpenID provider (authorization code flow with PKCE). */
export interface OidcConfig {
  /** The provider's issuer URL, exactly as its discovery document states it. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** The ID token claim that lists the person's groups. */
  readonly groupsClaim: string;
  /**
   * The boolean claim that says the provider verified the email: `email_verified` by the
   * standard; Microsoft Entra ID sends none and has `xms_edov` (the email's domain is verified).
   */
  readonly emailVerifiedClaim: string;
  /** Members of any of these groups become administrators; everyone else is a member. */
  readonly adminGroups: readonly string[];
  /** `<public URL>/auth/oidc/callback`: register it at the provider. */
  readonly redirectUri: string;
  /** `<public URL>/`: where the provider sends people back after signing out. */
  readonly postLogoutRedirectUri: string;
  /** What the sign-in button says. */
  readonly buttonLabel: string;
  /** Only for tests against a provider on plain http on loopback; never set in production. */
  readonly allowInsecureIssuer: boolean;
}

/**
 * Who may sign in with a local password: everyone, only administrators (the break-glass
 * path while SSO is on: see docs/sso.md), or nobody.
 */
export const PASSWORD_SIGN_IN = ['enabled', 'admins', 'disabled'] as const;
export type PasswordSignIn = (typeof PASSWORD_SIGN_IN)[number];

export interface AuthConfig {
  readonly oidc: OidcConfig | null;
  readonly passwordSignIn: PasswordSignIn;
  readonly sessions: { readonly idleTimeoutMs: number; readonly maxAgeMs: number };
}

export interface HearthConfig {
  readonly target: Target;
  readonly instance: string;
  readonly logLevel: string;
  /** The release this process runs, as the operator sets it from spec.version (hearth_build_info). */
  readonly version: string;
  readonly http: HttpConfig;
  readonly dataDir: string;
  readonly webDir: string;
  readonly store: StoreConfig;
  readonly bus: BusConfig;
  readonly ephemeral: EphemeralConfig;
  readonly auth: AuthConfig;
  readonly limits: LimitsConfig;
  readonly webhooks: WebhooksConfig;
  /** Web Push of mentions and direct messages to browsers whose Hearth tab is closed; null when off. */
  readonly push: PushConfig | null;
  readonly files: FilesConfig;
  /**
   * Seconds of a quiet event loop after which the process gives back the memory its last busy
   * spell left committed (idle-trim.ts, in the hearth service); 0: never.
   */
  readonly idleTrimSeconds: number;
}

export interface FilesConfig {
  /** Where files' bytes are kept (HEARTH_FILES_STORAGE); null when files are off. */
  readonly blob: BlobConfig | null;
  readonly limits: FileLimits;
}

export const FILE_STORAGE = ['off', 'directory', 'postgres', 's3'] as const;
/** A type pattern of HEARTH_FILES_TYPES: `*\/*`, `image/*` or `application/pdf`. */
const FILE_TYPE_PATTERN = /^(\*\/\*|[a-z0-9][a-z0-9.+-]*\/(\*|[a-z0-9][a-z0-9.+-]*))$/;

export interface WebhooksConfig {
  /** Private networks a bot's webhook may be at (outbound-address.ts); by default, public addresses only. */
  readonly allowedNetworks: readonly Network[];
}

export interface PushConfig {
  /**
   * How a push service reaches whoever runs this Hearth (the VAPID `sub` claim, RFC 8292): a
   * `mailto:` or `https:` URL. Push services may write to it about a misbehaving sender.
   */
  readonly contact: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** This source tree's release; HEARTH_VERSION overrides it in an image built for another. */
const RELEASE = '0.1.0';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** What a config is read from. */
export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
  /** Relative paths in the environment are resolved from here. */
  readonly cwd: string;
  readonly defaultWebDir: string;
  /** Reads the file a *_FILE variable names; the file system's by default (tests give their own files). */
  readonly readSecretFile?: (file: string) => string;
}

/**
 * Reads the environment and arguments once into a frozen config, refusing bad
 * values with one line that names the variable. Nothing else reads process.env.
 */
export function parseConfig(env: Env, argv: readonly string[], cwd: string, defaultWebDir: string): HearthConfig {
  return parseConfigFrom({ env, argv, cwd, defaultWebDir });
}

/** parseConfig, with every source named (a test's own secret files among them). */
export function parseConfigFrom(sources: ConfigSources): HearthConfig {
  const { env, argv, cwd, defaultWebDir, readSecretFile = (file) => readFileSync(file, 'utf8') } = sources;
  const target = parseTarget(argv);
  const port = integer(env, 'HEARTH_HTTP_PORT', 8080, { min: 0, max: 65535 });
  const host = text(env, 'HEARTH_HTTP_HOST', '0.0.0.0');
  const publicUrl = url(env, 'HEARTH_PUBLIC_URL', `http://localhost:${port}`);
  const dataDir = path.resolve(cwd, text(env, 'HEARTH_DATA_DIR', './data'));
  const instance = name(env, 'HEARTH_INSTANCE', 'hearth');
  const replayLimit = integer(env, 'HEARTH_BUS_REPLAY_LIMIT', 10_000, { min: 0, max: 10_000_000 });
  const store = storeConfig(env, target, dataDir);
  const config: HearthConfig = {
    target,
    instance,
    logLevel: oneOf(env, 'HEARTH_LOG_LEVEL', 'info', LOG_LEVELS),
    version: text(env, 'HEARTH_VERSION', RELEASE),
    http: {
      host,
      port,
      publicUrl,
      secureCookies: boolean(env, 'HEARTH_SECURE_COOKIES', publicUrl.startsWith('https:')),
      trustProxy: trustProxy(env, 'HEARTH_TRUST_PROXY'),
    },
    dataDir,
    webDir: path.resolve(cwd, text(env, 'HEARTH_WEB_DIR', defaultWebDir)),
    store,
    bus: busConfig(env, target, instance, replayLimit),
    ephemeral: ephemeralConfig(env, target, instance),
    auth: authConfig(env, publicUrl, (file) => readSecretFile(path.resolve(cwd, file))),
    limits: {
      messageChars: integer(env, 'HEARTH_MAX_MESSAGE_CHARS', 10_000, { min: 1, max: 1_000_000 }),
      bodyBytes: integer(env, 'HEARTH_MAX_BODY_BYTES', 256 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
      signInPerMinute: integer(env, 'HEARTH_SIGN_IN_PER_MINUTE', 10, { min: 1, max: 1_000_000 }),
      postsPerMinute: integer(env, 'HEARTH_POSTS_PER_MINUTE', 120, { min: 1, max: 10_000_000 }),
      connectionBufferBytes: integer(env, 'HEARTH_CONNECTION_BUFFER_BYTES', 1024 * 1024, { min: 1024, max: 1024 * 1024 * 1024 }),
      requestTimeoutSeconds: integer(env, 'HEARTH_REQUEST_TIMEOUT_SECONDS', 30, { min: 1, max: 3_600 }),
      streamConnectsPerMinute: integer(env, 'HEARTH_STREAM_CONNECTS_PER_MINUTE', 60, { min: 1, max: 1_000_000 }),
      connectionsPerAddress: integer(env, 'HEARTH_MAX_CONNECTIONS_PER_ADDRESS', 1_000, { min: 0, max: 1_000_000 }),
    },
    webhooks: { allowedNetworks: networks(env, 'HEARTH_WEBHOOK_ALLOWED_NETWORKS') },
    push: pushConfig(env, publicUrl),
    files: filesConfig(env, target, dataDir, store),
    idleTrimSeconds: integer(env, 'HEARTH_IDLE_TRIM_SECONDS', 30, { min: 0, max: 86_400 }),
  };
  return deepFreeze(config);
}

/** Push is on unless HEARTH_PUSH says otherwise; its contact defaults to the public URL where that is https. */
function pushConfig(env: Env, publicUrl: string): PushConfig | null {
  if (!boolean(env, 'HEARTH_PUSH', true)) return null;
  const contact = text(env, 'HEARTH_PUSH_CONTACT', publicUrl.startsWith('https:') ? publicUrl : `mailto:postmaster@${new URL(publicUrl).hostname}`);
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(contact)) {
    throw new ConfigError(`HEARTH_PUSH_CONTACT must be a mailto: or https: URL, as push services require (got "${contact}")`);
  }
  return { contact };
}

/** Files are on by default where everything is on one volume (the embedded tier); elsewhere their storage is named. */
function filesConfig(env: Env, target: Target, dataDir: string, store: StoreConfig): FilesConfig {
  const fallback = target === 'all' && store.type === 'sqlite' ? 'directory' : 'off';
  const storage = oneOf(env, 'HEARTH_FILES_STORAGE', fallback, FILE_STORAGE) as (typeof FILE_STORAGE)[number];
  const limits = {
    maxBytes: integer(env, 'HEARTH_FILES_MAX_BYTES', 25 * 1024 * 1024, { min: 1024, max: 1024 * 1024 * 1024 }),
    allowedTypes: fileTypes(text(env, 'HEARTH_FILES_TYPES', '*/*')),
  };
  return { blob: blobConfig(env, storage, dataDir, store), limits };
}

function blobConfig(env: Env, storage: (typeof FILE_STORAGE)[number], dataDir: string, store: StoreConfig): BlobConfig | null {
  switch (storage) {
    case 'off':
      return null;
    case 'directory':
      return { type: 'directory', dir: path.resolve(dataDir, text(env, 'HEARTH_FILES_DIR', 'files')) };
    case 'postgres':
      if (store.type !== 'postgres') throw new ConfigError('HEARTH_FILES_STORAGE=postgres keeps files in the database: set HEARTH_DATABASE_URL');
      return { type: 'postgres', url: store.url };
    case 's3': {
      const bucket = text(env, 'HEARTH_FILES_S3_BUCKET', '');
      if (bucket === '') throw new ConfigError('HEARTH_FILES_STORAGE=s3 needs HEARTH_FILES_S3_BUCKET');
      return { type: 's3', bucket, prefix: text(env, 'HEARTH_FILES_S3_PREFIX', ''), s3: parseS3Config(env) };
    }
  }
}

function fileTypes(raw: string): string[] {
  const patterns = list(raw.toLowerCase(), /,/);
  const bad = patterns.find((pattern) => !FILE_TYPE_PATTERN.test(pattern));
  if (bad !== undefined || patterns.length === 0) {
    throw new ConfigError(`HEARTH_FILES_TYPES must be a comma-separated list of types such as image/*, application/pdf or */* (got "${bad ?? raw}")`);
  }
  return patterns;
}

const OIDC_KEYS = [
  'HEARTH_OIDC_ISSUER_URL',
  'HEARTH_OIDC_CLIENT_ID',
  'HEARTH_OIDC_CLIENT_SECRET',
  'HEARTH_OIDC_CLIENT_SECRET_FILE',
  'HEARTH_OIDC_SCOPES',
  'HEARTH_OIDC_GROUPS_CLAIM',
  'HEARTH_OIDC_EMAIL_VERIFIED_CLAIM',
  'HEARTH_OIDC_ADMIN_GROUPS',
  'HEARTH_OIDC_BUTTON_LABEL',
];

function authConfig(env: Env, publicUrl: string, readSecretFile: (file: string) => string): AuthConfig {
  const oidc = oidcConfig(env, publicUrl, readSecretFile);
  const passwordSignIn = oneOf(env, 'HEARTH_PASSWORD_SIGN_IN', 'enabled', PASSWORD_SIGN_IN) as PasswordSignIn;
  if (passwordSignIn !== 'enabled' && oidc === null) {
    throw new ConfigError(
      `HEARTH_PASSWORD_SIGN_IN=${passwordSignIn} needs SSO: set HEARTH_OIDC_ISSUER_URL, HEARTH_OIDC_CLIENT_ID and a client secret, or nobody could sign in`,
    );
  }
  const idleTimeoutMs = integer(env, 'HEARTH_SESSION_IDLE_TIMEOUT_MINUTES', 60 * 24 * 14, { min: 5, max: 60 * 24 * 365 }) * 60_000;
  const maxAgeMs = integer(env, 'HEARTH_SESSION_MAX_AGE_HOURS', 24 * 90, { min: 1, max: 24 * 365 * 2 }) * 3_600_000;
  return { oidc, passwordSignIn, sessions: { idleTimeoutMs, maxAgeMs } };
}

/** Null when no HEARTH_OIDC_* variable is set; refuses a partial configuration naming what is missing. */
function oidcConfig(env: Env, publicUrl: string, readSecretFile: (file: string) => string): OidcConfig | null {
  if (!OIDC_KEYS.some((key) => text(env, key, '') !== '')) return null;
  const secretInline = text(env, 'HEARTH_OIDC_CLIENT_SECRET', '');
  const secretFile = text(env, 'HEARTH_OIDC_CLIENT_SECRET_FILE', '');
  refusePartialOidc(env, secretInline, secretFile);
  const allowInsecureIssuer = boolean(env, 'HEARTH_OIDC_ALLOW_INSECURE_ISSUER', false);
  refuseInsecureIssuer(url(env, 'HEARTH_OIDC_ISSUER_URL', ''), allowInsecureIssuer);
  const scopes = oidcScopes(env);
  return {
    issuer: text(env, 'HEARTH_OIDC_ISSUER_URL', ''),
    clientId: text(env, 'HEARTH_OIDC_CLIENT_ID', ''),
    clientSecret: secretInline !== '' ? secretInline : readSecret(secretFile, readSecretFile),
    scopes,
    groupsClaim: text(env, 'HEARTH_OIDC_GROUPS_CLAIM', 'groups'),
    emailVerifiedClaim: text(env, 'HEARTH_OIDC_EMAIL_VERIFIED_CLAIM', 'email_verified'),
    adminGroups: list(text(env, 'HEARTH_OIDC_ADMIN_GROUPS', ''), /,/),
    redirectUri: `${publicUrl}/auth/oidc/callback`,
    postLogoutRedirectUri: `${publicUrl}/`,
    buttonLabel: text(env, 'HEARTH_OIDC_BUTTON_LABEL', 'Sign in with SSO'),
    allowInsecureIssuer,
  };
}

/** SSO needs an issuer, a client id and exactly one way to give the client secret. */
function refusePartialOidc(env: Env, secretInline: string, secretFile: string): void {
  const missing = [
    text(env, 'HEARTH_OIDC_ISSUER_URL', '') === '' ? 'HEARTH_OIDC_ISSUER_URL' : null,
    text(env, 'HEARTH_OIDC_CLIENT_ID', '') === '' ? 'HEARTH_OIDC_CLIENT_ID' : null,
    secretInline === '' && secretFile === '' ? 'HEARTH_OIDC_CLIENT_SECRET (or HEARTH_OIDC_CLIENT_SECRET_FILE)' : null,
  ].filter((key) => key !== null);
  if (missing.length > 0) throw new ConfigError(`SSO is only partly configured: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`);
  if (secretInline !== '' && secretFile !== '') {
    throw new ConfigError('set HEARTH_OIDC_CLIENT_SECRET or HEARTH_OIDC_CLIENT_SECRET_FILE, not both');
  }
}

function refuseInsecureIssuer(issuer: string, allowInsecureIssuer: boolean): void {
  if (issuer.startsWith('http:') && !allowInsecureIssuer) {
    throw new ConfigError(`HEARTH_OIDC_ISSUER_URL must be an https:// URL (got "${issuer}")`);
  }
}

function oidcScopes(env: Env): string[] {
  const scopes = list(text(env, 'HEARTH_OIDC_SCOPES', 'openid email profile'), /[\s,]+/);
  if (!scopes.includes('openid')) throw new ConfigError(`HEARTH_OIDC_SCOPES must include openid (got "${scopes.join(' ')}")`);
  return scopes;
}

function readSecret(file: string, readSecretFile: (file: string) => string): string {
  let secret: string;
  try {
    secret = readSecretFile(file).trim();
  } catch (error) {
    throw new ConfigError(`HEARTH_OIDC_CLIENT_SECRET_FILE cannot be read (${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (secret === '') throw new ConfigError(`HEARTH_OIDC_CLIENT_SECRET_FILE is empty (${file})`);
  return secret;
}

/** A comma-separated list of networks (`10.0.0.0/8, fd00::/8, 192.168.1.20`); none when unset. */
function networks(env: Env, key: string): Network[] {
  return list(env[key] ?? '', /,/).map((item) => {
    try {
      return parseNetwork(item);
    } catch (error) {
      throw new ConfigError(`${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

function list(value: string, separator: RegExp): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The separate services share state, so they need the server backends; only `all` may embed them. */
function requireShared(target: Target, key: string, what: string): never {
  throw new ConfigError(`${key} must be set: --target=${target} runs as a separate service and needs a shared ${what}`);
}

function storeConfig(env: Env, target: Target, dataDir: string): StoreConfig {
  const url = env['HEARTH_DATABASE_URL'];
  if (url === undefined || url === '') {
    return target === 'all' ? { type: 'sqlite', path: path.join(dataDir, 'hearth.db') } : requireShared(target, 'HEARTH_DATABASE_URL', 'PostgreSQL');
  }
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('HEARTH_DATABASE_URL must be a postgres:// URL');
  return { type: 'postgres', url, poolSize: integer(env, 'HEARTH_DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 }) };
}

function busConfig(env: Env, target: Target, instance: string, replayLimit: number): BusConfig {
  const raw = env['HEARTH_NATS_URL'];
  if (raw === undefined || raw === '') return target === 'all' ? { type: 'local', replayLimit } : requireShared(target, 'HEARTH_NATS_URL', 'NATS');
  const urls = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const parsed = urls.flatMap((s) => {
    const url = /^(nats|tls):\/\/[^\s]+$/.test(s) ? URL.parse(s) : null;
    return url === null || url.hostname === '' ? [] : [url];
  });
  if (parsed.length === 0 || parsed.length !== urls.length) {
    throw new ConfigError(`HEARTH_NATS_URL must be one or more comma-separated nats:// URLs (got "${withoutPasswords(urls).join(',')}")`);
  }
  const servers = parsed.map((url) => `${url.protocol}//${url.host}`);
  const credentials = natsCredentials(parsed);
  // A cluster of 3 keeps the stream through the loss of one server with R3; one server can only hold R1.
  const streamReplicas = integer(env, 'HEARTH_NATS_STREAM_REPLICAS', 1, { min: 1, max: 5 });
  // A cap below the NATS volume keeps the stream from filling it; the store holds every event anyway.
  const streamMaxBytes = integer(env, 'HEARTH_NATS_STREAM_MAX_BYTES', 0, { min: 0, max: Number.MAX_SAFE_INTEGER });
  return { type: 'nats', servers, instance, replayLimit, streamReplicas, streamMaxBytes, ...(credentials === undefined ? {} : { credentials }) };
}

/** One user for the whole cluster: URLs naming different ones are a mistake, not a fallback list. */
function natsCredentials(urls: readonly URL[]): NatsCredentials | undefined {
  const distinct = new Set(urls.map((url) => `${url.username}:${url.password}`));
  if (distinct.size > 1) throw new ConfigError('HEARTH_NATS_URL names different users or passwords for its servers: give every URL the same user:password');
  const [first] = urls;
  if (first === undefined || first.username === '') return undefined;
  return { user: decodeURIComponent(first.username), pass: decodeURIComponent(first.password) };
}

/** Server URLs as an error message may show them: user kept, password masked. */
function withoutPasswords(urls: readonly string[]): string[] {
  return urls.map((url) => url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/, '$1:***@'));
}

function ephemeralConfig(env: Env, target: Target, instance: string): EphemeralConfig {
  const url = env['HEARTH_REDIS_URL'];
  if (url === undefined || url === '') return target === 'all' ? { type: 'memory' } : requireShared(target, 'HEARTH_REDIS_URL', 'Redis');
  if (url.startsWith('redis-sentinel://')) return { type: 'redis', url, instance, sentinel: sentinelConfig(url) };
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError('HEARTH_REDIS_URL must be a redis://, rediss:// or redis-sentinel:// URL');
  return { type: 'redis', url, instance };
}

/** `redis-sentinel://[:password@]host:port[,host:port…]/<master name>`: Redis through its Sentinels. */
function sentinelConfig(url: string): RedisSentinelConfig {
  const match = /^redis-sentinel:\/\/(?::([^@/]*)@)?([^/@]+)\/([A-Za-z0-9._-]+)$/.exec(url);
  const sentinels = (match?.[2] ?? '').split(',').map((address) => /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(address.trim()));
  if (match === null || sentinels.some((address) => address === null)) {
    throw new ConfigError('HEARTH_REDIS_URL must be redis-sentinel://[:password@]host:port[,host:port…]/<master name> for Redis through Sentinels');
  }
  const password = match[1] === undefined || match[1] === '' ? {} : { password: decodeURIComponent(match[1]) };
  return {
    sentinels: sentinels.map((address) => ({ host: address?.[1] ?? '', port: Number(address?.[2]) })),
    name: match[3] ?? '',
    ...password,
  };
}

function parseTarget(argv: readonly string[]): Target {
  let value = 'all';
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--target=')) value = arg.slice('--target='.length);
    else if (arg === '--target') value = argv[i + 1] ?? '';
  }
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw new ConfigError(`--target must be one of ${TARGETS.join(', ')} (got "${value}")`);
  }
  return value as Target;
}

function text(env: Env, key: string, fallback: string): string {
  const value = env[key];
  if (value === undefined || value === '') return fallback;
  return value;
}

/** The bounds a whole number must keep, both included. */
interface Range {
  readonly min: number;
  readonly max: number;
}

function integer(env: Env, key: string, fallback: number, range: Range): number {
  const { min, max } = range;
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function boolean(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${key} must be true or false (got "${raw}")`);
}

function oneOf(env: Env, key: string, fallback: string, allowed: readonly string[]): string {
  const value = text(env, key, fallback);
  if (!allowed.includes(value)) throw new ConfigError(`${key} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value;
}

function url(env: Env, key: string, fallback: string): string {
  const value = text(env, key, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${key} must be an absolute http(s) URL (got "${value}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${key} must be an absolute http(s) URL (got "${value}")`);
  }
  return parsed.origin + parsed.pathname.replace(/\/$/, '');
}

/** false, true, a hop count, or comma-separated addresses/CIDRs, as fastify's trustProxy takes them. */
function trustProxy(env: Env, key: string): boolean | number | string {
  const raw = text(env, key, 'false').trim();
  if (raw === 'false' || raw === 'true') return raw === 'true';
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  if (/^[0-9a-fA-F.:/]+(,\s*[0-9a-fA-F.:/]+)*$/.test(raw)) return raw;
  throw new ConfigError(`${key} must be true, false, a hop count, or a comma-separated list of proxy addresses (got "${raw}")`);
}

function name(env: Env, key: string, fallback: string): string {
  const value = text(env, key, fallback);
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
    throw new ConfigError(`${key} must be a lower-case DNS label such as "acme" (got "${value}")`);
  }
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
