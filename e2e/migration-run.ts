import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from './chaos-helpers.ts';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startClusteredBackends } from './clustered-tier.ts';
import { runHearthCommand, startHearth, type CommandRun } from './harness.ts';
import { sleep } from './helpers.ts';
import { MigratingWriter, onTier, TierFollower } from './migration-clients.ts';
import { startServiceTier, type TierBackends } from './service-tier.ts';
import { startSingleBackends } from './single-tier.ts';

/**
 * A tier migration run as processes, as the operator's steps do it, for the end-to-end test
 * (clustered-tier/migration.test.ts) and the benchmark (bench/migration.ts): a Hearth on the embedded tier with
 * many messages in 50 rooms (edits, deletions, boosts, a bot, audit entries), moved to the single
 * tier and then to the clustered tier. At each step the new tier's backends start, `hearth
 * migrate` copies the old store into the new one (writes paused on the old tier meanwhile),
 * the new tier's services start on the copy, and every client switches to it: writers retry
 * what was refused there, and followers resume with the last seq they applied.
 */

export type MigrationTier = 'embedded' | 'single' | 'clustered';

export interface MigrationRunOptions {
  /** Messages posted through the API before the migration (with edits, deletions and boosts among them). */
  readonly messages: number;
  readonly rooms: number;
  /** Records added straight into the embedded store while its server is stopped (the benchmark's 100,000 messages). */
  readonly bulk?: (dataDir: string, population: Population) => Promise<void>;
  readonly log?: (line: string) => void;
}

/** One `hearth migrate` step, as the clients and the command saw it. */
export interface StepReport {
  readonly from: MigrationTier;
  readonly to: MigrationTier;
  /** The records copied (the done line's count). */
  readonly records: number;
  /** hearth migrate, from its start to its exit 0 (the copy and the verification, and the process's start). */
  readonly migrateMs: number;
  readonly recordsPerSecond: number;
  /** Its progress lines on standard output. */
  readonly progress: readonly MigrateProgress[];
  /** From the first write refused on the old tier to the first write accepted on the new tier, as the writers saw it. */
  readonly windowMs: number;
  /** Of that window, hearth migrate's part ends here (ms after the first refusal); the rest is the new tier's services starting. */
  readonly copyPartMs: number;
  /** Writes refused in this step: every one a 503 `migrating` with Retry-After. */
  readonly refusals: readonly { readonly status: number; readonly code: string | null; readonly retryAfter: string | null }[];
  /** Reads on the old tier while its writes were paused (GET messages), and how many answered 200. */
  readonly readsWhilePaused: { readonly ok: number; readonly all: number };
  /** Typing frames the followers received from the old tier while its writes were paused: its realtime stream stays live. */
  readonly liveFramesWhilePaused: number;
  /** Where the exports of the two stores differ after the copy (null: identical). */
  readonly exportDifference: string | null;
}

/** What the API made, for records added beside it. */
export interface Population {
  readonly roomIds: readonly string[];
  readonly userIds: readonly string[];
}

export interface MigrateProgress {
  readonly stage: string;
  readonly copied: number;
  readonly total: number;
}

export interface MigrationRun {
  readonly steps: StepReport[];
  readonly writers: readonly MigratingWriter[];
  readonly followers: readonly TierFollower[];
  /** The last tier, running: for the checks after the run. */
  readonly final: LiveTier;
  readonly admin: HearthClient;
  readonly roomIds: readonly string[];
  stop(): Promise<void>;
}

