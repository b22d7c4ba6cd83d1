import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { PASSWORD, SESSION_COOKIE, type HearthClient } from './client.ts';
import { launchChromium, UI_TIMEOUT_MS } from './chromium.ts';

/**
 * What the browser tests share: one headless Chromium per test file on one Hearth,
 * pages signed in with a REST client's session or through the sign-in form, and the
 * waits that say a room is shown.
 */
export interface BrowserPages {
  readonly browser: Browser;
  /** Uncaught errors and Content-Security-Policy violations in the pages newPage opened, each prefixed with who was on the page. */
  readonly errors: string[];
  newPage(context: BrowserContext, who: string): Promise<Page>;
  /** A browser context holding the REST client's session cookie. */
  contextWithSession(client: HearthClient): Promise<BrowserContext>;
  /** Signs in through the sign-in form. */
  signInWithForm(page: Page, email: string): Promise<void>;
  /** A page of the client's session on the room, once the room is shown. */
  pageInRoom(client: HearthClient, who: string, roomId: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowserPages(hearthUrl: string): Promise<BrowserPages> {
  const browser = await launchChromium();
  const errors: string[] = [];

  async function newPage(context: BrowserContext, who: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => errors.push(`${who}: ${error.message}`));
    // A resource or style the Content-Security-Policy blocked is as much a broken page as an exception.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(`${who}: ${message.text()}`);
    });
    return page;
  }

  async function contextWithSession(client: HearthClient): Promise<BrowserContext> {
    const context = await browser.newContext();
    await context.addCookies([{ name: SESSION_COOKIE, value: client.sessionId, url: hearthUrl, httpOnly: true, sameSite: 'Lax' }]);
    return context;
  }

  return {
    browser,
    errors,
    newPage,
    contextWithSession,
    async signInWithForm(page, email) {
      await page.goto(hearthUrl);
      const form = page.getByTestId('signin-form');
      await form.locator('input[name="email"]').fill(email);
      await form.locator('input[name="password"]').fill(PASSWORD);
      await form.locator('input[name="password"]').press('Enter');
      await page.getByTestId('room-list').waitFor();
    },
    async pageInRoom(client, who, roomId) {
      const page = await newPage(await contextWithSession(client), who);
      await page.goto(`${hearthUrl}/rooms/${encodeURIComponent(roomId)}`);
      await roomShown(page);
      return page;
    },
    close: () => browser.close(),
  };
}

/** The room is open once its message list is in the page (empty, it has no height) and its composer shows. */
export async function roomShown(page: Page): Promise<void> {
  await page.getByTestId('message-list').waitFor({ state: 'attached' });
  await page.getByTestId('composer').waitFor();
}

/** Opens the room from the sidebar's room list. */
export async function openRoom(page: Page, roomId: string): Promise<void> {
  await page.getByTestId('room-list').locator(`[data-testid="room-link"][data-room-id="${roomId}"]`).click();
  await roomShown(page);
}

export function messageWithBody(page: Page, body: string): Locator {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-body').filter({ hasText: body }) });
}

/** Polls until `read` gives `expected` (deep-equal); fails with the last value after the UI timeout. */
export async function eventually<T>(what: string, read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT_MS;
  let actual = await read();
  while (!isDeepStrictEqual(actual, expected)) {
    if (Date.now() > deadline) assert.deepEqual(actual, expected, `${what}: not within ${UI_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    actual = await read();
  }
}

/** docs/screenshots, where the browser tests keep pictures of the main screens for the docs. */
const SCREENSHOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/screenshots');

/**
 * Saves the page as docs/screenshots/<name>.png when HEARTH_SCREENSHOTS=1 (`make screenshots`),
 * so the docs' pictures are of the UI as it is; other runs write nothing. The pointer and focus
 * are moved away first, so no message shows its hover actions.
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (process.env['HEARTH_SCREENSHOTS'] !== '1') return;
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await page.mouse.move(1, 1);
  await page.evaluate('document.activeElement?.blur()');
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
}
