import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  createBus,
  createCommandClient,
  createLogger,
  createMetrics,
  createStore,
  type Bus,
  type CommandClient,
  type Room,
  type Store,
  type User,
} from '@hearth/core';
import { startMessaging, type Messaging, type MessagingDeps } from './messaging.ts';

export interface TestMessagingOptions extends Partial<Pick<MessagingDeps, 'logger' | 'publicUrl' | 'webhooks'>> {
  readonly messageChars?: number;
  /** Events the in-process bus keeps for replay. */
  readonly replayLimit?: number;
}

/** Messaging on `store` with an in-process bus, as the tests run it; stopped, with the bus and the store, when the test ends. */
export async function startTestMessaging(t: TestContext, store: Store, options: TestMessagingOptions = {}): Promise<{ messaging: Messaging; bus: Bus }> {
  const bus = await createBus({ type: 'local', replayLimit: options.replayLimit ?? 10_000 });
  const messaging = startMessaging({
    store,
    bus,
    logger: options.logger ?? createLogger('silent', 'messaging'),
    metrics: createMetrics({ target: 'messaging', version: 'test' }),
    limits: { messageChars: options.messageChars ?? 200 },
    publicUrl: options.publicUrl ?? 'http://hearth.test',
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  t.after(async () => {
    await messaging.stop();
    await bus.close();
    await store.close();
  });
  return { messaging, bus };
}

/** A team on a fresh in-memory store with messaging running: Ada (the administrator), Bob, and the room everyone is in. */
export interface TestTeam {
  readonly store: Store;
  readonly messaging: Messaging;
  readonly commands: CommandClient;
  readonly admin: User;
  readonly bob: User;
  readonly allTalk: Room;
}

export async function startTestTeam(t: TestContext, options: TestMessagingOptions = {}): Promise<TestTeam> {
  const store = await createStore({ type: 'sqlite', path: ':memory:' });
  const { messaging, bus } = await startTestMessaging(t, store, options);
  const commands = createCommandClient(bus, 5_000);
  const { account, user: admin } = await commands.send('account.setup', {
    accountName: 'Acme',
    admin: { name: 'Ada', email: 'ada@example.com', passwordHash: null },
  });
  const bob = await commands.send('user.create', {
    joinCode: account.joinCode,
    actorId: null,
    user: { name: 'Bob', email: 'bob@example.com', passwordHash: null },
  });
  const [allTalk] = await store.listOpenRooms();
  assert.ok(allTalk !== undefined, 'setup makes the room everyone is in');
  return { store, messaging, commands, admin, bob, allTalk };
}
