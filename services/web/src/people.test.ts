/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RoomEvent, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createPeople, expireTyping } from './people.ts';
import { createStore } from './store.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;
const BEA = { id: 'u2', name: 'Bea', role: 'member' } as unknown as User;

function harness() {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  let fetches = 0;
  const people = createPeople(
    { me: ME, store, isVisible: () => true },
    {
      users() {
        fetches += 1;
        return Promise.resolve({ users: [ME, BEA] });
      },
    },
  );
  return { people, store, fetches: () => fetches };
}

test('typing markers expire at their time; none expiring keeps the same object', () => {
  const typing = { r1: { u2: 1_000, u3: 2_000 }, r2: { u4: 3_000 } };
  assert.equal(expireTyping(typing, 500), typing);
  assert.deepEqual(expireTyping(typing, 1_000), { r1: { u3: 2_000 }, r2: { u4: 3_000 } });
  assert.deepEqual(expireTyping(typing, 5_000), { r1: {}, r2: {} });
});

test('an unknown user fetches the directory once; a known one does not', async () => {
  const h = harness();
  h.people.ensure('u2');
  h.people.ensure('u2');
  await h.people.refresh();
  assert.equal(h.fetches(), 1, 'one fetch in flight is shared');
  h.people.ensure('u2');
  assert.equal(h.fetches(), 1);
  assert.equal(h.people.nameOf('u2'), 'Bea');
  assert.equal(h.people.nameOf('nobody'), 'Someone');
});

test('someone typing shows for five seconds, not me, and stops when their message arrives', async () => {
  const h = harness();
  await h.people.refresh();
  h.people.typing('r1', 'u1', 0);
  h.people.typing('r1', 'u2', 0);
  assert.deepEqual(h.store.get().typing, { r1: { u2: 5_000 } });
  h.people.applyEvent({ v: 1, roomId: 'r1', seq: 1, at: '', type: 'message.created', message: { authorId: 'u2' } } as unknown as RoomEvent);
  assert.deepEqual(h.store.get().typing, { r1: {} });
});

test('presence follows the ready frame, then each change', () => {
  const h = harness();
  h.people.setOnline(['u1', 'u2']);
  h.people.setPresence('u2', false);
  h.people.setPresence('u3', true);
  assert.deepEqual([...h.store.get().online].sort(), ['u1', 'u3']);
});

test("a change of someone's picture fetches the directory again, after a fetch under way, and shows the new version", async () => {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  let avatar: string | null = null;
  let fetches = 0;
  const people = createPeople(
    { me: ME, store, isVisible: () => true },
    {
      users() {
        fetches += 1;
        return Promise.resolve({ users: [ME, { ...BEA, avatar }] });
      },
    },
  );
  const first = people.refresh();
  avatar = 'v2';
  people.userChanged();
  await first;
  assert.equal(people.avatarOf('u2'), null, 'the fetch under way was answered before the change');
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(fetches, 2);
  assert.equal(people.avatarOf('u2'), 'v2');
  assert.equal(people.avatarOf('nobody'), null);
});

test("the person's own record, as a change answered it, is both me and theirs in the directory", () => {
  const h = harness();
  h.people.setMe({ ...ME, avatar: 'v1' });
  assert.equal(h.store.get().me.avatar, 'v1');
  assert.equal(h.people.avatarOf('u1'), 'v1');
});
