import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { eventually, launchBrowserPages, roomShown, saveScreenshot, type BrowserPages } from './browser-pages.ts';
import { ensureWebBuilt } from './chromium.ts';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, tierUnderTest, type Hearth } from './harness.ts';
import { encodePng } from './png.ts';

/**
 * Files in Chromium, on every tier: Ada attaches a PNG of 1440×900 (about 3 MiB, so a
 * thumbnail is made and the progress bar has time to show) with the paperclip and alt text,
 * and drops a PDF on the room. Member 1's page shows the thumbnail, which opens whole in a
 * lightbox that Escape closes, and the PDF's download link, whose download is the same bytes.
 * A file over the limit, pasted, is refused in the server's own words in the composer.
 * HEARTH_SCREENSHOTS=1 saves docs/screenshots/files.png.
 */

const MiB = 1024 * 1024;
/** The limit of the Hearth under test: the 3 MiB image passes, the 5 MiB paste does not. */
const MAX_BYTES = 4 * MiB;
const ALT = 'A low sun over a purple sea';
const CAPTION = 'the view from the office';
const PDF_NAME = 'Quarterly report.pdf';

/** A sunset with a photograph's grain (seeded, so its size is the same every run): the grain keeps it from compressing. */
function sunsetPng(width: number, height: number): Buffer {
  let seed = 0x2545f491;
  const grain = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % 32;
  };
  const sun = { x: width * 0.62, y: height * 0.55, r: height * 0.16 };
  return encodePng(width, height, (x, y) => {
    const t = y / height;
    const inSun = (x - sun.x) ** 2 + (y - sun.y) ** 2 < sun.r ** 2 && y < height * 0.62;
    const sea = y >= height * 0.62;
    const base = inSun ? [255, 214, 120] : sea ? [70 + 40 * (1 - t), 40, 110 - 30 * t] : [240 - 60 * t, 120 - 70 * t, 60 + 80 * t];
    return base.map((c) => Math.max(0, Math.min(255, Math.round(c) - 16 + grain()))) as unknown as readonly [number, number, number];
  });
}

