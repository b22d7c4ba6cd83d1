import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { eventually, ResumingMember, SteadyPoster, within } from './chaos-helpers.ts';
import { countPosts } from './chaos/check.ts';
import { createdMessages, range, seqsOf, sleep } from './helpers.ts';
import type { Message } from './protocol.ts';
import type { ServiceTier } from './service-tier.ts';

/**
 * DESIGN.md §2's delivery guarantee under faults, for any server tier: while several people post
 * steadily and others follow over WebSocket and SSE through the Ingress, each fault is injected
 * and (where it has one) recovered from, and the load must go on after each. Afterwards every
 * acknowledged post is stored once, and every member received each (room, seq) once, in order,
 * without a gap: acknowledged == stored == delivered. A refused post is retried with the same
 * clientMessageId, so nothing stored goes unacknowledged; no answer is a 500 and every 503 says
 * when to retry.
 */

export interface Fault {
  /** What is done, as a step of the diagnostics reads it: `kill -9 of the PostgreSQL primary`. */
  readonly name: string;
  inject(): Promise<void>;
  /** What must follow the fault before the load is looked at (streams reconnecting, say); `before` is the run as it was just before the fault. */
  settle?(run: FaultRun, before: { readonly reconnects: number }): Promise<void>;
  /** Brings back what the fault took, if the tier does not do so itself. */
  recover?(): Promise<void>;
  /** A quiet time under load before the fault, so that faults do not follow each other at the same pace. */
  readonly quietMs?: number;
}

/** What a fault's settle may look at. */
export interface FaultRun {
  /** Stream reconnects of all followers so far. */
  reconnects(): number;
}

/** The client-visible outage of a fault. */
export interface Outage {
  readonly fault: string;
  /** The longest time without any acknowledgement, from its injection to the load going on. */
  readonly ms: number;
  /**
   * From the injection to the first acknowledgement of a post sent after it, by any poster: the
   * failover as clients see it. A post in flight at the injection does not count: it may have
   * been committed before the fault.
   */
  readonly firstAckMs: number;
  /** From the injection until every poster had a post sent after it acknowledged; null if one never did. */
  readonly everyPosterMs: number | null;
}

/** What a run did, beside each fault's outage. */
export interface FaultRunReport {
  readonly outages: readonly Outage[];
  /** The load: posters, the pause after each acknowledgement, realtime followers. */
  readonly load: { readonly posters: number; readonly postIntervalMs: number; readonly followers: number };
  readonly acknowledged: number;
  /** Acknowledged posts not stored as acknowledged; the run fails unless there are none. */
  readonly lostAcknowledged: number;
  /** Failed attempts, each retried with the same clientMessageId until acknowledged. */
  readonly retriedAttempts: number;
  readonly reconnects: number;
}

/** Where a run's notes go: a test's diagnostics, or a benchmark's log. */
export type Diagnostics = Pick<TestContext, 'diagnostic'>;

const POST_INTERVAL_MS = 50;
/** Acknowledgements (and time under load) that show the load goes on after a step. */
const PROGRESS = 40;
const HOLD_MS = 1_000;
const PROGRESS_WITHIN_MS = 60_000;
/**
 * Once the load stops, a healthy tier delivers the last events in well under a second; the
 * slowest legitimate path (a follower's reconnect back-off plus catch-up from the store, or a
 * live feed replaced after its server went) takes several seconds. A feed that stalls for half a
 * minute is a failure.
 */
const CONVERGE_WITHIN_MS = 30_000;

/** The shape of the load. */
export interface LoadOptions {
  /** Rooms posted to in turn, the team's default room among them (default 2). */
  readonly rooms?: number;
}

/** Runs the load through `faults` on `tier`, then asserts acknowledged == stored == delivered; returns each fault's outage as clients saw it. */
export async function runDeliveryUnderFaults(t: Diagnostics, tier: ServiceTier, faults: readonly Fault[]): Promise<FaultRunReport> {
  const record = await runLoadUnderFaults(t, tier, faults);
  return checkRun(record);
}

/**
 * What a run under faults saw, once the posters stopped and the followers drained: what each
 * poster attempted and had acknowledged, what each follower received, and what is stored.
 */
export interface FaultRunRecord {
  readonly outages: readonly Outage[];
  readonly posters: readonly SteadyPoster[];
  readonly followers: readonly ResumingMember[];
  /** Each room's messages stored after its seq before the run. */
  readonly stored: ReadonlyMap<string, readonly Message[]>;
  readonly rooms: RoomSeqs;
  readonly report: Omit<FaultRunReport, 'lostAcknowledged'>;
}

/**
 * Runs the load through `faults` on `tier` and records what it saw, asserting nothing about it:
 * a run fails here only when the load stops going on after a step (no acknowledgement, or a
 * follower that does not catch up, within a minute).
 */
