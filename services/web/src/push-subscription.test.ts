import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api.ts';
import { isSameKey, keyBytes, syncPushSubscription, type PushManagerLike, type SubscriptionLike } from './push-subscription.ts';

const KEY = Buffer.from(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i))).toString('base64url');
const OTHER_KEY = Buffer.from(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 100 + i))).toString('base64url');

function subscriptionWith(key: string, endpoint: string, log: string[]): SubscriptionLike {
  return {
    options: { applicationServerKey: keyBytes(key).buffer },
    toJSON: () => ({ endpoint, keys: { p256dh: 'p', auth: 'a' } }),
    async unsubscribe() {
      log.push(`unsubscribe ${endpoint}`);
      return true;
    },
  };
}

/** A PushManager holding `existing`, that makes `made` when asked (or fails, as a browser with no push service does). */
function manager(existing: SubscriptionLike | null, made: SubscriptionLike | Error, log: string[]): PushManagerLike {
  return {
    getSubscription: async () => existing,
    async subscribe(options) {
      log.push(`subscribe ${Buffer.from(options.applicationServerKey).toString('base64url')}`);
      if (made instanceof Error) throw made;
      return made;
    },
  };
}

function apiWith(key: string | ApiError, log: string[]) {
  return {
    key: async () => {
      if (key instanceof ApiError) throw key;
      return { publicKey: key };
    },
    keep: async (subscription: PushSubscriptionJSON) => log.push(`keep ${subscription.endpoint}`),
  };
}

describe('syncPushSubscription', () => {
  it("subscribes with the server's key and gives the server the subscription", async () => {
    const log: string[] = [];
    const state = await syncPushSubscription(manager(null, subscriptionWith(KEY, 'e1', log), log), apiWith(KEY, log));
    assert.equal(state, 'on');
    assert.deepEqual(log, [`subscribe ${KEY}`, 'keep e1']);
  });

  it('keeps a subscription made with the same key, sending it again for this session', async () => {
    const log: string[] = [];
    const state = await syncPushSubscription(manager(subscriptionWith(KEY, 'e1', log), new Error('unused'), log), apiWith(KEY, log));
    assert.equal(state, 'on');
    assert.deepEqual(log, ['keep e1']);
  });

  it("replaces a subscription made with another key (the server's changed)", async () => {
    const log: string[] = [];
    await syncPushSubscription(manager(subscriptionWith(OTHER_KEY, 'old', log), subscriptionWith(KEY, 'new', log), log), apiWith(KEY, log));
    assert.deepEqual(log, ['unsubscribe old', `subscribe ${KEY}`, 'keep new']);
  });

  it('says push is off where the server turned it off, and unavailable where the browser cannot subscribe', async () => {
    const log: string[] = [];
    assert.equal(await syncPushSubscription(manager(null, new Error('x'), log), apiWith(new ApiError(403, 'push_disabled', 'off'), log)), 'off');
    assert.equal(
      await syncPushSubscription(manager(null, new DOMException('push service not available', 'AbortError'), log), apiWith(KEY, log)),
      'unavailable',
    );
    assert.deepEqual(log, [`subscribe ${KEY}`]);
  });

  it('compares keys byte for byte', () => {
    assert.equal(isSameKey(keyBytes(KEY).buffer, KEY), true);
    assert.equal(isSameKey(keyBytes(OTHER_KEY).buffer, KEY), false);
    assert.equal(isSameKey(null, KEY), false);
  });
});
