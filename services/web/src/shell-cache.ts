/**
 * What the service worker (service-worker.ts) does with each request, as pure rules: the app
 * shell it keeps for offline use, the cache that holds one build's shell, and which requests
 * it answers. The build hashes these same files to name the cache, so a new build gets a new
 * cache and the old one is deleted once the new worker takes over.
 */

/** The page, its bundle and stylesheet, and what installing the app needs. Not the source map, not the API. */
export const SHELL_FILES = [
  '/index.html',
  '/app.js',
  '/styles.css',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon.svg',
] as const;

/** Every page path of the app answers index.html; offline, the cached copy stands in. */
export const SHELL_PAGE = '/index.html';

const CACHE_PREFIX = 'hearth-shell-';

export function shellCacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** A cache an earlier build of Hearth's worker made: deleted when this one activates. Others' caches are left alone. */
export function isStaleShellCache(name: string, current: string): boolean {
  return name.startsWith(CACHE_PREFIX) && name !== current;
}

/**
 * - `page`: a navigation to one of the app's pages: the network first (a fresh index.html, and the
 *   server's answer to any other path), the cached index.html when the network fails.
 * - `shell`: one of the shell's files: from the cache, which the build's version keeps current.
 * - `network`: left to the browser as if there were no worker: the API (never cached), other
 *   origins, anything but GET.
 */
export type FetchRoute = 'page' | 'shell' | 'network';

export interface RequestFacts {
  readonly method: string;
  readonly url: string;
  /** `Request.mode`: 'navigate' for a page load. */
  readonly mode: string;
}

const shellPaths: ReadonlySet<string> = new Set(SHELL_FILES);

export function routeRequest(request: RequestFacts, origin: string): FetchRoute {
  if (request.method !== 'GET') return 'network';
  const url = new URL(request.url);
  if (url.origin !== origin || url.pathname.startsWith('/api/')) return 'network';
  if (request.mode === 'navigate') return 'page';
  return shellPaths.has(url.pathname) && url.search === '' ? 'shell' : 'network';
}
