import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { EphemeralConfig } from '../config.ts';
import { HearthError } from '../errors.ts';
import type { Ephemeral, RateWindow } from './ephemeral.ts';

export type EphemeralRedisConfig = Extract<EphemeralConfig, { type: 'redis' }>;

export interface EphemeralRedisOptions {
  /** How long `connect` waits for the first ready connection before it gives up. */
  readonly readyTimeoutMs?: number;
  /** A reply slower than this fails the call, so a hung server cannot hang requests. */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
const DISCONNECT_TIMEOUT_MS = 200;
/** Users one expirePresence script handles before it lets other commands in. */
const EXPIRE_BATCH = 500;

/**
 * Server time in ms, so pods whose clocks disagree still agree on who is live.
 * Computed numbers go back to Redis through `ms`, which never writes an exponent.
 */
const LUA_CLOCK = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ms(n) return string.format('%d', n) end
`;

/**
 * The users set scores each user by the expiry of their latest connection, so
 * "online" and "all connections ran out" are both one range query on it.
 * Returns false when the user has no connection left and was taken out of it.
 */
const LUA_REFRESH_USER = `
local function refreshUser(users, connections, userId)
  local latest = redis.call('ZRANGE', connections, -1, -1, 'WITHSCORES')
  if latest[2] == nil then
    redis.call('ZREM', users, userId)
    return false
  end
  redis.call('ZADD', users, latest[2], userId)
  return true
end
`;

/** KEYS: counter. ARGV: windowMs. The expiry is set by the first hit only: a fixed window. */
const HIT = script(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

/** KEYS: user's connections, users. ARGV: connectionId, ttlMs, userId. Returns 1 when the user came online. */
const TOUCH = script(`${LUA_CLOCK}${LUA_REFRESH_USER}
local now = nowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(now))
local cameOnline = redis.call('ZCARD', KEYS[1]) == 0
redis.call('ZADD', KEYS[1], ms(now + tonumber(ARGV[2])), ARGV[1])
refreshUser(KEYS[2], KEYS[1], ARGV[3])
if cameOnline then return 1 end
return 0
`);

/**
 * KEYS: user's connections, users. ARGV: connectionId, userId. Returns 1 when the user went offline.
 * Expired connections go too, as in EphemeralMemory: once the user has left the users
 * set expirePresence cannot report them, so this call reports them instead.
 */
const DROP = script(`${LUA_CLOCK}${LUA_REFRESH_USER}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(nowMs()))
if refreshUser(KEYS[2], KEYS[1], ARGV[2]) then return 0 end
return 1
`);

/**
 * KEYS: users. ARGV: prefix of a user's connections key, batch size.
 * Builds keys from the prefix, so it needs a single Redis, not a cluster. Taking a
 * user out of the users set and reporting them happen in one script, which is what
 * lets each offline user be reported by exactly one of several concurrent callers.
 */
const EXPIRE = script(`${LUA_CLOCK}${LUA_REFRESH_USER}
local now = ms(nowMs())
local offline = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2])
for _, userId in ipairs(due) do
  local connections = ARGV[1] .. userId
  redis.call('ZREMRANGEBYSCORE', connections, '-inf', now)
  if not refreshUser(KEYS[1], connections, userId) then table.insert(offline, userId) end
