// A database password changed under a running single tier, as the operator's secret rotation
// does it: people keep posting; the password is changed in PostgreSQL (ALTER ROLE); then each
// service process is replaced, one at a time, by one started with the new password (what a
// rolling update of the pods that read the Secret does, the gateways behind the ingress as the
// Service's endpoints are). Every post is retried with its clientMessageId until acknowledged, as
// the web client does; what is counted is the attempts that failed meanwhile, and at the end
// whether every acknowledged post is in the store.
//
// PostgreSQL here checks the services' password (scram-sha-256), where the harness's trusts every
// loopback client, so a process still on the old password would be refused: the roll must really
// move them all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, startIngress, startNats, startPostgres, startRedis, startTogether, type Ingress } from '@hearth/harness';
import { ApiError, createTeam, DEFAULT_ROOM, type HearthClient, type Team } from './client.ts';
import { startService, type ServiceProcess } from './harness.ts';
import type { Message } from './protocol.ts';

const run = promisify(execFile);
/** The role the services connect as, and its password before and after the rotation. */
const APP_ROLE = 'app';
export const OLD_PASSWORD = 'first-password';
export const NEW_PASSWORD = 'second-password';

/** The processes of each role, in the order they are rolled: messaging first, the way in last. */
const ROLL: readonly (readonly [string, number])[] = [
  ['messaging', 2],
  ['realtime', 1],
  ['gateway', 2],
];

export interface PasswordRollReport {
  readonly posters: number;
  /** Posts acknowledged (201) over the whole run. */
  readonly acknowledged: number;
  /** Attempts that got no 201 (an error status or no answer); each was retried with the same clientMessageId. */
  readonly failedAttempts: number;
  /** Of those, the ones during the roll (from ALTER ROLE to the last process ready). */
  readonly failedDuringRoll: number;
  /**
   * And the ones after it, every process on the new password and ready: the ingress's nginx keeps a
   * gateway it saw fail out of rotation for its fail_timeout (2 s), so with both just restarted it
   * answers its own 503 for a moment after the last is back.
   */
  readonly failedAfterRoll: number;
  /** The failed attempts by what came back: an HTTP status and the error code of its body, or `no answer`. */
  readonly failures: Readonly<Record<string, number>>;
  /** Acknowledged posts the store does not have: must be 0. */
  readonly lost: number;
  /** From ALTER ROLE until the last new process was ready. */
  readonly rollMs: number;
  /** Processes replaced. */
  readonly processes: number;
  /** Whether PostgreSQL refuses the old password once the roll is done. */
  readonly oldPasswordRefused: boolean;
}

