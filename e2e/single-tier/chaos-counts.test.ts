import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anomaliesOf, runChaos, startChaosTier } from '../chaos/run.ts';
import type { SingleTier } from '../single-tier.ts';

/**
 * The short form of `make chaos` (e2e/chaos/run.ts): the same runner over one fault of each kind
 * (kill -9 and SIGSTOP of each service, restarts of NATS, PostgreSQL and Redis, latency, resets
 * and a black hole between the services and a backend), and the same counts, all zero.
 */

describe('chaos, short form: one fault of each kind', () => {
  let tier: SingleTier;

  before(async () => {
    tier = await startChaosTier();
  });
  after(async () => {
    await tier?.stop();
  });

  it('0 lost, 0 unexpected, 0 duplicates, 0 gaps, 0 reorderings', { timeout: 240_000 }, async (t) => {
    const results = await runChaos(t, tier, { perKind: 1, seed: Number(process.env['CHAOS_SEED'] ?? 14) });
    t.diagnostic(
      `${results.faults.total} faults in ${results.durationS} s; posts attempted ${results.posts.attempted}, acknowledged ${results.posts.acknowledged}, stored ${results.posts.stored}`,
    );
    assert.ok(results.posts.acknowledged > 0, 'posts were acknowledged');
    assert.equal(results.faults.total, 12);
    assert.deepEqual(anomaliesOf(results), [], JSON.stringify(results.readers));
  });
});
