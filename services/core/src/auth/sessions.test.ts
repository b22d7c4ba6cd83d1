import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../ids.ts';
import { StoreSqlite } from '../store/store-sqlite.ts';
import { createSessionService, sessionIdFromCookieHeader, slidingExpiry } from './sessions.ts';

describe('sessionIdFromCookieHeader', () => {
  const cases: Array<[string | undefined, string | null]> = [
    [undefined, null],
    ['', null],
    ['hearth_session=abc', 'abc'],
    ['a=1; hearth_session=abc%3D%3D; b=2', 'abc=='],
    ['hearth_session_x=abc', null],
    ['hearth_session=%E0%A4%A', null],
  ];
  for (const [header, expected] of cases) it(`reads ${JSON.stringify(header)}`, () => assert.equal(sessionIdFromCookieHeader(header), expected));
});

describe('slidingExpiry', () => {
  const hour = 3_600_000;
  const policy = { idleTimeoutMs: 2 * hour, maxAgeMs: 10 * hour };
  const created = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(created);
  it('pushes the expiry an idle timeout past each use', () => assert.equal(slidingExpiry(created, t0 + hour, policy), t0 + 3 * hour));
  it('never past the maximum age, however recent the use', () => assert.equal(slidingExpiry(created, t0 + 9 * hour, policy), t0 + 10 * hour));
});

describe('createSessionService', () => {
  const minute = 60_000;
  const policy = { idleTimeoutMs: 30 * minute, maxAgeMs: 120 * minute };

  async function world() {
    const store = await StoreSqlite.open(':memory:');
    const user = await store.transaction((tx) =>
      tx.insertUser({ id: newId(), name: 'Ada', email: 'ada@example.com', role: 'member', passwordHash: null, createdAt: new Date().toISOString() }),
    );
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const sessions = createSessionService(store, policy, () => clock);
    return { store, user, sessions, advance: (ms: number) => (clock += ms) };
  }

  it('ends a session left unused for the idle timeout', async () => {
    const { store, user, sessions, advance } = await world();
    const session = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1' });
    advance(29 * minute);
    assert.equal((await sessions.resolve(session.id))?.user.id, user.id, 'used within the idle timeout');
    advance(29 * minute);
    assert.ok((await sessions.resolve(session.id)) !== null, 'each use pushes the idle expiry forward');
    advance(31 * minute);
    assert.equal(await sessions.resolve(session.id), null, 'idle for longer than the timeout');
    assert.equal(await store.getSession(session.id), null, 'and it is gone from the store');
    await store.close();
  });

  it('ends a session at its maximum age however busy it is, and keeps the provider session id', async () => {
    const { store, user, sessions, advance } = await world();
    const session = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1', idpSessionId: 'sid-7' });
    assert.equal(session.idpSessionId, 'sid-7');
    for (const step of [20, 20, 20, 20, 20, 19]) {
      advance(step * minute);
      assert.ok((await sessions.resolve(session.id)) !== null, 'used every 20 minutes, well within the idle timeout');
    }
    advance(2 * minute);
    assert.equal(await sessions.resolve(session.id), null, 'past the maximum age');
    await store.close();
  });
});
