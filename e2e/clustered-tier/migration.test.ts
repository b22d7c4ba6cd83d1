import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../chaos-helpers.ts';
import { range } from '../helpers.ts';
import { runTierMigrations, type MigrationRun } from '../migration-run.ts';

/**
 * A Hearth moved embedded → single → clustered, as processes, with `hearth migrate` at each
 * step (migration-run.ts), while people keep posting and following over WebSocket and SSE.
 * Each copy is verified and exports the same as its source; writes are refused with 503
 * `migrating` and Retry-After only while the old tier is paused, reads and its realtime stream
 * go on meanwhile; every follower resumes on the new tier with no gap and no duplicate, and no
 * acknowledged post is lost. The benchmark (bench/migration.ts) is the same run with 100,000
 * messages; this is its short form.
 */

const MESSAGES = 2_000;
const ROOMS = 50;

describe('a Hearth moved embedded → single → clustered', { timeout: 600_000 }, () => {
  let run: MigrationRun;

  before(async () => {
    run = await runTierMigrations({ messages: MESSAGES, rooms: ROOMS, log: (line) => console.log(line) }, ['single', 'clustered']);
  });
  after(async () => {
    await run?.stop();
  });

  it('copies every record at each step, verified, and the two stores export the same', (t) => {
    assert.deepEqual(
      run.steps.map((step) => `${step.from} → ${step.to}`),
      ['embedded → single', 'single → clustered'],
    );
    for (const step of run.steps) {
      t.diagnostic(
        `${step.from} → ${step.to}: ${step.records} records, hearth migrate ${step.migrateMs} ms (${step.recordsPerSecond} records/s); writes unavailable ${step.windowMs} ms (${step.copyPartMs} ms of it until the copy was verified)`,
      );
      assert.equal(step.exportDifference, null);
      assert.ok(step.records > MESSAGES * 2, `${step.records} records`);
      const stages = [...new Set(step.progress.map((line) => line.stage))];
      assert.deepEqual(stages, ['copying', 'verifying', 'done']);
      assert.deepEqual(step.progress.at(-1), { stage: 'done', copied: step.records, total: step.records });
    }
    assert.ok(run.steps[1]!.records > run.steps[0]!.records, 'the second copy holds what was posted on the single tier too');
  });

  it('while the old tier is paused, writes get 503 migrating with Retry-After, reads answer and its realtime stream stays live', () => {
    for (const step of run.steps) {
      assert.ok(step.refusals.length > 0, `${step.from}: a writer was refused`);
      for (const refusal of step.refusals) assert.deepEqual(refusal, { status: 503, code: 'migrating', retryAfter: '10' });
      assert.ok(step.readsWhilePaused.all > 0 && step.readsWhilePaused.ok === step.readsWhilePaused.all, JSON.stringify(step.readsWhilePaused));
      assert.ok(step.liveFramesWhilePaused > 0, `${step.from}: typing frames reached the followers while paused`);
      assert.ok(step.windowMs > 0 && step.windowMs < 120_000, `${step.windowMs} ms`);
    }
  });

  it('every acknowledged post is stored once on the last tier, and the writers went on there', async () => {
    await Promise.all(run.writers.map((writer) => writer.stop()));
    for (const writer of run.writers) {
      assert.deepEqual(writer.unexpected, []);
      assert.ok(
        writer.acknowledged.some((ack) => ack.url === run.final.url),
        `${writer.prefix} posted on the clustered tier`,
      );
    }
    const acknowledged = run.writers.flatMap((writer) => writer.acknowledged.map((ack) => ack.message));
    const stored = new Map<string, string[]>();
    for (const roomId of new Set(acknowledged.map((message) => message.roomId))) {
      for (const message of await run.admin.allMessages(roomId)) {
        if (message.clientMessageId !== null) stored.set(message.clientMessageId, [...(stored.get(message.clientMessageId) ?? []), message.id]);
      }
    }
    const lost = acknowledged.filter((message) => stored.get(message.clientMessageId ?? '')?.join() !== message.id);
    assert.deepEqual(
      lost.map((message) => message.clientMessageId),
      [],
      'each acknowledged post is stored once, as acknowledged',
    );
  });

  it('every follower resumed on each new tier with no gap and no duplicate, in every room', async () => {
    const lastSeq = new Map((await run.admin.rooms()).map((room) => [room.id, room.lastSeq]));
    for (const follower of run.followers) {
      await eventually(`${follower.name} caught up`, () => [...follower.applied()].every(([roomId, seq]) => seq === lastSeq.get(roomId)), 30_000);
      assert.deepEqual(follower.anomalies, []);
      const rooms = [...follower.received.keys()];
      assert.equal(rooms.length, follower.name.includes('Last-Event-ID') ? 1 : ROOMS);
      for (const roomId of rooms) {
        const seqs = follower.received.get(roomId)!;
        const last = lastSeq.get(roomId)!;
        assert.deepEqual(seqs, range(last - seqs.length + 1, last), `${follower.name}, room ${roomId}: every seq once, in order`);
      }
    }
    const written = run.followers[0]!.received.get(run.roomIds[1]!)!;
    assert.ok(written.length > 2, 'live events arrived in a room the writers post to, across the tiers');
  });
});
