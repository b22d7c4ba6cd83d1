/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CORE, drawIcon, FLAME, iconSvg, isInside, parseHexColour, tangentPoints } from './app-icon.ts';

const COLOURS = { background: '#c2410c', flame: '#fff', core: '#c2410c' };

function pixelAt(pixels: Uint8Array, size: number, x: number, y: number): number[] {
  return [...pixels.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
}

test('colours are read as #rrggbb or #rgb, and anything else is refused', () => {
  assert.deepEqual(parseHexColour('#c2410c'), [0xc2, 0x41, 0x0c]);
  assert.deepEqual(parseHexColour('#fff'), [255, 255, 255]);
  assert.throws(() => parseHexColour('rgb(1, 2, 3)'), /not a #rrggbb colour/);
});

test("a teardrop holds its tip, its circle's bottom and the points where its sides touch the circle, and nothing beside the tip", () => {
  const bottom = { x: 0.5, y: FLAME.centreY + FLAME.radius - 0.001 };
  const [left, right] = tangentPoints(FLAME);
  for (const p of [{ x: 0.5, y: FLAME.tipY + 0.001 }, bottom, left, right]) assert.ok(isInside(FLAME, p), JSON.stringify(p));
  assert.ok(!isInside(FLAME, { x: 0.45, y: FLAME.tipY + 0.01 }));
  assert.ok(!isInside(FLAME, { x: 0.5, y: FLAME.tipY - 0.01 }));
  // Where a side meets the circle, the side is tangent: at right angles to the radius.
  const radius = { x: left.x - 0.5, y: left.y - FLAME.centreY };
  const side = { x: left.x - 0.5, y: left.y - FLAME.tipY };
  assert.ok(Math.abs(radius.x * side.x + radius.y * side.y) < 1e-9);
});

test('the flame keeps within the safe zone of a maskable icon (the middle circle of radius 40 %)', () => {
  const farthest = Math.max(0.5 - FLAME.tipY, FLAME.centreY + FLAME.radius - 0.5, Math.hypot(FLAME.radius, FLAME.centreY - 0.5));
  assert.ok(farthest <= 0.4, `reaches ${farthest}`);
});

test('drawn: the background in the corners, the flame around its core, the core in the accent colour, all opaque', () => {
  const size = 64;
  const pixels = drawIcon(size, COLOURS);
  assert.equal(pixels.length, size * size * 4);
  assert.deepEqual(pixelAt(pixels, size, 0, 0), [0xc2, 0x41, 0x0c, 255]);
  assert.deepEqual(pixelAt(pixels, size, 32, Math.round((FLAME.tipY + 0.1) * size)), [255, 255, 255, 255]);
  assert.deepEqual(pixelAt(pixels, size, 32, Math.round(CORE.centreY * size)), [0xc2, 0x41, 0x0c, 255]);
  for (let i = 3; i < pixels.length; i += 4) assert.equal(pixels[i], 255);
});

test('the SVG draws the same shapes, in the same colours', () => {
  const svg = iconSvg(COLOURS);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 100 100">/);
  assert.match(svg, /<rect width="100" height="100" fill="#c2410c"\/>/);
  assert.match(svg, /<path d="M50 16L30\.9 49A22 22 0 1 0 69\.1 49Z" fill="#fff"\/>/);
  assert.equal(svg.match(/<path /g)?.length, 2);
});
