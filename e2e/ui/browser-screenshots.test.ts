import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { eventually, messageWithBody, saveScreenshot } from '../browser-pages.ts';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';

/**
 * The main screens as people see them, on a conversation that uses what the UI renders (rich
 * text, a code block, a mention, a boost, a direct room): sign-in, a room, search. Each is checked
 * for what it must show; with HEARTH_SCREENSHOTS=1 (`make screenshots`) each is also saved to
 * docs/screenshots/, so the docs' pictures are of the UI as it is.
 */
describe('the main screens', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let page: Page;

  before(async () => {
    suite = await startBrowserSuite(2);
    const [bea, cy] = suite.members as [BrowserSuite['members'][number], BrowserSuite['members'][number]];
    const { admin, allTalkId } = suite;
    await admin.call('PATCH', `/api/users/${bea.userId}`, { name: 'Bea Lind' });
    await admin.post(allTalkId, 'Morning! The **release** is out: https://example.com/notes', 'shot-1');
    await bea.post(allTalkId, `Nice. <@${admin.userId}> one thing left:\n- the *changelog*\n- the \`v2\` tag`, 'shot-2');
    const code = await admin.post(allTalkId, 'Tagging now:\n```\ngit tag v2 && git push --tags\n```', 'shot-3');
    await cy.boost(code.id, '🚀');
    await cy.post(allTalkId, '> one thing left\nDone, tagged and pushed.', 'shot-4');
    await admin.call('POST', '/api/rooms', { kind: 'open', name: 'Releases' }, [201]);
    await admin.call('POST', '/api/rooms/direct', { userIds: [admin.userId, bea.userId] });
    page = await suite.pages.pageInRoom(bea, 'bea', allTalkId);
  });
  after(() => suite?.stop());

  it('a room: rich text, a code block, a mention, a boost, the room list with a direct room', async () => {
    await messageWithBody(page, 'Done, tagged and pushed.').waitFor();
    assert.equal(await page.locator('[data-testid="room"] strong', { hasText: 'release' }).count(), 1);
    assert.equal(await page.locator('[data-testid="room"] pre code', { hasText: 'git tag v2' }).count(), 1);
    assert.equal(await page.locator('[data-testid="room"] blockquote', { hasText: 'one thing left' }).count(), 1);
    await eventually('three rooms in the list', () => page.getByTestId('room-link').count(), 3);
    await saveScreenshot(page, 'room');
    assert.deepEqual(suite.pages.errors, []);
  });

  it('search: the hits for a word, with their rooms', async () => {
    await page.getByTestId('search-input').fill('tag');
    await page.getByTestId('search-input').press('Enter');
    await eventually('the hits', () => page.getByTestId('search-hit').count(), 3);
    await saveScreenshot(page, 'search');
    await page.getByTestId('search-close').click();
  });

  it('sign-in, for someone with no session', async () => {
    const stranger = await suite.pages.newPage(await suite.pages.browser.newContext(), 'stranger');
    await stranger.goto(suite.hearth.url);
    await stranger.getByTestId('signin-form').waitFor();
    assert.equal(await stranger.locator('input[name="email"]').count(), 1);
    await saveScreenshot(stranger, 'sign-in');
  });
});
