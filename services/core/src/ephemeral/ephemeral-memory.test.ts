import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEphemeral } from './create-ephemeral.ts';
import { runEphemeralContract } from './ephemeral-contract.ts';
import { EphemeralMemory } from './ephemeral-memory.ts';

runEphemeralContract('EphemeralMemory', async () => new EphemeralMemory());
runEphemeralContract('createEphemeral({ type: memory })', () => createEphemeral({ type: 'memory' }));

describe('EphemeralMemory on an injected clock', () => {
  function clocked(): { ephemeral: EphemeralMemory; advance: (ms: number) => void } {
    let now = 1_000;
    return { ephemeral: new EphemeralMemory({ now: () => now }), advance: (ms) => (now += ms) };
  }

  it('keeps a fixed window from the first hit and reports the time left in it', async () => {
    const { ephemeral, advance } = clocked();
    assert.deepEqual(await ephemeral.hit('k', 1_000), { count: 1, resetMs: 1_000 });
    advance(400);
    assert.deepEqual(await ephemeral.hit('k', 1_000), { count: 2, resetMs: 600 });
    advance(599);
    assert.deepEqual(await ephemeral.hit('k', 1_000), { count: 3, resetMs: 1 });
    advance(1);
    assert.deepEqual(await ephemeral.hit('k', 1_000), { count: 1, resetMs: 1_000 });
  });

  it('lets a throttle pass again exactly when its time is up', async () => {
    const { ephemeral, advance } = clocked();
    assert.equal(await ephemeral.throttle('k', 500), true);
    advance(499);
    assert.equal(await ephemeral.throttle('k', 500), false);
    advance(1);
    assert.equal(await ephemeral.throttle('k', 500), true);
  });

  it('expires values at their time to live', async () => {
    const { ephemeral, advance } = clocked();
    await ephemeral.set('k', 'v', 100);
    advance(99);
    assert.equal(await ephemeral.get('k'), 'v');
    advance(1);
    assert.equal(await ephemeral.get('k'), null);
  });

  it('extends a connection on touch and expires users only when all their connections ran out', async () => {
    const { ephemeral, advance } = clocked();
    assert.equal(await ephemeral.touchPresence('u', 'c1', 100), true);
    await ephemeral.touchPresence('u', 'c2', 300);
    advance(90);
    await ephemeral.touchPresence('u', 'c1', 100);
    advance(150);
    assert.deepEqual(await ephemeral.expirePresence(), []);
    assert.deepEqual(await ephemeral.onlineUsers(), ['u']);
    advance(60);
    assert.deepEqual(await ephemeral.onlineUsers(), []);
    assert.deepEqual(await ephemeral.expirePresence(), ['u']);
    assert.equal(await ephemeral.touchPresence('u', 'c1', 100), true);
  });

  it('reports offline on dropping the last live connection even when others expired unswept', async () => {
    const { ephemeral, advance } = clocked();
    await ephemeral.touchPresence('u', 'c1', 100);
    await ephemeral.touchPresence('u', 'c2', 500);
    advance(200);
    assert.equal(await ephemeral.dropPresence('u', 'c2'), true);
    assert.deepEqual(await ephemeral.expirePresence(), []);
  });

  it('refuses use once closed', async () => {
    const { ephemeral } = clocked();
    await ephemeral.close();
    await assert.rejects(ephemeral.ping(), { code: 'unavailable' });
    await assert.rejects(ephemeral.get('k'), { code: 'unavailable' });
  });
});