/** A one-page PDF with a line of text: objects, then a cross-reference table of their byte offsets. */
function minimalPdf(text: string): Buffer {
  const content = `BT /F1 24 Tf 40 90 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const offset = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Files are kept in a directory on the embedded tier (the default there); the server tiers keep them in PostgreSQL. */
function filesEnv(): Record<string, string> {
  const storage = tierUnderTest() === 'embedded' ? {} : { HEARTH_FILES_STORAGE: 'postgres' };
  return { ...storage, HEARTH_FILES_MAX_BYTES: String(MAX_BYTES) };
}

/** In-page code as text (the e2e suites compile without the DOM's types): every value the progress bar showed. */
const WATCH_PROGRESS = `(() => {
  window.__progress = [];
  const note = () => {
    for (const bar of document.querySelectorAll('[data-testid="upload-progress"]')) window.__progress.push(Number(bar.getAttribute('aria-valuenow')));
  };
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
})()`;

/** Builds a DataTransfer holding the file in the page, then drags it in over the room pane (not yet dropped). */
const dragOver = (name: string, type: string, bytes: Buffer): string => `(() => {
  const bytes = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));
  window.__drag = new DataTransfer();
  window.__drag.items.add(new File([bytes], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
  const pane = document.querySelector('[data-testid="room"]');
  for (const type of ['dragenter', 'dragover']) pane.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: window.__drag }));
})()`;

const DROP = `document.querySelector('[data-testid="room"]').dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: window.__drag }))`;

/** Pastes a file of `size` zero bytes into the composer, as a screenshot tool's paste would arrive. */
const pasteFile = (name: string, size: number): string => `(() => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(${size})], ${JSON.stringify(name)}, { type: 'image/png' }));
  document.querySelector('[data-testid="composer"]').dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }));
})()`;

function fileMessage(page: Page, name: string): Locator {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-file').filter({ hasText: name }) });
}

/** The image's natural width once it has loaded (0 while it has not, or if it failed). */
function loadedWidth(image: Locator): Promise<number> {
  return image.evaluate((el) => {
    const img = el as unknown as { complete: boolean; naturalWidth: number };
    return img.complete ? img.naturalWidth : 0;
  });
}

/** Holds uploads to a pace a person on a slow line sees (about 3 MiB/s), so the progress bar has time to move. */
async function slowUploads(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * MiB });
}

describe('files in a browser', { timeout: 240_000 }, () => {
  let hearth: Hearth;
  let pages: BrowserPages;
  let admin: HearthClient;
  let reader: HearthClient;
  let roomId: string;
  let ada: Page;
  let member: Page;
  const image = sunsetPng(1440, 900);
  const pdf = minimalPdf('Hearth: quarterly report');

  before(async () => {
    ensureWebBuilt();
    hearth = await startHearth({ env: filesEnv() });
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    reader = team.members[0]!;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
    pages = await launchBrowserPages(hearth.url);
    ada = await pages.pageInRoom(admin, 'ada', roomId);
    member = await pages.pageInRoom(reader, 'member', roomId);
  });
  after(async () => {
    await pages?.close();
    await hearth?.stop();
  });

  it('an image attached with the paperclip shows a progress bar, then its thumbnail in the other page', async () => {
    assert.ok(image.length > 2.5 * MiB && image.length < 3.5 * MiB, `the PNG is ${image.length} bytes`);
    await slowUploads(ada);
    await ada.evaluate(WATCH_PROGRESS);
    await ada.getByTestId('file-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: image });
    await ada.getByTestId('staged-file').filter({ hasText: 'sunset.png' }).waitFor();
    await ada.getByRole('textbox', { name: 'Describe sunset.png (alt text, optional)' }).fill(ALT);
    await ada.getByTestId('composer').fill(CAPTION);
    await ada.getByTestId('send').click();
    await ada.getByTestId('upload-progress').waitFor();
    await ada.getByTestId('uploads').waitFor({ state: 'detached', timeout: 30_000 });
    const seen = (await ada.evaluate('window.__progress')) as number[];
    assert.ok(seen.length > 0 && seen.every((v) => v >= 0 && v <= 100), `progress seen: ${seen.join(', ')}`);
    assert.ok(
      seen.some((v) => v > 0 && v < 100),
      `the bar moved between 0 and 100: ${seen.join(', ')}`,
    );

    const message = fileMessage(member, 'sunset.png');
    const thumbnail = message.getByTestId('message-image');
    await thumbnail.waitFor();
    assert.equal(await message.getByTestId('message-body').textContent(), CAPTION);
    assert.equal(await thumbnail.getAttribute('alt'), ALT);
    assert.deepEqual([await thumbnail.getAttribute('width'), await thumbnail.getAttribute('height')], ['400', '250']);
    const messageId = await message.getAttribute('data-message-id');
    assert.equal(await thumbnail.getAttribute('src'), `/api/messages/${messageId}/file/thumbnail`);
    await eventually(
      'the thumbnail loaded, 480 px wide at most',
      async () => {
        const width = await loadedWidth(thumbnail);
        return width > 0 && width <= 480;
      },
      true,
    );
    assert.equal(await loadedWidth(thumbnail), 480, 'the server made a thumbnail');
    assert.equal(await message.getByTestId('message-file').getAttribute('download'), 'sunset.png');
    await fileMessage(ada, 'sunset.png').getByTestId('message-image').waitFor();
  });

  it('a PDF dropped on the room shows the drop target, then a download of the same bytes in the other page', async () => {
    await ada.evaluate(dragOver(PDF_NAME, 'application/pdf', pdf));
    await ada.getByTestId('drop-target').waitFor();
    await ada.evaluate(DROP);
    await ada.getByTestId('drop-target').waitFor({ state: 'detached' });
    await ada.getByTestId('staged-file').filter({ hasText: PDF_NAME }).waitFor();
    assert.equal(await ada.getByTestId('alt-input').count(), 0, 'alt text is for images');
    await ada.getByTestId('composer').press('Enter');

    const link = fileMessage(member, PDF_NAME).getByTestId('message-file');
    await link.waitFor();
    assert.match((await link.textContent()) ?? '', new RegExp(`${PDF_NAME}\\s*${pdf.length} bytes`));
    assert.equal(await link.getAttribute('download'), PDF_NAME);
    assert.equal(await fileMessage(member, PDF_NAME).getByTestId('message-image').count(), 0, 'a PDF has no thumbnail');
    const [download] = await Promise.all([member.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), PDF_NAME);
    assert.deepEqual(await readFile(await download.path()), pdf);

    const names = await member.getByTestId('message-file').evaluateAll((links) => links.map((a) => a.getAttribute('download')));
    assert.deepEqual(names, ['sunset.png', PDF_NAME], 'in the order sent');
    await saveScreenshot(member, 'files');
  });

  it('the thumbnail opens the whole image in a lightbox with its alt text; Escape closes it and focus returns', async () => {
    const opener = fileMessage(member, 'sunset.png').getByTestId('open-image');
    await opener.click();
    const lightbox = member.getByTestId('lightbox');
    await lightbox.waitFor();
    assert.equal(await lightbox.getByTestId('lightbox-caption').textContent(), ALT);
    const whole = lightbox.getByTestId('lightbox-image');
    assert.equal(await whole.getAttribute('alt'), ALT);
    await eventually('the whole image loaded', () => loadedWidth(whole), 1440);
    await member.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'detached' });
    assert.equal(await opener.evaluate((el) => el.matches(':focus')), true, 'focus is back on the thumbnail');

    await opener.click();
    await lightbox.getByTestId('lightbox-close').click();
    await lightbox.waitFor({ state: 'detached' });
  });

  it("a file over the limit, pasted, is refused in the server's words in the composer, and can be dismissed", async () => {
    await ada.evaluate(pasteFile('huge.png', 5 * MiB));
    await ada.getByTestId('staged-file').filter({ hasText: 'huge.png' }).waitFor();
    const answer = ada.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/files?'));
    await ada.getByTestId('send').click();
    const response = await answer;
    assert.equal(response.status(), 413);
    const refusal = ((await response.json()) as { error: { code: string; message: string } }).error;
    assert.equal(refusal.code, 'payload_too_large');
    const upload = ada.getByTestId('upload').filter({ hasText: 'huge.png' });
    await upload.getByTestId('upload-error').waitFor();
    assert.equal(await upload.getByTestId('upload-error').textContent(), refusal.message);
    assert.equal(await upload.getAttribute('data-status'), 'failed');
    assert.equal(await upload.getByTestId('upload-retry').count(), 0, 'no retry for a file the server will refuse again');
    await upload.getByTestId('upload-dismiss').click();
    await upload.waitFor({ state: 'detached' });
    assert.equal(await fileMessage(member, 'huge.png').count(), 0);
    await roomShown(member);
    assert.deepEqual(pages.errors, []);
  });
});
