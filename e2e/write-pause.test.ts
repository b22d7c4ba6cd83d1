import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserSuite, type BrowserSuite } from './browser-suite.ts';
import type { Locator, Page } from 'playwright-core';
import { eventually, messageWithBody, type BrowserPages } from './browser-pages.ts';
import { DEFAULT_ROOM, errorOf, type HearthClient } from './client.ts';
import type { Hearth } from './harness.ts';

/**
 * Writes paused on the store (`hearth writes pause`, a tier migration's read-only stage), on
 * every tier: writes get 503 migrating, reading and the realtime stream go on, and a post typed
 * in the browser meanwhile waits, saying why, and arrives once writes resume.
 */

const composerOf = (page: Page): Locator => page.getByRole('textbox', { name: `Message ${DEFAULT_ROOM}` });
const storedMessage = (page: Page, body: string): Locator => messageWithBody(page, body).and(page.locator('[data-pending="false"]'));

describe('writes paused while Hearth moves', { timeout: 120_000 }, () => {
  let hearth: Hearth;
  let pages: BrowserPages;
  let admin: HearthClient;
  let member: HearthClient;
  let roomId: string;

  let suite: BrowserSuite | undefined;

  before(async () => {
    suite = await startBrowserSuite(1);
    ({ hearth, pages, admin, allTalkId: roomId } = suite);
    member = suite.members[0]!;
    await admin.post(roomId, 'before the move', 'before-1');
  });
  after(async () => {
    await hearth?.runCommand(['writes', 'resume']);
    await suite?.stop();
  });

  it('refuses writes with 503 migrating, keeps reads, and delivers a post typed meanwhile once writes resume', async () => {
    const typing = await pages.pageInRoom(member, 'member', roomId);
    const watching = await pages.pageInRoom(admin, 'admin', roomId);
    const paused = await hearth.runCommand(['writes', 'pause', '--reason', 'moving to the single tier']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match((await hearth.runCommand(['writes', 'status'])).stdout, /^writes paused since .*: moving to the single tier\n$/);

    const refused = await admin.raw('POST', `/api/rooms/${roomId}/messages`, { body: 'refused', clientMessageId: 'refused-1' });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.headers.get('retry-after'), '10');
    assert.equal(errorOf(refused)?.code, 'migrating');
    assert.ok(
      (await member.messages(roomId)).some((message) => message.body === 'before the move'),
      'reading goes on',
    );

    const body = `typed during the move ${Date.now().toString(36)}`;
    await composerOf(typing).fill(body);
    await composerOf(typing).press('Enter');
    await eventually('the post waits, saying why', async () => /moving to new servers/.test((await typing.getByTestId('waiting').textContent()) ?? ''), true);

    assert.equal((await hearth.runCommand(['writes', 'resume'])).stdout, 'writes open\n');
    await storedMessage(typing, body).waitFor({ timeout: 30_000 });
    await storedMessage(watching, body).waitFor({ timeout: 10_000 });
    const stored = (await admin.messages(roomId)).filter((message) => message.body === body || message.body === 'refused');
    assert.deepEqual(
      stored.map((message) => message.body),
      [body],
      'the post was stored once, and the refused one not at all',
    );
    assert.deepEqual(pages.errors, []);
  });
});
