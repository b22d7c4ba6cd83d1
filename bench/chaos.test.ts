import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { tiersFromEnv, wholeNumberFromEnv } from './chaos.ts';

describe('make chaos settings', () => {
  afterEach(() => {
    delete process.env['CHAOS_TEST_NUMBER'];
  });

  it('CHAOS_TIERS: both by default, or the tiers named', () => {
    assert.deepEqual(tiersFromEnv(''), ['single', 'clustered']);
    assert.deepEqual(tiersFromEnv('single'), ['single']);
    assert.deepEqual(tiersFromEnv(' clustered , single,single'), ['clustered', 'single']);
  });

  it('CHAOS_TIERS: an unknown tier is refused in one line naming it', () => {
    assert.throws(
      () => tiersFromEnv('single,embedded'),
      /^Error: CHAOS_TIERS=single,embedded names embedded: give single, clustered or both, comma-separated$/,
    );
  });

  it('a whole number from the environment, or the default; anything else refused naming the variable', () => {
    assert.equal(wholeNumberFromEnv('CHAOS_TEST_NUMBER', 10, 1), 10);
    process.env['CHAOS_TEST_NUMBER'] = '3';
    assert.equal(wholeNumberFromEnv('CHAOS_TEST_NUMBER', 10, 1), 3);
    for (const bad of ['0', '2.5', 'ten', '-1']) {
      process.env['CHAOS_TEST_NUMBER'] = bad;
      assert.throws(() => wholeNumberFromEnv('CHAOS_TEST_NUMBER', 10, 1), new RegExp(`^Error: CHAOS_TEST_NUMBER=${bad} is not a whole number of at least 1$`));
    }
  });
});