interface LiveTier {
  readonly name: MigrationTier;
  readonly url: string;
  /** The store as the server's (for hearth export) and as hearth migrate's source. */
  readonly storeEnv: Readonly<Record<string, string>>;
  readonly sourceEnv: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

const WRITERS = 2;

/** Starts the embedded tier, fills it, and moves it up through `to`, a step at a time. */
export async function runTierMigrations(options: MigrationRunOptions, to: readonly Exclude<MigrationTier, 'embedded'>[]): Promise<MigrationRun> {
  const log = options.log ?? (() => undefined);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hearth-migration-'));
  let tier = await startEmbedded(dataDir);
  const team = await createTeam(tier.url, 3);
  const roomIds = await populate(team.admin, team.members, options);
  log(`embedded tier filled through the API: ${options.messages} messages in ${roomIds.length} rooms`);
  if (options.bulk !== undefined) {
    await tier.stop();
    await options.bulk(dataDir, { roomIds, userIds: [team.admin, ...team.members].map((client) => client.userId) });
    tier = await startEmbedded(dataDir);
    log('bulk records added to the embedded store');
  }
  const admin = onTier(team.admin, tier.url);
  const members = team.members.map((member) => onTier(member, tier.url));
  const writers = [admin, members[0]!].slice(0, WRITERS).map((client, i) => new MigratingWriter(client, roomIds.slice(0, 4), `writer-${i}`, 20));
  const followers = [
    new TierFollower('websocket', members[0]!, 'websocket'),
    new TierFollower('sse', members[1]!, 'sse'),
    new TierFollower('sse Last-Event-ID', members[2]!, 'sse', { lastEventIdRoom: roomIds[0]! }),
  ];
  await Promise.all(followers.map((follower) => follower.connect()));
  for (const writer of writers) writer.start();
  const steps: StepReport[] = [];
  try {
    for (const next of to) {
      await sleep(500); // some posts land live on the old tier first
      const moved = await migrateStep(tier, next, { admin, writers, followers, roomIds }, log);
      steps.push(moved.report);
      tier = moved.tier;
    }
  } catch (error) {
    // Writers retry for ever: a failed run stops them, or the test process would never end.
    await stopAll(writers, followers, tier, dataDir);
    throw error;
  }
  const final = tier;
  return {
    steps,
    writers,
    followers,
    final,
    admin: onTier(admin, final.url),
    roomIds,
    stop: () => stopAll(writers, followers, final, dataDir),
  };
}

async function stopAll(writers: readonly MigratingWriter[], followers: readonly TierFollower[], tier: LiveTier, dataDir: string): Promise<void> {
  await Promise.allSettled(writers.map((writer) => writer.stop()));
  await Promise.allSettled(followers.map((follower) => follower.stop()));
  await tier.stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function startEmbedded(dataDir: string): Promise<LiveTier> {
  const hearth = await startHearth({ tier: 'embedded', dataDir });
  return {
    name: 'embedded',
    url: hearth.url,
    storeEnv: { HEARTH_DATA_DIR: dataDir },
    sourceEnv: { HEARTH_SOURCE_DATA_DIR: dataDir },
    stop: () => hearth.stop({ keepData: true }),
  };
}

async function startBackends(name: Exclude<MigrationTier, 'embedded'>): Promise<TierBackends> {
  return name === 'single' ? startSingleBackends() : startClusteredBackends();
}

async function startServices(name: Exclude<MigrationTier, 'embedded'>, backends: TierBackends): Promise<LiveTier> {
  const replicas = name === 'clustered' ? { messaging: 2, realtime: 2, gateway: 2 } : {};
  const tier = await startServiceTier(backends, { replicas });
  const url = backends.env['HEARTH_DATABASE_URL'] ?? '';
  return { name, url: tier.url, storeEnv: { HEARTH_DATABASE_URL: url }, sourceEnv: { HEARTH_SOURCE_DATABASE_URL: url }, stop: () => tier.stop() };
}

/** People, 50 rooms, a bot that posts, role changes in the audit log, and messages with edits, deletions and boosts. */
async function populate(admin: HearthClient, members: readonly HearthClient[], options: MigrationRunOptions): Promise<string[]> {
  const roomIds = [(await admin.roomNamed(DEFAULT_ROOM)).id];
  for (let r = 1; r < options.rooms; r++) roomIds.push((await admin.createRoom('open', `room ${r}`)).id);
  const bot = await admin.call<{ userId: string }>('POST', '/api/admin/bots', { name: 'Deployer', webhookUrl: null, roomIds: [roomIds[0]] }, [201]);
  const { token } = await admin.call<{ token: string }>('POST', `/api/admin/bots/${bot.userId}/tokens`, { name: 'ci', roomIds: [roomIds[0]] }, [201]);
  for (let i = 0; i < 5; i++) await postAsBot(admin.baseUrl, token, roomIds[0]!, i);
  for (const role of ['administrator', 'member']) await admin.call('PATCH', `/api/users/${members[0]!.userId}`, { role });
  const people = [admin, ...members];
  const next = { i: 0 };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next.i++; i < options.messages; i = next.i++) await postWithChanges(people, roomIds, i);
    }),
  );
  return roomIds;
}

