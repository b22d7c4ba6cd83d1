import type { ChatState } from './chat-state.ts';
import type { Store } from './store.ts';

/**
 * When a lost connection may be back: the browser's 'online' event, or the realtime stream
 * opening again (its status turning 'open'), which is what tells of a server that was
 * unreachable while the browser believed itself online.
 */
export function watchConnectionBack(
  store: Pick<Store<ChatState>, 'get' | 'subscribe'>,
  browser: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>,
  listener: () => void,
): () => void {
  let last = store.get().connection;
  const unsubscribe = store.subscribe(() => {
    const now = store.get().connection;
    if (now === 'open' && last !== 'open') listener();
    last = now;
  });
  browser.addEventListener('online', listener);
  return () => {
    unsubscribe();
    browser.removeEventListener('online', listener);
  };
}
