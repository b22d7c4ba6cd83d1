import type { TestContext } from 'node:test';
import { createBus, createLogger, createMetrics, type Bus, type Store } from '@hearth/core';
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
