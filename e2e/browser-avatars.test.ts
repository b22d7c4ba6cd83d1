import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { eventually, launchBrowserPages, messageWithBody, roomShown, saveScreenshot, type BrowserPages } from './browser-pages.ts';
import { ensureWebBuilt } from './chromium.ts';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, tierUnderTest, type Hearth } from './harness.ts';
import { encodePng } from './png.ts';

/**
 * People's pictures in Chromium, on every tier: Ada picks a picture in the sidebar; Member 1's
 * page shows it beside Ada's message at once (a user.updated frame) and after a reload, made
 * small by the server; Ada removes it and both pages show her initials again. A picture that is
 * not one is refused in the server's words. HEARTH_SCREENSHOTS=1 saves docs/screenshots/avatars.png.
 */

const HELLO = 'hello, with a face this time';

/** A face of sorts: a yellow disc with two eyes on teal, 600 px a side (so the server makes it smaller). */
function facePng(): Buffer {
  const size = 600;
  return encodePng(size, size, (x, y) => {
    const inside = (cx: number, cy: number, r: number): boolean => (x - cx) ** 2 + (y - cy) ** 2 < r ** 2;
    if (inside(220, 240, 40) || inside(380, 240, 40)) return [40, 30, 30];
    return inside(300, 300, 240) ? [250, 205, 60] : [20, 120, 130];
  });
}

/** Files are kept in a directory on the embedded tier (the default there); the server tiers keep them in PostgreSQL. */
function filesEnv(): Record<string, string> {
  return tierUnderTest() === 'embedded' ? {} : { HEARTH_FILES_STORAGE: 'postgres' };
}

function avatarBeside(page: Page, body: string): Locator {
  return messageWithBody(page, body).getByTestId('avatar');
}

/** What the avatar shows ('picture' or 'initials'), and for a picture its natural width once loaded (0 before). */
async function shown(avatar: Locator): Promise<{ kind: string | null; width: number }> {
  const kind = await avatar.getAttribute('data-avatar');
  const width = await avatar.evaluate((el) => {
    const img = el as unknown as { complete?: boolean; naturalWidth?: number };
    return img.complete === true ? (img.naturalWidth ?? 0) : 0;
  });
  return { kind, width };
}

describe('pictures of people in a browser', { timeout: 180_000 }, () => {
  let hearth: Hearth;
  let pages: BrowserPages;
  let admin: HearthClient;
  let roomId: string;
  let ada: Page;
  let member: Page;

  before(async () => {
    ensureWebBuilt();
    hearth = await startHearth({ env: filesEnv() });
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
    await admin.post(roomId, HELLO, 'avatar-hello');
    pages = await launchBrowserPages(hearth.url);
    ada = await pages.pageInRoom(admin, 'ada', roomId);
    member = await pages.pageInRoom(team.members[0]!, 'member', roomId);
  });
  after(async () => {
    await pages?.close();
    await hearth?.stop();
  });

  it("shows Ada's initials until she picks a picture, then her picture beside her message in the other page, live and after a reload", async () => {
    assert.deepEqual(await shown(avatarBeside(member, HELLO)), { kind: 'initials', width: 0 });
    assert.equal(await avatarBeside(member, HELLO).textContent(), 'AA');

    await ada.getByTestId('picture-input').setInputFiles({ name: 'face.png', mimeType: 'image/png', buffer: facePng() });
    const mine = ada.getByTestId('my-picture').getByTestId('avatar');
    await eventually('her own picture in her sidebar', async () => (await shown(mine)).kind, 'picture');
    await ada.getByTestId('remove-picture').waitFor();

    const beside = avatarBeside(member, HELLO);
    await eventually('her picture beside her message, live, loaded, made 256 px wide', () => shown(beside), { kind: 'picture', width: 256 });
    assert.equal(await beside.getAttribute('alt'), 'Ada Admin');
    const version = (await admin.session()).user.avatar;
    assert.equal(await beside.getAttribute('src'), `/api/users/${admin.userId}/avatar?v=${version}`);
    await saveScreenshot(member, 'avatars');

    await member.reload();
    await roomShown(member);
    await eventually('her picture after a reload', () => shown(avatarBeside(member, HELLO)), { kind: 'picture', width: 256 });
  });

  it('refuses a file that is no picture in the server’s words, keeping the picture there was', async () => {
    const answer = ada.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/users/me/avatar'));
    await ada.getByTestId('picture-input').setInputFiles({ name: 'face.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') });
    assert.equal((await answer).status(), 415);
    assert.match((await ada.getByTestId('picture-error').textContent()) ?? '', /PNG, JPEG, GIF or WebP/);
    assert.equal((await shown(avatarBeside(member, HELLO))).kind, 'picture');
  });

  it('removing the picture shows her initials again in both pages', async () => {
    await ada.getByTestId('remove-picture').click();
    await eventually('her initials in her own page', async () => (await shown(avatarBeside(ada, HELLO))).kind, 'initials');
    await ada.getByTestId('remove-picture').waitFor({ state: 'detached' });
    await eventually('her initials in the other page, live', async () => (await shown(avatarBeside(member, HELLO))).kind, 'initials');
    assert.equal(await avatarBeside(member, HELLO).textContent(), 'AA');
    assert.equal((await admin.session()).user.avatar, null);
    assert.deepEqual(pages.errors, []);
  });
});
