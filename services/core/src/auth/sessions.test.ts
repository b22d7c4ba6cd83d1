import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../ids.ts';
import { StoreSqlite } from '../store/store-sqlite.ts';
import { countStatements } from '../store/statement-count.ts';
import { SessionCache } from './session-cache.ts';
import { createSessionService, sessionIdFromCookieHeader, slidingExpiry, type SignedIn } from './sessions.ts';

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

const minute = 60_000;
const policy = { idleTimeoutMs: 30 * minute, maxAgeMs: 120 * minute };

/** A store with Ada in it, and the session service on a clock the test moves; with `cache`, the service keeps sessions in it. */
async function world(cache: SessionCache | null = null) {
  const store = await StoreSqlite.open(':memory:');
  const user = await store.transaction((tx) =>
    tx.insertUser({ id: newId(), name: 'Ada', email: 'ada@example.com', role: 'member', passwordHash: null, createdAt: new Date().toISOString() }),
  );
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const sessions = createSessionService(store, policy, () => clock, cache);
  return { store, user, sessions, advance: (ms: number) => (clock += ms) };
}

describe('createSessionService', () => {
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

describe('SessionCache', () => {
  const signedIn = (sessionId: string, userId: string, expiresAt = '2026-01-01T01:00:00.000Z'): SignedIn => ({
    session: {
      id: sessionId,
      userId,
      csrfToken: 'x',
      createdAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      expiresAt,
      userAgent: 'test',
      ip: '127.0.0.1',
      idpSessionId: null,
    },
    user: { id: userId, name: userId, email: null, role: 'member', active: true, createdAt: '2026-01-01T00:00:00.000Z', avatar: null },
  });
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');

  it('gives back what was put for freshMs, never past the session’s expiry', () => {
    const cache = new SessionCache(5_000, 10);
    cache.put(signedIn('s1', 'ada'), t0);
    cache.put(signedIn('s2', 'ada', '2026-01-01T00:00:02.000Z'), t0);
    assert.equal(cache.get('s1', t0 + 4_999)?.session.id, 's1');
    assert.equal(cache.get('s1', t0 + 5_000), undefined);
    assert.equal(cache.get('s2', t0 + 1_999)?.session.id, 's2');
    assert.equal(cache.get('s2', t0 + 2_000), undefined, 'expired: read again, its expiry may have been pushed');
    assert.equal(cache.size, 0, 'what is no longer fresh is dropped');
  });

  it('drops a session on session.ended, and every session of a user on sessions.revoked and user.updated', () => {
    const cache = new SessionCache(5_000, 10);
    const fill = () => ['s1', 's2', 's3'].forEach((id, i) => cache.put(signedIn(id, i < 2 ? 'ada' : 'bob'), t0));
    fill();
    cache.observe({ type: 'session.ended', sessionId: 's1', at: '' });
    assert.deepEqual(
      ['s1', 's2', 's3'].map((id) => cache.get(id, t0) !== undefined),
      [false, true, true],
    );
    for (const type of ['sessions.revoked', 'user.updated'] as const) {
      fill();
      cache.observe({ type, userId: 'ada', at: '' });
      assert.deepEqual(
        ['s1', 's2', 's3'].map((id) => cache.get(id, t0) !== undefined),
        [false, false, true],
        type,
      );
    }
    cache.observe({ type: 'typing', roomId: 'r', userId: 'bob', at: '' });
    assert.ok(cache.get('s3', t0) !== undefined, 'typing concerns no session');
  });

  it('keeps at most maxEntries, dropping the oldest read first', () => {
    const cache = new SessionCache(5_000, 2);
    for (const id of ['s1', 's2', 's3']) cache.put(signedIn(id, 'ada'), t0);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('s1', t0), undefined);
  });
});

describe('createSessionService with a cache', () => {
  async function cachedWorld() {
    const cache = new SessionCache(5_000, 100);
    const reads = async (work: () => Promise<unknown>) => (await countStatements(work)).statements.filter((sql) => sql.includes('sessions')).length;
    return { ...(await world(cache)), cache, reads };
  }

  it('reads a session once while it is fresh, and again after', async () => {
    const { store, user, sessions, reads, advance } = await cachedWorld();
    const session = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1' });
    assert.equal(await reads(() => sessions.resolve(session.id)), 1);
    advance(4_000);
    assert.equal(await reads(() => sessions.resolve(session.id)), 0, 'fresh');
    advance(1_000);
    assert.equal(await reads(() => sessions.resolve(session.id)), 1, 'read again after 5 s');
    await store.close();
  });

  it('what it revokes itself ends at once; what a signal says ends at once; a change nobody signalled shows within freshMs', async () => {
    const { store, user, cache, sessions, advance } = await cachedWorld();
    const first = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1' });
    const second = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1' });
    for (const s of [first, second]) assert.ok((await sessions.resolve(s.id)) !== null);
    await sessions.revoke(first.id);
    assert.equal(await sessions.resolve(first.id), null, 'revoked here');
    await store.transaction((tx) => tx.updateUser(user.id, { active: false }));
    assert.ok((await sessions.resolve(second.id)) !== null, 'a change with no signal is not seen while the entry is fresh');
    cache.observe({ type: 'user.updated', userId: user.id, at: '' });
    assert.equal(await sessions.resolve(second.id), null, 'the signal drops it');
    await store.transaction((tx) => tx.updateUser(user.id, { active: true }));
    assert.ok((await sessions.resolve(second.id)) !== null);
    await store.transaction((tx) => tx.deleteSession(second.id));
    advance(5_000);
    assert.equal(await sessions.resolve(second.id), null, 'deleted with no signal: gone once the entry is stale');
    await store.close();
  });

  it('revokeOthers ends every other session of the person at once, cached or not, and keeps the one named', async () => {
    const { store, user, sessions } = await cachedWorld();
    const meta = { userAgent: 'test', ip: '127.0.0.1' };
    const [kept, other, another] = [await sessions.create(user.id, meta), await sessions.create(user.id, meta), await sessions.create(user.id, meta)];
    for (const s of [kept, other, another]) assert.ok((await sessions.resolve(s.id)) !== null);
    const ended = await sessions.revokeOthers(user.id, kept.id);
    assert.deepEqual([...ended].sort(), [other.id, another.id].sort());
    assert.equal(await sessions.resolve(other.id), null, 'its cached entry went with it');
    assert.equal(await sessions.resolve(another.id), null);
    assert.ok((await sessions.resolve(kept.id)) !== null);
    assert.deepEqual(await sessions.revokeOthers(user.id, kept.id), []);
    await store.close();
  });

  it('a touch updates the cached expiry, so a busy session is touched once a minute, not on each request', async () => {
    const { store, user, sessions, advance } = await cachedWorld();
    const session = await sessions.create(user.id, { userAgent: 'test', ip: '127.0.0.1' });
    advance(61_000);
    const touches = async () => (await countStatements(() => sessions.resolve(session.id))).statements.filter((sql) => sql.includes('UPDATE sessions')).length;
    assert.equal(await touches(), 1);
    advance(1_000);
    assert.equal(await touches(), 0);
    assert.equal((await store.getSession(session.id))?.lastSeenAt, new Date(Date.parse('2026-01-01T00:00:00.000Z') + 61_000).toISOString());
    await store.close();
  });
});
