import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';
import { eventually } from '../browser-pages.ts';

/**
 * Being told of new messages in the page (notifications.ts): a mention in another room shows an
 * alert in the mentioned person's page, which opens the room when clicked; a mention in the room
 * they are reading does not.
 */
describe('notifications in a browser', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let page: Page;
  let sideId: string;
  const sent = (n: number): string => `nt-${Date.now().toString(36)}-${n}`;

  before(async () => {
    suite = await startBrowserSuite(1);
    const reader = suite.members[0]!;
    sideId = (await suite.admin.createRoom('closed', 'side', [reader.userId])).id;
    page = await suite.pages.pageInRoom(reader, 'reader', suite.allTalkId);
    await page.locator(`[data-testid="room-link"][data-room-id="${sideId}"]`).waitFor();
  });
  after(() => suite?.stop());

  it('a mention in another room shows an alert that opens the room; one in the room being read does not', async () => {
    const reader = suite.members[0]!;
    const alerts = page.getByTestId('alert');
    await suite.admin.post(suite.allTalkId, `<@${reader.userId}> here`, sent(1));
    await suite.admin.post(sideId, `<@${reader.userId}> over here`, sent(2));
    await eventually('one alert', () => alerts.count(), 1);
    const alert = alerts.first();
    assert.equal(await alert.getAttribute('data-room-id'), sideId, 'none for the room being read');
    assert.match((await alert.textContent()) ?? '', /in side.*@.*over here/);
    assert.match((await alert.getAttribute('class')) ?? '', /mention/);
    const side = page.locator(`[data-testid="room-link"][data-room-id="${sideId}"]`);
    await eventually('a mention badge on the other room', () => side.getByTestId('mention-badge').textContent(), '@1');
    assert.equal(await page.locator(`[data-testid="room-link"][data-room-id="${suite.allTalkId}"] [data-testid="mention-badge"]`).count(), 0);
    await alert.click();
    await page.waitForURL(`**/rooms/${encodeURIComponent(sideId)}`);
    await eventually('the alert gone once clicked', () => alerts.count(), 0);
    await eventually('no badge once the room is read', () => side.getByTestId('mention-badge').count(), 0);
    assert.deepEqual(suite.pages.errors, []);
  });

  it('counts unread messages in the sidebar, as the server counts them after a reload, and clears them when read', async () => {
    const reader = suite.members[0]!;
    // The page marks a room read on the server a moment after it is shown.
    const counted = async (): Promise<number> => (await reader.call<{ mentionCount: number }>('GET', `/api/rooms/${sideId}`)).mentionCount;
    await eventually('the room read on the server', counted, 0);
    await page.goto(`${suite.hearth.url}/rooms/${encodeURIComponent(suite.allTalkId)}`);
    const side = page.locator(`[data-testid="room-link"][data-room-id="${sideId}"]`);
    for (let i = 0; i < 3; i++) await suite.admin.post(sideId, `news ${i}`, sent(10 + i));
    await suite.admin.post(sideId, `<@${reader.userId}> and you`, sent(20));
    await eventually('four unread, one a mention: the mention badge shows', () => side.getByTestId('mention-badge').textContent(), '@1');
    await page.reload();
    await eventually('the server counts the same after a reload', () => side.getByTestId('mention-badge').getAttribute('aria-label'), '1 unread mention');
    await side.click();
    await eventually('read: no badge', () => side.locator('[data-testid="mention-badge"], [data-testid="unread-count"]').count(), 0);
    await page.locator(`[data-testid="room-link"][data-room-id="${suite.allTalkId}"]`).click();
    await page.locator(`[data-testid="room"][data-room-id="${suite.allTalkId}"]`).waitFor();
    await suite.admin.post(sideId, 'one more', sent(30));
    await eventually('one unread message', () => side.getByTestId('unread-count').textContent(), '1');
    assert.deepEqual(suite.pages.errors, []);
  });
});