/** PostgreSQL with password authentication for the app's role, its database, on a free port. */
interface PasswordPostgres {
  urlFor(password: string): string;
  sql(statement: string): Promise<string>;
  /** Whether `password` opens a connection as the app's role. */
  accepts(password: string): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The harness's PostgreSQL, made to check passwords: its superuser keeps trust on loopback (the
 * harness's own checks use it), every other role must give its password (scram-sha-256). A
 * superuser may write the server's files, and PostgreSQL reads pg_hba.conf again on a reload.
 */
async function startPasswordPostgres(): Promise<PasswordPostgres> {
  const server = await startPostgres({ durable: true });
  const psql = async (url: string, statement: string): Promise<string> => (await run('psql', [url, '-qAtc', statement])).stdout;
  const superuser = server.url;
  const port = new URL(superuser).port;
  const urlFor = (password: string): string => `postgres://${APP_ROLE}:${password}@127.0.0.1:${port}/hearth`;
  const hbaFile = (await psql(superuser, 'SHOW hba_file')).trim();
  await psql(superuser, `COPY (VALUES ('host all hearth 127.0.0.1/32 trust'), ('host all all 127.0.0.1/32 scram-sha-256')) TO '${hbaFile}'`);
  await psql(superuser, 'SELECT pg_reload_conf()');
  await psql(superuser, `CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${OLD_PASSWORD}'`);
  await psql(superuser, `CREATE DATABASE hearth OWNER ${APP_ROLE}`);
  return {
    urlFor,
    sql: (statement) => psql(superuser, statement),
    accepts: (password) =>
      psql(urlFor(password), 'SELECT 1').then(
        () => true,
        () => false,
      ),
    stop: () => server.stop(),
  };
}

/** The single tier's services on fixed ports behind nginx, each replaceable by one with another environment. */
interface RollingTier {
  readonly url: string;
  /** Stops process `index` of `role` and starts it again on its port with `env`. */
  replace(role: string, index: number, env: Record<string, string>): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

async function startRollingTier(backendEnv: Record<string, string>): Promise<RollingTier> {
  const ingressPort = await freePort();
  const url = `http://127.0.0.1:${ingressPort}`;
  const processes = new Map<string, ServiceProcess[]>();
  const start = (role: string, port: number, env: Record<string, string>): Promise<ServiceProcess> =>
    startService({ env: { ...env, HEARTH_PUBLIC_URL: url } }, role, port);
  for (const [role, count] of ROLL) {
    const started: ServiceProcess[] = [];
    for (let i = 0; i < count; i += 1) started.push(await start(role, await freePort(), backendEnv));
    processes.set(role, started);
  }
  const portsOf = (role: string): number[] => (processes.get(role) ?? []).map((service) => service.port);
  const ingress: Ingress = await startIngress({ gateway: portsOf('gateway'), realtime: portsOf('realtime') }, ingressPort);
  const all = (): ServiceProcess[] => [...processes.values()].flat();
  return {
    url,
    async replace(role, index, env) {
      const list = processes.get(role) ?? [];
      const old = list[index];
      if (old === undefined) throw new Error(`no ${role} process ${index}`);
      await old.stop();
      list[index] = await start(role, old.port, env);
    },
    output: () =>
      all()
        .map((service) => `--- ${service.role} :${service.port} ---\n${service.output()}`)
        .join('\n'),
    async stop() {
      await Promise.allSettled(all().map((service) => service.stop()));
      await ingress.stop();
    },
  };
}

/** Posters that post until told to stop, retrying each post with its clientMessageId until acknowledged. */
interface Posting {
  readonly acknowledged: Message[];
  /** What the failed attempts got back, counted. */
  readonly failures: Record<string, number>;
  /** When each failed attempt came back (performance.now()). */
  readonly failedAt: number[];
  stop(): Promise<void>;
}

function startPosting(roomId: string, clients: readonly HearthClient[]): Posting {
  const acknowledged: Message[] = [];
  const failures: Record<string, number> = {};
  const failedAt: number[] = [];
  let stopping = false;
  const postUntilAcknowledged = async (client: HearthClient, body: string, id: string): Promise<void> => {
    for (;;) {
      try {
        acknowledged.push(await client.post(roomId, body, id));
        return;
      } catch (error) {
        failedAt.push(performance.now());
        const what = failureOf(error);
        failures[what] = (failures[what] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const loops = clients.map(async (client, poster) => {
    for (let i = 1; !stopping; i += 1) await postUntilAcknowledged(client, `poster ${poster} says ${i}`, `rotation-${poster}-${i}`);
  });
  return {
    acknowledged,
    failures,
    failedAt,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** `503 unavailable`, or `no answer` for a request that got no response at all. */
function failureOf(error: unknown): string {
  if (!(error instanceof ApiError)) return 'no answer';
  const code = (error.body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? `${error.status} ${code}` : String(error.status);
}

/** Every message of the room, read page by page. */
async function storedMessages(client: HearthClient, roomId: string): Promise<Message[]> {
  const stored: Message[] = [];
  for (;;) {
    const page = await client.messages(roomId, { after: stored.at(-1)?.seq ?? 0, limit: 100 });
    if (page.length === 0) return stored;
    stored.push(...page);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The roll itself: the password changed in the database, then each process replaced in turn. */
async function rollOntoNewPassword(postgres: PasswordPostgres, tier: RollingTier, env: Record<string, string>): Promise<number> {
  await postgres.sql(`ALTER ROLE ${APP_ROLE} PASSWORD '${NEW_PASSWORD}'`);
  let replaced = 0;
  for (const [role, count] of ROLL) {
    for (let i = 0; i < count; i += 1) {
      await tier.replace(role, i, { ...env, HEARTH_DATABASE_URL: postgres.urlFor(NEW_PASSWORD) });
      replaced += 1;
    }
  }
  return replaced;
}

export interface PasswordRollOptions {
  readonly posters?: number;
  /** Posting before and after the roll. */
  readonly steadyMs?: number;
}

/** Runs the whole scenario on fresh backends and reports what the posters saw and what the store holds. */
export async function runPasswordRoll(options: PasswordRollOptions = {}): Promise<PasswordRollReport> {
  const posters = options.posters ?? 4;
  const steadyMs = options.steadyMs ?? 1_000;
  const [postgres, nats, redis] = await startTogether([startPasswordPostgres(), startNats(), startRedis()] as const);
  const env = { HEARTH_NATS_URL: nats.url, HEARTH_REDIS_URL: redis.url };
  let tier: RollingTier | undefined;
  try {
    tier = await startRollingTier({ ...env, HEARTH_DATABASE_URL: postgres.urlFor(OLD_PASSWORD) });
    const team: Team = await createTeam(tier.url, posters - 1);
    const roomId = (await team.admin.roomNamed(DEFAULT_ROOM)).id;
    const posting = startPosting(roomId, [team.admin, ...team.members]);
    await sleep(steadyMs);
    const rollStarted = performance.now();
    const processes = await rollOntoNewPassword(postgres, tier, env);
    const rollEnded = performance.now();
    await sleep(steadyMs);
    await posting.stop();
    const stored = new Set((await storedMessages(team.admin, roomId)).map((message) => message.id));
    return {
      posters,
      acknowledged: posting.acknowledged.length,
      failedAttempts: posting.failedAt.length,
      failedDuringRoll: posting.failedAt.filter((at) => at >= rollStarted && at <= rollEnded).length,
      failedAfterRoll: posting.failedAt.filter((at) => at > rollEnded).length,
      failures: { ...posting.failures },
      lost: posting.acknowledged.filter((message) => !stored.has(message.id)).length,
      rollMs: rollEnded - rollStarted,
      processes,
      oldPasswordRefused: !(await postgres.accepts(OLD_PASSWORD)) && (await postgres.accepts(NEW_PASSWORD)),
    };
  } catch (error) {
    throw new Error(`${String(error)}\n${tier?.output() ?? ''}`, { cause: error });
  } finally {
    await tier?.stop();
    await Promise.allSettled([postgres.stop(), nats.stop(), redis.stop()]);
  }
}
