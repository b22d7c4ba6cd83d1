/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { avatarColourOf, avatarUrlOf, HUES, hueIndexOf, initialsOf, LIGHTNESS, SATURATION } from './avatar.ts';

test('initials: the first and the last word, whole characters, upper case', () => {
  assert.equal(initialsOf('Ada Lovelace'), 'AL');
  assert.equal(initialsOf('grace brewster murray hopper'), 'GH');
  assert.equal(initialsOf('  Linus  '), 'L');
  assert.equal(initialsOf('émile zola'), 'ÉZ');
  assert.equal(initialsOf('👩‍🚀 Sally'), '👩‍🚀S');
  assert.equal(initialsOf('   '), '?');
});

test('an id always gets the same colour, and ids spread over the hues', () => {
  assert.equal(avatarColourOf('11111111-1111-4111-8111-111111111111'), avatarColourOf('11111111-1111-4111-8111-111111111111'));
  const used = new Set(Array.from({ length: 500 }, (_, i) => hueIndexOf(`user-${i}`)));
  assert.ok(used.size >= HUES - 2, `500 ids used ${used.size} of ${HUES} hues`);
  assert.match(avatarColourOf('x'), /^hsl\(\d+(\.\d+)? 55% 30%\)$/);
});

/** WCAG 2 contrast of white on hsl(hue, SATURATION, LIGHTNESS). */
function contrastWithWhite(hue: number): number {
  const s = SATURATION / 100;
  const l = LIGHTNESS / 100;
  const channel = (n: number): number => {
    const k = (n + hue / 30) % 12;
    const value = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(8) + 0.0722 * channel(4);
  return 1.05 / (luminance + 0.05);
}

test('white initials keep a contrast of 4.5:1 on every hue', () => {
  for (let i = 0; i < HUES; i++) {
    const hue = i * (360 / HUES);
    assert.ok(contrastWithWhite(hue) >= 4.5, `hue ${hue}: ${contrastWithWhite(hue).toFixed(2)}`);
  }
});

test("a picture's address carries its version, so a new one is fetched at once; none without one", () => {
  assert.equal(avatarUrlOf('11111111-1111-4111-8111-111111111111', 'AbC-12_x'), '/api/users/11111111-1111-4111-8111-111111111111/avatar?v=AbC-12_x');
  assert.equal(avatarUrlOf('u/1', 'a+b'), '/api/users/u%2F1/avatar?v=a%2Bb');
  assert.equal(avatarUrlOf('u1', null), null);
  assert.equal(avatarUrlOf('u1', ''), null);
});
