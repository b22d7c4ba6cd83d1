import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HearthClient, PASSWORD } from './client.ts';
import { ensureWebBuilt, launchChromium, UI_TIMEOUT_MS } from './chromium.ts';
import { startHearth, type Hearth } from './harness.ts';
import { ADMIN_GROUP, ssoEnv, startTestProvider, type TestProvider } from './oidc-provider.ts';

/**
 * Headless Chromium signs in through the provider's own login page and lands in the chat with
 * the role its groups give; signing out of Hearth signs out at the provider (RP-initiated
 * logout); a person removed from the admin group is a member at their next sign-in.
 */
describe('SSO in a browser', { timeout: 90_000 }, () => {
  let provider: TestProvider;
  let hearth: Hearth;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    ensureWebBuilt();
    provider = await startTestProvider({
      people: [
        { login: 'alice', email: 'alice@acme.test', name: 'Alice Admin', emailVerified: true, groups: [ADMIN_GROUP] },
        { login: 'bob', email: 'bob@acme.test', name: 'Bob Member', emailVerified: true, groups: ['staff'] },
      ],
    });
    hearth = await startHearth({ env: ssoEnv(provider) });
    provider.registerHearth(hearth.url);
    await new HearthClient(hearth.url).setup('Acme', 'Olive Owner', 'owner@acme.test', PASSWORD);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await hearth?.stop();
    await provider?.stop();
  });

  async function newPage(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  /** From Hearth's sign-in page through the provider's login form back into the chat. */
  async function signInThroughProvider(page: Page, login: string): Promise<void> {
    await page.getByTestId('sso-sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(hearth.url));
    await page.getByTestId('room-list').waitFor();
  }

  it('signs in through the provider login page, lands in the chat as administrator, and is a member after leaving the admin group', async () => {
    const page = await newPage();
    await page.goto(hearth.url);
    await page.getByTestId('signin-form').waitFor();
    await signInThroughProvider(page, 'alice');
    assert.equal((await page.getByTestId('current-user').innerText()).replace(/\s+/g, ' ').trim(), 'Alice Admin · admin');
    await page.getByTestId('join-link').waitFor();

    // Signing out of Hearth goes on to the provider's logout page.
    await page.getByTestId('signout').click();
    await page.waitForURL((url) => url.href.startsWith(`${provider.issuer}/session/end`));
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.href.startsWith(hearth.url));
    await page.getByTestId('signin-form').waitFor();

    const alice = provider.people.get('alice');
    assert.ok(alice !== undefined);
    alice.groups = ['staff'];
    // Signed out at the provider too, so its login page shows again.
    await signInThroughProvider(page, 'alice');
    assert.equal((await page.getByTestId('current-user').innerText()).replace(/\s+/g, ' ').trim(), 'Alice Admin');
    assert.equal(await page.getByTestId('join-link').count(), 0, 'a member sees no join link');
  });

  it('signs in a person who is in no admin group as a member', async () => {
    const page = await newPage();
    await page.goto(`${hearth.url}/`);
    await signInThroughProvider(page, 'bob');
    assert.equal((await page.getByTestId('current-user').innerText()).trim(), 'Bob Member');
    const session = (await page.evaluate(async () => (await fetch('/api/session')).json())) as { user: { role: string; email: string } };
    assert.deepEqual(session.user.role, 'member');
    assert.equal(session.user.email, 'bob@acme.test');
    assert.deepEqual(pageErrors, []);
  });
});
