import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTeam, DEFAULT_ROOM, type HearthClient } from '../e2e/client.ts';
import type { ServiceTier } from '../e2e/service-tier.ts';
import { startSingleTier, type SingleTier } from '../e2e/single-tier.ts';
import { centrifugoBinary, startCentrifugo, type CentrifugoServer } from '@hearth/harness';
import { startBareServer, BARE_PATH, type BareServer } from './bare-ws-server.ts';
import { awaitQuiet, medianRun, percentile, REPEATS, round, rssKiB, sleep, spreadOf, writeResults, type Spread } from './common.ts';

/**
 * Fan-out: one room, one realtime process of the single tier (PostgreSQL, NATS,
 * Redis, and the messaging, realtime and gateway processes), its WebSocket
 * clients connected straight to the realtime process's port (no nginx).
 *   A. 2,000 clients, 50 posts/s;  B. 10,000 clients, 10 posts/s.
 * Posts go to the gateway's REST API, open loop, the send time (CLOCK_MONOTONIC,
 * shared by every process on the machine) riding in the body; each client
 * measures post-to-delivery latency on arrival. Beside each, in the same run and
 * with the same load generator, the floor: bench/bare-ws-server.ts, a bare `ws`
 * server in its own process broadcasting the same frame text (a copy of a frame
 * Hearth sent, same size) that the driver POSTs to it.
 *
 * Figures: delivered frames/s, latency p50/p99/p99.9, resident memory per
 * connection of the server process (RSS before connecting and once all are
 * connected, after a warm-up on a few connections), and the server process's CPU
 * time per delivered frame, which compares the two even when one is saturated.
 *
 * The clients live in CLIENT_PROCESSES child processes (this file, run with
 * --clients) apart from the posting driver. They speak WebSocket over plain TCP
 * sockets (RawWebSocket), find the marker in each frame without parsing it, and
 * keep a log-bucket histogram (0.5% wide buckets), not the samples.
 */

/** Steady posting per measured run, after every client is ready and a warm-up. */
const SECONDS = Number(process.env['BENCH_FANOUT_SECONDS'] ?? 25);
/**
 * A and B at rates every server keeps up with: latency and memory. S offers more than this
 * 2-core machine delivers (200,000 frames/s): deliveries per second at saturation, for a
 * shorter time, since the backlog only grows.
 */
const ALL_SCENARIOS = [
  { name: 'A', clients: 2_000, rate: 50, seconds: SECONDS, summaryPeer: 'floor' },
  { name: 'B', clients: 10_000, rate: 10, seconds: SECONDS, summaryPeer: 'floor' },
  { name: 'S', clients: 2_000, rate: 100, seconds: Math.min(SECONDS, 10), summaryPeer: 'centrifugo' },
] as const;
/**
 * BENCH_FANOUT_PEERS=summary (make bench-quick) measures beside Hearth only the server whose
 * ratio summary.json takes (a scenario's summaryPeer); otherwise both the floor and Centrifugo.
 */
const SUMMARY_PEER_ONLY = process.env['BENCH_FANOUT_PEERS'] === 'summary';
/** BENCH_FANOUT_SCENARIOS (`B`, `A,S`) measures some of them, for a look at one figure; summary.json needs all three. */
const SCENARIOS = ALL_SCENARIOS.filter((s) => (process.env['BENCH_FANOUT_SCENARIOS'] ?? 'A,B,S').split(',').includes(s.name));
/** Fraction of the clients (a quick look: BENCH_FANOUT_SCALE=0.1). */
const SCALE = Number(process.env['BENCH_FANOUT_SCALE'] ?? 1);
const CLIENT_PROCESSES = Number(process.env['BENCH_FANOUT_CLIENT_PROCESSES'] ?? 2);
/**
 * Posting before the measured run (and, up to a second of it, on the first few connections),
 * and the pause for memory to settle before each RSS reading (shorter in make bench-quick).
 */
const WARM_SECONDS = Number(process.env['BENCH_FANOUT_WARM_SECONDS'] ?? 3);
/** Connections opened, used and closed before memory is measured: first-use costs are not per connection. */
const WARM_CONNECTIONS = 50;
const CONNECT_CONCURRENCY = 100;
const RECEIVING_USERS = 8;
const POSTING_USERS = 4;
const SETTLE_MS = Number(process.env['BENCH_FANOUT_SETTLE_MS'] ?? 3_000);
const DRAIN_TIMEOUT_MS = 30_000;
const FILLER = 'the quick brown fox jumps over the lazy dog while the team chats along';
/** Hearth's first client frame: resume from now on. */
export const HEARTH_HELLO = JSON.stringify({ type: 'hello', resume: {} });
const HERE = fileURLToPath(import.meta.url);
const run = promisify(execFile);

// ---------------------------------------------------------------------------
// The marker in each body and the latency histogram (shared by driver and clients)

/** Microseconds of CLOCK_MONOTONIC: the same clock in every process on the machine. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** `~b:RRR:UUUUUUUUUUUUUUUU~`: the run and the send time in µs, fixed width so every frame has the same size. */
const MARK = Buffer.from('~b:');
const MARKER_PATTERN = /~b:\d{3}:\d{16}~/;
function marker(runId: number, sentUs: number): string {
  return `~b:${String(runId).padStart(3, '0')}:${String(sentUs).padStart(16, '0')}~`;
}

function digits(data: Buffer, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + (data[i]! - 48);
  return value;
}

const LOG_STEP = Math.log(1.005);
const BUCKETS = 4_096;

/** Latencies in 0.5%-wide logarithmic buckets: small, mergeable across processes, percentiles within 0.25%. */
class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  maxUs = 0;

  record(us: number): void {
    const bucket = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_STEP));
    this.counts[bucket]!++;
    this.total++;
    if (us > this.maxUs) this.maxUs = us;
  }

  sparse(): [number, number][] {
    const out: [number, number][] = [];
    this.counts.forEach((count, bucket) => {
      if (count > 0) out.push([bucket, count]);
    });
    return out;
  }

  merge(sparse: readonly [number, number][], maxUs: number): void {
    for (const [bucket, count] of sparse) {
      this.counts[bucket]! += count;
      this.total += count;
    }
    this.maxUs = Math.max(this.maxUs, maxUs);
  }

  /**
   * Nearest rank, as the bucket's geometric middle, in ms, out of `expected` samples:
   * those that never came count as slower than any that did (Infinity when the rank is theirs).
   */
  percentileMs(p: number, expected = this.total): number {
    if (expected === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * expected));
    if (rank > this.total) return Number.POSITIVE_INFINITY;
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(Math.exp((bucket + 0.5) * LOG_STEP), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }
}

// ---------------------------------------------------------------------------
// The client processes (this file run with --clients)

/**
 * How a client opens a connection to a server and keeps it: the cookie of its upgrade request
 * and its first frame (the i-th connection takes the i-th of each, round), and the server's
 * application-level ping, answered in kind, for a protocol that has one (Centrifugo's `{}`).
 */
export interface Greeting {
  readonly cookies: readonly string[];
  readonly hellos: readonly string[];
  readonly ping: string | null;
}

type ClientCommand =
  | { readonly cmd: 'connect'; readonly url: string; readonly greeting: Greeting; readonly count: number }
  | { readonly cmd: 'run'; readonly run: number }
  | { readonly cmd: 'status'; readonly expected: number }
  | { readonly cmd: 'collect' }
  | { readonly cmd: 'drop' };

