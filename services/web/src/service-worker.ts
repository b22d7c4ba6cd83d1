import { isBeingLookedAt, parseNotice, type PushNotice } from './push-notice.ts';
import { isStaleShellCache, routeRequest, SHELL_FILES, SHELL_PAGE, shellCacheName } from './shell-cache.ts';

/**
 * The service worker, built by build.ts into dist/sw.js: it keeps the app shell in a cache named
 * after the build, so the app opens offline, and never touches the API. Which request goes
 * where is decided in shell-cache.ts. Served with `Cache-Control: no-cache`, so a browser notices
 * a new build at the next page load; the new worker takes over at once and drops the old cache.
 * It also shows what Web Push brings while no Hearth window is being looked at (push-notice.ts),
 * and a click on one opens its room.
 */

/** The hash of the shell's files, put in by the build. */
declare const HEARTH_SHELL_VERSION: string;

// The web tsconfig has the DOM's types, not a worker's: the few this file uses.
interface ExtendableEvent extends Event {
  waitUntil(done: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface WindowClient {
  readonly url: string;
  readonly visibilityState: DocumentVisibilityState;
  readonly focused: boolean;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
}
interface WorkerScope {
  readonly location: Location;
  readonly registration: ServiceWorkerRegistration;
  readonly clients: {
    claim(): Promise<void>;
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
}

const worker = self as unknown as WorkerScope;
const cacheName = shellCacheName(HEARTH_SHELL_VERSION);

async function precache(): Promise<void> {
  const cache = await caches.open(cacheName);
  // 'reload': the files of this build from the server, not older copies from the HTTP cache.
  await cache.addAll(SHELL_FILES.map((file) => new Request(file, { cache: 'reload' })));
  await worker.skipWaiting();
}

async function dropStaleCaches(): Promise<void> {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => isStaleShellCache(name, cacheName)).map((name) => caches.delete(name)));
  await worker.clients.claim();
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const shell = await caches.match(SHELL_PAGE, { cacheName });
    if (shell === undefined) throw error;
    return shell;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName })) ?? fetch(request);
}

worker.addEventListener('install', (event) => event.waitUntil(precache()));
worker.addEventListener('activate', (event) => event.waitUntil(dropStaleCaches()));
worker.addEventListener('fetch', (event) => {
  const route = routeRequest(event.request, worker.location.origin);
  switch (route) {
    case 'page':
      return event.respondWith(networkFirst(event.request));
    case 'shell':
      return event.respondWith(cacheFirst(event.request));
    case 'network':
      // Not answered here: the browser fetches it as if there were no worker.
      return;
  }
});

async function showPush(notice: PushNotice): Promise<void> {
  const windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (isBeingLookedAt(windows)) return;
  // One per room (tag), as the page's own: a busy room replaces its notification instead of stacking them.
  await worker.registration.showNotification(notice.title, { body: notice.body, tag: notice.roomId, icon: '/icons/icon-192.png', data: { path: notice.path } });
}

/** Brings a Hearth window to the room (the first one open, or a new one). */
async function openRoom(path: string): Promise<void> {
  const url = new URL(path, worker.location.origin).href;
  const [open] = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (open === undefined) {
    await worker.clients.openWindow(url);
    return;
  }
  await open.focus();
  await open.navigate(url);
}

worker.addEventListener('push', (event) => {
  const notice = parseNotice(event.data?.text() ?? null);
  if (notice !== null) event.waitUntil(showPush(notice));
});
worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { path?: unknown } | null;
  event.waitUntil(openRoom(typeof data?.path === 'string' ? data.path : '/'));
});