export async function runLoadUnderFaults(t: Diagnostics, tier: ServiceTier, faults: readonly Fault[], options: LoadOptions = {}): Promise<FaultRunRecord> {
  const load = await prepareLoad(tier, options.rooms ?? 2);
  const startedAt = performance.now();
  const step = async (name: string): Promise<void> => {
    await progress(t, load, name, startedAt);
    await caughtUp(load, name, acknowledgedSeqs(load));
  };
  try {
    await startFollowers(load);
    const injections = await postThroughFaults(load, faults, step);
    return await recordRun(t, load, injections);
  } finally {
    await Promise.all(load.followers.map((follower) => follower.stop()));
  }
}

/** The clients and rooms of a run, none started yet. */
interface Load {
  readonly admin: HearthClient;
  readonly roomIds: readonly string[];
  /** Each room's seq before the run. */
  readonly base: ReadonlyMap<string, number>;
  readonly followers: readonly ResumingMember[];
  readonly posters: readonly SteadyPoster[];
  readonly run: FaultRun;
}

/** A fault as it was injected: when, and the longest silence of the acknowledgements after it. */
interface Injection {
  readonly fault: string;
  readonly injectedAt: number;
  readonly silenceMs: number;
}

async function prepareLoad(tier: ServiceTier, rooms: number): Promise<Load> {
  const { admin, members } = await createTeam(tier.url, 5);
  const roomIds = [(await admin.roomNamed(DEFAULT_ROOM)).id];
  for (let i = 1; i < rooms; i += 1) roomIds.push((await admin.createRoom('open', i === 1 ? 'Chaos' : `Chaos ${i}`)).id);
  const base = new Map<string, number>();
  for (const roomId of roomIds) base.set(roomId, (await admin.room(roomId)).lastSeq);

  // Four members follow over both transports; nginx spreads them over the realtime processes.
  const followers = members
    .slice(0, 4)
    .flatMap((member, i) => [
      new ResumingMember(`member ${i + 1} websocket`, member, 'websocket', tier.url),
      new ResumingMember(`member ${i + 1} sse`, member, 'sse', tier.url),
    ]);
  const posters = [admin, ...members.slice(0, 3)].map((client: HearthClient, i) => new SteadyPoster(client, roomIds, `chaos${i}`, POST_INTERVAL_MS));
  const run: FaultRun = { reconnects: () => followers.reduce((sum, follower) => sum + follower.connections - 1, 0) };
  return { admin, roomIds, base, followers, posters, run };
}

/** Starts every follower and waits until each is live at the rooms' seqs before the run. */
async function startFollowers({ followers, roomIds, base }: Load): Promise<void> {
  for (const follower of followers) follower.start();
  await within('every follower connected', Promise.all(followers.map((follower) => follower.firstReady)), 15_000);
  for (const follower of followers)
    for (const roomId of roomIds) assert.equal(follower.started.get(roomId), base.get(roomId), `${follower.name} starts live at the room's seq`);
}

/** Posts steadily through every fault and its recovery, `step` after each; the posters are stopped at the end. */
async function postThroughFaults(load: Load, faults: readonly Fault[], step: (name: string) => Promise<void>): Promise<Injection[]> {
  const injections: Injection[] = [];
  try {
    for (const poster of load.posters) poster.start();
    await step('at the start');
    for (const fault of faults) injections.push(await injectFault(load, fault, step));
  } finally {
    await Promise.all(load.posters.map((poster) => poster.stop()));
  }
  return injections;
}

async function injectFault({ posters, run }: Load, fault: Fault, step: (name: string) => Promise<void>): Promise<Injection> {
  if (fault.quietMs !== undefined) await sleep(fault.quietMs);
  const injectedAt = Date.now();
  const before = { reconnects: run.reconnects() };
  await fault.inject();
  await fault.settle?.(run, before);
  await step(`after ${fault.name}`);
  const injection = { fault: fault.name, injectedAt, silenceMs: longestSilence(posters, injectedAt, Date.now()) };
  if (fault.recover !== undefined) {
    await fault.recover();
    await step(`once recovered from ${fault.name}`);
  }
  return injection;
}