interface ConnectResult {
  readonly connected: number;
  readonly failed: number;
  readonly firstError: string | null;
}

interface StatusResult {
  readonly received: number;
  /** Open clients that have not yet received `expected` frames of the run. */
  readonly behind: number;
  readonly closed: number;
}

interface CollectResult {
  readonly received: number;
  readonly histogram: [number, number][];
  readonly maxUs: number;
  readonly sample: string | null;
  readonly closed: number;
  readonly closeCodes: Record<string, number>;
  readonly cpuCores: number;
  readonly loopDelayMs: LoopDelay;
}

/** Event-loop delay beyond the 10 ms sampling tick, in ms. */
export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const LOOP_TICK_MS = 10;
function loopDelayOf(values: { p50: number; p99: number; max: number }): LoopDelay {
  const excess = (ns: number): number => round(Math.max(0, ns / 1e6 - LOOP_TICK_MS), 1);
  return { p50: excess(values.p50), p99: excess(values.p99), max: excess(values.max) };
}

const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const WS_MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);

/** A masked client frame (RFC 6455) of a payload under 64 KiB. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 0xffff) throw new Error('client frames here are under 64 KiB');
  const lengthBytes = payload.length > 125 ? 2 : 0;
  const header = 2 + lengthBytes;
  const frame = Buffer.alloc(header + 4 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | (lengthBytes === 0 ? payload.length : 126);
  if (lengthBytes > 0) frame.writeUInt16BE(payload.length, 2);
  WS_MASK.copy(frame, header);
  for (let i = 0; i < payload.length; i++) frame[header + 4 + i] = payload[i]! ^ WS_MASK[i % 4]!;
  return frame;
}

/** What one connection sends: its upgrade's cookie, its first frame, and the ping it answers with the same text. */
interface RawGreeting {
  readonly cookie: string;
  readonly helloFrame: Buffer;
  readonly ping: Buffer | null;
  readonly pongFrame: Buffer | null;
}

interface RawHooks {
  /** A text frame: its payload is data[start, end). */
  onText(data: Buffer, start: number, end: number): void;
  /** The connection ended: the close frame's code (1006 without one), and why when the upgrade failed. */
  onClose(code: number, reason: string): void;
}

/**
 * The load generator's WebSocket client: a plain TCP socket, the upgrade, server
 * frames parsed in place (text, ping answered with pong, close), the masked hello.
 * No stream, event or copy per frame as in `ws`, so each delivery costs the
 * machine less on the client side than on the server side being measured.
 */
class RawWebSocket {
  readonly #socket: Socket;
  readonly #hooks: RawHooks;
  readonly #greeting: RawGreeting;
  #unparsed: Buffer | null = null;
  #upgraded = false;
  #closeCode = 1006;
  #failure = '';
  closed = false;

  constructor(url: URL, greeting: RawGreeting, hooks: RawHooks) {
    this.#hooks = hooks;
    this.#greeting = greeting;
    this.#socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.#socket.on('connect', () =>
      this.#socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\nCookie: ${greeting.cookie}\r\n\r\n`,
      ),
    );
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (error) => (this.#failure ||= error.message));
    this.#socket.on('close', () => {
      this.closed = true;
      hooks.onClose(this.#closeCode, this.#failure);
    });
  }

  get isOpen(): boolean {
    return this.#upgraded && !this.closed;
  }

  terminate(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const data = this.#unparsed === null ? chunk : Buffer.concat([this.#unparsed, chunk]);
    this.#unparsed = null;
    let offset = 0;
    if (!this.#upgraded) {
      const headersEnd = data.indexOf('\r\n\r\n');
      if (headersEnd < 0) {
        this.#unparsed = data;
        return;
      }
      const status = data.toString('latin1', 0, data.indexOf('\r\n'));
      if (!status.includes(' 101 ')) {
        this.#failure = `upgrade refused: ${data.toString('latin1', 0, Math.min(data.length, 300))}`;
        this.#socket.destroy();
        return;
      }
      this.#upgraded = true;
      this.#socket.write(this.#greeting.helloFrame);
      offset = headersEnd + 4;
    }
    while (offset < data.length) {
      const length = this.#frame(data, offset);
      if (length === 0) {
        this.#unparsed = data.subarray(offset);
        return;
      }
      offset += length;
    }
  }

  /** Handles the frame at `offset`; returns its length, or 0 when it has not all arrived yet. */
  #frame(data: Buffer, offset: number): number {
    const frame = frameHeaderAt(data, offset);
    if (frame === undefined) return 0;
    const { opcode, header, length } = frame;
    const start = offset + header;
    if (opcode === 1) this.#onText(data, start, start + length);
    else if (opcode === 9) this.#socket.write(clientFrame(10, data.subarray(start, start + length)));
    else if (opcode === 8) {
      if (length >= 2) this.#closeCode = data.readUInt16BE(start);
      this.#socket.end();
    }
    return header + length;
  }

  #onText(data: Buffer, start: number, end: number): void {
    const { ping, pongFrame } = this.#greeting;
    if (ping !== null && pongFrame !== null && hasLine(data, start, end, ping)) this.#socket.write(pongFrame);
    this.#hooks.onText(data, start, end);
  }
}

/**
 * Whether `line` is one of the newline-separated messages of the frame data[start, end): a server
 * that batches (Centrifugo) puts its ping in the same frame as the pushes around it.
 */
function hasLine(data: Buffer, start: number, end: number, line: Buffer): boolean {
  for (let at = data.indexOf(line, start); at >= 0 && at + line.length <= end; at = data.indexOf(line, at + 1)) {
    const startsLine = at === start || data[at - 1] === 0x0a;
    const endsLine = at + line.length === end || data[at + line.length] === 0x0a;
    if (startsLine && endsLine) return true;
  }
  return false;
}

/** A server frame's header at `offset`: its opcode, header size and payload length; undefined until the whole frame has arrived. */
function frameHeaderAt(data: Buffer, offset: number): { opcode: number; header: number; length: number } | undefined {
  const available = data.length - offset;
  if (available < 2) return undefined;
  const payload = payloadLengthAt(data, offset);
  if (payload === undefined || available < payload.header + payload.length) return undefined;
  return { opcode: data[offset]! & 0x0f, ...payload };
}

/** The header size and payload length (7 bits, or 16 or 64 after it); undefined when the extended length has not arrived. */
function payloadLengthAt(data: Buffer, offset: number): { header: number; length: number } | undefined {
  const available = data.length - offset;
  const length = data[offset + 1]! & 0x7f;
  if (length === 126) return available < 4 ? undefined : { header: 4, length: data.readUInt16BE(offset + 2) };
  if (length === 127) return available < 10 ? undefined : { header: 10, length: Number(data.readBigUInt64BE(offset + 2)) };
  return { header: 2, length };
}

class ClientProcess {
  readonly #sockets: RawWebSocket[] = [];
  #counts: number[] = [];
  #generation = 0;
  #run = -1;
  #histogram = new Histogram();
  #received = 0;
  #sample: string | null = null;
  #closed = 0;
  #closeCodes: Record<string, number> = {};
  readonly #loop: ELDHistogram = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  #cpuAtRun = process.cpuUsage();
  #runStartedAt = performance.now();

