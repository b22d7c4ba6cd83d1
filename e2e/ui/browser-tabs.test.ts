import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually, messageWithBody, roomShown } from '../browser-pages.ts';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';

/**
 * The tabs of one browser share one realtime connection (services/web/src/shared-connection.ts):
 * one tab leads and holds the WebSocket, the others hear it through a BroadcastChannel. Each
 * page counts the WebSockets it opens, through a hook installed before the app runs.
 */
const COUNT_SOCKETS = `(() => {
  const Native = window.WebSocket;
  const count = { opened: 0, open: 0 };
  window.__hearthSockets = count;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      count.opened += 1;
      count.open += 1;
      this.addEventListener('close', () => { count.open -= 1; });
    }
  };
})();`;

interface SocketCount {
  readonly opened: number;
  readonly open: number;
}

describe('one realtime connection for all the tabs of a browser', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let roomId: string;
  let context: BrowserContext;
  let tabs: Page[];
  let other: Page;
  const tag = `tabs-${Date.now().toString(36)}`;

  const socketsOf = async (page: Page): Promise<SocketCount> => (await page.evaluate('window.__hearthSockets')) as SocketCount;
  /** Open WebSockets in all the given tabs together. */
  const openSockets = async (pages: readonly Page[]): Promise<number> => (await Promise.all(pages.map(socketsOf))).reduce((sum, c) => sum + c.open, 0);

  /** Posts as the other member, then waits until every tab shows the message, once. */
  async function postAndSeeEverywhere(body: string, pages: readonly Page[]): Promise<void> {
    await suite.admin.post(suite.allTalkId, body, `${body}-id`);
    for (const page of pages) await messageWithBody(page, body).waitFor();
    for (const page of pages) assert.equal(await messageWithBody(page, body).count(), 1, 'once in each tab');
  }

  before(async () => {
    suite = await startBrowserSuite(1);
    roomId = suite.allTalkId;
    context = await suite.pages.contextWithSession(suite.members[0]!);
    await context.addInitScript(COUNT_SOCKETS);
    tabs = [];
    for (const who of ['tab 1', 'tab 2', 'tab 3']) {
      const page = await suite.pages.newPage(context, who);
      await page.goto(`${suite.hearth.url}/rooms/${encodeURIComponent(roomId)}`);
      await roomShown(page);
      tabs.push(page);
    }
    other = await suite.pages.pageInRoom(suite.admin, 'the other member', roomId);
  });
  after(async () => {
    await suite?.stop();
  });

  it('three tabs open one WebSocket between them, and each is live', async () => {
    await eventually('every tab connected', async () => (await Promise.all(tabs.map((t) => t.getByTestId('connection-status').count()))).join(), '0,0,0');
    assert.equal(await openSockets(tabs), 1);
    assert.deepEqual((await Promise.all(tabs.map(socketsOf))).map((c) => c.opened).sort(), [0, 0, 1], 'no other tab ever opened one');
    await postAndSeeEverywhere(`${tag} to every tab`, tabs);
  });

  it("a tab without the socket still says it is typing, and posts, through the leader's", async () => {
    const follower = (await Promise.all(tabs.map(socketsOf))).findIndex((c) => c.open === 0);
    const page = tabs[follower]!;
    await page.getByTestId('composer').fill(`${tag} from a follower`);
    await other.getByTestId('typing-indicator').filter({ hasText: 'Member 1 is typing' }).waitFor();
    await page.getByTestId('composer').press('Enter');
    await messageWithBody(other, `${tag} from a follower`).waitFor();
    for (const tab of tabs) await messageWithBody(tab, `${tag} from a follower`).and(tab.locator('[data-pending="false"]')).waitFor();
    for (const tab of tabs) assert.equal(await messageWithBody(tab, `${tag} from a follower`).count(), 1);
  });

  it('the leading tab closes: another takes over with one socket, and the two left stay live', async () => {
    const leader = (await Promise.all(tabs.map(socketsOf))).findIndex((c) => c.open === 1);
    assert.ok(leader >= 0);
    await tabs[leader]!.close();
    const left = tabs.filter((_, i) => i !== leader);
    await eventually('a new leader connected', () => openSockets(left), 1);
    await postAndSeeEverywhere(`${tag} after the leader closed`, left);
    assert.equal(await openSockets(left), 1);
    const before = await Promise.all(left.map((t) => t.getByTestId('message-body').filter({ hasText: tag }).allTextContents()));
    assert.deepEqual(before[0], before[1], 'both tabs show the same messages');
  });

  it('the pages had no errors', () => {
    assert.deepEqual(suite.pages.errors, []);
  });
});
