import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './browser-suite.ts';
import { eventually } from './browser-pages.ts';

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
    await alert.click();
    await page.waitForURL(`**/rooms/${encodeURIComponent(sideId)}`);
    await eventually('the alert gone once clicked', () => alerts.count(), 0);
    assert.deepEqual(suite.pages.errors, []);
  });
});