  handle(command: ClientCommand): Promise<unknown> | unknown {
    switch (command.cmd) {
      case 'connect':
        return this.#connect(new URL(command.url), command.greeting, command.count);
      case 'run':
        return this.#startRun(command.run);
      case 'status':
        return this.#status(command.expected);
      case 'collect':
        return this.#collect();
      case 'drop':
        return this.#drop();
    }
  }

  /** Every marker of the run in the frame: a server may batch several messages in one frame (Centrifugo's JSON protocol does, one per line). */
  #onFrame(index: number, data: Buffer, start: number, end: number): void {
    const arrived = nowUs();
    for (let at = data.indexOf(MARK, start); at >= 0 && at + 25 <= end; at = data.indexOf(MARK, at + 25)) {
      if (digits(data, at + 3, 3) !== this.#run) continue;
      this.#histogram.record(arrived - digits(data, at + 7, 16));
      this.#counts[index]!++;
      this.#received++;
      if (this.#sample === null) this.#sample = data.toString('utf8', start, end);
    }
  }

  #open(url: URL, greeting: RawGreeting): Promise<void> {
    const index = this.#sockets.length;
    const generation = this.#generation;
    this.#counts.push(0);
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => socket.terminate(), 30_000);
      const socket = new RawWebSocket(url, greeting, {
        onText: (data, start, end) => {
          if (ready) return this.#onFrame(index, data, start, end);
          ready = true;
          clearTimeout(timer);
          resolve();
        },
        onClose: (code, reason) => {
          clearTimeout(timer);
          if (!ready) reject(new Error(`closed with ${code} before ready${reason === '' ? '' : `: ${reason}`}`));
          else if (generation === this.#generation) {
            this.#closed++;
            this.#closeCodes[code] = (this.#closeCodes[code] ?? 0) + 1;
          }
        },
      });
      this.#sockets.push(socket);
    });
  }

  /** Opens `count` connections, CONNECT_CONCURRENCY at a time, each ready once its hello is answered. */
  async #connect(url: URL, greeting: Greeting, count: number): Promise<ConnectResult> {
    const ping = greeting.ping === null ? null : Buffer.from(greeting.ping);
    const pongFrame = ping === null ? null : clientFrame(1, ping);
    const helloFrames = greeting.hellos.map((hello) => clientFrame(1, Buffer.from(hello)));
    let next = 0;
    let connected = 0;
    let failed = 0;
    let firstError: string | null = null;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const n = next++;
        const cookie = greeting.cookies[n % greeting.cookies.length]!;
        try {
          await this.#open(url, { cookie, helloFrame: helloFrames[n % helloFrames.length]!, ping, pongFrame });
          connected++;
        } catch (error) {
          failed++;
          firstError ??= withCause(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, worker));
    return { connected, failed, firstError };
  }

  #startRun(runId: number): null {
    this.#run = runId;
    this.#counts.fill(0);
    this.#received = 0;
    this.#histogram = new Histogram();
    this.#sample = null;
    this.#closed = 0;
    this.#closeCodes = {};
    this.#loop.disable();
    this.#loop.reset();
    this.#loop.enable();
    this.#cpuAtRun = process.cpuUsage();
    this.#runStartedAt = performance.now();
    return null;
  }

  #status(expected: number): StatusResult {
    let behind = 0;
    this.#sockets.forEach((socket, i) => {
      if (socket.isOpen && this.#counts[i]! < expected) behind++;
    });
    return { received: this.#received, behind, closed: this.#closed };
  }

  #collect(): CollectResult {
    const cpu = process.cpuUsage(this.#cpuAtRun);
    const seconds = (performance.now() - this.#runStartedAt) / 1000;
    return {
      received: this.#received,
      histogram: this.#histogram.sparse(),
      maxUs: this.#histogram.maxUs,
      sample: this.#sample,
      closed: this.#closed,
      closeCodes: this.#closeCodes,
      cpuCores: round((cpu.user + cpu.system) / 1e6 / seconds, 2),
      loopDelayMs: loopDelayOf({ p50: this.#loop.percentile(50), p99: this.#loop.percentile(99), max: this.#loop.max }),
    };
  }

  #drop(): null {
    this.#generation++;
    for (const socket of this.#sockets) socket.terminate();
    this.#sockets.length = 0;
    this.#counts = [];
    return null;
  }
}

function serveClientCommands(): void {
  const clients = new ClientProcess();
  process.on('message', (message: { id: number; command: ClientCommand }) => {
    Promise.resolve()
      .then(() => clients.handle(message.command))
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result }),
        (error: unknown) => process.send?.({ id: message.id, ok: false, error: String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------
// The driver's side of the client processes

class ClientFleet {
  readonly #children: ChildProcess[];
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 0;

  private constructor(children: ChildProcess[]) {
    this.#children = children;
    for (const child of children) {
      child.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: string }) => {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.result);
        else waiter?.reject(new Error(`client process: ${message.error}`));
      });
      child.once('exit', (code, signal) => {
        for (const waiter of this.#pending.values()) waiter.reject(new Error(`a client process exited (${code ?? signal})`));
        this.#pending.clear();
      });
    }
  }

  static start(processes: number): ClientFleet {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    return new ClientFleet(
      Array.from({ length: processes }, () => fork(HERE, ['--clients'], { env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
    );
  }

  get pids(): number[] {
    return this.#children.map((child) => child.pid!);
  }

  #call<T>(child: ChildProcess, command: ClientCommand): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ id, command });
    });
  }

  #all<T>(command: (index: number) => ClientCommand): Promise<T[]> {
    return Promise.all(this.#children.map((child, i) => this.#call<T>(child, command(i))));
  }

  /** Spreads `total` connections over the processes; throws when any failed. */
  async connect(url: string, greeting: Greeting, total: number): Promise<number> {
    const started = performance.now();
    const share = (i: number): number => Math.floor(total / this.#children.length) + (i < total % this.#children.length ? 1 : 0);
    const results = await this.#all<ConnectResult>((i) => ({ cmd: 'connect', url, greeting, count: share(i) }));
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} of ${total} connections to ${url} failed; first: ${results.find((r) => r.firstError !== null)?.firstError}`);
    return performance.now() - started;
  }

  async startRun(runId: number): Promise<void> {
    await this.#all(() => ({ cmd: 'run', run: runId }));
  }

  async status(expected: number): Promise<StatusResult> {
    const all = await this.#all<StatusResult>(() => ({ cmd: 'status', expected }));
    return { received: sum(all.map((s) => s.received)), behind: sum(all.map((s) => s.behind)), closed: sum(all.map((s) => s.closed)) };
  }

  collect(): Promise<CollectResult[]> {
    return this.#all<CollectResult>(() => ({ cmd: 'collect' }));
  }

  async drop(): Promise<void> {
    await this.#all(() => ({ cmd: 'drop' }));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

// ---------------------------------------------------------------------------
// Probes of other processes (also used by post-throughput.ts)

/**
 * Event-loop delay of processes we start: NODE_OPTIONS that preload a module
 * keeping a monitorEventLoopDelay histogram, written to <dir>/loop-<pid>.json
 * (then reset) when the process gets SIGUSR2. Signal only processes started
 * with `nodeOptions`: SIGUSR2 ends any other.
 */
export class LoopProbes {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<LoopProbes> {
    return new LoopProbes(await mkdtemp(path.join(tmpdir(), 'hearth-bench-loop-')));
  }

  get nodeOptions(): string {
    const code =
      `import{monitorEventLoopDelay as m}from"node:perf_hooks";import{writeFileSync as w,renameSync as r}from"node:fs";` +
      `const h=m({resolution:${LOOP_TICK_MS}});h.enable();process.on("SIGUSR2",()=>{const f=${JSON.stringify(this.dir)}+"/loop-"+process.pid+".json";` +
      `w(f+".tmp",JSON.stringify({p50:h.percentile(50),p99:h.percentile(99),max:h.max}));r(f+".tmp",f);h.reset()});`;
    return [process.env['NODE_OPTIONS'] ?? '', `--import=data:text/javascript,${encodeURIComponent(code)}`].join(' ').trim();
  }

  /** The delay since the last read (or the start), and starts anew; null when the process did not answer in 2 s. */
  async read(pid: number): Promise<LoopDelay | null> {
    const file = path.join(this.dir, `loop-${pid}.json`);
    await rm(file, { force: true });
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      return null;
    }
    for (let waited = 0; waited < 2_000; waited += 10) {
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text !== null) return loopDelayOf(JSON.parse(text) as { p50: number; p99: number; max: number });
      await sleep(10);
    }
    return null;
  }

  async readAll(pids: Readonly<Record<string, number>>): Promise<Record<string, LoopDelay | null>> {
    const entries = await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await this.read(pid)] as const));
    return Object.fromEntries(entries);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** /proc reports CPU time in clock ticks of 1/100 s (USER_HZ). */
const JIFFIES_PER_SECOND = 100;

interface ProcStat {
  readonly ppid: number;
  /** CPU seconds in user space and in the kernel, the reaped children's included (PostgreSQL's ended backends). */
  readonly user: number;
  readonly system: number;
}

async function allStats(): Promise<Map<number, ProcStat>> {
  const stats = new Map<number, ProcStat>();
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  await Promise.all(
    pids.map(async (pid) => {
      const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
      if (text === null) return;
      // After the command name: utime, stime, cutime and cstime are the 12th to 15th fields.
      const fields = text
        .slice(text.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      stats.set(Number(pid), {
        ppid: fields[1]!,
        user: (fields[11]! + fields[13]!) / JIFFIES_PER_SECOND,
        system: (fields[12]! + fields[14]!) / JIFFIES_PER_SECOND,
      });
    }),
  );
  return stats;
}

/** User and kernel CPU seconds of a process, with all its descendants when `tree` (PostgreSQL's backends are children of the postmaster). */
function cpuOf(stats: Map<number, ProcStat>, root: number, tree: boolean): { user: number; system: number } {
  let user = 0;
  let system = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    user += stats.get(pid)?.user ?? Number.NaN;
    system += stats.get(pid)?.system ?? Number.NaN;
    if (tree) queue.push(...childrenOf(stats, pid));
  }
  return { user, system };
}

function childrenOf(stats: Map<number, ProcStat>, pid: number): number[] {
  return [...stats].filter(([, stat]) => stat.ppid === pid).map(([child]) => child);
}

/** The pid of the process whose program is `program` and whose arguments hold `args` in a row (e.g. `-p`, port). */
export async function findProcess(program: string, args: readonly string[]): Promise<number | null> {
  for (const name of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(argv[0] ?? '') !== program) continue;
    if (argv.some((_, i) => args.every((arg, j) => argv[i + j] === arg))) return Number(name);
  }
  return null;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = sum(fields.slice(0, 8));
  return { busy: total - fields[3]! - fields[4]!, total };
}

export interface CpuUsage {
  /** Cores per process (1 = one core busy throughout). */
  readonly cores: Record<string, number>;
  /** The kernel's share of each process's CPU, in percent. */
  readonly kernelPercent: Record<string, number>;
  readonly machineBusyPercent: number;
  /** Cores busy with processes outside the benchmark: other work on the machine skews the figures. */
  readonly otherCores: number;
  readonly seconds: number;
}

/** CPU use of named processes over a stretch of time. */
export class CpuMeter {
  readonly #processes: Readonly<Record<string, { readonly pid: number; readonly tree: boolean }>>;
  #before = new Map<string, { user: number; system: number }>();
  #machine = { busy: 0, total: 0 };
  #started = 0;

  constructor(processes: Readonly<Record<string, { readonly pid: number; readonly tree: boolean }>>) {
    this.#processes = processes;
  }

  async #sample(): Promise<Map<string, { user: number; system: number }>> {
    const stats = await allStats();
    return new Map(Object.entries(this.#processes).map(([name, { pid, tree }]) => [name, cpuOf(stats, pid, tree)]));
  }

  async start(): Promise<void> {
    this.#before = await this.#sample();
    this.#machine = await machineJiffies();
    this.#started = performance.now();
  }

  async stop(): Promise<CpuUsage> {
    const seconds = (performance.now() - this.#started) / 1000;
    const after = await this.#sample();
    const machine = await machineJiffies();
    const cores: Record<string, number> = {};
    const kernelPercent: Record<string, number> = {};
    for (const [name, { user, system }] of after) {
      const before = this.#before.get(name) ?? { user: 0, system: 0 };
      const total = user - before.user + (system - before.system);
      cores[name] = round(total / seconds, 2);
      kernelPercent[name] = round((100 * (system - before.system)) / total, 0);
    }
    const busyCores = (machine.busy - this.#machine.busy) / JIFFIES_PER_SECOND / seconds;
    const ours = sum(Object.values(cores).filter(Number.isFinite));
    return {
      cores,
      kernelPercent,
      machineBusyPercent: round((100 * (machine.busy - this.#machine.busy)) / (machine.total - this.#machine.total), 0),
      otherCores: round(Math.max(0, busyCores - ours), 2),
      seconds: round(seconds, 2),
    };
  }
}

/** Raises this process's open-file limit (children inherit it); returns the soft limit now in force. */
export async function raiseFdLimit(wanted = 65_536): Promise<number> {
  await run('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`]).catch(() => undefined);
  const limits = await readFile('/proc/self/limits', 'utf8');
  return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? 0);
}

