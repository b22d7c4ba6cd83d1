import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createTeam, DEFAULT_ROOM, type HearthClient } from '../e2e/client.ts';
import { startHearth, type Hearth } from '../e2e/harness.ts';
import { cpuSeconds, percentile, printTable, round, sleep, writeResults, type Row } from './common.ts';

/**
 * Delivery: 200 WebSocket clients in one room.
 *  1. Latency: posts at 100 per second for 20 s from 4 posting users; the time
 *     from just before each POST to its frame arriving at each client (the send
 *     time rides in the body).
 *  2. Saturation: 32 concurrent posters, each posting as soon as its last post
 *     is acknowledged, for 10 s: acknowledged posts per second, with the 200
 *     clients connected, and again with none.
 * The load generator runs in this one process, on the same machine as the server.
 */

const RECEIVERS = 200;
const RECEIVING_USERS = 20;
const POSTING_USERS = 4;
const RATE_PER_SECOND = 100;
const LATENCY_SECONDS = 20;
const SATURATION_POSTERS = 32;
const SATURATION_SECONDS = 10;
const DRAIN_TIMEOUT_MS = 30_000;

/** A lean receiver: parses each frame once, records latency, checks the room's order; keeps no frames. */
class Receiver {
  lastSeq = -1;
  received = 0;
  outOfOrder = 0;
  closeCode: number | null = null;
  measuring = true;
  readonly socket: WebSocket;
  readonly ready: Promise<void>;

