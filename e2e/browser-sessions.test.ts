import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from './browser-suite.ts';
import { eventually, messageWithBody, roomShown, saveScreenshot } from './browser-pages.ts';
import { DEFAULT_ROOM, PASSWORD } from './client.ts';

/**
 * The signed-in devices page (/settings/sessions) in Chromium: one person signed in on two
 * browser contexts (two devices). Signing device B out from device A closes B's stream at once,
 * and B's page goes to sign-in saying why, while A goes on; "Sign out all other devices" does the
 * same. HEARTH_SCREENSHOTS=1 saves docs/screenshots/sessions.png.
 */

/** A revoked device's stream closes at once: its page is on the sign-in form well within this. */
const AT_ONCE_MS = 5_000;

function devices(page: Page): Locator {
  return page.getByTestId('device');
}

function otherDevice(page: Page): Locator {
  return page.locator('[data-testid="device"][data-current="false"]');
}

/** Opens the page from the sidebar's account area, and waits for the list. */
async function openDevicesPage(page: Page, count: number): Promise<void> {
  await page.getByTestId('devices-link').click();
  await page.waitForURL('**/settings/sessions');
  await page.getByTestId('devices-page').waitFor();
  await eventually(`${count} signed-in devices listed`, () => devices(page).count(), count);
}

/** The page went to the sign-in form within AT_ONCE_MS of `since`, saying the session ended; the session is gone for the server too. */
async function assertSignedOutAtOnce(page: Page, since: number): Promise<void> {
  await page.getByTestId('signin-form').waitFor({ timeout: AT_ONCE_MS });
  const took = Date.now() - since;
  assert.ok(took < AT_ONCE_MS, `device B reached the sign-in form after ${took} ms`);
  assert.match((await page.getByTestId('signed-out-notice').textContent()) ?? '', /session on this device has ended/);
  assert.equal(await page.getByTestId('chat').count(), 0, 'the chat (and its stream) is gone');
  assert.equal(await page.evaluate(async () => (await fetch('/api/session')).status), 401);
}

async function postFrom(page: Page, body: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: `Message ${DEFAULT_ROOM}` });
  await composer.fill(body);
  await composer.press('Enter');
  await messageWithBody(page, body).and(page.locator('[data-pending="false"]')).waitFor();
}

describe('signed-in devices in a browser', { timeout: 120_000 }, () => {
  let suite: BrowserSuite;
  let deviceA: Page;
  let deviceB: Page;
  let email: string;

  before(async () => {
    suite = await startBrowserSuite(1);
    const person = suite.members[0]!;
    email = person.user?.email ?? assert.fail('the member has no email');
    // Only the two browsers are this person's devices.
    await person.signOut();
    deviceA = await suite.pages.newPage(await suite.pages.browser.newContext(), 'device A');
    deviceB = await suite.pages.newPage(await suite.pages.browser.newContext(), 'device B');
    for (const page of [deviceA, deviceB]) {
      await suite.pages.signInWithForm(page, email);
      await roomShown(page);
    }
  });
  after(() => suite?.stop());

  it('revoking a device closes its stream: B goes to sign-in at once, and A keeps working', async () => {
    await openDevicesPage(deviceA, 2);
    const current = deviceA.locator('[data-testid="device"][data-current="true"]');
    assert.equal(await current.getByTestId('this-device').textContent(), 'This device');
    assert.equal(await current.getByTestId('device-sign-out').count(), 0, 'no sign-out button for this device');
    assert.equal(await otherDevice(deviceA).getByTestId('this-device').count(), 0);
    for (const row of [current, otherDevice(deviceA)]) {
      assert.equal(await row.getByTestId('device-name').textContent(), 'Chrome on Linux');
      assert.match((await row.getByTestId('device-ip').textContent()) ?? '', /\S/);
    }
    assert.match((await otherDevice(deviceA).getByTestId('device-last-seen').textContent()) ?? '', /^Last seen (just now|\d+ minutes? ago)$/);
    await saveScreenshot(deviceA, 'sessions');

    const clicked = Date.now();
    await otherDevice(deviceA).getByTestId('device-sign-out').click();
    await assertSignedOutAtOnce(deviceB, clicked);
    await eventually('only this device is left', () => devices(deviceA).count(), 1);
    assert.equal(await deviceA.getByTestId('devices-message').textContent(), 'Signed out Chrome on Linux.');

    await deviceA.getByTestId('room-list').locator(`[data-testid="room-link"][data-room-id="${suite.allTalkId}"]`).click();
    await roomShown(deviceA);
    const body = `still here ${Date.now().toString(36)}`;
    await postFrom(deviceA, body);
    const stored = (await suite.admin.messages(suite.allTalkId)).some((message) => message.body === body);
    assert.ok(stored, "device A's message reached the server");
    assert.deepEqual(suite.pages.errors, []);
  });

  it('"Sign out all other devices" signs B out again, at once, and keeps A', async () => {
    const form = deviceB.getByTestId('signin-form');
    await form.locator('input[name="email"]').fill(email);
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('input[name="password"]').press('Enter');
    await deviceB.getByTestId('room-list').waitFor();

    await openDevicesPage(deviceA, 2);
    const clicked = Date.now();
    await deviceA.getByTestId('sign-out-others').click();
    await assertSignedOutAtOnce(deviceB, clicked);
    await eventually('only this device is left', () => devices(deviceA).count(), 1);
    assert.equal(await deviceA.getByTestId('devices-message').textContent(), 'Signed out 1 other device.');
    assert.equal(await deviceA.getByTestId('sign-out-others').count(), 0, 'nothing more to sign out');
    assert.equal(await deviceA.evaluate(async () => (await fetch('/api/session')).status), 200, 'device A is still signed in');
    assert.deepEqual(suite.pages.errors, []);
  });
});
