import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserSuite, type BrowserSuite } from '../browser-suite.ts';
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_ROOM, type HearthClient } from '../client.ts';
import { eventually, messageWithBody, roomShown, type BrowserPages } from '../browser-pages.ts';
import type { Hearth } from '../harness.ts';

/**
 * The parts of the web UI around a message: the composer's @-mention suggestions, search,
 * deleting one's own message, and a room's members panel. Found by role and label where
 * the UI gives them one.
 */

function composerOf(page: Page, roomLabel = DEFAULT_ROOM): Locator {
  return page.getByRole('textbox', { name: `Message ${roomLabel}` });
}

function mentionList(page: Page): Locator {
  return page.getByRole('listbox', { name: 'People to mention' });
}

function offered(page: Page): Promise<string[]> {
  return mentionList(page).getByRole('option').allTextContents();
}

function highlighted(page: Page): Promise<string[]> {
  return mentionList(page).getByRole('option', { selected: true }).allTextContents();
}

function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => el.matches(':focus'));
}

/** The message once the server has it (not the pending copy). */
function sentMessage(page: Page, body: string): Locator {
  return messageWithBody(page, body).and(page.locator('[data-pending="false"]'));
}

function searchBox(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Search messages' });
}

function searchResults(page: Page): Locator {
  return page.getByTestId('search-results');
}

function hitBodies(page: Page): Promise<string[]> {
  return searchResults(page).getByTestId('search-hit-body').allTextContents();
}

function membersPanel(page: Page): Locator {
  return page.getByTestId('members-panel');
}

/** The names listed in the members panel, sorted. */
async function memberNames(page: Page): Promise<string[]> {
  return (await membersPanel(page).getByTestId('member').allTextContents()).map((text) => text.replace(/remove$/, '').trim()).sort();
}

