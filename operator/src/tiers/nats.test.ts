import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natsEnv, natsStreamMaxBytes } from './nats.ts';
import { envOf, hearthFixture } from './testing.ts';

describe('the event stream’s cap', () => {
  it('is three quarters of a NATS server’s volume, so the stream cannot fill it', () => {
    const cases: { size: string | undefined; bytes: number }[] = [
      { size: undefined, bytes: 0.75 * 5 * 2 ** 30 },
      { size: '20Gi', bytes: 0.75 * 20 * 2 ** 30 },
      { size: '1G', bytes: 0.75 * 1e9 },
    ];
    for (const { size, bytes } of cases) {
      const hearth = hearthFixture({ tier: 'single', ...(size === undefined ? {} : { nats: { storage: { size } } }) });
      assert.equal(natsStreamMaxBytes(hearth), bytes, String(size));
    }
  });

  it('reaches the services with the bundled NATS, and is left to whoever runs an external one', () => {
    const bundled = hearthFixture({ tier: 'single', nats: { storage: { size: '8Gi' } } });
    assert.equal(envOf({ name: 'hearth', env: natsEnv(bundled) })['HEARTH_NATS_STREAM_MAX_BYTES'], String(0.75 * 8 * 2 ** 30));
    const external = hearthFixture({ tier: 'single', nats: { external: { secretRef: { name: 'nats' } } } });
    assert.equal(envOf({ name: 'hearth', env: natsEnv(external) })['HEARTH_NATS_STREAM_MAX_BYTES'], undefined);
  });
});
