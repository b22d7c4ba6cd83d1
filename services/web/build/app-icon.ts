/**
 * Hearth's app icon: a flame (a teardrop, with a smaller one inside) on the accent colour.
 * One description of the shapes, drawn twice: as SVG, and as RGBA pixels for the PNG icons
 * the web app manifest lists. The flame keeps within the middle 80 % circle, so the icon
 * also serves as a maskable one, whatever shape a platform crops it to.
 */

/** A teardrop pointing up, in a unit square (y down): a circle, and the triangle from its tangents to the tip. */
export interface Teardrop {
  readonly tipY: number;
  readonly centreY: number;
  readonly radius: number;
}

export interface IconColours {
  /** The background: the accent colour. */
  readonly background: string;
  readonly flame: string;
  readonly core: string;
}

const CENTRE_X = 0.5;
export const FLAME: Teardrop = { tipY: 0.16, centreY: 0.6, radius: 0.22 };
export const CORE: Teardrop = { tipY: 0.42, centreY: 0.66, radius: 0.11 };
/** Samples per pixel along each axis, for smooth edges. */
const SUPERSAMPLE = 4;

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where the sides from the tip touch the circle: left, then right. */
export function tangentPoints(drop: Teardrop): readonly [Point, Point] {
  const distance = drop.centreY - drop.tipY;
  // The angle at the centre between the tip and a tangent point.
  const angle = Math.acos(drop.radius / distance);
  const dx = drop.radius * Math.sin(angle);
  const y = drop.centreY - drop.radius * Math.cos(angle);
  return [
    { x: CENTRE_X - dx, y },
    { x: CENTRE_X + dx, y },
  ];
}

function sideOf(p: Point, a: Point, b: Point): number {
  return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

export function isInside(drop: Teardrop, p: Point): boolean {
  if ((p.x - CENTRE_X) ** 2 + (p.y - drop.centreY) ** 2 <= drop.radius ** 2) return true;
  const tip = { x: CENTRE_X, y: drop.tipY };
  const [left, right] = tangentPoints(drop);
  const sides = [sideOf(p, tip, left), sideOf(p, left, right), sideOf(p, right, tip)];
  return sides.every((s) => s >= 0) || sides.every((s) => s <= 0);
}

/** `#rrggbb` (or `#rgb`) as [r, g, b]. */
export function parseHexColour(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim())?.[1];
  if (hex === undefined) throw new Error(`not a #rrggbb colour: ${colour}`);
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** How much of the pixel at (px, py) the shape covers, 0 to 1. */
function coverage(drop: Teardrop, px: number, py: number, size: number): number {
  let hits = 0;
  for (let sy = 0; sy < SUPERSAMPLE; sy += 1) {
    for (let sx = 0; sx < SUPERSAMPLE; sx += 1) {
      if (isInside(drop, { x: (px + (sx + 0.5) / SUPERSAMPLE) / size, y: (py + (sy + 0.5) / SUPERSAMPLE) / size })) hits += 1;
    }
  }
  return hits / SUPERSAMPLE ** 2;
}

function mix(under: readonly number[], over: readonly number[], amount: number): number[] {
  return under.map((u, i) => Math.round(u + ((over[i] ?? u) - u) * amount));
}

/** The icon as `size`×`size` RGBA pixels, opaque. */
export function drawIcon(size: number, colours: IconColours): Uint8Array {
  const background = parseHexColour(colours.background);
  const flame = parseHexColour(colours.flame);
  const core = parseHexColour(colours.core);
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      const withFlame = mix(background, flame, coverage(FLAME, px, py, size));
      pixels.set([...mix(withFlame, core, coverage(CORE, px, py, size)), 255], (py * size + px) * 4);
    }
  }
  return pixels;
}

function svgPath(drop: Teardrop): string {
  const [left, right] = tangentPoints(drop);
  const n = (v: number): string => String(Math.round(v * 1000) / 10);
  // From the tip down the left side, the long way round the bottom of the circle, and back up.
  return `M${n(CENTRE_X)} ${n(drop.tipY)}L${n(left.x)} ${n(left.y)}A${n(drop.radius)} ${n(drop.radius)} 0 1 0 ${n(right.x)} ${n(right.y)}Z`;
}

/** The same icon as SVG, on a 100×100 view box. */
export function iconSvg(colours: IconColours): string {
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">',
    `<rect width="100" height="100" fill="${colours.background}"/>`,
    `<path d="${svgPath(FLAME)}" fill="${colours.flame}"/>`,
    `<path d="${svgPath(CORE)}" fill="${colours.core}"/>`,
    '</svg>\n',
  ].join('');
}
