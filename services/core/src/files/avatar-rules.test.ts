import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { AVATAR_MAX_BYTES, AVATAR_UNSHRUNK_MAX_BYTES, avatarTooLarge, avatarVersionOf, avatarVersionRefusal, planAvatar } from './avatar-rules.ts';
import { refusal } from './refusal-of.ts';

/** An opaque PNG of `width`×`height`. */
function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  image.data.fill(200);
  return PNG.sync.write(image);
}

/** Only the header of an image: all that planAvatar reads of it. */
function header(kind: 'gif' | 'png', width: number, height: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  if (kind === 'gif') {
    bytes.write('GIF89a', 0, 'latin1');
    bytes.writeUInt16LE(width, 6);
    bytes.writeUInt16LE(height, 8);
    return bytes;
  }
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  bytes.writeUInt32BE(13, 8);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes;
}

describe('planAvatar', () => {
  it('keeps a small PNG as it is, and makes a larger one small', () => {
    assert.deepEqual(planAvatar(png(256, 100)), { kind: { type: 'image/png', width: 256, height: 100 }, shrink: false });
    assert.deepEqual(planAvatar(png(257, 100)), { kind: { type: 'image/png', width: 257, height: 100 }, shrink: true });
    assert.equal(planAvatar(header('png', 100, 100, 300 * 1024)).shrink, true, 'small in pixels, large in bytes');
  });

  it('keeps a GIF or WebP as it is up to 512 KiB, and refuses a larger one, saying to use a PNG or JPEG', () => {
    assert.deepEqual(planAvatar(header('gif', 4000, 3000, AVATAR_UNSHRUNK_MAX_BYTES)), {
      kind: { type: 'image/gif', width: 4000, height: 3000 },
      shrink: false,
    });
    const refused = refusal(() => planAvatar(header('gif', 64, 64, AVATAR_UNSHRUNK_MAX_BYTES + 1)));
    assert.deepEqual([refused.code, refused.field], ['unsupported_media_type', 'avatar']);
    assert.match(refused.message, /at most 512 KiB .*use a PNG or JPEG/);
  });

  it('refuses what is no picture, an empty body, too many bytes and too many pixels, each naming avatar', () => {
    const cases: [Uint8Array, string][] = [
      [Buffer.from('%PDF-1.4 not a picture'), 'unsupported_media_type'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'unsupported_media_type'],
      [new Uint8Array(0), 'invalid_request'],
      [header('png', 64, 64, AVATAR_MAX_BYTES + 1), 'payload_too_large'],
      [header('png', 10_000, 10_000, 1024), 'payload_too_large'],
    ];
    for (const [bytes, code] of cases) {
      const refused = refusal(() => planAvatar(bytes));
      assert.deepEqual([refused.code, refused.field], [code, 'avatar'], refused.message);
    }
    assert.equal(avatarTooLarge(6 * 1024 * 1024).message, 'the picture is 6 MiB; the limit is 5 MiB');
  });
});

describe("a picture's version", () => {
  it('is a short hash of the bytes: the same picture, the same version; another, another', () => {
    const a = avatarVersionOf(png(10, 10));
    assert.match(a, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(avatarVersionOf(png(10, 10)), a);
    assert.notEqual(avatarVersionOf(png(11, 10)), a);
    assert.equal(avatarVersionRefusal(a), null);
  });

  it('refuses anything else but null', () => {
    assert.equal(avatarVersionRefusal(null), null);
    for (const bad of ['', '../x', 'a b', 'x'.repeat(65), 'v?1']) assert.equal(avatarVersionRefusal(bad)?.field, 'avatar', bad);
  });
});
