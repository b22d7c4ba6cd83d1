import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from '@hearth/core';
import { buildDeviceList, findSession, publicSessionId } from './signed-in-devices.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (offsetSeconds: number): string => new Date(NOW + offsetSeconds * 1000).toISOString();
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function session(id: string, overrides: Partial<Session> = {}): Session {
  return {
    id,
    userId: 'ada',
    csrfToken: `csrf-${id}`,
    createdAt: iso(-3600),
    lastSeenAt: iso(-60),
    expiresAt: iso(3600),
    userAgent: CHROME,
    ip: '192.0.2.7',
    idpSessionId: null,
    ...overrides,
  };
}

describe('publicSessionId', () => {
  it('is 22 URL-safe characters, the same for the same session, and never the id itself', () => {
    const id = 'k3J9x0-secret-cookie-value_AAAAAAAAAAAAAAAA';
    assert.match(publicSessionId(id), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(publicSessionId(id), publicSessionId(id));
    assert.notEqual(publicSessionId(id), publicSessionId(`${id}x`));
    assert.ok(!id.includes(publicSessionId(id)));
  });
});

describe('buildDeviceList', () => {
  it('names each live session by its public id, marks the current one, describes its device, and leaves out ended ones', () => {
    const here = session('here');
    const phone = session('phone', {
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Version/18.1 Mobile/15E148 Safari/604.1',
      ip: '198.51.100.2',
    });
    const ended = session('ended', { expiresAt: iso(0) });
    const list = buildDeviceList([phone, here, ended], 'here', NOW);
    assert.deepEqual(list, [
      {
        id: publicSessionId('phone'),
        current: false,
        createdAt: phone.createdAt,
        lastSeenAt: phone.lastSeenAt,
        expiresAt: phone.expiresAt,
        device: 'Safari on iPhone',
        userAgent: phone.userAgent,
        ip: '198.51.100.2',
      },
      {
        id: publicSessionId('here'),
        current: true,
        createdAt: here.createdAt,
        lastSeenAt: here.lastSeenAt,
        expiresAt: here.expiresAt,
        device: 'Chrome on Linux',
        userAgent: CHROME,
        ip: '192.0.2.7',
      },
    ]);
    assert.ok(!JSON.stringify(list).includes('csrf-'), 'no CSRF token');
    assert.ok(
      list.every((device) => !['here', 'phone'].includes(device.id)),
      'no cookie value',
    );
  });

  it('is empty when every session has ended', () => {
    assert.deepEqual(buildDeviceList([session('a', { expiresAt: iso(-1) })], 'a', NOW), []);
  });
});

describe('findSession', () => {
  const sessions = [session('one'), session('two'), session('old', { expiresAt: iso(-5) })];
  it('finds a live session by its public id only', () => {
    assert.equal(findSession(sessions, publicSessionId('two'), NOW)?.id, 'two');
    assert.equal(findSession(sessions, 'two', NOW), null, 'not by its cookie value');
    assert.equal(findSession(sessions, publicSessionId('old'), NOW), null, 'not an ended one');
    assert.equal(findSession(sessions, publicSessionId('someone else'), NOW), null);
  });
});
