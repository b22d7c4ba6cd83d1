import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Room } from '@hearth/core';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import { call, joinCodeOf, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from './test-server.ts';

/*
 * The text rule at the edge (json-body.ts, core's well-formed-text.ts): NUL, lone surrogates,
 * bytes that are not UTF-8 and a charset other than UTF-8 are refused alike, naming the field, by
 * the embedded store (SQLite, which would store them) and the server tiers' (PostgreSQL, which
 * cannot): one answer for one request, whatever the tier. Nothing of a refused request is stored.
 */

let pg: PostgresServer;
before(async () => {
  pg = await startPostgres();
});
after(() => pg.stop());

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly field: string;
}

function refusalOf(response: LightMyRequestResponse): Refusal {
  const { error } = response.json<{ error: { code: string; field: string } }>();
  return { status: response.statusCode, code: error.code, field: error.field };
}

const invalidOn = (field: string): Refusal => ({ status: 400, code: 'invalid_request', field });

/** A body as bytes, sent as they are (app.inject would otherwise encode a string as UTF-8). */
interface RawBody {
  readonly payload: Buffer;
  readonly contentType?: string;
}

function rawPost(
  app: FastifyInstance,
  url: string,
  session: TestSession,
  { payload, contentType = 'application/json' }: RawBody,
): Promise<LightMyRequestResponse> {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'content-type': contentType };
  return app.inject({ method: 'POST', url, headers, payload });
}

for (const store of ['SQLite', 'PostgreSQL'] as const) {
  describe(`the text rule at the edge, on ${store}`, () => {
    let s: TestServer;
    let admin: TestSession;
    let room: Room;
    const messagesUrl = (): string => `/api/rooms/${room.id}/messages`;

    before(async () => {
      s = await startTestServer(store === 'SQLite' ? {} : { HEARTH_DATABASE_URL: await pg.createDatabase(`text_rule_${process.pid}`) });
      admin = await setUpAccount(s.app);
      room = (await call(s.app, 'POST', '/api/rooms', { session: admin, body: { kind: 'open', name: 'Text' } })).json<Room>();
    });
    after(() => stopAndAssertNo5xx(s));

    it('refuses NUL in a clientMessageId, a body, a user name and the join form, naming the field', async () => {
      const post = (body: unknown): Promise<LightMyRequestResponse> => call(s.app, 'POST', messagesUrl(), { session: admin, body });
      assert.deepEqual(refusalOf(await post({ body: 'hi', clientMessageId: 'a\u0000b' })), invalidOn('clientMessageId'));
      assert.deepEqual(refusalOf(await post({ body: 'a\u0000b', clientMessageId: 'c1' })), invalidOn('body'));
      const rename = await call(s.app, 'PATCH', `/api/users/${admin.user.id}`, { session: admin, body: { name: 'a\u0000b' } });
      assert.deepEqual(refusalOf(rename), invalidOn('name'));
      const join = { name: 'a\u0000b', email: 'nul@example.com', password: 'correct horse battery' };
      assert.deepEqual(refusalOf(await call(s.app, 'POST', `/api/join/${await joinCodeOf(s.app, admin)}`, { body: join })), invalidOn('name'));
    });

    it('refuses a lone surrogate, and keeps a surrogate pair (an emoji)', async () => {
      const escaped = (text: string): Buffer => Buffer.from(`{"body":"${text}","clientMessageId":"s-${text.length}"}`);
      assert.deepEqual(refusalOf(await rawPost(s.app, messagesUrl(), admin, { payload: escaped('x\\ud800y') })), invalidOn('body'));
      const emoji = await rawPost(s.app, messagesUrl(), admin, { payload: escaped('\\ud83d\\ude00') });
      assert.equal(emoji.statusCode, 201, emoji.body);
      assert.equal(emoji.json<{ body: string }>().body, '😀');
    });

    it('refuses a body that is not UTF-8, and a charset it does not read', async () => {
      const latin1 = Buffer.concat([Buffer.from('{"body":"caf'), Buffer.from([0xe9]), Buffer.from('","clientMessageId":"l1"}')]);
      assert.deepEqual(refusalOf(await rawPost(s.app, messagesUrl(), admin, { payload: latin1 })), invalidOn('body'));
      const utf16 = Buffer.from('{"body":"hi","clientMessageId":"u16"}', 'utf16le');
      assert.deepEqual(
        refusalOf(await rawPost(s.app, messagesUrl(), admin, { payload: utf16, contentType: 'application/json; charset=utf-16' })),
        invalidOn('content-type'),
      );
      const named = await rawPost(s.app, messagesUrl(), admin, {
        payload: Buffer.from('{"body":"named","clientMessageId":"n1"}'),
        contentType: 'application/json; charset="UTF-8"',
      });
      assert.equal(named.statusCode, 201, 'charset=UTF-8, quoted, is read');
    });

    it('refuses NUL in a query and a path, and a body nested too deep to walk recursively', async () => {
      assert.deepEqual(refusalOf(await call(s.app, 'GET', '/api/search?q=a%00b', { session: admin })), invalidOn('q'));
      assert.deepEqual(refusalOf(await call(s.app, 'GET', '/api/rooms/a%00b/messages', { session: admin })), invalidOn('roomId'));
      const deep = Buffer.from(`{"body":${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)},"clientMessageId":"d"}`);
      assert.equal((await rawPost(s.app, messagesUrl(), admin, { payload: deep })).statusCode, 400);
    });

    it('stored none of the refused posts', async () => {
      const page = (await call(s.app, 'GET', messagesUrl(), { session: admin })).json<{ messages: { body: string }[] }>();
      assert.deepEqual(page.messages.map((message) => message.body).sort(), ['named', '😀']);
    });
  });
}
