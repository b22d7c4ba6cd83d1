import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../ids.ts';
import type { Ephemeral } from './ephemeral.ts';

/** A time to live that runs out within a test, and a sleep that outlasts it. */
const SHORT_MS = 60;
const PAST_SHORT_MS = 120;
/** A time to live that no test outlives, even on a slow machine. */
const LONG_MS = 10_000;

/**
 * The behaviour every Ephemeral must show, through the interface only, on real time.
 * Keys and users are unique per test, so a shared server is fine; assertions only
 * ever claim "still there" under LONG_MS and "gone" after sleeping past SHORT_MS.
 */
export function runEphemeralContract(label: string, open: () => Promise<Ephemeral>): void {
  describe(`Ephemeral contract: ${label}`, () => {
    let ephemeral: Ephemeral;

    beforeEach(async () => {
      ephemeral = await open();
    });

    afterEach(async () => {
      await ephemeral.close();
    });

    describeCounters(() => ephemeral);
    describeValues(() => ephemeral);
    describePresence(() => ephemeral);

    it('answers ping', async () => {
      await ephemeral.ping();
    });
  });
}

function describeCounters(ephemeral: () => Ephemeral): void {
  it('counts hits within a window, per key', async () => {
    const key = newId();
    assert.equal((await ephemeral().hit(key, LONG_MS)).count, 1);
    assert.equal((await ephemeral().hit(key, LONG_MS)).count, 2);
    const third = await ephemeral().hit(key, LONG_MS);
    assert.equal(third.count, 3);
    assert.ok(third.resetMs > 0 && third.resetMs <= LONG_MS, `resetMs ${third.resetMs} is outside the window`);
    assert.equal((await ephemeral().hit(newId(), LONG_MS)).count, 1);
  });

  it('starts counting again after the window', async () => {
    const key = newId();
    await ephemeral().hit(key, SHORT_MS);
    await ephemeral().hit(key, SHORT_MS);
    await sleep(PAST_SHORT_MS);
    assert.equal((await ephemeral().hit(key, SHORT_MS)).count, 1);
  });

  it('throttles: true, then false within ms, then true again after it', async () => {
    const key = newId();
    assert.equal(await ephemeral().throttle(key, SHORT_MS), true);
    assert.equal(await ephemeral().throttle(key, SHORT_MS), false);
    await sleep(PAST_SHORT_MS);
    assert.equal(await ephemeral().throttle(key, SHORT_MS), true);
    const steady = newId();
    assert.equal(await ephemeral().throttle(steady, LONG_MS), true);
    assert.equal(await ephemeral().throttle(steady, LONG_MS), false);
    assert.equal(await ephemeral().throttle(newId(), LONG_MS), true);
  });
}

function describeValues(ephemeral: () => Ephemeral): void {
  it('gets, overwrites and deletes values', async () => {
    const key = newId();
    assert.equal(await ephemeral().get(key), null);
    await ephemeral().set(key, 'one', LONG_MS);
    assert.equal(await ephemeral().get(key), 'one');
    await ephemeral().set(key, 'two', LONG_MS);
    assert.equal(await ephemeral().get(key), 'two');
    await ephemeral().delete(key);
    assert.equal(await ephemeral().get(key), null);
    await ephemeral().delete(key);
  });

  it('forgets a value after its time to live', async () => {
    const key = newId();
    const kept = newId();
    await ephemeral().set(key, 'soon gone', SHORT_MS);
    await ephemeral().set(kept, 'kept', LONG_MS);
    await sleep(PAST_SHORT_MS);
    assert.equal(await ephemeral().get(key), null);
    assert.equal(await ephemeral().get(kept), 'kept');
  });
}

function describePresence(ephemeral: () => Ephemeral): void {
  it('reports coming online and going offline across connections', async () => {
    const userId = newId();
    assert.equal(await ephemeral().touchPresence(userId, 'c1', LONG_MS), true);
    assert.equal(await ephemeral().touchPresence(userId, 'c2', LONG_MS), false);
    assert.equal(await ephemeral().touchPresence(userId, 'c1', LONG_MS), false);
    assert.equal(await ephemeral().dropPresence(userId, 'c1'), false);
    assert.equal(await ephemeral().dropPresence(userId, 'c2'), true);
    assert.equal(await ephemeral().dropPresence(userId, 'c2'), false);
    assert.equal(await ephemeral().touchPresence(userId, 'c3', LONG_MS), true);
  });

  it('expires connections whose time ran out, reporting each user once', async () => {
    const [gone, partly, staying] = [newId(), newId(), newId()];
    await ephemeral().touchPresence(gone, 'c1', SHORT_MS);
    await ephemeral().touchPresence(gone, 'c2', SHORT_MS);
    await ephemeral().touchPresence(partly, 'c1', SHORT_MS);
    await ephemeral().touchPresence(partly, 'c2', LONG_MS);
    await ephemeral().touchPresence(staying, 'c1', LONG_MS);
    await sleep(PAST_SHORT_MS);
    const mine = [gone, partly, staying];
    assert.deepEqual(only(await ephemeral().expirePresence(), mine), [gone]);
    assert.deepEqual(only(await ephemeral().expirePresence(), mine), []);
    assert.deepEqual(only(await ephemeral().onlineUsers(), mine), [partly, staying].sort());
    assert.equal(await ephemeral().dropPresence(partly, 'c2'), true);
  });

  it('lists exactly the users with a live connection', async () => {
    const [online, dropped, expired] = [newId(), newId(), newId()];
    await ephemeral().touchPresence(online, 'c1', LONG_MS);
    await ephemeral().touchPresence(dropped, 'c1', LONG_MS);
    await ephemeral().touchPresence(expired, 'c1', SHORT_MS);
    await ephemeral().dropPresence(dropped, 'c1');
    await sleep(PAST_SHORT_MS);
    // Not yet swept by expirePresence, an expired connection is still not live.
    assert.deepEqual(only(await ephemeral().onlineUsers(), [online, dropped, expired]), [online]);
  });
}

/** Another test's users may share the server; each test looks only at its own, sorted. */
function only(userIds: readonly string[], mine: readonly string[]): string[] {
  return userIds.filter((userId) => mine.includes(userId)).sort();
}