/** Prints a table with a header row; the first `left` columns align left, the rest right. */
export function printColumns(title: string, header: readonly string[], rows: readonly (readonly string[])[], left = 2): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

// ---------------------------------------------------------------------------
// The two servers under the same load

/** A server under fan-out load (also used by clustered-vs-single.ts). */
export type ServerKind = 'hearth' | 'floor' | 'centrifugo';

export interface Target {
  readonly name: ServerKind;
  readonly wsUrl: string;
  readonly greeting: Greeting;
  /** The processes holding the connections, by their name in the CPU table: their memory and CPU are the figure. */
  servers(): Readonly<Record<string, number>>;
  /** Processes whose CPU is reported. */
  cpuProcesses(): Promise<Record<string, { pid: number; tree: boolean }>>;
  /** Node.js processes started with the loop probe. */
  loopPids(): Record<string, number>;
  /** Warnings and errors the server logged since `since` (ISO time), counted by message. */
  logged(since: string): Record<string, number>;
  /** Posts a message carrying the marker; resolves when acknowledged. */
  post(mark: string, n: number): Promise<void>;
}

/** Counts the services' log lines at warn or above since `since`, by role and message (the harness keeps each one's last 64 KiB). */
export function warningsIn(tier: ServiceTier, since: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const role of ['realtime', 'gateway', 'messaging'] as const) {
    const lines = tier.services(role).flatMap((service) => service.output().split('\n'));
    for (const [key, count] of Object.entries(countWarnings(lines, role, since))) counts[key] = (counts[key] ?? 0) + count;
  }
  return counts;
}