async function postAsBot(url: string, token: string, roomId: string, i: number): Promise<void> {
  const response = await fetch(`${url}/api/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: `deployed build ${i}`, clientMessageId: `bot-${i}` }),
  });
  if (response.status !== 201) throw new Error(`the bot's post answered ${response.status}: ${await response.text()}`);
}

async function postWithChanges(people: readonly HearthClient[], roomIds: readonly string[], i: number): Promise<void> {
  const author = people[i % people.length]!;
  const message = await author.post(roomIds[i % roomIds.length]!, `message ${i}: café 東京`, `seed-${i}`);
  if (i % 40 === 1) await author.call('PATCH', `/api/messages/${message.id}`, { body: `message ${i}, edited` });
  if (i % 60 === 2) await author.call('DELETE', `/api/messages/${message.id}`);
  if (i % 25 === 3) await people[(i + 1) % people.length]!.call('POST', `/api/messages/${message.id}/boosts`, { content: '👍' }, [201]);
}

interface Clients {
  readonly admin: HearthClient;
  readonly writers: readonly MigratingWriter[];
  readonly followers: readonly TierFollower[];
  readonly roomIds: readonly string[];
}

/** One step: backends, hearth migrate (the old tier paused and serving reads), the new services, the switch. */
async function migrateStep(
  from: LiveTier,
  to: Exclude<MigrationTier, 'embedded'>,
  clients: Clients,
  log: (line: string) => void,
): Promise<{ tier: LiveTier; report: StepReport }> {
  const backends = await startBackends(to);
  log(`the ${to} tier's backends are up`);
  try {
    return await switchTo(from, { name: to, backends }, clients, log);
  } catch (error) {
    await backends.stop();
    throw error;
  }
}

interface NextTier {
  readonly name: Exclude<MigrationTier, 'embedded'>;
  /** Its backends, up; its services start once the copy is verified. */
  readonly backends: TierBackends;
}

async function switchTo(
  from: LiveTier,
  { name: to, backends }: NextTier,
  clients: Clients,
  log: (line: string) => void,
): Promise<{ tier: LiveTier; report: StepReport }> {
  const stepStart = Date.now();
  const whilePaused = watchWhilePaused(from.url, clients, stepStart);
  const started = performance.now();
  const run = await runHearthCommand(['migrate'], { ...from.sourceEnv, HEARTH_DATABASE_URL: backends.env['HEARTH_DATABASE_URL'] ?? '' });
  const migrateMs = performance.now() - started;
  const migratedAt = Date.now();
  if (run.code !== 0) {
    await whilePaused.stop();
    throw new Error(`hearth migrate ${from.name} → ${to} exited ${run.code}: ${run.stderr}`);
  }
  const progress = progressOf(run);
  const records = progress.at(-1)?.copied ?? 0;
  log(`hearth migrate ${from.name} → ${to}: ${records} records in ${Math.round(migrateMs)} ms`);
  // The check runs beside the services' start, so it adds little to the window the writers see.
  const [exportDifference, tier] = await Promise.all([
    differenceOfExports(from.storeEnv, { HEARTH_DATABASE_URL: backends.env['HEARTH_DATABASE_URL'] ?? '' }),
    startServices(to, backends),
  ]);
  log(`the ${to} tier's services are up on the copy`);
  for (const writer of clients.writers) writer.moveTo(tier.url);
  const paused = await whilePaused.stop();
  await Promise.all(clients.followers.map((follower) => follower.moveTo(tier.url)));
  log('the followers resumed on the new tier');
  const firstAccepted = await firstAcknowledgedOn(tier.url, clients.writers);
  await from.stop();
  const refusals = clients.writers.flatMap((writer) => writer.refusals.filter((refusal) => refusal.at >= stepStart));
  const firstRefused = Math.min(...refusals.map((refusal) => refusal.at));
  const report: StepReport = {
    from: from.name,
    to,
    records,
    migrateMs: Math.round(migrateMs),
    recordsPerSecond: Math.round(records / (migrateMs / 1000)),
    progress,
    windowMs: firstAccepted - firstRefused,
    copyPartMs: migratedAt - firstRefused,
    refusals: refusals.map(({ status, code, retryAfter }) => ({ status, code, retryAfter })),
    ...paused,
    exportDifference,
  };
  log(`switched to the ${to} tier: writes unavailable for ${report.windowMs} ms`);
  return { tier, report };
}

function progressOf(run: CommandRun): MigrateProgress[] {
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MigrateProgress);
}

