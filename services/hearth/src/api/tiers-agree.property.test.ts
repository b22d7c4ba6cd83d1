import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import type { Room } from '@hearth/core';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import { call, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/*
 * The command handlers of the embedded tier (SQLite) and of the server tiers (PostgreSQL) driven
 * with the same generated requests, one after the other: each request gets no 5xx from either, and
 * the same answer from both (status, error code and field). So a rule one store would enforce and
 * the other not (NUL, a lone surrogate, a length) shows up as a disagreement.
 */

interface Side {
  readonly server: TestServer;
  readonly admin: TestSession;
  readonly room: Room;
}

let pg: PostgresServer;
const sides: Side[] = [];

async function side(env: Record<string, string>): Promise<Side> {
  const server = await startTestServer(env);
  const admin = await setUpAccount(server.app);
  const room = (await call(server.app, 'POST', '/api/rooms', { session: admin, body: { kind: 'open', name: 'Property' } })).json<Room>();
  return { server, admin, room };
}

before(async () => {
  pg = await startPostgres();
  sides.push(await side({}), await side({ HEARTH_DATABASE_URL: await pg.createDatabase(`tiers_agree_${process.pid}`) }));
});
after(async () => {
  for (const { server } of sides) await stopAndAssertNo5xx(server);
  await pg.stop();
});

/** Any UTF-16 code unit (NUL and lone surrogates included) besides whole code points. */
const anyUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) },
);
const anyText = fc.oneof(fc.string({ unit: anyUnit, maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 120 }));
const anyValue = fc.oneof(anyText, fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyText, { maxLength: 3 }));

/** What both sides answered, without what differs by design (ids, times). */
function outcome(response: LightMyRequestResponse): { status: number; code?: string; field?: string } {
  if (response.statusCode < 400) return { status: response.statusCode };
  const { error } = response.json<{ error: { code: string; field?: string } }>();
  return { status: response.statusCode, code: error.code, ...(error.field === undefined ? {} : { field: error.field }) };
}

type Send = (s: Side) => Promise<LightMyRequestResponse>;

async function assertAgree(send: Send): Promise<void> {
  const [sqlite, postgres] = await Promise.all(sides.map(async (s) => outcome(await send(s))));
  assert.ok(
    (sqlite?.status ?? 500) < 500 && (postgres?.status ?? 500) < 500,
    `a 5xx: SQLite ${JSON.stringify(sqlite)}, PostgreSQL ${JSON.stringify(postgres)}`,
  );
  assert.deepEqual(postgres, sqlite, 'PostgreSQL answered otherwise than SQLite');
}

const RUNS = { numRuns: 150 };

describe('the tiers agree on generated requests', () => {
  it('posting a message', async () => {
    const post = fc.record({ body: anyValue, clientMessageId: anyValue }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(post, (body) => assertAgree((s) => call(s.server.app, 'POST', `/api/rooms/${s.room.id}/messages`, { session: s.admin, body }))),
      RUNS,
    );
  });

  it('creating a room', async () => {
    const room = fc.record({ kind: fc.oneof(fc.constantFrom('open', 'closed'), anyText), name: anyValue }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(room, (body) => assertAgree((s) => call(s.server.app, 'POST', '/api/rooms', { session: s.admin, body }))),
      RUNS,
    );
  });

  it('renaming oneself', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, (name) =>
        assertAgree((s) => call(s.server.app, 'PATCH', `/api/users/${s.admin.user.id}`, { session: s.admin, body: { name } })),
      ),
      RUNS,
    );
  });

  it('searching', async () => {
    // A query is bytes: any text a client can encode, and any bytes at all (invalid UTF-8 included).
    const percentEncoded = (bytes: Uint8Array): string => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    const query = fc.oneof(
      anyText.map((text) => encodeURIComponent(text.toWellFormed())),
      fc.uint8Array({ maxLength: 24 }).map(percentEncoded),
    );
    await fc.assert(
      fc.asyncProperty(query, (q) => assertAgree((s) => call(s.server.app, 'GET', `/api/search?q=${q}`, { session: s.admin }))),
      RUNS,
    );
  });
});