/** Log lines at warn or above since `since`, counted by `<source>: <message>`. */
function countWarnings(lines: readonly string[], source: string, since: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const warning = warningOf(line, since);
    if (warning === undefined) continue;
    const key = `${source}: ${warning}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

interface LogEntry {
  readonly level?: number | string;
  readonly time?: string;
  readonly msg?: string;
  readonly message?: string;
  readonly err?: { readonly message?: string };
  readonly error?: string;
}

/** Levels at warn or above: pino's numbers (Hearth), zerolog's names (Centrifugo). */
const WARNING_LEVELS = new Set<number | string>(['warn', 'error', 'fatal', 'panic']);

function isWarning(entry: LogEntry, since: string): boolean {
  const level = entry.level ?? 0;
  // Compared as instants: Centrifugo writes whole seconds, Hearth milliseconds.
  return (typeof level === 'number' ? level >= 40 : WARNING_LEVELS.has(level)) && Date.parse(entry.time ?? '') >= Date.parse(since);
}

/** A JSON log line at warn or above since `since`, as its message and the start of its error's; undefined for any other line. */
function warningOf(line: string, since: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: LogEntry;
  try {
    entry = JSON.parse(line) as LogEntry;
  } catch {
    return undefined; // not a log line
  }
  if (!isWarning(entry, since)) return undefined;
  const error = entry.err?.message ?? entry.error;
  return `${entry.msg ?? entry.message ?? ''}${error === undefined ? '' : ` (${error.slice(0, 120)})`}`;
}

/** This benchmark's server process (its target's one `servers()` entry), by its name in the CPU table. */
const SERVER_PROCESS: Readonly<Record<ServerKind, string>> = { hearth: 'realtime', floor: 'bare-ws', centrifugo: 'centrifugo' };

interface HearthSetup {
  readonly tier: SingleTier;
  readonly roomId: string;
  readonly posters: readonly HearthClient[];
  readonly cookies: readonly string[];
}

async function startHearthSetup(probes: LoopProbes): Promise<HearthSetup> {
  const tier = await startSingleTier({ postsPerMinute: 10_000_000, replicas: { realtime: 1 }, env: { NODE_OPTIONS: probes.nodeOptions } });
  try {
    // Straight to the gateway: nginx stays out of the measurement.
    const team = await createTeam(tier.services('gateway')[0]!.url, RECEIVING_USERS);
    const roomId = (await team.admin.roomNamed(DEFAULT_ROOM)).id;
    const posters = [team.admin, ...team.members.slice(0, POSTING_USERS - 1)];
    return { tier, roomId, posters, cookies: team.members.map((member) => member.cookieHeader()) };
  } catch (error) {
    await tier.stop();
    throw error;
  }
}

/** A process to measure: what to call it, and the program and arguments that tell it apart. */
export interface ProcessSpec {
  readonly name: string;
  readonly program: string;
  readonly args: readonly string[];
  /** Whether its children count as its own (PostgreSQL's backends). */
  readonly tree: boolean;
}

/** Those of `specs` that run, by name, as CpuMeter takes them. */
export async function runningProcesses(specs: readonly ProcessSpec[]): Promise<Record<string, { pid: number; tree: boolean }>> {
  const found = await Promise.all(specs.map(async ({ name, program, args, tree }) => [name, await findProcess(program, args), tree] as const));
  return Object.fromEntries(found.flatMap(([name, pid, tree]) => (pid === null ? [] : [[name, { pid, tree }]])));
}

export async function backendProcesses(tier: SingleTier): Promise<Record<string, { pid: number; tree: boolean }>> {
  return runningProcesses([
    { name: 'postgres', program: 'postgres', args: ['-p', String(tier.postgres.port)], tree: true },
    { name: 'nats', program: 'nats-server', args: ['-p', String(tier.nats.port)], tree: true },
    { name: 'redis', program: 'redis-server', args: ['--port', String(tier.redis.port)], tree: true },
  ]);
}

/**
 * Client message ids, unique over the whole benchmark: a repeated one is an idempotent
 * retry, which Hearth acknowledges with the original message and does not deliver again.
 */
let nextClientMessageId = 0;

function hearthTarget(setup: HearthSetup): Target {
  const service = (role: 'realtime' | 'gateway' | 'messaging'): number => setup.tier.services(role)[0]!.process.pid!;
  const realtime = setup.tier.services('realtime')[0]!;
  return {
    name: 'hearth',
    wsUrl: `ws://127.0.0.1:${realtime.port}/api/realtime/ws`,
    greeting: { cookies: setup.cookies, hellos: [HEARTH_HELLO], ping: null },
    servers: () => ({ realtime: service('realtime') }),
    async cpuProcesses() {
      const services = { realtime: service('realtime'), gateway: service('gateway'), messaging: service('messaging') };
      const nodes = Object.fromEntries(Object.entries(services).map(([name, pid]) => [name, { pid, tree: false }]));
      return { ...nodes, ...(await backendProcesses(setup.tier)) };
    },
    loopPids: () => ({ realtime: service('realtime'), gateway: service('gateway'), messaging: service('messaging') }),
    logged: (since) => warningsIn(setup.tier, since),
    async post(mark, n) {
      const poster = setup.posters[n % setup.posters.length]!;
      await poster.post(setup.roomId, `${mark} ${FILLER}`, `fanout-${process.pid}-${nextClientMessageId++}`);
    },
  };
}

function floorTarget(server: BareServer, template: string): Target {
  return {
    name: 'floor',
    wsUrl: `ws://127.0.0.1:${server.port}${BARE_PATH}`,
    greeting: { cookies: ['none=1'], hellos: [HEARTH_HELLO], ping: null },
    servers: () => ({ 'bare-ws': server.process.pid! }),
    cpuProcesses: () => Promise.resolve({ 'bare-ws': { pid: server.process.pid!, tree: false } }),
    loopPids: () => ({ 'bare-ws': server.process.pid! }),
    logged: () => ({}),
    async post(mark) {
      const response = await fetch(`${server.url}/broadcast`, {
        method: 'POST',
        body: template.replace(MARKER_PATTERN, mark),
        signal: AbortSignal.timeout(120_000),
      });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`the bare server answered ${response.status}`);
    },
  };
}

const CENTRIFUGO_CHANNEL = 'room';

/**
 * Centrifugo under the same load: RECEIVING_USERS users, each connection subscribed to the room's
 * channel by its token; each post is Hearth's frame (the same JSON, the marker changed) published
 * through the HTTP API, which Centrifugo wraps in its own push envelope.
 */
