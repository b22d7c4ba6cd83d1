import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';
import type { AuditEntryView } from '@hearth/gateway';

/** The audit log's admin API through a whole Hearth (app.inject, real SQLite, messaging). */

function assertError(response: LightMyRequestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const { error } = response.json<{ error: { code: string; field?: string } }>();
  assert.equal(error.code, code, response.body);
  if (field !== undefined) assert.equal(error.field, field, response.body);
}

type Page = { entries: AuditEntryView[]; nextBefore: number | null };

describe('the audit log API', () => {
  let s: TestServer;
  let admin: TestSession;
  let bob: TestSession;
  const userAgent = 'audit-api-test/2.0';

  before(async () => {
    s = await startTestServer();
    admin = await setUpAccount(s.app);
    bob = await joinAs(s.app, admin, 'Bob');
    for (let i = 0; i < 5; i++) {
      const rotated = await call(s.app, 'POST', '/api/account/join-code', { session: admin, headers: { 'user-agent': userAgent } });
      assert.equal(rotated.statusCode, 200, rotated.body);
    }
    const promoted = await call(s.app, 'PATCH', `/api/users/${bob.user.id}`, {
      session: admin,
      body: { role: 'administrator' },
      headers: { 'user-agent': userAgent },
    });
    assert.equal(promoted.statusCode, 200, promoted.body);
  });
  after(() => stopAndAssertNo5xx(s));

  it('pages newest first with nextBefore, naming the actor and keeping where the request came from', async () => {
    const first = await call(s.app, 'GET', '/api/admin/audit?limit=4', { session: admin });
    assert.equal(first.statusCode, 200, first.body);
    const page = first.json<Page>();
    assert.equal(page.entries.length, 4);
    const [newest] = page.entries;
    assert.equal(newest?.action, 'user.role_changed');
    assert.deepEqual(newest?.detail, { from: 'member', to: 'administrator' });
    assert.equal(newest?.targetId, bob.user.id);
    assert.equal(newest?.actorId, admin.user.id);
    assert.equal(newest?.actorName, 'Ada');
    assert.deepEqual(newest?.origin, { ip: '127.0.0.1', userAgent });
    assert.equal(page.nextBefore, page.entries.at(-1)?.id);

    const all: AuditEntryView[] = [...page.entries];
    let nextBefore: number | null = page.nextBefore;
    while (nextBefore !== null) {
      const next: Page = (await call(s.app, 'GET', `/api/admin/audit?limit=4&before=${nextBefore}`, { session: admin })).json<Page>();
      all.push(...next.entries);
      nextBefore = next.nextBefore;
    }
    const ids = all.map((entry) => entry.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(new Set(ids).size, ids.length, 'no entry twice');
    assert.equal(all.filter((entry) => entry.action === 'account.join_link_rotated').length, 5);
    assert.deepEqual(
      (await call(s.app, 'GET', '/api/admin/audit', { session: admin })).json<Page>().entries.map((e) => e.id),
      ids,
      'the default page holds them all',
    );
  });

  it('refuses a bad limit or cursor with a 400 naming it, and anyone but an administrator', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=ten', 'limit=-1']) {
      assertError(await call(s.app, 'GET', `/api/admin/audit?${query}`, { session: admin }), 400, 'invalid_request', 'limit');
    }
    assertError(await call(s.app, 'GET', '/api/admin/audit?before=x', { session: admin }), 400, 'invalid_request', 'before');
    assertError(await call(s.app, 'GET', '/api/admin/audit?after=1', { session: admin }), 400, 'invalid_request', 'after');
    assert.equal((await call(s.app, 'GET', '/api/admin/audit?limit=200', { session: admin })).statusCode, 200);
    const carol = await joinAs(s.app, admin, 'Carol');
    assertError(await call(s.app, 'GET', '/api/admin/audit', { session: carol }), 403, 'forbidden');
    assertError(await call(s.app, 'GET', '/api/admin/audit/export', { session: carol }), 403, 'forbidden');
    assertError(await call(s.app, 'GET', '/api/admin/audit'), 401, 'unauthenticated');
    assertError(await call(s.app, 'GET', '/api/admin/audit/export'), 401, 'unauthenticated');
  });

  it('exports every entry oldest first as JSON lines, across many store pages', async () => {
    // More than two of the export's store pages, written straight to the store.
    const bulk = 1_234;
    await s.backends.store.transaction(async (tx) => {
      for (let i = 0; i < bulk; i++) {
        await tx.appendAudit({
          at: new Date().toISOString(),
          actorId: null,
          action: 'auth.sign_in_failed',
          targetType: null,
          targetId: null,
          detail: { attempt: i },
          origin: { ip: '192.0.2.1', userAgent: 'bulk' },
        });
      }
    });
    const exported = await call(s.app, 'GET', '/api/admin/audit/export', { session: admin });
    assert.equal(exported.statusCode, 200);
    assert.match(String(exported.headers['content-type']), /^application\/x-ndjson/);
    assert.match(String(exported.headers['content-disposition']), /^attachment; filename="hearth-audit-\d{4}-\d{2}-\d{2}\.ndjson"$/);
    assert.ok(exported.body.endsWith('\n'));
    const lines = exported.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntryView);
    const newestFirst = (await s.backends.store.listAudit({ limit: 10_000 })).map((entry) => entry.id);
    assert.deepEqual(
      lines.map((entry) => entry.id),
      newestFirst.reverse(),
      'every entry once, oldest first',
    );
    assert.deepEqual(
      lines.filter((entry) => entry.action === 'auth.sign_in_failed').map((entry) => entry.detail['attempt']),
      Array.from({ length: bulk }, (_, i) => i),
    );
    const rotation = lines.find((entry) => entry.action === 'account.join_link_rotated');
    assert.equal(rotation?.actorName, 'Ada');
    assert.deepEqual(rotation?.origin, { ip: '127.0.0.1', userAgent });
    assert.equal(lines.find((entry) => entry.action === 'auth.sign_in_failed')?.actorName, null);
  });
});
