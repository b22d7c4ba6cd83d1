import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserSuite, type BrowserSuite } from './browser-suite.ts';
import type { Browser } from 'playwright-core';
import { DEFAULT_ROOM, PASSWORD, type HearthClient } from './client.ts';
import { ensureWebBuilt, launchChromium, UI_TIMEOUT_MS } from './chromium.ts';
import { messageWithBody, openRoom, roomShown, type BrowserPages } from './browser-pages.ts';
import { startHearth, type Hearth } from './harness.ts';

/** Two people in two browsers: one sends from the composer, the other sees it without reloading; after a reload it is still there. */

describe('the web UI in a browser', { timeout: 90_000 }, () => {
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
  });
  after(() => suite?.stop());

  it('a message typed in one browser appears live in the other, and stays after a reload', async () => {
    const adminPage = await pages.newPage(await pages.contextWithSession(admin), 'admin');
    const memberPage = await pages.newPage(await pages.browser.newContext(), 'member');
    await adminPage.goto(hearth.url);
    await adminPage.getByTestId('room-list').waitFor();
    await pages.signInWithForm(memberPage, 'member1@example.com');
    // A message from before, shown on both pages, says each has loaded the history: what comes next can only arrive live.
    const earlier = `Earlier message ${Date.now()}`;
    await admin.post(roomId, earlier, `earlier-${Date.now()}`);
    await openRoom(adminPage, roomId);
    await openRoom(memberPage, roomId);
    await Promise.all([messageWithBody(adminPage, earlier).waitFor(), messageWithBody(memberPage, earlier).waitFor()]);

    const body = `Hello from the browser ${Date.now()}`;
    const composer = adminPage.getByTestId('composer');
    await composer.fill(body);
    await composer.press('Enter');

    const seen = messageWithBody(memberPage, body);
    await seen.waitFor();
    const stored = (await member.messages(roomId)).find((message) => message.body === body);
    assert.ok(stored !== undefined, 'the message is stored');
    assert.equal(await seen.getAttribute('data-seq'), String(stored.seq));
    assert.equal(await seen.getAttribute('data-client-message-id'), stored.clientMessageId);
    await messageWithBody(adminPage, body).and(adminPage.locator('[data-pending="false"]')).waitFor();
    assert.equal(await composer.inputValue(), '', 'the composer is cleared after sending');

    await memberPage.reload();
    await roomShown(memberPage);
    await messageWithBody(memberPage, body).waitFor();
  });

  it('a post made after the page fetched the room and before its stream started still shows, without a reload', async () => {
    const tag = `between-${Date.now()}`;
    await admin.post(roomId, `${tag} before`, `${tag}-before`);
    const witness = await pages.pageInRoom(admin, 'admin-witness', roomId);
    const page = await pages.newPage(await pages.contextWithSession(member), 'member-between');
    // The room's fetch waits for the first socket's hello, which so names no room; that hello waits in turn.
    let helloCaptured = (): void => undefined;
    const helloHeld = new Promise<void>((resolve) => (helloCaptured = resolve));
    let releaseHello = (): void => undefined;
    let sockets = 0;
    await page.routeWebSocket('**/api/realtime/ws', (ws) => {
      const server = ws.connectToServer();
      let held = sockets++ === 0;
      ws.onMessage((frame) => {
        if (!held) return server.send(frame);
        held = false;
        releaseHello = () => server.send(frame);
        helloCaptured();
      });
    });
    await page.route(
      (url) => url.pathname === `/api/rooms/${encodeURIComponent(roomId)}`,
      async (route) => {
        await helloHeld;
        await route.continue();
      },
    );
    await page.goto(`${hearth.url}/rooms/${encodeURIComponent(roomId)}`);
    await roomShown(page);
    await messageWithBody(page, `${tag} before`).waitFor();

    // Committed after the page was fetched, and fanned out (the witness has it live) before the stream
    // starts: the stream continues the room after it, and no live event of it is still to come.
    await admin.post(roomId, `${tag} between`, `${tag}-between`);
    await messageWithBody(witness, `${tag} between`).waitFor();
    releaseHello();
    await messageWithBody(page, `${tag} between`).waitFor();
    assert.ok(sockets >= 2, 'the page resumed on a new socket from what it held');
  });

  it('a message posted over the API appears live in the browser', async () => {
    const body = `Posted by a script ${Date.now()}`;
    const page = await pages.newPage(await pages.contextWithSession(admin), 'admin-2');
    await page.goto(`${hearth.url}/rooms/${encodeURIComponent(roomId)}`);
    await roomShown(page);
    await messageWithBody(page, 'Earlier message').first().waitFor(); // the history is loaded
    await member.post(roomId, body, `script-${Date.now()}`);
    await messageWithBody(page, body).waitFor();
  });

  it('twenty messages typed quickly reach the other member in the order they were typed', async () => {
    const tag = `burst-${Date.now()}`;
    await admin.post(roomId, `${tag} before`, `${tag}-before`);
    const adminPage = await pages.newPage(await pages.contextWithSession(admin), 'admin-burst');
    const memberPage = await pages.newPage(await pages.contextWithSession(member), 'member-burst');
    await adminPage.goto(`${hearth.url}/rooms/${encodeURIComponent(roomId)}`);
    await memberPage.goto(`${hearth.url}/rooms/${encodeURIComponent(roomId)}`);
    await Promise.all([roomShown(adminPage), roomShown(memberPage)]);
    await messageWithBody(memberPage, `${tag} before`).waitFor(); // the history is loaded

    const typed = Array.from({ length: 20 }, (_, i) => `${tag} message ${i + 1}`);
    // A jittery network: every other post is held back, so posts in flight together would overtake each other.
    let posts = 0;
    await adminPage.route('**/api/rooms/*/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const delay = posts++ % 2 === 0 ? 250 : 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      return route.continue();
    });
    const composer = adminPage.getByTestId('composer');
    const started = performance.now();
    // Each Enter returns as soon as the key is handled, long before its POST is answered.
    for (const body of typed) {
      await composer.fill(body);
      await composer.press('Enter');
    }

    // The last one typed need not be the last one stored, so wait for all twenty.
    const shownOnes = messageWithBody(memberPage, `${tag} message`);
    for (const deadline = Date.now() + 3 * UI_TIMEOUT_MS; (await shownOnes.count()) < typed.length;) {
      assert.ok(Date.now() < deadline, `only ${await shownOnes.count()} of ${typed.length} shown`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`twenty typed messages all shown to the other member after ${Math.round(performance.now() - started)} ms`);
    const shown = (await shownOnes.getByTestId('message-body').allTextContents()).map((text) => text.trim());
    assert.deepEqual(shown, typed, 'the other member sees them in typed order');
    const stored = (await member.allMessages(roomId)).filter((m) => m.body.startsWith(`${tag} message`)).sort((a, b) => a.seq - b.seq);
    assert.deepEqual(
      stored.map((m) => m.body),
      typed,
      'the server gave them sequences in typed order',
    );
  });

  it('a new person opens the join link shown to the administrator, fills the join form and lands in All Talk', async () => {
    const adminPage = await pages.newPage(await pages.contextWithSession(admin), 'admin-3');
    await adminPage.goto(hearth.url);
    const joinUrl = await adminPage.getByTestId('join-link').getAttribute('href');
    assert.equal(joinUrl, (await admin.account()).joinUrl);

    const page = await pages.newPage(await pages.browser.newContext(), 'newcomer');
    await page.goto(joinUrl!);
    const form = page.getByTestId('join-form');
    await form.locator('input[name="name"]').fill('Nia Newcomer');
    await form.locator('input[name="email"]').fill('nia@example.com');
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('input[name="password"]').press('Enter');
    await page.getByTestId('room-list').locator(`[data-testid="room-link"][data-room-id="${roomId}"]`).waitFor();
    assert.ok((await admin.users()).some((user) => user.email === 'nia@example.com'));
  });

  it('no uncaught errors in the pages', () => {
    assert.deepEqual(pages.errors, []);
  });
});

describe('first-run setup in a browser', { timeout: 60_000 }, () => {
  let hearth: Hearth;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    hearth = await startHearth();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await hearth?.stop();
  });

  it('a fresh server shows the setup form; filling it signs the administrator in with All Talk', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(hearth.url);
    const form = page.getByTestId('setup-form');
    await form.locator('input[name="accountName"]').fill('Acme');
    await form.locator('input[name="name"]').fill('Ada Admin');
    await form.locator('input[name="email"]').fill('ada@example.com');
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('input[name="password"]').press('Enter');
    await page.getByTestId('room-list').getByTestId('room-link').filter({ hasText: DEFAULT_ROOM }).waitFor();
    await page.getByTestId('join-link').waitFor();
    const status = (await (await fetch(`${hearth.url}/api/status`)).json()) as { setUp: boolean; accountName: string };
    assert.deepEqual(status, { setUp: true, accountName: 'Acme', signIn: { password: 'enabled', sso: null } });
  });
});