function centrifugoTarget(server: CentrifugoServer, template: string): Target {
  const pid = server.child.process.pid!;
  const hellos = Array.from({ length: RECEIVING_USERS }, (_, i) =>
    JSON.stringify({ id: 1, connect: { token: server.connectionToken(`user-${i}`, [CENTRIFUGO_CHANNEL]) } }),
  );
  return {
    name: 'centrifugo',
    wsUrl: server.wsUrl,
    greeting: { cookies: ['none=1'], hellos, ping: '{}' },
    servers: () => ({ centrifugo: pid }),
    cpuProcesses: () => Promise.resolve({ centrifugo: { pid, tree: false } }),
    loopPids: () => ({}),
    logged: (since) => countWarnings(server.child.output().split('\n'), 'centrifugo', since),
    post: (mark) => server.publish(CENTRIFUGO_CHANNEL, JSON.parse(template.replace(MARKER_PATTERN, mark))),
  };
}

/** A frame as Hearth sends it, for the floor when no Hearth frame was seen: the same shape and about the same size. */
function syntheticFrame(): string {
  const id = '01JBENCHFANOUT0000000000000';
  const message = {
    id,
    roomId: id,
    seq: 1,
    authorId: id,
    clientMessageId: 'fanout-0-0',
    body: `${marker(0, 0)} ${FILLER}`,
    mentions: [],
    sound: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    boosts: [],
  };
  return JSON.stringify({ type: 'room.event', event: { roomId: id, seq: 1, type: 'message.posted', at: message.createdAt, message } });
}

// ---------------------------------------------------------------------------
// One measured run

interface Posting {
  readonly posts: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly ackMs: number[];
  readonly seconds: number;
}

/** Open loop: a post every 1/rate s whatever the acknowledgements, the send time in the marker. */
async function postAtRate(target: Target, runId: number, rate: number, seconds: number): Promise<Posting> {
  const total = Math.round(rate * seconds);
  const ackMs: number[] = [];
  let failed = 0;
  let firstError: string | null = null;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let n = 0; n < total; n++) {
    const wait = start + (n * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.now();
    inFlight.push(
      target.post(marker(runId, nowUs()), n).then(
        () => void ackMs.push(performance.now() - sentAt),
        (error: unknown) => {
          failed++;
          firstError ??= withCause(error);
        },
      ),
    );
  }
  const postedFor = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  return { posts: total, acknowledged: ackMs.length, failed, firstError, ackMs, seconds: postedFor };
}

/** Waits until every open client has every acknowledged post of the run; returns the ms waited. */
async function drain(fleet: ClientFleet, expected: number): Promise<{ ms: number; complete: boolean }> {
  const started = performance.now();
  while (performance.now() - started < DRAIN_TIMEOUT_MS) {
    if ((await fleet.status(expected)).behind === 0) return { ms: performance.now() - started, complete: true };
    await sleep(50);
  }
  return { ms: performance.now() - started, complete: false };
}

export interface RunResult {
  readonly server: ServerKind;
  readonly clients: number;
  readonly connectMs: number;
  readonly ratePerSecond: number;
  readonly posts: number;
  readonly acknowledged: number;
  readonly failedPosts: number;
  readonly deliveries: number;
  readonly expectedDeliveries: number;
  /** Frames with the run's marker received by all clients, over the posting time plus the drain. */
  readonly deliveredPerSecond: number;
  readonly drainMs: number;
  readonly complete: boolean;
  /**
   * Post-to-delivery latency over every expected delivery: one that had not arrived when
   * the drain gave up counts as slower than all that did, and a percentile that falls on
   * those is null (in the table: more than the run's last arrival, ">max").
   */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly p999: number | null; readonly max: number };
  /** Deliveries that had not arrived when the drain gave up (DRAIN_TIMEOUT_MS after the last acknowledgement). */
  readonly missing: number;
  readonly ackMs: { readonly p50: number; readonly p99: number };
  readonly rssMiB: { readonly beforeConnecting: number; readonly connected: number; readonly afterRun: number };
  readonly perConnectionKiB: number;
  /** CPU of each process over the measured run (posting and drain), in cores. */
  readonly cpu: CpuUsage;
  /** CPU time of the server processes (realtime, or the bare server) per frame delivered, in µs: comparable even when saturated. */
  readonly serverCpuUsPerDelivery: number;
  readonly loopDelayMs: Record<string, LoopDelay | null>;
  readonly clientProcesses: readonly { readonly cpuCores: number; readonly loopDelayMs: LoopDelay }[];
  readonly driverLoopDelayMs: LoopDelay;
  readonly closedClients: number;
  readonly closeCodes: Record<string, number>;
  /** One frame as a client received it (the floor sends copies of Hearth's). */
  readonly sampleFrame: string | null;
  /** Warnings and errors the server logged from the first connection to the end of the run, by message. */
  readonly serverLog: Record<string, number>;
}

let nextRun = 1;

/** How many clients, how many posts a second, and for how long. */
export interface FanoutLoad {
  readonly clients: number;
  readonly rate: number;
  readonly seconds: number;
}

/** Resident memory of the processes holding the connections, together. */
async function serversRssKiB(target: Target): Promise<number> {
  return sum(await Promise.all(Object.values(target.servers()).map(rssKiB)));
}

/** Warms the server up on a few connections, measures memory, connects everyone, warms up, then measures. */
export async function measure(target: Target, load: FanoutLoad, probes: LoopProbes): Promise<RunResult> {
  const { clients, rate } = load;
  const fleet = ClientFleet.start(CLIENT_PROCESSES);
  const since = new Date().toISOString();
  try {
    await fleet.connect(target.wsUrl, target.greeting, WARM_CONNECTIONS);
    await fleet.startRun(nextRun);
    const warm = await postAtRate(target, nextRun++, 20, Math.min(1, WARM_SECONDS));
    await drain(fleet, warm.acknowledged);
    await fleet.drop();
    await sleep(SETTLE_MS);
    const rssBefore = await serversRssKiB(target);
    const connectMs = await fleet.connect(target.wsUrl, target.greeting, clients);
    await sleep(SETTLE_MS);
    const rssConnected = await serversRssKiB(target);
    await fleet.startRun(nextRun);
    const warmUp = await postAtRate(target, nextRun++, rate, WARM_SECONDS);
    await drain(fleet, warmUp.acknowledged);
    return await measureRun(target, fleet, { ...load, connectMs, rssBefore, rssConnected, since }, probes);
  } finally {
    await fleet.stop();
  }
}

