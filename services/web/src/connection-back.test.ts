/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { watchConnectionBack } from './connection-back.ts';
import type { ConnectionStatus } from './connection.ts';
import { createStore } from './store.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;

test("the connection is back when the browser says 'online' and whenever the stream opens again, not while it stays open", () => {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  const browser = new EventTarget();
  let back = 0;
  const unwatch = watchConnectionBack(store, browser, () => (back += 1));
  const status = (connection: ConnectionStatus): void => store.update((s) => ({ ...s, connection }));

  status('open');
  assert.equal(back, 1, 'first opened');
  store.update((s) => ({ ...s, notice: 'something else changed' }));
  status('open');
  assert.equal(back, 1, 'still open is not back');
  status('reconnecting');
  status('connecting');
  assert.equal(back, 1);
  status('open');
  assert.equal(back, 2, 'open again');
  browser.dispatchEvent(new Event('online'));
  assert.equal(back, 3);
  browser.dispatchEvent(new Event('offline'));
  assert.equal(back, 3);

  unwatch();
  status('reconnecting');
  status('open');
  browser.dispatchEvent(new Event('online'));
  assert.equal(back, 3, 'nothing after unwatching');
});
