import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Message, RoomForMember } from '@hearth/core';
import { SseClient, WsClient, call, isEventAt, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, type TestServer } from './test-server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const OBSERVABILITY_DOC = path.resolve(here, '../../../docs/observability.md');

/** Label names a Hearth series may carry: fixed, small sets of values, never an id. */
const ALLOWED_LABELS = new Set([
  'method',
  'route',
  'status_class',
  'outcome',
  'transport',
  'kind',
  'reason',
  'operation',
  'dialect',
  'backend',
  'version',
  'target',
  'le',
  'quantile',
]);

interface Family {
  readonly type: string;
  readonly samples: { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

type Sample = Family['samples'][number];

/** The metric families of a Prometheus text scrape (promtool has already checked its syntax). */
function familiesOf(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (typed !== null) {
      current = { type: typed[2] ?? '', samples: [] };
      families.set(typed[1] ?? '', current);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    assert.ok(current !== undefined, `unparsable line: ${line}`);
    current.samples.push(sampleOf(line));
  }
  return families;
}

/** One sample line: `name{label="value",…} value`. */
function sampleOf(line: string): Sample {
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
  assert.ok(sample !== null, `unparsable line: ${line}`);
  return { name: sample[1] ?? '', labels: labelsOf(sample[2] ?? ''), value: Number(sample[3]) };
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[name ?? ''] = value ?? '';
  return labels;
}

/** Every sample of Hearth's own families (hearth_…), not the runtime's. */
function hearthSamples(families: ReadonlyMap<string, Family>): Sample[] {
  return [...families].filter(([name]) => name.startsWith('hearth_')).flatMap(([, family]) => family.samples);
}

/** The service metrics docs/observability.md documents (its "The metrics" table), with their types. */
function documentedMetrics(): Map<string, string> {
  const documented = new Map<string, string>();
  const doc = readFileSync(OBSERVABILITY_DOC, 'utf8');
  const table = doc.slice(doc.indexOf('### The metrics\n'), doc.indexOf('### The operator'));
  for (const [, name, type] of table.matchAll(/^\| `([a-z_:]+)` \| (counter|gauge|histogram|summary) \|/gm)) {
    documented.set(name ?? '', type ?? '');
  }
  return documented;
}

function promtool(args: readonly string[], input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', [...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

async function scrape(base: string, accept?: string): Promise<Response> {
  return fetch(`${base}/metrics`, accept === undefined ? {} : { headers: { accept } });
}

function value(families: Map<string, Family>, sample: string, labels: Readonly<Record<string, string>> = {}): number {
  const family = families.get(sample.replace(/_(bucket|count|sum)$/, '')) ?? families.get(sample);
  const matching = (family?.samples ?? []).filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.reduce((sum, s) => sum + s.value, 0);
}

describe('/metrics', () => {
  let server: TestServer;
  let base: string;
  let admin: TestSession;
  let roomId: string;
  let message: Message;
  let text: string;
  let families: Map<string, Family>;

  before(async () => {
    server = await startTestServer();
    base = await server.listen();
    admin = await setUpAccount(server.app);
    const rooms = (await call(server.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: RoomForMember[] }>().rooms;
    roomId = rooms[0]?.id ?? assert.fail('no room');
    const lastSeq = rooms[0]?.lastSeq ?? 0;

    const first = new WsClient(base, { cookie: admin.cookie });
    await first.ready();
    const posted = await call(server.app, 'POST', `/api/rooms/${roomId}/messages`, { session: admin, body: { body: 'hello metrics', clientMessageId: 'm-1' } });
    assert.equal(posted.statusCode, 201, posted.body);
    message = posted.json<Message>();
    await first.waitFor(isEventAt(roomId, lastSeq + 1), 'the post, live');
    await first.close();
    // A reconnect that resumes from before the post: one resume, and the post replayed.
    const resumed = new WsClient(base, { cookie: admin.cookie, hello: { [roomId]: lastSeq } });
    await resumed.waitFor(isEventAt(roomId, lastSeq + 1), 'the post, replayed');
    await resumed.close();
    const refused = new WsClient(base, {});
    await refused.closed;
    const anonymousSse = new SseClient(base, { cookie: '' });
    await anonymousSse.closed;
    assert.equal(anonymousSse.status, 401);

    const rejected = await call(server.app, 'POST', `/api/rooms/${roomId}/messages`, { session: admin, body: { body: 'no client id' } });
    assert.equal(rejected.statusCode, 400);
    await call(server.app, 'GET', `/api/rooms/${roomId}/no-such-thing/${message.id}`, { session: admin });

    const response = await scrape(base);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    text = await response.text();
    families = familiesOf(text);
  });

  after(() => server.stop());

  it('passes promtool check metrics: a real parser, and Prometheus naming conventions', async () => {
    const { code, output } = await promtool(['check', 'metrics'], text);
    assert.equal(code, 0, output);
  });

  it('serves every documented metric with its documented type, and documents every hearth_ metric it serves', () => {
    const documented = documentedMetrics();
    assert.ok(documented.size > 25, `the table in docs/observability.md was read (${documented.size} rows)`);
    // hearth_memory_limit_bytes is absent where there is no limit (this machine may have none).
    for (const [name, type] of documented) {
      if (name === 'hearth_memory_limit_bytes' && !families.has(name)) continue;
      const family = families.get(name.replace(/_total$/, '')) ?? families.get(name);
      assert.equal(family?.type, type, `${name} is served as a ${type}`);
    }
    for (const [name] of families) {
      if (!name.startsWith('hearth_')) continue;
      const counter = `${name}_total`;
      assert.ok(documented.has(name) || documented.has(counter), `${name} is in docs/observability.md`);
    }
  });

  it('labels series only with small fixed sets: no room, user or message id, route templates not paths', () => {
    const ids = [roomId, admin.user.id, message.id];
    for (const sample of hearthSamples(families)) {
      for (const [label, labelValue] of Object.entries(sample.labels)) {
        assert.ok(ALLOWED_LABELS.has(label), `${sample.name} has label ${label}`);
        for (const id of ids) assert.ok(!labelValue.includes(id), `${sample.name}{${label}="${labelValue}"} carries an id`);
      }
    }
    assert.ok(
      value(families, 'hearth_http_request_duration_seconds_count', { route: '/api/rooms/:roomId/messages', method: 'POST', status_class: '2xx' }) >= 1,
    );
    assert.ok(value(families, 'hearth_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' }) >= 1);
  });

  it('counts what happened: posts by outcome, delivery, connects and resumes, replays, refusals, the outbox and the store', () => {
    assert.equal(value(families, 'hearth_posts_total', { outcome: 'acknowledged' }), 1);
    assert.equal(value(families, 'hearth_posts_total', { outcome: 'rejected' }), 1);
    assert.equal(value(families, 'hearth_post_ack_duration_seconds_count'), 1);
    assert.ok(value(families, 'hearth_delivery_latency_seconds_count') >= 1);
    assert.equal(value(families, 'hearth_realtime_connects_total', { transport: 'websocket', kind: 'new' }), 1);
    assert.equal(value(families, 'hearth_realtime_connects_total', { transport: 'websocket', kind: 'resume' }), 1);
    assert.ok(value(families, 'hearth_realtime_replayed_events_total', { transport: 'websocket' }) >= 1);
    assert.equal(value(families, 'hearth_realtime_connect_failures_total', { transport: 'websocket', reason: 'refused' }), 1);
    assert.equal(value(families, 'hearth_realtime_connect_failures_total', { transport: 'sse', reason: 'refused' }), 1);
    assert.ok(value(families, 'hearth_fanout_sends_total') >= 1);
    assert.ok(value(families, 'hearth_outbox_published_total') >= 1);
    assert.equal(value(families, 'hearth_outbox_backlog_events'), 0);
    assert.ok(value(families, 'hearth_store_operation_duration_seconds_count', { operation: 'transaction', dialect: 'sqlite' }) >= 2);
    assert.ok(value(families, 'hearth_ephemeral_operation_duration_seconds_count', { backend: 'memory' }) >= 1);
    assert.ok(value(families, 'hearth_bus_publish_duration_seconds_count', { kind: 'event' }) >= 1);
    assert.ok(value(families, 'hearth_bus_publish_duration_seconds_count', { kind: 'command' }) >= 1);
    assert.equal(value(families, 'hearth_build_info', { target: 'all', version: server.config.version }), 1);
  });

  it('serves OpenMetrics when asked, and Prometheus text again after it (counter names kept)', async () => {
    const open = await scrape(base, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    assert.match(open.headers.get('content-type') ?? '', /^application\/openmetrics-text; version=1\.0\.0/);
    const body = await open.text();
    assert.ok(body.endsWith('# EOF\n'), 'an OpenMetrics exposition ends with # EOF');
    assert.match(body, /^# TYPE hearth_posts counter$/m);
    assert.match(body, /^hearth_posts_total\{outcome="acknowledged"\} 1$/m);
    const again = await (await scrape(base)).text();
    assert.match(again, /^# TYPE hearth_posts_total counter$/m);
    assert.equal((await promtool(['check', 'metrics'], again)).code, 0);
  });

  it('is not served to a request that came through a proxy', async () => {
    const proxied = await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(proxied.status, 404);
    assert.equal(((await proxied.json()) as { error: { code: string } }).error.code, 'not_found');
  });
});
