/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createAccount, type AccountApi } from './account.ts';
import type { User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createStore } from './store.ts';

function harness(role: 'administrator' | 'member', rotated: { name: string; joinUrl?: string }) {
  const me = { id: 'u1', name: 'Me', role } as unknown as User;
  const store = createStore<ChatState>(initialChatState(me, 'Hearth'));
  let reads = 0;
  const api: AccountApi = {
    account() {
      reads += 1;
      return Promise.resolve({ name: 'Acme', joinUrl: `https://acme.example/join/${reads}` });
    },
    rotateJoinCode: () => Promise.resolve(rotated),
  };
  return { account: createAccount({ me, store, isVisible: () => true }, api), store, reads: () => reads };
}

test("an administrator sees the account's name and join link; a member is not asked for them", async () => {
  const admin = harness('administrator', { name: 'Acme' });
  await admin.account.refresh();
  assert.deepEqual([admin.store.get().accountName, admin.store.get().joinUrl], ['Acme', 'https://acme.example/join/1']);
  const member = harness('member', { name: 'Acme' });
  await member.account.refresh();
  assert.equal(member.reads(), 0);
  assert.equal(member.store.get().joinUrl, null);
});

test('a rotated join code shows its new link, or the account is read again when the answer has none', async () => {
  const withLink = harness('administrator', { name: 'Acme', joinUrl: 'https://acme.example/join/new' });
  await withLink.account.rotateJoinCode();
  assert.equal(withLink.store.get().joinUrl, 'https://acme.example/join/new');
  const without = harness('administrator', { name: 'Acme' });
  await without.account.rotateJoinCode();
  assert.equal(without.reads(), 1);
  assert.equal(without.store.get().joinUrl, 'https://acme.example/join/1');
});