async function measureRun(
  target: Target,
  fleet: ClientFleet,
  setup: FanoutLoad & { connectMs: number; rssBefore: number; rssConnected: number; since: string },
  probes: LoopProbes,
): Promise<RunResult> {
  const runId = nextRun++;
  await fleet.startRun(runId);
  const clientProcesses = Object.fromEntries(fleet.pids.map((pid, i) => [`clients${i + 1}`, { pid, tree: false }]));
  const cpu = new CpuMeter({ ...(await target.cpuProcesses()), ...clientProcesses, driver: { pid: process.pid, tree: false } });
  await probes.readAll(target.loopPids());
  await cpu.start();
  const driverLoop = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  driverLoop.enable();
  const started = performance.now();
  const posting = await postAtRate(target, runId, setup.rate, setup.seconds);
  const drained = await drain(fleet, posting.acknowledged);
  const seconds = (performance.now() - started) / 1000;
  driverLoop.disable();
  const usage = await cpu.stop();
  const loopDelayMs = await probes.readAll(target.loopPids());
  const collected = await fleet.collect();
  const rssAfter = await serversRssKiB(target);
  const histogram = new Histogram();
  for (const part of collected) histogram.merge(part.histogram, part.maxUs);
  const deliveries = sum(collected.map((c) => c.received));
  const expectedDeliveries = posting.acknowledged * setup.clients;
  const pct = (p: number): number | null => {
    const value = histogram.percentileMs(p, Math.max(expectedDeliveries, deliveries));
    return Number.isFinite(value) ? round(value, 2) : null;
  };
  const closeCodes: Record<string, number> = {};
  for (const part of collected) for (const [code, count] of Object.entries(part.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + count;
  if (posting.failed > 0) console.warn(`${target.name}: ${posting.failed} posts failed; first: ${posting.firstError}`);
  return {
    server: target.name,
    clients: setup.clients,
    connectMs: round(setup.connectMs, 0),
    ratePerSecond: round(posting.posts / posting.seconds, 1),
    posts: posting.posts,
    acknowledged: posting.acknowledged,
    failedPosts: posting.failed,
    deliveries,
    expectedDeliveries,
    deliveredPerSecond: round(deliveries / seconds, 0),
    drainMs: round(drained.ms, 0),
    complete: drained.complete,
    latencyMs: { p50: pct(50), p99: pct(99), p999: pct(99.9), max: round(histogram.maxUs / 1000, 1) },
    missing: Math.max(0, expectedDeliveries - deliveries),
    ackMs: { p50: round(percentile(posting.ackMs, 50), 2), p99: round(percentile(posting.ackMs, 99), 2) },
    rssMiB: { beforeConnecting: round(setup.rssBefore / 1024), connected: round(setup.rssConnected / 1024), afterRun: round(rssAfter / 1024) },
    perConnectionKiB: round((setup.rssConnected - setup.rssBefore) / setup.clients, 1),
    cpu: usage,
    serverCpuUsPerDelivery: round((1e6 * sum(Object.keys(target.servers()).map((name) => usage.cores[name] ?? Number.NaN)) * usage.seconds) / deliveries, 2),
    loopDelayMs,
    clientProcesses: collected.map((c) => ({ cpuCores: c.cpuCores, loopDelayMs: c.loopDelayMs })),
    driverLoopDelayMs: loopDelayOf({ p50: driverLoop.percentile(50), p99: driverLoop.percentile(99), max: driverLoop.max }),
    closedClients: sum(collected.map((c) => c.closed)),
    closeCodes,
    sampleFrame: collected.find((c) => c.sample !== null)?.sample ?? null,
    serverLog: target.logged(setup.since),
  };
}

// ---------------------------------------------------------------------------
// The benchmark

/**
 * One round's ratios: Hearth ÷ floor (aim: p99 ≤ 1.5, memory per connection ≤ 1.2) and Hearth ÷
 * Centrifugo; null when a p99 is not known (more than 1% of the deliveries never came), when the
 * floor fell behind its load (keptUp) or the peer was not measured (BENCH_FANOUT_PEERS=summary).
 */
export interface Ratios {
  readonly p99Latency: number | null;
  readonly memoryPerConnection: number | null;
  readonly cpuPerDelivery: number | null;
  /** Hearth's delivered frames/s ÷ Centrifugo's: at saturation (scenario S), the aim is at least 1. */
  readonly deliveriesVsCentrifugo: number | null;
  readonly p99VsCentrifugo: number | null;
  readonly cpuPerDeliveryVsCentrifugo: number | null;
}

/** The servers under one load, measured one after the other; a peer is null when not measured. */
interface Round {
  readonly hearth: RunResult;
  readonly floor: RunResult | null;
  readonly centrifugo: RunResult | null;
  readonly ratios: Ratios;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly clients: number;
  readonly ratePerSecond: number;
  readonly seconds: number;
  /** The median round's runs (by Hearth ÷ floor p99 latency; S by Hearth ÷ Centrifugo deliveries). */
  readonly hearth: RunResult;
  readonly floor: RunResult | null;
  readonly centrifugo: RunResult | null;
  readonly ratios: Ratios;
  /** Every round's ratios, and their lowest, median and highest. */
  readonly rounds: readonly Ratios[];
  readonly spread: Readonly<Record<keyof Ratios, Spread>>;
}

function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : round(a / b, 2);
}

/** An error with what caused it: fetch's "fetch failed" says why only in its cause (a reset, a timeout). */
export function withCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? String(error) : `${String(error)} (${withCause(cause)})`;
}

/**
 * Whether a run delivered its load as fast as it was offered (within 2%). A bare server that fell
 * behind measured the backlog it built, seconds long, not the floor's latency: Hearth's p99 over
 * it would read as far better than the floor. A run of 2026-12-06 on a slowed machine did so.
 */
export function keptUp(run: Pick<RunResult, 'deliveredPerSecond' | 'clients' | 'ratePerSecond'>): boolean {
  return run.deliveredPerSecond >= 0.98 * run.clients * run.ratePerSecond;
}

export function ratiosOf(hearth: RunResult, floor: RunResult | null, centrifugo: RunResult | null): Ratios {
  const versus = (peer: RunResult | null, figure: (run: RunResult) => number | null): number | null =>
    peer === null ? null : ratioOf(figure(hearth), figure(peer));
  return {
    p99Latency: floor !== null && !keptUp(floor) ? null : versus(floor, (r) => r.latencyMs.p99),
    memoryPerConnection: versus(floor, (r) => r.perConnectionKiB),
    cpuPerDelivery: versus(floor, (r) => r.serverCpuUsPerDelivery),
    deliveriesVsCentrifugo: versus(centrifugo, (r) => r.deliveredPerSecond),
    p99VsCentrifugo: versus(centrifugo, (r) => r.latencyMs.p99),
    cpuPerDeliveryVsCentrifugo: versus(centrifugo, (r) => r.serverCpuUsPerDelivery),
  };
}

/** Each ratio's spread over the rounds (unknown ranked last for the median: spreadOf). */
export function spreads(rounds: readonly Ratios[]): Readonly<Record<keyof Ratios, Spread>> {
  const keys = Object.keys(rounds[0]!) as (keyof Ratios)[];
  return Object.fromEntries(keys.map((key) => [key, spreadOf(rounds.map((r) => r[key] ?? Number.NaN))])) as Record<keyof Ratios, Spread>;
}

async function runFloor(load: FanoutLoad, template: string, probes: LoopProbes): Promise<RunResult> {
  const server = await startBareServer({ ...process.env, NODE_OPTIONS: probes.nodeOptions });
  try {
    return await measure(floorTarget(server, template), load, probes);
  } finally {
    await server.stop();
  }
}

async function runCentrifugo(load: FanoutLoad, template: string, probes: LoopProbes): Promise<RunResult> {
  const server = await startCentrifugo();
  try {
    return await measure(centrifugoTarget(server, template), load, probes);
  } finally {
    await server.stop();
  }
}

type Peer = (typeof ALL_SCENARIOS)[number]['summaryPeer'];

/**
 * Hearth, then the floor and Centrifugo (those of `peers`) with a copy of the frame Hearth sent;
 * a fresh realtime process each round, so its memory starts from the same place.
 */