describe('composing, searching, deleting and room members in a browser', { timeout: 120_000 }, () => {
  let hearth: Hearth;
  let pages: BrowserPages;
  let admin: HearthClient;
  let members: readonly HearthClient[];
  let allTalkId: string;
  const tag = (what: string): string => `${what}-${Date.now().toString(36)}`;

  let suite: BrowserSuite | undefined;

  before(async () => {
    suite = await startBrowserSuite(3);
    ({ hearth, pages, admin, members, allTalkId } = suite);
  });
  after(() => suite?.stop());

  function memberId(n: 1 | 2 | 3): string {
    return members[n - 1]!.userId;
  }

  describe('@-mentions in the composer', () => {
    it("@ offers the room's other people; the arrow keys move the highlight round both ends; Escape closes the list", async () => {
      const page = await pages.pageInRoom(admin, 'admin-mention-keys', allTalkId);
      const composer = composerOf(page);
      await composer.pressSequentially('Hello @mem');
      await eventually('the people offered (not oneself)', () => offered(page), ['@Member 1', '@Member 2', '@Member 3']);
      await eventually('the first is highlighted', () => highlighted(page), ['@Member 1']);

      await composer.press('ArrowUp');
      await eventually('ArrowUp on the first wraps to the last', () => highlighted(page), ['@Member 3']);
      await composer.press('ArrowDown');
      await eventually('ArrowDown on the last wraps to the first', () => highlighted(page), ['@Member 1']);
      await composer.press('ArrowDown');
      await eventually('ArrowDown moves one down', () => highlighted(page), ['@Member 2']);

      await composer.press('Escape');
      await mentionList(page).waitFor({ state: 'hidden' });
      assert.equal(await composer.inputValue(), 'Hello @mem', 'Escape leaves the text as typed');
      assert.ok(await isFocused(composer), 'the composer keeps the focus');
    });

    it('Enter picks the highlighted person instead of sending; Shift+Enter breaks the line; Enter then sends the mention', async () => {
      const page = await pages.pageInRoom(admin, 'admin-mention-enter', allTalkId);
      const composer = composerOf(page);
      const last = tag('second-line');
      await composer.pressSequentially('Hi @mem');
      await eventually('the first is highlighted', () => highlighted(page), ['@Member 1']);
      await composer.press('ArrowDown');
      await eventually('the second is highlighted', () => highlighted(page), ['@Member 2']);

      await composer.press('Enter');
      await mentionList(page).waitFor({ state: 'hidden' });
      await eventually('Enter put the name in, and sent nothing', () => composer.inputValue(), 'Hi @Member 2 ');
      await composer.press('Shift+Enter');
      await composer.pressSequentially(last);
      await eventually('Shift+Enter broke the line', () => composer.inputValue(), `Hi @Member 2 \n${last}`);

      await composer.press('Enter');
      const sent = sentMessage(page, last);
      await sent.waitFor();
      assert.equal(await sent.getByTestId('mention').getAttribute('data-user-id'), memberId(2));
      assert.equal((await sent.getByTestId('mention').textContent())?.trim(), '@Member 2');
      await eventually('the composer is cleared', () => composer.inputValue(), '');
      const stored = (await admin.messages(allTalkId)).find((message) => message.body.endsWith(last));
      assert.equal(stored?.body, `Hi <@${memberId(2)}> \n${last}`, 'stored with the mention encoded and the line break kept');
    });

    it('a person picked with the mouse replaces the @word, and the caret stays in the composer after the name', async () => {
      const page = await pages.pageInRoom(admin, 'admin-mention-mouse', allTalkId);
      const composer = composerOf(page);
      const rest = tag('thanks');
      await composer.pressSequentially('Thanks @me');
      await mentionList(page).getByRole('option', { name: '@Member 3' }).click();
      await mentionList(page).waitFor({ state: 'hidden' });
      await eventually('the name replaced the @word', () => composer.inputValue(), 'Thanks @Member 3 ');
      assert.ok(await isFocused(composer), 'the click kept the focus in the composer');

      await composer.pressSequentially(rest);
      await eventually('what is typed next goes after the name', () => composer.inputValue(), `Thanks @Member 3 ${rest}`);
      await composer.press('Enter');
      const sent = sentMessage(page, rest);
      await sent.waitFor();
      assert.equal(await sent.getByTestId('mention').getAttribute('data-user-id'), memberId(3));
    });
  });

  describe('search', () => {
    let word: string;
    let targetRoomId: string;
    let firstId: string;

    before(async () => {
      // Letters only, so the word is one search term whatever the tokenizer does with digits.
      word = `zephyr${Date.now()
        .toString(36)
        .replace(/[0-9]/g, (d) => String.fromCharCode(97 + Number(d)))}`;
      targetRoomId = (await admin.createRoom('open', 'Search Target')).id;
      firstId = (await admin.post(targetRoomId, `${word} first`, tag('search-first'))).id;
      await admin.post(targetRoomId, `${word} second`, tag('search-second'));
    });

    it('typing a query shows how many messages match, newest first; Escape closes the results and empties the box', async () => {
      const page = await pages.pageInRoom(admin, 'admin-search-type', allTalkId);
      const search = searchBox(page);
      await search.pressSequentially(word);
      await searchResults(page).getByText(`2 matches for “${word}”`).waitFor();
      await eventually('the hits', () => hitBodies(page), [`${word} second`, `${word} first`]);
      await search.pressSequentially(' sec');
      await searchResults(page).getByText(`1 match for “${word} sec”`).waitFor();
      await eventually('the narrowed hits', () => hitBodies(page), [`${word} second`]);

      await search.press('Escape');
      await searchResults(page).waitFor({ state: 'hidden' });
      assert.equal(await search.inputValue(), '');
    });

    it('Enter searches at once; following a hit opens its room with the message and closes the results', async () => {
      const context = await pages.contextWithSession(admin);
      // With the page's timers paused, the pause-in-typing search cannot run: only Enter can show results.
      await context.clock.install();
      const page = await pages.newPage(context, 'admin-search-enter');
      await page.goto(`${hearth.url}/rooms/${encodeURIComponent(allTalkId)}`);
      await roomShown(page);
      await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
      await searchBox(page).fill(word);
      await searchBox(page).press('Enter');
      await searchResults(page).getByText(`2 matches for “${word}”`).waitFor();
      await page.clock.resume();

      const hit = searchResults(page)
        .getByRole('link')
        .filter({ hasText: `${word} first` });
      assert.equal(await hit.getByTestId('search-hit-room').textContent(), 'Search Target');
      await hit.click();
      await page
        .getByTestId('room')
        .and(page.locator(`[data-room-id="${targetRoomId}"]`))
        .waitFor();
      assert.equal(new URL(page.url()).pathname, `/rooms/${encodeURIComponent(targetRoomId)}`);
      await page.getByRole('heading', { name: 'Search Target' }).waitFor();
      await page.locator(`[data-testid="message"][data-message-id="${firstId}"]`).getByText(`${word} first`).waitFor();
      await searchResults(page).waitFor({ state: 'hidden' });
      assert.equal(await searchBox(page).inputValue(), '', 'following a hit empties the box');
    });

    it('Close hides the results and empties the box', async () => {
      const page = await pages.pageInRoom(admin, 'admin-search-close', allTalkId);
      await searchBox(page).fill(word);
      await searchBox(page).press('Enter');
      await searchResults(page).getByText(`2 matches for “${word}”`).waitFor();
      await searchResults(page).getByRole('button', { name: 'Close' }).click();
      await searchResults(page).waitFor({ state: 'hidden' });
      assert.equal(await searchBox(page).inputValue(), '');
    });
  });

  it("deleting one's own message shows it deleted to everyone; another's message offers no Delete", async () => {
    const member = members[0]!;
    const mine = await member.post(allTalkId, tag('mine'), tag('delete-mine'));
    const theirs = await admin.post(allTalkId, tag('theirs'), tag('delete-theirs'));
    const memberPage = await pages.pageInRoom(member, 'member-delete', allTalkId);
    const adminPage = await pages.pageInRoom(admin, 'admin-delete', allTalkId);
    const shown = (page: Page, id: string): Locator => page.locator(`[data-testid="message"][data-message-id="${id}"]`);
    await Promise.all([shown(memberPage, mine.id).getByText(mine.body).waitFor(), shown(adminPage, mine.id).getByText(mine.body).waitFor()]);
    await shown(memberPage, theirs.id).getByText(theirs.body).waitFor();
    assert.equal(await shown(memberPage, theirs.id).getByRole('button', { name: 'Delete' }).count(), 0, 'a member may not delete what others wrote');

    await shown(memberPage, mine.id).getByRole('button', { name: 'Delete' }).click();
    await shown(memberPage, mine.id).getByText('This message was deleted.').waitFor();
    await shown(adminPage, mine.id).getByText('This message was deleted.').waitFor();
    assert.equal(await shown(memberPage, mine.id).getByText(mine.body).count(), 0, 'the text is gone');
    assert.equal(await shown(memberPage, mine.id).getByRole('button', { name: 'Delete' }).count(), 0, 'nothing left to delete');
    assert.notEqual((await member.message(mine.id)).deletedAt, null, 'deleted on the server');
  });

  describe('the members panel', () => {
    it("the members button shows the room's people; in a closed room its creator adds and removes them there", async () => {
      const roomId = (await admin.createRoom('closed', 'Planning', [memberId(1)])).id;
      const page = await pages.pageInRoom(admin, 'admin-members', roomId);
      await page.getByRole('button', { name: '2 members' }).click();
      await eventually('the members listed', () => memberNames(page), ['Ada Admin', 'Member 1']);

      await membersPanel(page).getByRole('combobox', { name: 'Add a member' }).selectOption({ label: 'Member 2' });
      await eventually('Member 2 added', () => memberNames(page), ['Ada Admin', 'Member 1', 'Member 2']);
      await page.getByRole('button', { name: '3 members' }).waitFor();
      assert.ok((await admin.room(roomId)).memberIds.includes(memberId(2)), 'added on the server');

      await membersPanel(page).getByTestId('member').filter({ hasText: 'Member 1' }).getByRole('button', { name: 'remove' }).click();
      await eventually('Member 1 removed', () => memberNames(page), ['Ada Admin', 'Member 2']);
      await page.getByRole('button', { name: '2 members' }).click();
      await membersPanel(page).waitFor({ state: 'hidden' });
    });

    it('a member who did not make the closed room sees its people but cannot change them', async () => {
      const roomId = (await admin.createRoom('closed', 'Roadmap', [memberId(2)])).id;
      const page = await pages.pageInRoom(members[1]!, 'member-members', roomId);
      await page.getByRole('button', { name: '2 members' }).click();
      await eventually('the members listed', () => memberNames(page), ['Ada Admin', 'Member 2']);
      assert.equal(await membersPanel(page).getByRole('combobox', { name: 'Add a member' }).count(), 0);
      assert.equal(await membersPanel(page).getByRole('button', { name: 'remove' }).count(), 0);
    });
  });

  it('no uncaught errors in the pages', () => {
    assert.deepEqual(pages.errors, []);
  });
});