/** Once the posters stopped: every follower catches up (the final drain), and the store is read back. */
async function recordRun(t: Diagnostics, load: Load, injections: readonly Injection[]): Promise<FaultRunRecord> {
  const { admin, roomIds, base, followers, posters, run } = load;
  // Measured once the posters stopped: one still retrying at the end of a step gets through later.
  const outages = injections.map(({ fault, injectedAt, silenceMs }): Outage => ({ fault, ms: silenceMs, ...waitsAfter(posters, injectedAt) }));
  const acknowledged = posters.flatMap((poster) => poster.acknowledged);
  const lastSeq = new Map<string, number>();
  for (const roomId of roomIds) lastSeq.set(roomId, (await admin.room(roomId)).lastSeq);
  // A follower that does not catch up is left for the checks to count and explain.
  await caughtUp(load, 'once the load stopped', lastSeq).catch((error: unknown) => t.diagnostic(String(error)));
  const refusals = posters.flatMap((poster) => poster.failures);
  t.diagnostic(
    `${acknowledged.length} acknowledged; ${refusals.length} failed attempts retried; ${run.reconnects()} stream reconnects; final seqs ${roomIds.map((r) => lastSeq.get(r)).join(', ')}`,
  );
  for (const outage of outages) t.diagnostic(`outage seen by clients after ${outage.fault}: ${outage.ms} ms`);
  for (const failure of refusals.slice(0, 5)) t.diagnostic(`retried: ${failure}`);
  const stored = await storedSince(admin, roomIds, base);
  const shape = { posters: posters.length, postIntervalMs: POST_INTERVAL_MS, followers: followers.length };
  const report = { outages, load: shape, acknowledged: acknowledged.length, retriedAttempts: refusals.length, reconnects: run.reconnects() };
  return { outages, posters, followers, stored, rooms: { roomIds, base, lastSeq }, report };
}

/** acknowledged == stored == delivered, and every refused post could be retried. */
function checkRun({ posters, followers, stored, rooms, report }: FaultRunRecord): FaultRunReport {
  const acknowledged = posters.flatMap((poster) => poster.acknowledged);
  assertAnswersRetryable(
    posters,
    posters.flatMap((poster) => poster.failures),
  );
  const lostAcknowledged = countPosts([], acknowledged, [...stored.values()].flat()).lost;
  assertStoredIsAcknowledged(acknowledged, stored, rooms);
  for (const follower of followers) assertDelivered(follower, stored, rooms);
  return { ...report, lostAcknowledged };
}

/** No answer a retry cannot fix, no 500, and every 503 says when to retry. */
function assertAnswersRetryable(posters: readonly SteadyPoster[], refusals: readonly string[]): void {
  for (const poster of posters) assert.deepEqual(poster.unexpected, [], `${poster.prefix}: no answer that a retry cannot fix`);
  assert.deepEqual(
    refusals.filter((failure) => / 500 /.test(failure)),
    [],
    'no 500',
  );
  for (const poster of posters) assert.deepEqual(poster.withoutRetryAfter, [], `${poster.prefix}: every 503 says when to retry`);
}

function acknowledgedCount(posters: readonly SteadyPoster[]): number {
  return posters.reduce((sum, poster) => sum + poster.acknowledged.length, 0);
}

/** The load goes on after a step: PROGRESS more acknowledgements, and HOLD_MS under load. */
async function progress(t: Diagnostics, { posters }: Load, step: string, startedAt: number): Promise<void> {
  const target = acknowledgedCount(posters) + PROGRESS;
  const holdUntil = Date.now() + HOLD_MS;
  await eventually(
    `${PROGRESS} more posts acknowledged ${step}`,
    () => acknowledgedCount(posters) >= target && Date.now() >= holdUntil,
    PROGRESS_WITHIN_MS,
    () => failuresOf(posters),
  );
  t.diagnostic(`${((performance.now() - startedAt) / 1000).toFixed(1)} s: ${acknowledgedCount(posters)} acknowledged ${step}`);
}

/** Each follower's progress towards `targets`, for a failure message. */
function lagging({ followers, roomIds }: Load, targets: ReadonlyMap<string, number>): string {
  return followers
    .map(
      (f) =>
        `${f.name}: ${roomIds.map((r) => `${f.applied(r)}/${targets.get(r)}`).join(', ')} (${f.connections} connections) ${f.anomalies.slice(0, 3).join('; ')}`,
    )
    .join('\n');
}

/** Every follower has what was acknowledged so far: live delivery works again after the step. */
async function caughtUp(load: Load, step: string, targets: ReadonlyMap<string, number>): Promise<void> {
  const { followers, roomIds } = load;
  const reached = (): boolean => followers.every((f) => roomIds.every((roomId) => (f.applied(roomId) ?? 0) >= targets.get(roomId)!));
  await eventually(`every follower received every post acknowledged ${step}`, reached, CONVERGE_WITHIN_MS, () => lagging(load, targets));
}

/** Each room's highest acknowledged seq (its seq before the run when none was). */
function acknowledgedSeqs({ roomIds, base, posters }: Load): Map<string, number> {
  const targets = new Map(roomIds.map((roomId) => [roomId, base.get(roomId)!]));
  for (const message of posters.flatMap((poster) => poster.acknowledged)) targets.set(message.roomId, Math.max(targets.get(message.roomId)!, message.seq));
  return targets;
}

