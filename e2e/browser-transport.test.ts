import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { eventually, messageWithBody, roomShown } from './browser-pages.ts';
import { startBrowserSuite, type BrowserSuite } from './browser-suite.ts';
import { PASSWORD } from './client.ts';
import { startNoWebSocketProxy, type NoWebSocketProxy } from './no-websocket-proxy.ts';

/**
 * The transport fallback (services/web/src/transport-switch.ts): a page whose WebSockets are
 * refused (by a proxy in front of Hearth, `no-websocket-proxy.ts`) falls back to SSE plus POST
 * and keeps working; its stream cut, it resumes with everything posted meanwhile, once, in order.
 * Member 1's page (A) reaches Hearth only through the proxy; the administrator's (B) directly.
 */
describe('the realtime stream falls back to SSE in a browser', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let proxy: NoWebSocketProxy;
  let pageA: Page;
  let pageB: Page;
  let roomId: string;
  const tag = `tr-${Date.now().toString(36)}`;

  /** A's bodies of this test's messages that start with `prefix`, as its page shows them, with their seqs. */
  async function shownOnA(prefix: string): Promise<{ body: string; seq: number }[]> {
    const messages = pageA.getByTestId('message').filter({ has: pageA.getByTestId('message-body').filter({ hasText: prefix }) });
    const shown: { body: string; seq: number }[] = [];
    for (const message of await messages.all()) {
      shown.push({ body: (await message.getByTestId('message-body').textContent()) ?? '', seq: Number(await message.getAttribute('data-seq')) });
    }
    return shown;
  }

  before(async () => {
    suite = await startBrowserSuite(1);
    roomId = suite.allTalkId;
    proxy = await startNoWebSocketProxy(suite.hearth.url);
    // A signs in through the proxy: the page, its API calls and its stream never reach Hearth otherwise.
    pageA = await suite.pages.newPage(await suite.pages.browser.newContext(), 'A (behind the proxy)');
    await pageA.goto(proxy.url);
    const form = pageA.getByTestId('signin-form');
    await form.locator('input[name="email"]').fill('member1@example.com');
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('input[name="password"]').press('Enter');
    await pageA.getByTestId('room-list').waitFor();
    await pageA.goto(`${proxy.url}/rooms/${encodeURIComponent(roomId)}`);
    await roomShown(pageA);
    pageB = await suite.pages.pageInRoom(suite.admin, 'B (direct)', roomId);
  });
  after(async () => {
    await proxy?.close();
    await suite?.stop();
  });

  it("A's page falls back to SSE after its upgrades are refused; B's stays on WebSocket", async () => {
    await pageA.locator('#app[data-transport="sse"]').waitFor({ state: 'attached' });
    await eventually('A connected', () => pageA.getByTestId('connection-status').count(), 0);
    assert.ok(proxy.refusedUpgrades() >= 2, `upgrades refused: ${proxy.refusedUpgrades()}`);
    assert.ok(proxy.streamsOpened() >= 1);
    await pageB.locator('#app[data-transport="websocket"]').waitFor({ state: 'attached' });
    await eventually('B connected', () => pageB.getByTestId('connection-status').count(), 0);
  });

  it('on SSE, A hears B typing and posting live, and its own typing and posts reach B', async () => {
    // A message from before, on both pages, says each has loaded the history: what comes next can only arrive live.
    await suite.admin.post(roomId, `${tag} earlier`, `${tag}-earlier`);
    await Promise.all([messageWithBody(pageA, `${tag} earlier`).waitFor(), messageWithBody(pageB, `${tag} earlier`).waitFor()]);

    const composerB = pageB.getByTestId('composer');
    await composerB.fill(`${tag} from B`);
    await pageA.getByTestId('typing-indicator').filter({ hasText: 'Ada Admin is typing' }).waitFor();
    await composerB.press('Enter');
    await messageWithBody(pageA, `${tag} from B`).waitFor();

    const composerA = pageA.getByTestId('composer');
    await composerA.fill(`${tag} from A`);
    await pageB.getByTestId('typing-indicator').filter({ hasText: 'Member 1 is typing' }).waitFor();
    await composerA.press('Enter');
    await messageWithBody(pageB, `${tag} from A`).waitFor();
    await messageWithBody(pageA, `${tag} from A`).and(pageA.locator('[data-pending="false"]')).waitFor();
    assert.equal(await pageA.locator('#app').getAttribute('data-transport'), 'sse');
  });

  it('its stream cut, A resumes with what was posted meanwhile, each message once and in order, then live', async () => {
    const streamsBefore = proxy.streamsOpened();
    proxy.cutAndHoldStreams();
    await pageA.getByTestId('connection-status').waitFor();
    const missed = Array.from({ length: 5 }, (_, i) => `${tag} meanwhile ${i + 1}`);
    for (const [i, body] of missed.entries()) await suite.admin.post(roomId, body, `${tag}-meanwhile-${i}`);
    await messageWithBody(pageB, missed.at(-1)!).waitFor();
    assert.equal(await messageWithBody(pageA, missed[0]!).count(), 0, 'A was disconnected while they were posted');

    proxy.releaseStreams();
    await messageWithBody(pageA, missed.at(-1)!).waitFor();
    await eventually('A connected again', () => pageA.getByTestId('connection-status').count(), 0);
    const shown = await shownOnA(`${tag} meanwhile`);
    assert.deepEqual(
      shown.map((m) => m.body),
      missed,
    );
    assert.deepEqual(
      shown.map((m) => m.seq),
      shown.map((_, i) => shown[0]!.seq + i),
      'consecutive seqs: none lost, none twice',
    );
    assert.ok(proxy.streamsOpened() > streamsBefore, 'A reconnected');
    assert.equal(await pageA.locator('#app').getAttribute('data-transport'), 'sse');

    await suite.admin.post(roomId, `${tag} after`, `${tag}-after`);
    await messageWithBody(pageA, `${tag} after`).waitFor();
  });

  it("every room event reached A's streams once: the resume map carried across every reconnect", () => {
    const lastSeq = new Map<string, number>();
    const out: string[] = [];
    for (const id of proxy.streamedEventIds()) {
      const [room, seq] = [id.slice(0, id.lastIndexOf(':')), Number(id.slice(id.lastIndexOf(':') + 1))];
      if (seq <= (lastSeq.get(room) ?? 0)) out.push(id);
      lastSeq.set(room, seq);
    }
    assert.ok(proxy.streamedEventIds().length >= 8, `events streamed: ${proxy.streamedEventIds().length}`);
    assert.deepEqual(out, [], 'no event streamed twice or out of order');
    assert.deepEqual(suite.pages.errors, []);
  });
});