  constructor(url: string, cookie: string, roomId: string, latencies: number[]) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/realtime/ws`, { headers: { cookie }, perMessageDeflate: false });
    this.socket.on('open', () => this.socket.send(JSON.stringify({ type: 'hello', resume: {} })));
    this.socket.on('error', () => undefined);
    this.socket.on('close', (code) => (this.closeCode = code));
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('message', () => resolve());
      this.socket.once('close', (code) => reject(new Error(`closed with ${code} before ready`)));
    });
    this.socket.on('message', (data: WebSocket.RawData) => this.#onFrame(data.toString(), roomId, latencies));
  }

  #onFrame(text: string, roomId: string, latencies: number[]): void {
    const frame = JSON.parse(text) as ReceivedFrame;
    if (frame.type === 'ready') this.lastSeq = frame.rooms?.[roomId] ?? -1;
    if (frame.type === 'room.event' && frame.event?.roomId === roomId) this.#onRoomEvent(frame.event, latencies);
  }

  /** Counts an event of the room, checks its order, and records its latency while measuring. */
  #onRoomEvent(event: ReceivedEvent, latencies: number[]): void {
    const now = performance.now();
    if (event.seq !== this.lastSeq + 1) this.outOfOrder++;
    this.lastSeq = event.seq;
    this.received++;
    const sentAt = /^t=([\d.]+) /.exec(event.message?.body ?? '')?.[1];
    if (this.measuring && sentAt !== undefined) latencies.push(now - Number(sentAt));
  }
}

interface ReceivedEvent {
  roomId: string;
  seq: number;
  type: string;
  message?: { body: string };
}

/** The parts of a server frame a receiver reads. */
interface ReceivedFrame {
  type: string;
  rooms?: Record<string, number>;
  event?: ReceivedEvent;
}

interface Setup {
  readonly hearth: Hearth;
  readonly roomId: string;
  readonly posters: HearthClient[];
  readonly receivers: Receiver[];
  readonly latencies: number[];
}

async function setUp(): Promise<Setup> {
  const hearth = await startHearth({ postsPerMinute: 10_000_000 });
  const team = await createTeam(hearth.url, RECEIVING_USERS);
  const roomId = (await team.admin.roomNamed(DEFAULT_ROOM)).id;
  const latencies: number[] = [];
  const receivers: Receiver[] = [];
  for (let i = 0; i < RECEIVERS; i++) {
    const user = team.members[i % RECEIVING_USERS]!;
    receivers.push(new Receiver(hearth.url, user.cookieHeader(), roomId, latencies));
    if (receivers.length % 50 === 0) await Promise.all(receivers.map((receiver) => receiver.ready));
  }
  await Promise.all(receivers.map((receiver) => receiver.ready));
  const posters = [team.admin, ...team.members.slice(0, POSTING_USERS - 1)];
  return { hearth, roomId, posters, receivers, latencies };
}

async function drain(receivers: readonly Receiver[], lastSeq: number): Promise<number> {
  const started = performance.now();
  const behind = (): Receiver[] => receivers.filter((receiver) => receiver.closeCode === null && receiver.lastSeq < lastSeq);
  while (behind().length > 0 && performance.now() - started < DRAIN_TIMEOUT_MS) await sleep(20);
  return performance.now() - started;
}

export interface LatencyResults {
  readonly posts: number;
  readonly acknowledged: number;
  readonly ratePerSecond: number;
  readonly deliveries: number;
  readonly expectedDeliveries: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly ackMs: { readonly p50: number; readonly p99: number };
  readonly outOfOrder: number;
  readonly closedReceivers: number;
  /** This process's event-loop delay: how much of the latency the load generator itself may have added. */
  readonly generatorLoopDelayMs: { readonly p99: number; readonly max: number };
  /** The server's CPU use over the run, in cores (1 = one core busy all the time). */
  readonly serverCpuCores: number;
  /** When the slowest acknowledgements happened (seconds into the run → ms), to tell stalls from steady queuing. */
  readonly slowestAcks: readonly string[];
}

/** Open loop: a post every 10 ms regardless of acknowledgements, round robin over the posting users. */
async function measureLatency(setup: Setup): Promise<LatencyResults> {
  const { roomId, posters, receivers, latencies } = setup;
  const total = RATE_PER_SECOND * LATENCY_SECONDS;
  const ackLatencies: number[] = [];
  const acks: [number, number][] = [];
  const inFlight: Promise<number>[] = [];
  const receivedBefore = receivers.reduce((sum, receiver) => sum + receiver.received, 0);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpuBefore = await cpuSeconds(setup.hearth.process.pid!);
  const start = performance.now();
  for (let n = 0; n < total; n++) {
    const due = start + (n * 1000) / RATE_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.now();
    const poster = posters[n % posters.length]!;
    inFlight.push(
      poster.post(roomId, `t=${sentAt} latency ${n}`, `latency-${n}`).then((message) => {
        ackLatencies.push(performance.now() - sentAt);
        acks.push([sentAt - start, performance.now() - sentAt]);
        return message.seq;
      }),
    );
  }
  const seqs = await Promise.all(inFlight);
  await drain(receivers, Math.max(...seqs));
  loop.disable();
  const serverCpuCores = ((await cpuSeconds(setup.hearth.process.pid!)) - cpuBefore) / ((performance.now() - start) / 1000);
  const deliveries = receivers.reduce((sum, receiver) => sum + receiver.received, 0) - receivedBefore;
  return {
    posts: total,
    acknowledged: seqs.length,
    ratePerSecond: round(total / ((performance.now() - start) / 1000)),
    deliveries,
    expectedDeliveries: total * receivers.length,
    latencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p90: round(percentile(latencies, 90), 2),
      p99: round(percentile(latencies, 99), 2),
      max: round(percentile(latencies, 100), 2),
    },
    ackMs: { p50: round(percentile(ackLatencies, 50), 2), p99: round(percentile(ackLatencies, 99), 2) },
    outOfOrder: receivers.reduce((sum, receiver) => sum + receiver.outOfOrder, 0),
    closedReceivers: receivers.filter((receiver) => receiver.closeCode !== null).length,
    serverCpuCores: round(serverCpuCores, 2),
    generatorLoopDelayMs: { p99: round(loop.percentile(99) / 1e6, 1), max: round(loop.max / 1e6, 1) },
    slowestAcks: acks
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([at, ms]) => `${round(at / 1000, 2)} s → ${round(ms, 0)} ms`),
  };
}

export interface SaturationResults {
  readonly receivers: number;
  readonly acknowledged: number;
  readonly postsPerSecond: number;
  readonly ackMs: { readonly p50: number; readonly p99: number };
  readonly deliveredPerSecond: number | null;
  readonly drainMs: number | null;
  readonly closedReceivers: number;
  readonly serverCpuCores: number;
}

/** Closed loop: SATURATION_POSTERS loops over the posting users, each posting as soon as its last post is acknowledged. */
async function measureSaturation(setup: Setup, label: string, receivers: readonly Receiver[]): Promise<SaturationResults> {
  const { roomId, posters } = setup;
  for (const receiver of receivers) receiver.measuring = false;
  const receivedBefore = receivers.reduce((sum, receiver) => sum + receiver.received, 0);
  const ackLatencies: number[] = [];
  let lastSeq = 0;
  const cpuBefore = await cpuSeconds(setup.hearth.process.pid!);
  const start = performance.now();
  const end = start + SATURATION_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: SATURATION_POSTERS }, async (_, loop) => {
      const poster = posters[loop % posters.length]!;
      for (let n = 0; performance.now() < end; n++) {
        const sentAt = performance.now();
        const message = await poster.post(roomId, `saturation ${label} ${loop} ${n}`, `saturation-${label}-${loop}-${n}`);
        ackLatencies.push(performance.now() - sentAt);
        lastSeq = Math.max(lastSeq, message.seq);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const serverCpuCores = ((await cpuSeconds(setup.hearth.process.pid!)) - cpuBefore) / seconds;
  const drainMs = receivers.length === 0 ? null : await drain(receivers, lastSeq);
  const delivered = receivers.reduce((sum, receiver) => sum + receiver.received, 0) - receivedBefore;
  return {
    receivers: receivers.length,
    acknowledged: ackLatencies.length,
    postsPerSecond: round(ackLatencies.length / seconds),
    ackMs: { p50: round(percentile(ackLatencies, 50), 2), p99: round(percentile(ackLatencies, 99), 2) },
    deliveredPerSecond: receivers.length === 0 ? null : round(delivered / (seconds + (drainMs ?? 0) / 1000)),
    drainMs: drainMs === null ? null : round(drainMs, 0),
    closedReceivers: receivers.filter((receiver) => receiver.closeCode !== null).length,
    serverCpuCores: round(serverCpuCores, 2),
  };
}

function tableRows(latency: LatencyResults, loaded: SaturationResults, bare: SaturationResults): Row[] {
  return [
    {
      metric: 'delivery latency p50',
      value: `${latency.latencyMs.p50} ms`,
      note: `${latency.posts} posts at ${latency.ratePerSecond}/s to ${RECEIVERS} clients`,
    },
    { metric: 'delivery latency p90', value: `${latency.latencyMs.p90} ms` },
    { metric: 'delivery latency p99', value: `${latency.latencyMs.p99} ms`, note: `max ${latency.latencyMs.max} ms` },
    { metric: 'POST ack p50 / p99', value: `${latency.ackMs.p50} / ${latency.ackMs.p99} ms`, note: 'during the latency run' },
    { metric: 'server CPU, latency run', value: `${latency.serverCpuCores} cores` },
    { metric: 'load generator loop delay', value: `${latency.generatorLoopDelayMs.p99} ms`, note: `p99; max ${latency.generatorLoopDelayMs.max} ms` },
    {
      metric: 'deliveries',
      value: `${latency.deliveries}`,
      note: `of ${latency.expectedDeliveries} expected; ${latency.outOfOrder} out of order; ${latency.closedReceivers} clients closed`,
    },
    {
      metric: `acked posts/s, ${loaded.receivers} clients`,
      value: `${loaded.postsPerSecond}`,
      note: `${SATURATION_POSTERS} posters for ${SATURATION_SECONDS} s; ack p50 ${loaded.ackMs.p50} ms, p99 ${loaded.ackMs.p99} ms; server CPU ${loaded.serverCpuCores} cores`,
    },
    {
      metric: 'frames delivered/s',
      value: `${loaded.deliveredPerSecond}`,
      note: `drained ${loaded.drainMs} ms after the last ack; ${loaded.closedReceivers} clients closed`,
    },
    {
      metric: 'acked posts/s, no clients',
      value: `${bare.postsPerSecond}`,
      note: `ack p50 ${bare.ackMs.p50} ms, p99 ${bare.ackMs.p99} ms; server CPU ${bare.serverCpuCores} cores`,
    },
  ];
}

export async function runDelivery(): Promise<{ latency: LatencyResults; saturation: SaturationResults; saturationWithoutClients: SaturationResults }> {
  const setup = await setUp();
  try {
    const latency = await measureLatency(setup);
    const saturation = await measureSaturation(setup, 'loaded', setup.receivers);
    for (const receiver of setup.receivers) receiver.socket.close();
    await sleep(500);
    const saturationWithoutClients = await measureSaturation(setup, 'bare', []);
    const results = { latency, saturation, saturationWithoutClients };
    const file = await writeResults('delivery', {
      setup: {
        receivers: RECEIVERS,
        receivingUsers: RECEIVING_USERS,
        postingUsers: POSTING_USERS,
        ratePerSecond: RATE_PER_SECOND,
        latencySeconds: LATENCY_SECONDS,
        saturationPosters: SATURATION_POSTERS,
        saturationSeconds: SATURATION_SECONDS,
      },
      ...results,
    });
    printTable(`delivery → ${file}`, tableRows(latency, saturation, saturationWithoutClients));
    return results;
  } finally {
    for (const receiver of setup.receivers) receiver.socket.terminate();
    await setup.hearth.stop();
  }
}

if (import.meta.main) await runDelivery();
