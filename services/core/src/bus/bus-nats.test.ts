import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startNats, startNatsCluster, type NatsCluster, type NatsServer } from '@hearth/harness';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { RoomEvent } from '../domain/events.ts';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Bus, CommandRequest } from './bus.ts';
import { runBusContract } from './bus-contract.ts';
import { BusNats, natsNames } from './bus-nats.ts';
import { eventually, roomEvent, seqsOf } from './bus-test-support.ts';
import { createBus } from './create-bus.ts';

const DELIVERY_MS = 10_000;

let nats: NatsServer;
/** The clustered tier's NATS: 3 servers, the event stream on all of them (R3). */
let cluster: NatsCluster;
const opened = new Set<Bus>();
let instances = 0;

before(async () => {
  [nats, cluster] = await Promise.all([startNats(), startNatsCluster({ size: 3 })]);
});

after(async () => {
  await Promise.all([...opened].map((bus) => bus.close()));
  await Promise.all([nats.stop(), cluster.stop()]);
});

/** A fresh instance name, so each test gets its own stream. */
function freshInstance(): string {
  instances += 1;
  return `t${instances}-${process.pid}`;
}

async function open(instance: string, replayLimit = 1_000): Promise<BusNats> {
  const bus = await BusNats.connect({ type: 'nats', servers: [nats.url], instance, replayLimit });
  opened.add(bus);
  return bus;
}

runBusContract('BusNats', () => open(freshInstance()));
runBusContract('BusNats on a 3-node cluster, stream R3', () => openOnCluster(freshInstance()));

async function openOnCluster(instance: string): Promise<BusNats> {
  const bus = await BusNats.connect({
    type: 'nats',
    servers: clusterServers(),
    credentials: clusterCredentials(),
    instance,
    replayLimit: 1_000,
    streamReplicas: 3,
  });
  opened.add(bus);
  return bus;
}
function clusterServers(): string[] {
  return cluster.nodes.map((node) => node.url);
}

function clusterCredentials(): { user: string; pass: string } {
  return { user: cluster.clientAuth.user, pass: cluster.clientAuth.password };
}

runBusContract('createBus({ type: nats })', async () => {
  const bus = await createBus({ type: 'nats', servers: [nats.url], instance: freshInstance(), replayLimit: 1_000 });
  opened.add(bus);
  return bus;
});

