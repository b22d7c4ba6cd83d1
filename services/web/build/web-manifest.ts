/// <reference types="node" />
import { createHash } from 'node:crypto';
import type { IconColours } from './app-icon.ts';

/**
 * What makes the UI installable: the web app manifest, whose colours come from styles.css
 * (its light theme's `--accent` and `--bg`) so the two never drift apart, the icons it lists,
 * and the version of the app shell the service worker caches.
 */

/** Where the icons go in dist/, and so their paths on the server. */
export const ICONS = { png192: '/icons/icon-192.png', png512: '/icons/icon-512.png', svg: '/icons/icon.svg' } as const;

/** The value of the first `--name: value;` in the stylesheet: `:root`'s, the light theme. */
export function cssVariable(css: string, name: string): string {
  const value = new RegExp(`--${name}\\s*:\\s*([^;]+);`).exec(css)?.[1]?.trim();
  if (value === undefined) throw new Error(`styles.css sets no --${name}`);
  return value;
}

export function iconColours(css: string): IconColours {
  return { background: cssVariable(css, 'accent'), flame: cssVariable(css, 'accent-text'), core: cssVariable(css, 'accent') };
}

export function buildManifest(css: string): Record<string, unknown> {
  return {
    name: 'Hearth',
    short_name: 'Hearth',
    description: 'Group chat for your team',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    theme_color: cssVariable(css, 'accent'),
    background_color: cssVariable(css, 'bg'),
    icons: [
      { src: ICONS.png192, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: ICONS.png512, sizes: '512x512', type: 'image/png', purpose: 'any' },
      // The flame keeps inside the safe zone, so the same picture serves as the maskable icon.
      { src: ICONS.png512, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      { src: ICONS.svg, sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
    ],
  };
}

/** A short hash of the shell's files, path and bytes, in the order given: it names the service worker's cache. */
export function shellVersion(files: readonly { readonly path: string; readonly bytes: Uint8Array }[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\n${file.bytes.length}\n`).update(file.bytes);
  return hash.digest('hex').slice(0, 16);
}
