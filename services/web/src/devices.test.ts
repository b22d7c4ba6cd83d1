import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SignedInDevice } from './api-types.ts';
import { createDevices, orderDevices, signedOutSummary, timeAgo } from './devices.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

function device(id: string, lastSeenSecondsAgo: number, current = false): SignedInDevice {
  return {
    id,
    current,
    createdAt: ago(lastSeenSecondsAgo + 3600),
    lastSeenAt: ago(lastSeenSecondsAgo),
    expiresAt: ago(-3600),
    device: 'Chrome on Linux',
    userAgent: 'Mozilla/5.0',
    ip: '192.0.2.1',
  };
}

describe('timeAgo', () => {
  const cases: [seconds: number, expected: string][] = [
    [0, 'just now'],
    [59, 'just now'],
    [-30, 'just now'],
    [60, '1 minute ago'],
    [5 * 60 + 59, '5 minutes ago'],
    [3600, '1 hour ago'],
    [23 * 3600, '23 hours ago'],
    [24 * 3600, '1 day ago'],
    [3 * 24 * 3600, '3 days ago'],
    [14 * 24 * 3600, '2 weeks ago'],
    [45 * 24 * 3600, '1 month ago'],
    [800 * 24 * 3600, '2 years ago'],
  ];
  for (const [seconds, expected] of cases) {
    it(`${seconds} s → ${expected}`, () => assert.equal(timeAgo(ago(seconds), NOW), expected));
  }
  it('says "just now" of a time it cannot read', () => assert.equal(timeAgo('not a time', NOW), 'just now'));
});

describe('orderDevices', () => {
  it('puts this device first, then the others by when they were last seen, without changing its input', () => {
    const given = [device('old', 7200), device('here', 600, true), device('recent', 60)];
    assert.deepEqual(
      orderDevices(given).map((d) => d.id),
      ['here', 'recent', 'old'],
    );
    assert.deepEqual(
      given.map((d) => d.id),
      ['old', 'here', 'recent'],
    );
  });
});

describe('signedOutSummary', () => {
  it('counts the devices signed out', () => {
    assert.equal(signedOutSummary(0), 'No other device was signed in.');
    assert.equal(signedOutSummary(1), 'Signed out 1 other device.');
    assert.equal(signedOutSummary(3), 'Signed out 3 other devices.');
  });
});

describe('createDevices', () => {
  it('lists in page order, and signs out one device or all the others through the API', async () => {
    const calls: string[] = [];
    const devices = createDevices({
      sessions: async () => ({ sessions: [device('phone', 300), device('here', 0, true)] }),
      revokeSession: async (id) => {
        calls.push(`revoke ${id}`);
        return null;
      },
      revokeOtherSessions: async () => {
        calls.push('revoke others');
        return { revoked: 2 };
      },
    });
    assert.deepEqual(
      (await devices.listDevices()).map((d) => d.id),
      ['here', 'phone'],
    );
    await devices.signOutDevice('phone');
    assert.equal(await devices.signOutOtherDevices(), 2);
    assert.deepEqual(calls, ['revoke phone', 'revoke others']);
  });
});
