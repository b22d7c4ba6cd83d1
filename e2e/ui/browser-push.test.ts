import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import { startPushService, type PushService, type ReceivedPush } from '@hearth/harness';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';
import { sleep } from '../helpers.ts';

/** A notification the service worker showed, as registration.getNotifications() gives it. */
interface Shown {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
}

/**
 * Web Push from the server to a closed tab, through every link that can run here: Hearth pushes a
 * mention to the loopback push service (which checks its VAPID signature and decrypts it as the
 * browser would); the decrypted message is handed to the page's real service worker through
 * Chromium's DevTools protocol (ServiceWorker.deliverPushMessage), since no browser push service
 * can be reached; and the worker shows it as a system notification, unless a Hearth window is
 * being looked at (the page tells the person itself then).
 */
describe('Web Push in a browser', { timeout: 120_000 }, () => {
  let push: PushService;
  let suite: BrowserSuite;

  before(async () => {
    push = await startPushService();
    suite = await startBrowserSuite(1, { env: { NODE_EXTRA_CA_CERTS: push.caPath } });
  });
  after(async () => {
    await suite?.stop();
    await push?.close();
  });

  /** The member's page in the room, allowed notifications, with a DevTools session that knows the service worker's registration. */
  async function memberPage(): Promise<{ page: Page; cdp: CDPSession; registrationId: () => string }> {
    const context = await suite.pages.contextWithSession(suite.members[0]!);
    await context.grantPermissions(['notifications'], { origin: suite.hearth.url });
    const page = await suite.pages.newPage(context, 'member');
    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
    await cdp.send('ServiceWorker.enable');
    await page.goto(`${suite.hearth.url}/rooms/${suite.allTalkId}`);
    await page.evaluate('navigator.serviceWorker.ready');
    const registrationId = (): string =>
      registrations.find((r) => r.scopeURL === `${suite.hearth.url}/` && !r.isDeleted)?.registrationId ?? assert.fail('no service worker registration');
    return { page, cdp, registrationId };
  }

  async function shown(page: Page): Promise<Shown[]> {
    const text = (await page.evaluate(
      'navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((all) => JSON.stringify(all.map((n) => ({ title: n.title, body: n.body, tag: n.tag }))))',
    )) as string;
    return JSON.parse(text) as Shown[];
  }

  async function mentionPushed(text: string): Promise<ReceivedPush> {
    const seen = push.received.length;
    const memberId = suite.members[0]!.user?.id ?? assert.fail('the member is not signed in');
    await suite.admin.post(suite.allTalkId, `<@${memberId}> ${text}`, `browser-push-${seen}`);
    return push.nextAfter(seen);
  }

  it("shows the server's push as a notification once no Hearth window is open, and none while one is looked at", async () => {
    const { page, cdp, registrationId } = await memberPage();
    try {
      // Chromium refuses push subscriptions in incognito contexts, which every test context is: the page
      // says so and goes on. The subscription a browser would send is sent for it, to the loopback service.
      await page.locator('[data-testid="alerts"][data-push="unavailable"]').waitFor({ state: 'attached' });
      await suite.members[0]!.call('POST', '/api/push/subscriptions', push.subscribe(), [201]);

      const whileLooking = await mentionPushed('are you looking?');
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: suite.hearth.url, registrationId: registrationId(), data: whileLooking.text });
      await sleep(500);
      assert.deepEqual(await shown(page), [], 'a notification was shown over the page being looked at');

      const whileClosed = await mentionPushed('the deploy is done');
      await page.goto('about:blank');
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: suite.hearth.url, registrationId: registrationId(), data: whileClosed.text });
      await page.goto(`${suite.hearth.url}/rooms/${suite.allTalkId}`);
      const expected = { title: 'Ada Admin in All Talk', body: '@Member 1 the deploy is done', tag: suite.allTalkId };
      for (const deadline = Date.now() + 10_000; (await shown(page)).length === 0 && Date.now() < deadline;) await sleep(50);
      assert.deepEqual(await shown(page), [expected]);
    } finally {
      await page.context().close();
    }
  });
});