describe('BusNats', () => {
  it("reports each event its live feed takes (its delay), the stream's storage and the feed's lag, for metrics", async () => {
    const instance = freshInstance();
    const delays: number[] = [];
    const config = { type: 'nats' as const, servers: [nats.url], instance, replayLimit: 1_000 };
    const subscriber = await BusNats.connect(config, { onConsumed: (delaySeconds) => delays.push(delaySeconds) });
    opened.add(subscriber);
    const publisher = await open(instance);
    assert.equal((await publisher.streamUsage()).consumerPending, null, 'a process without a live feed has no lag');
    const received = collect(subscriber);
    await untilLive(publisher, received);
    const before = await publisher.streamUsage();
    const roomId = newId();
    for (let seq = 1; seq <= 5; seq += 1) await publisher.publishRoomEvent(roomEvent(roomId, seq));
    await eventually(() => ofRoom(received, roomId).length === 5, DELIVERY_MS);
    assert.ok(delays.length >= 5, 'told of every event');
    assert.ok(delays.every((delay) => delay >= 0 && delay < 10));
    const after = await publisher.streamUsage();
    assert.ok(after.bytes > before.bytes, `the stream grew: ${before.bytes} -> ${after.bytes} bytes`);
    assert.ok(after.maxBytes === null || after.maxBytes > after.bytes);
    assert.equal((await subscriber.streamUsage()).consumerPending, 0, 'the feed has everything');
  });

  it('names NATS and the server when it cannot connect', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    await assert.rejects(BusNats.connect({ type: 'nats', servers: [url], instance: 'nobody', replayLimit: 10 }), (error: unknown) => {
      assert.ok(error instanceof HearthError);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /NATS/);
      assert.ok(error.message.includes(url), error.message);
      return true;
    });
  });

  it('creates the stream once, with the per-room limit, and updates it when the limit changes', async () => {
    const instance = `${freshInstance()}-x`;
    await open(instance, 500);
    await open(instance, 500);
    assert.equal(natsNames(instance).stream, `HEARTH_${instance.toUpperCase().replaceAll('-', '_')}_EVENTS`);
    const first = await streamConfig(natsNames(instance).stream);
    assert.deepEqual(first.subjects, [`hearth.${instance}.evt.room.>`]);
    assert.equal(first.storage, 'file');
    assert.equal(first.max_msgs_per_subject, 500);
    assert.ok(first.duplicate_window >= 60 * 1e9, 'a duplicate window of at least a minute');
    assert.equal(first.max_bytes, -1, 'no cap unless one is given');
    await open(instance, 2_000);
    assert.equal((await streamConfig(natsNames(instance).stream)).max_msgs_per_subject, 2_000);
  });

  it('caps the stream at HEARTH_NATS_STREAM_MAX_BYTES, reports it as the limit, and drops the oldest events when full', async () => {
    const instance = freshInstance();
    const capped = await BusNats.connect({ type: 'nats', servers: [nats.url], instance, replayLimit: 1_000, streamMaxBytes: 64 * 1024 });
    opened.add(capped);
    assert.equal((await streamConfig(natsNames(instance).stream)).max_bytes, 64 * 1024);
    const roomId = newId();
    for (let seq = 1; seq <= 400; seq += 1) await capped.publishRoomEvent(roomEvent(roomId, seq));
    const usage = await capped.streamUsage();
    assert.equal(usage.maxBytes, 64 * 1024);
    assert.ok(usage.bytes <= 64 * 1024, `${usage.bytes} bytes stored`);
    assert.equal(await capped.replayRoom(roomId, 0, 10), null, 'the first events were dropped: a replay from them says so (catch-up reads the store)');
    assert.deepEqual(seqsOf((await capped.replayRoom(roomId, 395, 10)) ?? []), [396, 397, 398, 399, 400]);
  });

  it('stores and delivers once the same (roomId, seq) published by two connections', async () => {
    const instance = freshInstance();
    const [first, second, subscriber] = await Promise.all([open(instance), open(instance), open(instance)]);
    const received = collect(subscriber);
    await untilLive(first, received);
    const roomId = newId();
    await first.publishRoomEvent(roomEvent(roomId, 1));
    await second.publishRoomEvent(roomEvent(roomId, 1));
    await second.publishRoomEvent(roomEvent(roomId, 2));
    await eventually(() => ofRoom(received, roomId).length >= 2, DELIVERY_MS);
    await sleep(100);
    assert.deepEqual(seqsOf(ofRoom(received, roomId)), [1, 2]);
    const stream = await streamInfo(natsNames(instance).stream, `hearth.${instance}.evt.room.${roomId}`);
    assert.equal(stream.state.subjects?.[`hearth.${instance}.evt.room.${roomId}`], 2, 'JetStream kept one copy of seq 1');
  });

  it('fans every event out to subscribers in different connections', async () => {
    const instance = freshInstance();
    const [publisher, a, b] = await Promise.all([open(instance), open(instance), open(instance)]);
    const [inA, inB] = [collect(a), collect(b)];
    await untilLive(publisher, inA, inB);
    const roomId = newId();
    const published = Array.from({ length: 50 }, (_, i) => roomEvent(roomId, i + 1));
    for (const event of published) await publisher.publishRoomEvent(event);
    await eventually(() => ofRoom(inA, roomId).length === 50 && ofRoom(inB, roomId).length === 50, DELIVERY_MS);
    assert.deepEqual(ofRoom(inA, roomId), published);
    assert.deepEqual(ofRoom(inB, roomId), published);
  });

  it('shares commands between handlers in different connections, each answered once', async () => {
    const instance = freshInstance();
    const [client, a, b] = await Promise.all([open(instance), open(instance), open(instance)]);
    const handled: string[] = [];
    for (const [name, bus] of [
      ['a', a],
      ['b', b],
    ] as const) {
      bus.handleCommands(async (request) => {
        handled.push(name);
        return { ok: true, result: { by: name, n: request.payload } };
      });
    }
    await a.ping();
    await b.ping();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, n) => client.request({ name: 'message.post', payload: n })));
    assert.deepEqual(
      replies.map((reply) => (reply.ok ? (reply.result as { n: number }).n : -1)),
      Array.from({ length: 40 }, (_, n) => n),
    );
    assert.equal(handled.length, 40, 'every request was handled exactly once');
    assert.ok(handled.includes('a') && handled.includes('b'), `both handlers took commands (${handled.join('')})`);
  });

  it('sends the traceparent in a NATS header too, and turns a thrown handler error into ok: false', async () => {
    const instance = freshInstance();
    const [client, handler] = await Promise.all([open(instance), open(instance)]);
    const seen: CommandRequest[] = [];
    const errors: unknown[] = [];
    const failing = await BusNats.connect(
      { type: 'nats', servers: [nats.url], instance: freshInstance(), replayLimit: 10 },
      { onError: (e) => errors.push(e) },
    );
    opened.add(failing);
    handler.handleCommands(async (request) => {
      seen.push(request);
      return { ok: true, result: null };
    });
    await handler.ping();
    const headers = await headerOfNextCommand(instance, () =>
      client.request({ name: 'room.create', payload: {}, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
    );
    assert.equal(headers, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.equal(seen[0]?.traceparent, headers);

    failing.handleCommands(async () => {
      throw new Error('boom');
    });
    await failing.ping();
    const reply = await failing.request({ name: 'x', payload: null });
    assert.deepEqual(reply, { ok: false, error: { code: 'internal', message: 'the command handler failed' } });
    assert.equal(errors.length, 1);
  });

  it('replays across interleaved rooms, and answers null once the room was trimmed past afterSeq + 1', async () => {
    const bus = await open(freshInstance(), 100);
    const roomId = newId();
    const other = newId();
    const published = Array.from({ length: 150 }, (_, i) => roomEvent(roomId, i + 1));
    for (const event of published) {
      await bus.publishRoomEvent(event);
      if (event.seq % 3 === 0) await bus.publishRoomEvent(roomEvent(other, event.seq / 3));
    }
    // The stream keeps seqs 51..150 of the room.
    assert.equal(await bus.replayRoom(roomId, 0, 10), null);
    assert.equal(await bus.replayRoom(roomId, 49, 10), null);
    assert.deepEqual(await bus.replayRoom(roomId, 50, 1_000), published.slice(50));
    assert.deepEqual(await bus.replayRoom(roomId, 97, 20), published.slice(97, 117));
    assert.deepEqual(await bus.replayRoom(roomId, 148, 20), published.slice(148));
    assert.deepEqual(await bus.replayRoom(roomId, 150, 20), []);
    assert.deepEqual(await bus.replayRoom(roomId, 400, 20), []);
    assert.equal(await bus.replayRoom(newId(), 0, 20), null);
  });

  it('keeps delivering and replaying across a nats-server restart', async () => {
    const [one, two] = [freshInstance(), freshInstance()];
    // One subscriber that has received events before the restart...
    const [publisher, subscriber] = await Promise.all([open(one), open(one)]);
    const received = collect(subscriber);
    await untilLive(publisher, received);
    const roomId = newId();
    const published = Array.from({ length: 6 }, (_, i) => roomEvent(roomId, i + 1));
    for (const event of published.slice(0, 3)) await publisher.publishRoomEvent(event);
    await eventually(() => ofRoom(received, roomId).length === 3, DELIVERY_MS);
    // ...and one that has received nothing yet, on a stream that already holds events.
    const [quietPublisher, quiet] = await Promise.all([open(two), open(two)]);
    const quietRoomId = newId();
    const quietEvents = Array.from({ length: 6 }, (_, i) => roomEvent(quietRoomId, i + 1));
    for (const event of quietEvents.slice(0, 3)) await quietPublisher.publishRoomEvent(event);
    const quietReceived = collect(quiet);
    await sleep(300);

    await nats.restart();

    for (const event of published.slice(3)) await publisher.publishRoomEvent(event);
    for (const event of quietEvents.slice(3)) await quietPublisher.publishRoomEvent(event);
    await eventually(() => ofRoom(received, roomId).length === 6 && quietReceived.length >= 3, DELIVERY_MS);
    await sleep(200);
    assert.deepEqual(ofRoom(received, roomId), published);
    assert.deepEqual(quietReceived, quietEvents.slice(3), 'a recreated consumer resumes where it was, not at the stream start');
    assert.deepEqual(await subscriber.replayRoom(roomId, 0, 3), published.slice(0, 3));
    assert.deepEqual(await publisher.replayRoom(roomId, 2, 100), published.slice(2));
    assert.deepEqual(await quiet.replayRoom(quietRoomId, 0, 100), quietEvents);
  });
});

describe('BusNats on a 3-node cluster', () => {
  it("is refused without the cluster's credentials, or with a wrong password, naming NATS and not the password", async () => {
    for (const credentials of [undefined, { user: cluster.clientAuth.user, pass: 'wrong-password' }]) {
      const config = {
        type: 'nats' as const,
        servers: clusterServers(),
        instance: freshInstance(),
        replayLimit: 10,
        ...(credentials === undefined ? {} : { credentials }),
      };
      await assert.rejects(BusNats.connect(config), (error: unknown) => {
        assert.ok(error instanceof HearthError);
        assert.equal(error.code, 'unavailable');
        assert.match(error.message, /NATS at .*: .*(authorization|authentication)/i);
        assert.ok(!error.message.includes('wrong-password'), error.message);
        return true;
      });
    }
  });

  /** Asks the cluster, on a connection of its own, something of JetStream's management API. */
  const askCluster = async <T>(question: (jsm: JetStreamManager) => Promise<T>): Promise<T> => {
    const nc = await connect({ servers: clusterServers(), ...clusterCredentials() });
    try {
      return await question(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  };
  /** The name of the node that leads the instance's stream (node-0, node-1, node-2). */
  const streamLeader = (instance: string): Promise<string> =>
    askCluster(async (jsm) => {
      const info = await jsm.streams.info(natsNames(instance).stream);
      assert.equal(info.config.num_replicas, 3);
      return info.cluster?.leader ?? '';
    });
  /** The node that holds the instance's one consumer: the live feed of its only subscriber. */
  const consumerNode = (instance: string): Promise<string> =>
    askCluster(async (jsm) => {
      const consumers = await jsm.consumers.list(natsNames(instance).stream).next();
      assert.equal(consumers.length, 1, 'one live feed');
      return consumers[0]?.cluster?.leader ?? '';
    });
  const nodeNamed = (name: string): NatsServer => {
    const node = cluster.nodes[Number(name.replace('node-', ''))];
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  };

  it('is not ready (ping refuses) while its live feed is down, and ready again once the cluster is back', async () => {
    const instance = freshInstance();
    const subscriber = await openOnCluster(instance);
    collect(subscriber);
    await eventually(() => answersPing(subscriber), 30_000, 100);
    // The node the feed's consumer lives on goes, and with another the quorum, so that it cannot
    // be made again elsewhere: the consumer falls silent. (A consumer on the node left would go
    // on answering, with nothing to deliver.)
    const holder = nodeNamed(await consumerNode(instance));
    const other = cluster.nodes.find((node) => node !== holder);
    assert.ok(other !== undefined);
    await Promise.all([holder.kill9(), other.kill9()]);
    try {
      await eventually(
        async () => {
          const refusal = await subscriber.ping().then(
            () => '',
            (error: unknown) => String(error),
          );
          return /live feed of room events/.test(refusal);
        },
        40_000,
        100,
      );
    } finally {
      // Even when the test fails: the next ones need the whole cluster.
      await Promise.all([holder.start(), other.start()]);
      await cluster.waitForQuorum();
    }
    await eventually(() => answersPing(subscriber), 40_000, 100);
  });

  it('keeps every event, in order, through kill -9 of the stream leader and then of the next one', async () => {
    const instance = freshInstance();
    const [publisher, subscriber] = await Promise.all([openOnCluster(instance), openOnCluster(instance)]);
    const received = collect(subscriber);
    await eventually(() => answersPing(subscriber), 30_000, 100);
    await untilLive(publisher, received);
    const roomId = newId();
    const published = Array.from({ length: 9 }, (_, i) => roomEvent(roomId, i + 1));
    for (const event of published.slice(0, 3)) await publisher.publishRoomEvent(event);

    const first = nodeNamed(await streamLeader(instance));
    await first.kill9();
    // A new leader is elected among the two left; publishing retries meanwhile.
    for (const event of published.slice(3, 6)) await publisher.publishRoomEvent(event);
    await eventually(() => ofRoom(received, roomId).length === 6, 30_000);
    await first.start();
    await cluster.waitForQuorum();

    const second = nodeNamed(await streamLeader(instance));
    assert.notEqual(second, first, 'leadership moved off the killed node');
    await second.kill9();
    for (const event of published.slice(6)) await publisher.publishRoomEvent(event);
    await eventually(() => ofRoom(received, roomId).length === 9, 30_000);
    await second.start();
    await cluster.waitForQuorum();

    assert.deepEqual(seqsOf(ofRoom(received, roomId)), seqsOf(published), 'no gap, duplicate or reordering');
    await eventually(() => answersPing(subscriber), 30_000, 100);
    const late = await openOnCluster(instance);
    // The restarted replica may still be catching up, and reads answer "no responders" until the
    // stream has a leader again (catch-up then reads the store instead): ask until it answers.
    let replayed: RoomEvent[] | null | undefined;
    await eventually(
      async () => {
        replayed = await late.replayRoom(roomId, 0, 100).catch(() => undefined);
        return replayed !== undefined;
      },
      30_000,
      100,
    );
    assert.deepEqual(replayed, published, 'the stream kept all nine');
  });
});

/** Whether the bus says it is ready (its ping resolves). */
function answersPing(bus: Bus): Promise<boolean> {
  return bus.ping().then(
    () => true,
    () => false,
  );
}

function collect(bus: Bus): RoomEvent[] {
  const received: RoomEvent[] = [];
  bus.subscribeRoomEvents((event) => received.push(event));
  return received;
}

/**
 * subscribeRoomEvents returns before its consumer exists on the server; publishing warm-up
 * events until every subscriber has seen one shows they are live. Bounded by time, not by a
 * count of events: on a cluster that has just re-formed, the consumer can take seconds to be made.
 */
async function untilLive(publisher: Bus, ...subscribers: RoomEvent[][]): Promise<void> {
  const roomId = `warmup-${newId()}`;
  const deadline = Date.now() + 30_000;
  for (let seq = 1; Date.now() < deadline; seq += 1) {
    await publisher.publishRoomEvent(roomEvent(roomId, seq));
    await sleep(50);
    if (subscribers.every((received) => received.some((event) => event.roomId === roomId))) return;
  }
  assert.fail('the subscribers never went live within 30 s');
}

async function headerOfNextCommand(instance: string, send: () => Promise<unknown>): Promise<string | undefined> {
  const nc = await connect({ servers: nats.url });
  try {
    const sub = nc.subscribe(`hearth.${instance}.cmd.>`, { max: 1 });
    await nc.flush();
    const [msg] = await Promise.all([sub[Symbol.asyncIterator]().next(), send()]);
    return msg.done === true ? undefined : msg.value.headers?.get('traceparent');
  } finally {
    await nc.close();
  }
}

async function streamInfo(stream: string, subjectsFilter?: string) {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.info(stream, subjectsFilter === undefined ? undefined : { subjects_filter: subjectsFilter });
  } finally {
    await nc.close();
  }
}

async function streamConfig(stream: string) {
  return (await streamInfo(stream)).config;
}

function ofRoom(events: readonly RoomEvent[], roomId: string): RoomEvent[] {
  return events.filter((event) => event.roomId === roomId);
}
