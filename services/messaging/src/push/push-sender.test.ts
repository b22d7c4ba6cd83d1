import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeOf } from './push-sender.ts';

describe('outcomeOf (RFC 8030 answers)', () => {
  it('reads 2xx as delivered, 404 and 410 as gone, 429 and 5xx as worth another try, the rest as a refusal', () => {
    assert.deepEqual(outcomeOf(201, ''), { kind: 'delivered' });
    assert.deepEqual(outcomeOf(410, null), { kind: 'gone', status: 410 });
    assert.deepEqual(outcomeOf(404, 'x'), { kind: 'gone', status: 404 });
    assert.deepEqual(outcomeOf(429, ''), { kind: 'failed', error: 'the push service answered HTTP 429', retry: true });
    assert.deepEqual(outcomeOf(503, ' busy '), { kind: 'failed', error: 'the push service answered HTTP 503: busy', retry: true });
    assert.deepEqual(outcomeOf(403, 'key mismatch'), { kind: 'failed', error: 'the push service answered HTTP 403: key mismatch', retry: false });
  });
});
