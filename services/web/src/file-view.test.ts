/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { downloadUrl, fileUrl, fitWithin, formatBytes, imageText, isShownImage, thumbnailUrl } from './file-view.ts';

test('a file is served, shown small and downloaded under its message', () => {
  assert.equal(fileUrl('m1'), '/api/messages/m1/file');
  assert.equal(thumbnailUrl('m1'), '/api/messages/m1/file/thumbnail');
  assert.equal(downloadUrl('m1'), '/api/messages/m1/file?download=1');
  assert.equal(fileUrl('a/b?c'), '/api/messages/a%2Fb%3Fc/file', 'an id is one path segment');
});

test('sizes read as the server writes them', () => {
  const cases = [
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [3 * 1024 * 1024, '3 MiB'],
    [30 * 1024 * 1024 + 1, '30 MiB'],
    [25.25 * 1024 * 1024, '25.3 MiB'],
    [2 * 1024 ** 3, '2 GiB'],
  ] as const;
  for (const [bytes, want] of cases) assert.equal(formatBytes(bytes), want, String(bytes));
});

test('a thumbnail fits its box with the same shape, and is never shown larger than it is', () => {
  const cases = [
    [
      { width: 1200, height: 900 },
      { width: 400, height: 300 },
    ],
    [
      { width: 480, height: 320 },
      { width: 400, height: 267 },
    ],
    [
      { width: 300, height: 1200 },
      { width: 75, height: 300 },
    ],
    [
      { width: 100, height: 50 },
      { width: 100, height: 50 },
    ],
    [
      { width: 10_000, height: 1 },
      { width: 400, height: 1 },
    ],
  ] as const;
  for (const [image, want] of cases) assert.deepEqual(fitWithin(image), want, `${image.width}×${image.height}`);
  assert.deepEqual(fitWithin({ width: 800, height: 800 }, { width: 200, height: 100 }), { width: 100, height: 100 });
});

test('only the types the server shows inline are pictures; alt text, else the name, describes one', () => {
  for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'IMAGE/PNG']) assert.equal(isShownImage(type), true, type);
  for (const type of ['image/svg+xml', 'image/tiff', 'application/pdf', '']) assert.equal(isShownImage(type), false, type);
  assert.equal(imageText({ alt: 'a red square', name: 'red.png' }), 'a red square');
  assert.equal(imageText({ alt: null, name: 'red.png' }), 'red.png');
});
