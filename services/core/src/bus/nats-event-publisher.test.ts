import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClosedConnectionError } from '@nats-io/transport-node';
import { isRetryablePublishError } from './nats-event-publisher.ts';
import { jetStreamApiError } from './bus-test-support.ts';

describe('isRetryablePublishError', () => {
  it('tries again while the stream elects a leader, after a timeout, and while a twin with the same id is stored', () => {
    assert.equal(isRetryablePublishError(jetStreamApiError(503, 10008, 'JetStream system temporarily unavailable')), true);
    assert.equal(isRetryablePublishError(new Error('TIMEOUT')), true);
    // Two messaging processes' relays publish the same outbox row; the second is told to wait.
    assert.equal(isRetryablePublishError(jetStreamApiError(409, 10158, 'duplicate message id is in process')), true);
  });

  it('gives up on a closed connection and on any other refusal', () => {
    assert.equal(isRetryablePublishError(new ClosedConnectionError()), false);
    assert.equal(isRetryablePublishError(jetStreamApiError(400, 10060, 'expected stream does not match')), false);
    assert.equal(isRetryablePublishError(jetStreamApiError(400, 10071, 'wrong last sequence: 5')), false);
  });
});