/** The first write the new tier acknowledged (its Date.now()). */
async function firstAcknowledgedOn(url: string, writers: readonly MigratingWriter[]): Promise<number> {
  const first = (): number => Math.min(...writers.flatMap((writer) => writer.acknowledged.filter((ack) => ack.url === url).map((ack) => ack.at)));
  await eventually('a write accepted on the new tier', () => Number.isFinite(first()), 60_000);
  return first();
}

/**
 * Once a writer has been refused (the pause is in), reads and typing on the old tier until
 * stopped: reads must answer, and the followers must still get live frames.
 */
function watchWhilePaused(
  url: string,
  { admin, writers, followers, roomIds }: Clients,
  since: number,
): { stop(): Promise<Pick<StepReport, 'readsWhilePaused' | 'liveFramesWhilePaused'>> } {
  let stopping = false;
  const reader = onTier(admin, url);
  const reads = { ok: 0, all: 0 };
  const typingBefore = new Map<TierFollower, number>();
  const running = (async () => {
    await eventually(
      'a write refused on the old tier',
      () => stopping || writers.some((writer) => writer.refusals.some((refusal) => refusal.at >= since)),
      120_000,
    );
    for (const follower of followers) typingBefore.set(follower, typingOf(follower));
    for (let n = 0; !stopping; n++) {
      const roomId = roomIds[n % roomIds.length]!;
      const read = await reader.raw('GET', `/api/rooms/${roomId}/messages?limit=5`).catch(() => null);
      reads.all += 1;
      if (read?.status === 200) reads.ok += 1;
      await reader.raw('POST', `/api/rooms/${roomId}/typing`).catch(() => null);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await running;
      const liveFramesWhilePaused = followers.reduce((sum, follower) => sum + typingOf(follower) - (typingBefore.get(follower) ?? typingOf(follower)), 0);
      return { readsWhilePaused: reads, liveFramesWhilePaused };
    },
  };
}

function typingOf(follower: TierFollower): number {
  follower.absorb();
  return follower.otherFrames.get('typing') ?? 0;
}

/**
 * `hearth export` of both stores, compared line by line, but for what the old tier still writes
 * after the copy, as bookkeeping a pause lets through and which is not the copy's to hold: a
 * session's last use and expiry (reading), and the outbox (its relay publishes the events it
 * held and deletes their rows; the new tier publishes its copies to its own bus, and streams
 * drop a seq they have). The header and the end line count and sum those up too, so they are
 * left out, and the rows compared instead.
 */
async function differenceOfExports(source: Readonly<Record<string, string>>, target: Readonly<Record<string, string>>): Promise<string | null> {
  const [a, b] = await Promise.all([exportedRows(source), exportedRows(target)]);
  if (a.length !== b.length) {
    const only = (x: readonly string[], y: readonly string[]): string | undefined => x.find((line) => !new Set(y).has(line));
    return `the source has ${a.length} lines, the target ${b.length}: only in the source ${only(a, b)?.slice(0, 200)}; only in the target ${only(b, a)?.slice(0, 200)}`;
  }
  const index = a.findIndex((line, i) => line !== b[i]);
  return index === -1 ? null : `line ${index + 1}: ${a[index]?.slice(0, 200)} ≠ ${b[index]?.slice(0, 200)}`;
}

async function exportedRows(storeEnv: Readonly<Record<string, string>>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-migration-export-'));
  try {
    const file = path.join(dir, 'export.ndjson');
    const run = await runHearthCommand(['export', '--out', file], storeEnv);
    if (run.code !== 0) throw new Error(`hearth export failed: ${run.stderr}`);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    return lines.slice(1, -1).flatMap(withoutBookkeeping);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function withoutBookkeeping(line: string): string[] {
  const record = JSON.parse(line) as { table?: string; row?: Record<string, unknown> };
  if (record.table === 'outbox') return [];
  if (record.table !== 'sessions' || record.row === undefined) return [line];
  const row = { ...record.row };
  delete row['last_seen_at'];
  delete row['expires_at'];
  return [JSON.stringify({ table: 'sessions', row })];
}
