import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { whileElecting } from './nats-retry.ts';
import { jetStreamApiError } from './bus-test-support.ts';

/** A request that fails with `errors` in turn, then answers 'ok'; and how often it was made. */
function failingWith(...errors: Error[]): { request: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    request: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('whileElecting', () => {
  it('tries again while the cluster elects (503) or has no servers online to place replicas on (10005)', async () => {
    const { request, calls } = failingWith(
      jetStreamApiError(503, 10008, 'JetStream system temporarily unavailable'),
      jetStreamApiError(400, 10005, 'no suitable peers for placement, peer offline'),
    );
    assert.equal(await whileElecting(request), 'ok');
    assert.equal(calls(), 3);
  });

  it('gives up at once on any other refusal', async () => {
    const { request, calls } = failingWith(jetStreamApiError(400, 10058, 'stream name already in use with a different configuration'));
    await assert.rejects(whileElecting(request), /already in use/);
    assert.equal(calls(), 1);
  });
});