async function runRound(setup: HearthSetup, load: FanoutLoad & { peers: readonly Peer[] }, probes: LoopProbes, fresh: boolean): Promise<Round> {
  if (fresh) await setup.tier.services('realtime')[0]!.restart();
  const hearth = await measure(hearthTarget(setup), load, probes);
  const template = hearth.sampleFrame ?? syntheticFrame();
  const floor = load.peers.includes('floor') ? await runFloor(load, template, probes) : null;
  const centrifugo = load.peers.includes('centrifugo') ? await runCentrifugo(load, template, probes) : null;
  return { hearth, floor, centrifugo, ratios: ratiosOf(hearth, floor, centrifugo) };
}

async function runScenario(setup: HearthSetup, scenario: (typeof ALL_SCENARIOS)[number], probes: LoopProbes, first: boolean): Promise<ScenarioResult> {
  const clients = Math.max(10, Math.round(scenario.clients * SCALE));
  const peers: readonly Peer[] = SUMMARY_PEER_ONLY ? [scenario.summaryPeer] : ['floor', 'centrifugo'];
  const load = { clients, rate: scenario.rate, seconds: scenario.seconds, peers };
  const rounds: Round[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await awaitQuiet(`fan-out ${scenario.name}, round ${i + 1}`);
    rounds.push(await runRound(setup, load, probes, !(first && i === 0)));
  }
  const median = medianRun(rounds, (r) => (scenario.name === 'S' ? r.ratios.deliveriesVsCentrifugo : r.ratios.p99Latency));
  const ratios = rounds.map((r) => r.ratios);
  return { scenario: scenario.name, clients, ratePerSecond: scenario.rate, seconds: scenario.seconds, ...median, rounds: ratios, spread: spreads(ratios) };
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A latency percentile; null when it falls on deliveries that never came. */
function ms(value: number | null, max: number): string {
  return value === null ? `>${fmt(max, 0)}` : fmt(value, 1);
}

function cpuNote(result: RunResult): string {
  const { cpu } = result;
  const cores = Object.entries(cpu.cores).map(([name, value]) => `${name} ${fmt(value, 2)} (${fmt(cpu.kernelPercent[name] ?? Number.NaN, 0)}% kernel)`);
  const loops = Object.entries(result.loopDelayMs).map(([name, delay]) => `${name} ${delay === null ? '?' : `${fmt(delay.p99)}/${fmt(delay.max, 0)}`}`);
  const clientLoops = result.clientProcesses.map((c, i) => `clients${i + 1} ${fmt(c.loopDelayMs.p99)}/${fmt(c.loopDelayMs.max, 0)}`);
  return [
    `  ${result.server}: ${cores.join(', ')}; machine ${cpu.machineBusyPercent}% busy, ${fmt(cpu.otherCores, 2)} cores on other work`,
    `    loop delay p99/max ms: ${[...loops, ...clientLoops, `driver ${fmt(result.driverLoopDelayMs.p99)}/${fmt(result.driverLoopDelayMs.max, 0)}`].join(', ')}`,
    ...Object.entries(result.serverLog).map(([message, count]) => `    logged ${count}× ${message}`),
  ].join('\n');
}

function measuredRuns(s: ScenarioResult): RunResult[] {
  return [s.hearth, s.floor, s.centrifugo].filter((r) => r !== null);
}

function printResults(file: string, scenarios: readonly ScenarioResult[]): void {
  const rows = scenarios.flatMap((s) =>
    measuredRuns(s).map((r) => [
      `${s.scenario} ${s.clients}×${s.ratePerSecond}/s`,
      r.server,
      fmt(r.clients * r.ratePerSecond, 0),
      fmt(r.deliveredPerSecond, 0),
      ms(r.latencyMs.p50, r.latencyMs.max),
      ms(r.latencyMs.p99, r.latencyMs.max),
      ms(r.latencyMs.p999, r.latencyMs.max),
      fmt(r.latencyMs.max, 0),
      fmt(r.perConnectionKiB, 1),
      fmt(r.cpu.cores[SERVER_PROCESS[r.server]] ?? Number.NaN, 2),
      fmt(r.serverCpuUsPerDelivery, 1),
      r.complete && r.closedClients === 0 ? 'all' : `${r.deliveries}/${r.expectedDeliveries}, ${r.closedClients} closed`,
    ]),
  );
  printColumns(
    `fanout → ${file} (the median of ${REPEATS} rounds)`,
    ['scenario', 'server', 'offered/s', 'delivered/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'KiB/conn', 'srv cores', 'srv µs/frame', 'received'],
    rows,
  );
  const spreadCell = (spread: Spread): string => {
    if (!Number.isFinite(spread.median)) return '–';
    return REPEATS === 1 ? `${fmt(spread.median, 2)}×` : `${fmt(spread.median, 2)}× (${fmt(spread.min, 2)}–${fmt(spread.max, 2)})`;
  };
  printColumns(
    'Hearth ÷ floor (aim: p99 ≤ 1.5×, memory ≤ 1.2×) and ÷ Centrifugo (aim: deliveries at saturation, S, ≥ 1×): median (lowest–highest)',
    ['scenario', 'p99 latency', 'KiB/conn', 'CPU µs/frame', 'delivered/s ÷ Centrifugo', 'p99 ÷ Centrifugo', 'CPU µs/frame ÷ Centrifugo'],
    scenarios.map((s) => [
      s.scenario,
      spreadCell(s.spread.p99Latency),
      spreadCell(s.spread.memoryPerConnection),
      spreadCell(s.spread.cpuPerDelivery),
      spreadCell(s.spread.deliveriesVsCentrifugo),
      spreadCell(s.spread.p99VsCentrifugo),
      spreadCell(s.spread.cpuPerDeliveryVsCentrifugo),
    ]),
    1,
  );
  console.log('\nwhere the CPU went (cores over the measured run) and event-loop delay beyond the 10 ms tick (p99/max):');
  for (const s of scenarios) for (const r of measuredRuns(s)) console.log(`${s.scenario} ${cpuNote(r)}`);
}

export async function runFanout(): Promise<ScenarioResult[]> {
  const fdLimit = await raiseFdLimit();
  const probes = await LoopProbes.create();
  const setup = await startHearthSetup(probes);
  const results: ScenarioResult[] = [];
  try {
    for (const [i, scenario] of SCENARIOS.entries()) {
      const clients = Math.round(scenario.clients * SCALE);
      if (fdLimit < clients + 1_000) throw new Error(`the open-file limit is ${fdLimit}; ${clients} clients need more (ulimit -n)`);
      results.push(await runScenario(setup, scenario, probes, i === 0));
    }
  } finally {
    await setup.tier.stop();
    await probes.dispose();
  }
  const { version: centrifugoVersion } = await centrifugoBinary();
  const file = await writeResults('fanout', {
    setup: {
      seconds: SECONDS,
      warmSeconds: WARM_SECONDS,
      repeats: REPEATS,
      clientProcesses: CLIENT_PROCESSES,
      receivingUsers: RECEIVING_USERS,
      postingUsers: POSTING_USERS,
      scale: SCALE,
      fdLimit,
      centrifugo: { version: centrifugoVersion, engine: 'memory', history: 'on, with recovery (as a Hearth room resumes)' },
    },
    // The floor and Centrifugo are measured in each round, beside Hearth; only the aims are fixed.
    reference: { aim: { p99Ratio: 1.5, memoryRatio: 1.2, deliveriesVsCentrifugo: 1 } },
    scenarios: results,
  });
  printResults(file, results);
  return results;
}

if (import.meta.main) {
  if (process.argv.includes('--clients')) serveClientCommands();
  else await runFanout();
}
