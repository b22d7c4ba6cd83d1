import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';
import { eventually, messageWithBody } from '../browser-pages.ts';

/**
 * How a message looks in Chromium: its author's avatar, its body's Markdown subset, and 118 payloads of an XSS corpus (after the OWASP
 * filter-evasion cheat sheet and PortSwigger's, plus Markdown link and image vectors) posted as
 * messages: none may run. A hook on `window` counts every alert, confirm, prompt and print; every
 * element of every body gets the events inline handlers wait for; and the bodies may hold only
 * the elements RichText makes, with no `on…` attribute and no link but http, https and mailto.
 */

const PAYLOADS = JSON.parse(readFileSync(new URL('../fixtures/xss-payloads.json', import.meta.url), 'utf8')) as string[];
const ALLOWED = new Set(['P', 'BR', 'STRONG', 'EM', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'A', 'SPAN']);

/** Counts the notes the page's Web Audio starts, before any script of the page runs. */
const COUNT_NOTES = `
  window.__notes = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__notes += 1; return start.apply(this, args); };`;

/** Before any script of the page (in-page code as text: the e2e suites compile without the DOM's types): whatever calls these is recorded instead of shown. */
const HOOK_DIALOGS = `
  window.__xssRan = [];
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    Object.defineProperty(window, name, { value: (...args) => void window.__xssRan.push(name + '(' + args.map(String).join(',') + ')') });
  }`;

/**
 * Every element of every body: what is not the subset's, an `on…` attribute, a link that is not
 * http, https or mailto. Each element also gets the events an inline handler, had one got through, would wait for.
 */
const INSPECT_BODIES = (allowed: readonly string[]): string => `(() => {
  const allowed = ${JSON.stringify(allowed)};
  const problems = [];
  for (const body of document.querySelectorAll('[data-testid="message-body"]')) {
    for (const element of body.querySelectorAll('*')) {
      if (!allowed.includes(element.tagName)) problems.push('element ' + element.tagName);
      for (const attribute of element.getAttributeNames()) if (attribute.startsWith('on')) problems.push('attribute ' + attribute + ' on ' + element.tagName);
      const href = element.getAttribute('href');
      if (href !== null && !/^(https?|mailto):/i.test(href)) problems.push('href ' + href);
      for (const type of ['mouseover', 'mouseenter', 'pointerover', 'focus', 'load', 'error', 'toggle', 'animationstart']) element.dispatchEvent(new Event(type));
    }
  }
  return problems;
})()`;

describe('a message in a browser: avatar and rich text', { timeout: 180_000 }, () => {
  let suite: BrowserSuite;
  let page: Page;
  const sent = (n: number): string => `rt-${Date.now().toString(36)}-${n}`;

  before(async () => {
    suite = await startBrowserSuite(1);
    const context = await suite.pages.contextWithSession(suite.members[0]!);
    page = await suite.pages.newPage(context, 'reader');
    await page.addInitScript(HOOK_DIALOGS);
    await page.addInitScript(COUNT_NOTES);
    await page.goto(`${suite.hearth.url}/rooms/${encodeURIComponent(suite.allTalkId)}`);
    await page.getByTestId('composer').waitFor();
  });
  after(() => suite?.stop());

  it('renders bold, italic, code, code blocks, quotes, lists and links, a link opening safely in a new tab', async () => {
    const body = '**bold** and _italic_ with `a <b>code</b>`, [the docs](https://example.com/docs)\n> quoted\n- one\n- two\n```\nconst x = 1;\n```';
    await suite.admin.post(suite.allTalkId, body, sent(0));
    const message = messageWithBody(page, 'quoted');
    await message.waitFor();
    const rendered = message.getByTestId('message-body');
    assert.equal(await rendered.locator('strong').textContent(), 'bold');
    assert.equal(await rendered.locator('em').textContent(), 'italic');
    assert.equal(await rendered.locator('p > code').textContent(), 'a <b>code</b>');
    assert.equal(await rendered.locator('blockquote').textContent(), 'quoted');
    assert.deepEqual(await rendered.locator('ul > li').allTextContents(), ['one', 'two']);
    assert.equal(await rendered.locator('pre > code').textContent(), 'const x = 1;');
    const link = rendered.getByRole('link', { name: 'the docs' });
    assert.equal(await link.getAttribute('href'), 'https://example.com/docs');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  });

  it("shows the author's initials on the colour their id decides, the same for each of their messages", async () => {
    const author = suite.admin;
    await author.post(suite.allTalkId, 'first of two', sent(1000));
    await author.post(suite.allTalkId, 'second of two', sent(1001));
    const avatars = [messageWithBody(page, 'first of two'), messageWithBody(page, 'second of two')].map((message) => message.getByTestId('avatar'));
    await avatars[1]!.waitFor();
    const name = (await messageWithBody(page, 'first of two').getByTestId('message-author').textContent()) ?? '';
    const initials = name
      .trim()
      .split(/\s+/)
      .map((word) => word[0]!.toUpperCase());
    assert.equal(await avatars[0]!.textContent(), initials.length > 1 ? initials[0]! + initials.at(-1)! : initials[0]);
    const colour = (avatar: (typeof avatars)[number]): Promise<string | null> => avatar.getAttribute('style');
    assert.equal(await colour(avatars[0]!), await colour(avatars[1]!));
    assert.match((await colour(avatars[0]!)) ?? '', /background: (hsl|rgb)\(/, 'a colour of its own');
  });

  it('plays a /play sound in the room on screen, and none once sounds are muted, which a reload keeps', async () => {
    const notes = (): Promise<number> => page.evaluate<number>('window.__notes');
    const toggle = page.getByTestId('sounds-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    const before = await notes();
    await suite.admin.post(suite.allTalkId, '/play tada', sent(2000));
    await eventually('notes of tada started', async () => (await notes()) > before, true);

    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await page.reload();
    await page.getByTestId('composer').waitFor();
    assert.equal(await page.getByTestId('sounds-toggle').getAttribute('aria-pressed'), 'true', 'muted after a reload');
    await suite.admin.post(suite.allTalkId, '/play rimshot', sent(2001));
    await page.getByText('played rimshot').waitFor();
    await page.waitForTimeout(300);
    assert.equal(await notes(), 0, 'nothing played in the reloaded page');
    await page.getByTestId('sounds-toggle').click();
    assert.equal(await page.getByTestId('sounds-toggle').getAttribute('aria-pressed'), 'false');
  });

  it(`runs none of ${PAYLOADS.length} XSS payloads, and shows each as text or the subset's elements`, async () => {
    assert.ok(PAYLOADS.length >= 100);
    const before = await page.getByTestId('message').count();
    for (const [i, payload] of PAYLOADS.entries()) await suite.admin.post(suite.allTalkId, payload, sent(i + 1));
    await eventually('every payload shown', () => page.getByTestId('message').count(), before + PAYLOADS.length);

    const found = await page.evaluate<string[]>(INSPECT_BODIES([...ALLOWED]));
    assert.deepEqual(found, []);
    // A payload's script would have run by now: loading, rendering and the events above are past.
    await page.waitForTimeout(500);
    assert.deepEqual(await page.evaluate<string[]>('window.__xssRan'), []);
    assert.deepEqual(suite.pages.errors, []);
    // Shown, not swallowed: the text of a plain HTML payload is there as text.
    await messageWithBody(page, '<script>alert(1)</script>').first().waitFor();
  });
});