end
return {offline, #due}
`);

/** KEYS: users. Users whose latest connection expires after now. */
const ONLINE = script(`${LUA_CLOCK}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ms(nowMs()), '+inf')
`);

/**
 * Short-lived state in Redis, shared by every gateway and realtime process of one
 * instance: keys are `hearth:<instance>:…`, and every read-modify-write is one
 * command or one Lua script, so it is atomic across processes.
 */
export class EphemeralRedis implements Ephemeral {
  readonly #client: Redis;
  readonly #prefix: string;
  #closed = false;
  #lastError: Error | undefined;

  private constructor(client: Redis, instance: string) {
    this.#client = client;
    this.#prefix = `hearth:${instance}:`;
    // Without a listener ioredis prints every failed reconnect; the latest one explains the next failure.
    client.on('error', (error: Error) => {
      this.#lastError = error;
    });
  }

  /**
   * Connects and waits for the first ready connection. Later losses are retried with
   * back-off in the background while calls fail fast with HearthError('unavailable').
   */
  static async connect(config: EphemeralRedisConfig, options: EphemeralRedisOptions = {}): Promise<EphemeralRedis> {
    const common = {
      lazyConnect: true,
      // Fail instead of queueing while Redis is away, so /readyz and requests answer at once.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
      connectionName: `hearth:${config.instance}`,
      // A disconnect while reconnecting arms this timer for a socket that is already gone
      // (ioredis#1247); it holds a shutting-down process open until it fires.
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    };
    const { sentinel } = config;
    const client =
      sentinel === undefined
        ? new Redis(config.url, common)
        : // The Sentinels name the master; ioredis asks them again after a failover, and the
          // failover detector hears +switch-master at once rather than at the next failed call.
          new Redis({
            ...common,
            sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
            name: sentinel.name,
            failoverDetector: true,
            ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
          });
    const ephemeral = new EphemeralRedis(client, config.instance);
    const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    try {
      await ephemeral.#ready(timeoutMs);
    } catch (error) {
      client.disconnect();
      const reason = ephemeral.#lastError?.message ?? (error as Error).message;
      throw new Error(`Redis at ${redactUrl(config.url)} was not ready within ${timeoutMs} ms: ${reason}`, { cause: error });
    }
    return ephemeral;
  }

  async hit(key: string, windowMs: number): Promise<RateWindow> {
    return rateWindow(await this.#script(HIT, [this.#key('hit', key)], [wholeMs(windowMs)]));
  }

  async throttle(key: string, ms: number): Promise<boolean> {
    const reply = await this.#call((redis) => redis.set(this.#key('throttle', key), '1', 'PX', wholeMs(ms), 'NX'));
    return reply === 'OK';
  }

  async get(key: string): Promise<string | null> {
    return this.#call((redis) => redis.get(this.#key('value', key)));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#call((redis) => redis.set(this.#key('value', key), value, 'PX', wholeMs(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.#call((redis) => redis.del(this.#key('value', key)));
  }

  async touchPresence(userId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    const keys = [this.#connectionsKey(userId), this.#usersKey()];
    const reply = await this.#script(TOUCH, keys, [connectionId, wholeMs(ttlMs), userId]);
    return reply === 1;
  }

  async dropPresence(userId: string, connectionId: string): Promise<boolean> {
    const reply = await this.#script(DROP, [this.#connectionsKey(userId), this.#usersKey()], [connectionId, userId]);
    return reply === 1;
  }

  /** In batches, each one script, so a crowd of expired users never blocks Redis for long. */
  async expirePresence(): Promise<string[]> {
    const offline: string[] = [];
    for (;;) {
      const reply = await this.#script(EXPIRE, [this.#usersKey()], [this.#connectionsKey(''), EXPIRE_BATCH]);
      const [users, due] = expireReply(reply);
      offline.push(...users);
      if (due < EXPIRE_BATCH) return offline;
    }
  }

  async onlineUsers(): Promise<string[]> {
    return strings(await this.#script(ONLINE, [this.#usersKey()], []));
  }

  async ping(): Promise<void> {
    await this.#call((redis) => redis.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // QUIT lets replies already on their way arrive; a client that is not connected just stops retrying.
      if (this.#client.status === 'ready') await this.#client.quit();
    } catch {
      // Closing anyway: the disconnect below does not depend on the server.
    } finally {
      if (this.#client.status !== 'end') this.#client.disconnect();
    }
  }

  #key(kind: string, key: string): string {
    return `${this.#prefix}${kind}:${key}`;
  }

  #connectionsKey(userId: string): string {
    return this.#key('presence:connections', userId);
  }

  #usersKey(): string {
    return `${this.#prefix}presence:users`;
  }

  async #call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new HearthError('unavailable', 'ephemeral state is closed');
    try {
      return await command(this.#client);
    } catch (error) {
      throw new HearthError('unavailable', `Redis is unavailable: ${(error as Error).message}`, { cause: error });
    }
  }

  /** EVALSHA, falling back to EVAL once after Redis restarted and forgot its scripts. */
  #script(lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.#call(async (redis) => {
      try {
        return await redis.evalsha(lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
        return await redis.eval(lua.source, keys.length, ...keys, ...args);
      }
    });
  }

  #ready(timeoutMs: number): Promise<void> {
    const client = this.#client;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new Error(`no ready connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
      // The first attempt may fail; retryStrategy keeps trying until ready or the timer.
      client.connect().catch(() => undefined);
    });
  }
}

interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Exponential back-off with jitter, capped, never giving up: Redis may come back. */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100);
}

/** PX and PEXPIRE take whole, positive milliseconds. */
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** The URL without its password, fit for an error message (redis://, rediss:// and redis-sentinel:// alike). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function rateWindow(reply: unknown): RateWindow {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new HearthError('internal', `unexpected reply from Redis: ${JSON.stringify(reply)}`);
  }
  return { count: reply[0], resetMs: reply[1] };
}

function strings(reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((s) => typeof s === 'string')) {
    throw new HearthError('internal', `unexpected reply from Redis: ${JSON.stringify(reply)}`);
  }
  return reply as string[];
}

function expireReply(reply: unknown): [string[], number] {
  if (!Array.isArray(reply) || typeof reply[1] !== 'number') {
    throw new HearthError('internal', `unexpected reply from Redis: ${JSON.stringify(reply)}`);
  }
  return [strings(reply[0]), reply[1]];
}
