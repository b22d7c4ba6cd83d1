import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { eventually, messageWithBody } from '../browser-pages.ts';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';

/** The manifest a page links, as fetched: its content type and what the test reads of it. */
interface LinkedManifest {
  readonly type: string;
  readonly body: { name: string; display: string; icons: { src: string; type: string }[] };
}

/**
 * The web UI without a network: installable (a manifest, icons, a service worker that keeps the
 * app shell), so a reload offline still opens the app rather than the browser's error page; and
 * messages typed offline wait, and go when the network is back, in order, each exactly once.
 */
describe('the web UI offline', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let roomId: string;

  before(async () => {
    suite = await startBrowserSuite(2);
    roomId = suite.allTalkId;
  });
  after(async () => {
    await suite?.stop();
  });

  /** Waits until the page's service worker is active and controls the page; its script's URL. (Strings: e2e has no DOM types.) */
  async function workerInControl(page: Page): Promise<string> {
    return (await page.evaluate(`(async () => {
      const registration = await navigator.serviceWorker.ready;
      if (navigator.serviceWorker.controller === null) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
      return registration.active.scriptURL;
    })()`)) as string;
  }

  /** The manifest the page links, and the content type it is served with. */
  async function linkedManifest(page: Page): Promise<LinkedManifest> {
    return (await page.evaluate(`(async () => {
      const answer = await fetch(document.querySelector('link[rel="manifest"]').href);
      return { type: answer.headers.get('content-type'), body: await answer.json() };
    })()`)) as LinkedManifest;
  }

  it('is installable: the page links a manifest whose icons the server has, and registers the worker', async () => {
    const page = await suite.pages.pageInRoom(suite.members[0]!, 'installer', roomId);
    try {
      assert.equal(await workerInControl(page), `${suite.hearth.url}/sw.js`);
      const manifest = await linkedManifest(page);
      assert.match(manifest.type, /^application\/manifest\+json/);
      assert.equal(manifest.body.name, 'Hearth');
      assert.equal(manifest.body.display, 'standalone');
      const icons = await page.evaluate(
        async (srcs) => Promise.all(srcs.map(async (src) => `${src} ${(await fetch(src)).headers.get('content-type')}`)),
        manifest.body.icons.map((i) => i.src),
      );
      assert.deepEqual(
        icons,
        manifest.body.icons.map((i) => `${i.src} ${i.type}`),
      );
    } finally {
      await page.context().close();
    }
  });

  it('a reload offline, and a page never visited, still open the app from the cache', async () => {
    const page = await suite.pages.pageInRoom(suite.members[0]!, 'offline reload', roomId);
    const context = page.context();
    try {
      await workerInControl(page);
      await context.setOffline(true);
      const reload = await page.reload();
      assert.ok(reload?.fromServiceWorker(), 'the page came from the worker');
      // The shell runs: its bundle booted, found no server, and says so in the app's own words.
      await page.getByRole('heading', { name: 'Hearth is not answering' }).waitFor();
      const elsewhere = await page.goto(`${suite.hearth.url}/rooms/never-visited`);
      assert.ok(elsewhere?.fromServiceWorker());
      await page.getByRole('heading', { name: 'Hearth is not answering' }).waitFor();

      await context.setOffline(false);
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByTestId('room-list').waitFor();
    } finally {
      await context.close();
    }
  });

  it('typing offline, then reconnecting, delivers the messages in order exactly once', async () => {
    const [memberA, memberB] = [suite.members[0]!, suite.members[1]!];
    const pageA = await suite.pages.pageInRoom(memberA, 'A (goes offline)', roomId);
    const pageB = await suite.pages.pageInRoom(memberB, 'B', roomId);
    const tag = `offline-${Date.now().toString(36)}`;
    /** The bodies of this test's messages a page shows, in its order, pending copies included. */
    const shown = async (page: Page): Promise<string[]> =>
      (await page.getByTestId('message-body').filter({ hasText: tag }).allTextContents()).map((text) => text.trim());
    try {
      // History loaded on both pages: what comes next can only arrive live.
      await memberB.post(roomId, `${tag} before`, `${tag}-before`);
      await Promise.all([messageWithBody(pageA, `${tag} before`).waitFor(), messageWithBody(pageB, `${tag} before`).waitFor()]);

      await pageA.context().setOffline(true);
      const typed = [1, 2, 3].map((n) => `${tag} typed offline ${n}`);
      const composer = pageA.getByTestId('composer');
      for (const body of typed) {
        await composer.fill(body);
        await composer.press('Enter');
      }
      for (const body of typed) {
        const pending = messageWithBody(pageA, body).and(pageA.locator('[data-pending="true"]'));
        await pending.getByTestId('waiting').filter({ hasText: 'Waiting for the connection' }).waitFor();
      }
      assert.equal(await pageA.locator('[data-failed="true"]').count(), 0, 'none given up');
      assert.deepEqual(
        (await memberB.allMessages(roomId)).filter((m) => m.body.startsWith(`${tag} typed`)),
        [],
        'the server has none yet',
      );

      await pageA.context().setOffline(false);
      const everything = [`${tag} before`, ...typed];
      await eventually("B's page", () => shown(pageB), everything);
      await eventually("A's page, every pending copy replaced", () => shown(pageA), everything);
      assert.equal(await pageA.locator('[data-pending="true"]').count(), 0);
      const stored = (await memberB.allMessages(roomId)).filter((m) => m.body.startsWith(`${tag} typed`)).sort((a, b) => a.seq - b.seq);
      assert.deepEqual(
        stored.map((m) => m.body),
        typed,
        'stored once each, in typed order',
      );
      // Live afterwards too: the stream came back.
      await memberB.post(roomId, `${tag} after`, `${tag}-after`);
      await messageWithBody(pageA, `${tag} after`).waitFor();
      assert.deepEqual(await shown(pageB), everything.concat(`${tag} after`));
    } finally {
      await Promise.all([pageA.context().close(), pageB.context().close()]);
    }
  });

  it('posts typed offline survive a reload while still offline: the next page sends them once the connection is back, in order, once each', async () => {
    const member = suite.members[0]!;
    const page = await suite.pages.pageInRoom(member, 'reloads offline', roomId);
    const context = page.context();
    const tag = `reload-${Date.now().toString(36)}`;
    try {
      await workerInControl(page);
      await context.setOffline(true);
      const typed = [1, 2].map((n) => `${tag} typed before the reload ${n}`);
      const composer = page.getByTestId('composer');
      for (const body of typed) {
        await composer.fill(body);
        await composer.press('Enter');
      }
      await messageWithBody(page, typed[1]!).getByTestId('waiting').waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Hearth is not answering' }).waitFor();

      await context.setOffline(false);
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByTestId('room-list').waitFor();
      await eventually(
        'the posts on the server',
        async () => (await member.allMessages(roomId)).filter((m) => m.body.startsWith(tag)).map((m) => m.body),
        typed,
      );
      await Promise.all(typed.map((body) => messageWithBody(page, body).and(page.locator(':not([data-pending="true"])')).waitFor()));
      assert.equal(await page.locator('[data-pending="true"]').count(), 0);
    } finally {
      await context.close();
    }
  });

  it('the pages had no errors', () => {
    assert.deepEqual(suite.pages.errors, []);
  });
});