/** The longest stretch between `from` and `to` in which no poster had a post acknowledged. */
export function longestSilence(posters: readonly SteadyPoster[], from: number, to: number): number {
  const times = posters.flatMap((poster) => poster.acknowledgedAt).filter((time) => time > from && time <= to);
  let longest = 0;
  let previous = from;
  for (const time of times.sort((a, b) => a - b)) {
    longest = Math.max(longest, time - previous);
    previous = time;
  }
  return longest;
}

/** Per poster, the wait from `from` to the acknowledgement of its first post sent after it: the first to get through, and the last. */
function waitsAfter(posters: readonly SteadyPoster[], from: number): { firstAckMs: number; everyPosterMs: number | null } {
  const waits = posters.map((poster) => {
    const index = poster.acknowledgedSentAt.findIndex((sentAt) => sentAt >= from);
    return index < 0 ? Number.POSITIVE_INFINITY : poster.acknowledgedAt[index]! - from;
  });
  const last = Math.max(...waits);
  return { firstAckMs: Math.min(...waits), everyPosterMs: Number.isFinite(last) ? last : null };
}

/** Each room's messages after `base`, read through the API page by page (after=seq). */
async function storedSince(client: HearthClient, roomIds: readonly string[], base: ReadonlyMap<string, number>): Promise<Map<string, Message[]>> {
  const stored = new Map<string, Message[]>();
  for (const roomId of roomIds) {
    const messages: Message[] = [];
    for (let after = base.get(roomId)!; ;) {
      const page = await client.messages(roomId, { after, limit: 100 });
      messages.push(...page);
      if (page.length < 100) break;
      after = page.at(-1)!.seq;
    }
    stored.set(roomId, messages);
  }
  return stored;
}

/** The rooms of a run, each with its seq before the run and at its end. */
export interface RoomSeqs {
  readonly roomIds: readonly string[];
  readonly base: ReadonlyMap<string, number>;
  readonly lastSeq: ReadonlyMap<string, number>;
}

function assertStoredIsAcknowledged(acknowledged: readonly Message[], stored: ReadonlyMap<string, readonly Message[]>, rooms: RoomSeqs): void {
  const { roomIds, base, lastSeq } = rooms;
  const all = roomIds.flatMap((roomId) => stored.get(roomId) ?? []);
  const acknowledgedIds = acknowledged.map((m) => m.clientMessageId);
  assert.equal(new Set(acknowledgedIds).size, acknowledged.length, 'each message acknowledged once');
  assert.equal(new Set(all.map((m) => m.clientMessageId)).size, all.length, 'no clientMessageId stored twice');
  assert.equal(all.length, acknowledged.length, 'stored count == acknowledged count');
  const byClientId = new Map(all.map((m) => [m.clientMessageId, m]));
  for (const ack of acknowledged) {
    const found = byClientId.get(ack.clientMessageId);
    assert.ok(found !== undefined, `acknowledged ${ack.clientMessageId} (room ${ack.roomId} seq ${ack.seq}) is stored`);
    assert.deepEqual([found.id, found.roomId, found.seq, found.body], [ack.id, ack.roomId, ack.seq, ack.body], `${ack.clientMessageId} stored as acknowledged`);
  }
  for (const roomId of roomIds) {
    // Nothing but posts happened in the rooms meanwhile, so every seq is a message.
    assert.deepEqual(seqsOf(stored.get(roomId) ?? []), range(base.get(roomId)! + 1, lastSeq.get(roomId)!), `room ${roomId}: contiguous seqs`);
  }
}

/** The follower received each (room, seq) once, in order, without a gap: exactly what is stored. */
function assertDelivered(follower: ResumingMember, stored: ReadonlyMap<string, readonly Message[]>, { roomIds, base, lastSeq }: RoomSeqs): void {
  assert.deepEqual(follower.anomalies, [], `${follower.name}: no duplicate, no gap, resumed where asked`);
  for (const roomId of roomIds) {
    const events = follower.received.get(roomId) ?? [];
    assert.deepEqual(seqsOf(events), range(base.get(roomId)! + 1, lastSeq.get(roomId)!), `${follower.name}: room ${roomId} every seq once, in order`);
    assert.deepEqual(
      createdMessages(events).map((m) => [m.id, m.seq, m.clientMessageId]),
      (stored.get(roomId) ?? []).map((m) => [m.id, m.seq, m.clientMessageId]),
      `${follower.name}: room ${roomId} delivered == stored`,
    );
  }
}

function failuresOf(posters: readonly SteadyPoster[]): string {
  return posters
    .map((poster) => `${poster.prefix}: ${poster.acknowledged.length} acknowledged, last failures ${poster.failures.slice(-2).join(' | ')}`)
    .join('\n');
}
