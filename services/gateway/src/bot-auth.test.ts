import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerTokenOf, botReach, isTouchDue, type BotReach } from './bot-auth.ts';

describe('botReach', () => {
  const cases: [method: string, route: string | undefined, expected: BotReach | null][] = [
    ['GET', '/api/users/me', 'self'],
    ['HEAD', '/api/users/me', 'self'],
    ['GET', '/api/rooms/:roomId/messages', 'room'],
    ['POST', '/api/rooms/:roomId/messages', 'room'],
    ['GET', '/api/messages/:messageId', 'message'],
    ['PATCH', '/api/messages/:messageId', 'message'],
    ['DELETE', '/api/messages/:messageId', 'message'],
    ['POST', '/api/messages/:messageId/boosts', null],
    ['GET', '/api/rooms', null],
    ['POST', '/api/rooms', null],
    ['GET', '/api/rooms/:roomId', null],
    ['PUT', '/api/rooms/:roomId/members/:userId', null],
    ['GET', '/api/users', null],
    ['PATCH', '/api/users/:userId', null],
    ['GET', '/api/admin/bots', null],
    ['POST', '/api/admin/bots/:botId/tokens', null],
    ['POST', '/api/admin/bots/:botId/webhook-secret', null],
    ['GET', '/api/admin/audit/export', null],
    ['GET', '/api/search', null],
    ['DELETE', '/api/session', null],
    ['GET', '/api/sessions', null],
    ['DELETE', '/api/sessions/:sessionId', null],
    ['POST', '/api/sessions/revoke-others', null],
    ['GET', undefined, null],
  ];
  for (const [method, route, expected] of cases) {
    it(`${method} ${route ?? '(no route)'} → ${expected ?? 'refused'}`, () => {
      assert.equal(botReach(method, route), expected);
    });
  }
});

describe('bearerTokenOf', () => {
  const cases: [header: string | undefined, expected: string | null][] = [
    [undefined, null],
    ['', null],
    ['Bearer hbt_abc', 'hbt_abc'],
    ['bearer hbt_abc', 'hbt_abc'],
    ['Bearer   hbt_abc  ', 'hbt_abc'],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer hbt_a b', 'hbt_a b'],
    ['Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig', null],
    ['Bearerhbt_abc', null],
    ['Basic dXNlcjpwYXNz', null],
    ['Token hbt_abc', null],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(bearerTokenOf(header), expected);
    });
  }
});

describe('isTouchDue', () => {
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  const cases: [lastUsedAt: string | null, expected: boolean][] = [
    [null, true],
    ['2026-01-01T11:59:00.000Z', true],
    ['2026-01-01T11:58:00.000Z', true],
    ['2026-01-01T11:59:00.001Z', false],
    ['2026-01-01T12:00:00.000Z', false],
  ];
  for (const [lastUsedAt, expected] of cases) {
    it(`last used ${lastUsedAt ?? 'never'} → ${expected ? 'touch' : 'leave'}`, () => {
      assert.equal(isTouchDue(lastUsedAt, now), expected);
    });
  }
});
