import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, errorOf, HearthClient, PASSWORD, type RawResponse } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';

/** Over its limits a client gets 429 rate_limited with retry-after (header and body), and the server stays healthy. */

const SIGN_INS_PER_MINUTE = 3;
const POSTS_PER_MINUTE = 5;

function assertRateLimited(response: RawResponse): void {
  assert.equal(response.status, 429, `${response.status} ${response.text}`);
  const error = errorOf(response) as { code: string; retryAfter?: unknown } | null;
  assert.equal(error?.code, 'rate_limited');
  const header = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(header) && header >= 1 && header <= 60, `retry-after header ${response.headers.get('retry-after')}`);
  assert.equal(error.retryAfter, header, 'retryAfter in the body matches the header');
}

describe('rate limits', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let roomId: string;

  before(async () => {
    hearth = await startHearth({ signInPerMinute: SIGN_INS_PER_MINUTE, postsPerMinute: POSTS_PER_MINUTE });
    admin = (await createTeam(hearth.url, 0)).admin;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
  });
  after(async () => {
    await hearth?.stop();
  });

  it(`sign-in: at most ${SIGN_INS_PER_MINUTE} attempts a minute, then 429 even with the right password`, async () => {
    // Setup (and join) may count against the same budget, so the limit may come before the third wrong password.
    const client = new HearthClient(hearth.url);
    let refused = 0;
    for (let attempt = 1; attempt <= SIGN_INS_PER_MINUTE; attempt++) {
      const wrong = await client.raw('POST', '/api/session', { email: 'ada@example.com', password: 'not the password' });
      if (wrong.status === 429) break;
      assert.equal(wrong.status, 401, wrong.text);
      assert.equal(errorOf(wrong)?.code, 'invalid_credentials');
      refused++;
    }
    assert.ok(refused >= 1, 'a wrong password is 401 invalid_credentials while under the limit');
    assertRateLimited(await client.raw('POST', '/api/session', { email: 'ada@example.com', password: PASSWORD }));
  });

  it(`posting: ${POSTS_PER_MINUTE} a minute, then 429, and nothing more is stored`, async () => {
    for (let i = 1; i <= POSTS_PER_MINUTE; i++) await admin.post(roomId, `post ${i}`, `limited-${i}`);
    const before = (await admin.room(roomId)).lastSeq;
    assertRateLimited(await admin.raw('POST', `/api/rooms/${roomId}/messages`, { body: 'one too many', clientMessageId: 'limited-over' }));
    assert.equal((await admin.room(roomId)).lastSeq, before);
    const ready = await fetch(`${hearth.url}/readyz`);
    assert.equal(ready.status, 200);
  });
});
