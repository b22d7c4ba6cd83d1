import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeSpans, SPAN_KIND, startOtlpReceiver, waitUntil, type OtlpReceiver, type ReceivedSpan } from '@hearth/harness';
import { createTeam, type Team } from '../client.ts';
import type { ServiceProcess } from '../harness.ts';
import { connectWebSocket, type RealtimeStream } from '../realtime.ts';
import { startSingleTier, type SingleTier } from '../single-tier.ts';

/**
 * One post, one trace: the single tier (two realtime processes) exports its spans as OTLP/JSON
 * to a receiver in this process, and the post's trace must hold the gateway's request, messaging's
 * work on the command (with its PostgreSQL queries) and the fan-out of every realtime process
 * that delivered the message; and each of those processes' log lines name that trace.
 */

const POST_ROUTE = '/api/rooms/:roomId/messages';
const TRACE_WAIT_MS = 15_000;

describe('single tier: one post yields one trace across gateway, messaging and every realtime process', () => {
  let receiver: OtlpReceiver;
  let tier: SingleTier;
  let team: Team;

  before(async () => {
    receiver = await startOtlpReceiver();
    tier = await startSingleTier({
      replicas: { messaging: 1, realtime: 2, gateway: 1 },
      // Debug: the gateway's one line per request is at debug, and it is the line that must carry trace_id.
      logLevel: 'debug',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    team = await createTeam(tier.url, 0);
  });
  after(async () => {
    await tier?.stop();
    await receiver?.stop();
  });

  it('the trace of a post has spans from the gateway, messaging (with pg queries) and both realtime processes, and their log lines carry its trace_id', async (t) => {
    const room = await team.admin.createRoom('open', 'Traced');
    const realtimes = tier.services('realtime');
    assert.equal(realtimes.length, 2);
    // Straight to each realtime process, so each one has a socket to deliver the post to.
    const streams: RealtimeStream[] = realtimes.map((realtime) => connectWebSocket(realtime.url, { cookie: team.admin.cookieHeader() }));
    try {
      const base = await Promise.all(streams.map(async (stream) => (await stream.ready).rooms[room.id] ?? 0));
      const message = await team.admin.post(room.id, 'one post, one trace', 'traced-1');
      await Promise.all(streams.map((stream, i) => stream.waitForSeq(room.id, (base[i] ?? 0) + 1, 10_000)));

      const request = await receiver.waitForSpan(
        (span) => isFrom(span, 'gateway') && span.kind === SPAN_KIND.server && span.attributes['http.route'] === POST_ROUTE && pathOf(span).includes(room.id),
        TRACE_WAIT_MS,
        `the gateway's server span of POST ${POST_ROUTE} for room ${room.id}`,
      );
      const traceId = request.traceId;
      t.diagnostic(`post ${message.id} is trace ${traceId}`);

      const processes = expectedProcesses(tier);
      const spans = await receiver
        .waitForTrace(traceId, (all) => processes.every(({ process }) => all.some((span) => isFromProcess(span, process))), TRACE_WAIT_MS)
        .catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${whereThePostWent(receiver.spans(), traceId, processes)}`);
        });
      t.diagnostic(`the trace:\n${describeSpans(spans)}`);

      assert.deepEqual(
        spans.filter((span) => span.parentSpanId === null).map((span) => span.spanId),
        [request.spanId],
        "the gateway's request is the trace's one root",
      );
      for (const { name, process } of processes) {
        assert.ok(
          spans.some((span) => isFromProcess(span, process)),
          `${name} has a span in the trace`,
        );
      }
      const queries = spans.filter((span) => span.scope.endsWith('instrumentation-pg') && span.kind === SPAN_KIND.client);
      assert.ok(
        queries.some((span) => isFrom(span, 'messaging')),
        `messaging's PostgreSQL queries are in the trace:\n${describeSpans(spans)}`,
      );
      assert.deepEqual(
        spans.filter((span) => span.parentSpanId !== null && !spans.some((parent) => parent.spanId === span.parentSpanId)).map((span) => span.name),
        [],
        'every span but the root has its parent in the trace',
      );

      // A process's output is read here asynchronously: give a line written just now a moment to arrive.
      const hasTraceLine = ({ process }: ExpectedProcess): boolean => logLines(process).some((line) => line['trace_id'] === traceId);
      await waitUntil('a log line with the trace id from every process', async () => processes.every(hasTraceLine), null, 5_000).catch(() => undefined);
      for (const { name, process } of processes) {
        const lines = logLines(process).filter((line) => line['trace_id'] === traceId);
        t.diagnostic(`${name} logged, in the trace: ${lines.map((line) => JSON.stringify(line['msg'])).join(', ') || 'nothing'}`);
      }
      const missingLogs = processes.filter((expected) => !hasTraceLine(expected));
      assert.deepEqual(
        missingLogs.map(({ name }) => name),
        [],
        `processes with no log line carrying trace_id ${traceId}:\n${missingLogs.map(({ name, process }) => `--- ${name}\n${process.output().slice(-3_000)}`).join('\n')}`,
      );

      // The latency histograms point at the trace: an exemplar in the bucket the post landed in.
      const [gateway] = tier.services('gateway');
      assert.ok(gateway !== undefined);
      assert.ok(
        (await exemplarTraceIds(gateway.url, 'hearth_post_ack_duration_seconds_bucket')).includes(traceId),
        "the gateway's acknowledgement latency has the post's trace as an exemplar",
      );
      for (const realtime of realtimes) {
        assert.ok(
          (await exemplarTraceIds(realtime.url, 'hearth_delivery_latency_seconds_bucket')).includes(traceId),
          `realtime pid ${realtime.process.pid}'s delivery latency has the post's trace as an exemplar`,
        );
      }
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  });
});

/** The trace ids of the exemplars on one sample name of a process's OpenMetrics scrape. */
async function exemplarTraceIds(baseUrl: string, sample: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  assert.equal(response.status, 200);
  const text = await response.text();
  return [...text.matchAll(new RegExp(`^${sample}\\{[^}]*\\} \\S+ # \\{trace_id="([0-9a-f]{32})"\\}`, 'gm'))].map((match) => match[1] ?? '');
}

interface ExpectedProcess {
  readonly name: string;
  readonly process: ServiceProcess;
}

/** The processes a post goes through: the gateway, messaging, and each realtime process. */
function expectedProcesses(tier: SingleTier): ExpectedProcess[] {
  return (['gateway', 'messaging', 'realtime'] as const).flatMap((role) =>
    tier.services(role).map((process, i) => ({ name: `${role} ${i} (pid ${process.process.pid})`, process })),
  );
}

function isFrom(span: ReceivedSpan, role: string): boolean {
  return span.resource['service.name'] === `hearth-${role}`;
}

function isFromProcess(span: ReceivedSpan, service: ServiceProcess): boolean {
  return isFrom(span, service.role) && span.resource['process.pid'] === service.process.pid;
}

function pathOf(span: ReceivedSpan): string {
  return String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '');
}

/** The JSON log lines a process wrote (its stdout; other output is skipped). */
function logLines(service: ServiceProcess): Record<string, unknown>[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/**
 * For a failure: which processes did send spans, and whether any of them only links to the
 * post's trace (a batch span) instead of being in it.
 */
function whereThePostWent(all: readonly ReceivedSpan[], traceId: string, processes: readonly ExpectedProcess[]): string {
  return processes
    .map(({ name, process }) => {
      const own = all.filter((span) => isFromProcess(span, process));
      const inTrace = own.filter((span) => span.traceId === traceId).length;
      const linking = own.filter((span) => span.links.some((link) => link.traceId === traceId));
      return `${name}: ${own.length} spans received, ${inTrace} in the trace, ${linking.length} linking to it${linking.length > 0 ? `:\n${describeSpans(linking)}` : ''}`;
    })
    .join('\n');
}
