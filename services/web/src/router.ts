import { useEffect, useState } from 'preact/hooks';

/** Client-side routing on location.pathname; the gateway serves index.html for every non-/api path. */

export type Route =
  | { readonly name: 'home' }
  | { readonly name: 'room'; readonly roomId: string }
  | { readonly name: 'join'; readonly code: string }
  | { readonly name: 'sessions' };

/** The signed-in devices page. */
export const SESSIONS_PATH = '/settings/sessions';

export function parseRoute(pathname: string): Route {
  const room = /^\/rooms\/([^/]+)\/?$/.exec(pathname);
  if (room?.[1] !== undefined) return { name: 'room', roomId: decodeURIComponent(room[1]) };
  const join = /^\/join\/([^/]+)\/?$/.exec(pathname);
  if (join?.[1] !== undefined) return { name: 'join', code: decodeURIComponent(join[1]) };
  if (/^\/settings\/sessions\/?$/.test(pathname)) return { name: 'sessions' };
  return { name: 'home' };
}

export function roomPath(roomId: string): string {
  return `/rooms/${encodeURIComponent(roomId)}`;
}

const listeners = new Set<() => void>();

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace === true) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export function usePathname(): string {
  const [pathname, setPathname] = useState(window.location.pathname);
  useEffect(() => {
    const listener = (): void => setPathname(window.location.pathname);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return pathname;
}

/** A plain left click on an in-app link navigates without reloading; modified clicks keep the browser's meaning. */
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(path);
}
