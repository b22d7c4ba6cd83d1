import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPushService, type PushService } from '@hearth/harness';
import { createTeam, DEFAULT_ROOM, PASSWORD, type HearthClient } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { sleep } from './helpers.ts';

/**
 * Web Push end to end in the tier under test: the gateway keeps a browser's subscription, and the
 * messaging process (its own process in the server tiers) pushes a mention to a push service on
 * loopback, which checks the VAPID signature and decrypts the payload as a browser would
 * (harness/src/push-service.ts). The server trusts the push service's CA as it would a public one's.
 */
describe('Web Push', { timeout: 120_000 }, () => {
  let push: PushService;
  let hearth: Hearth;
  let admin: HearthClient;
  let member: HearthClient;
  let roomId: string;

  before(async () => {
    push = await startPushService();
    hearth = await startHearth({ env: { NODE_EXTRA_CA_CERTS: push.caPath } });
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    member = team.members[0] as HearthClient;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
  });
  after(async () => {
    await hearth?.stop();
    await push?.close();
  });

  it('pushes a mention to the member, signed with the key the browser subscribed with, readable with its keys only', async () => {
    const { publicKey } = await member.call<{ publicKey: string }>('GET', '/api/push');
    const subscription = push.subscribe();
    await member.call('POST', '/api/push/subscriptions', subscription, [201]);
    const memberId = member.user?.id ?? assert.fail('the member is not signed in');
    const message = await admin.post(roomId, `<@${memberId}> the deploy is done`, 'push-e2e-1');
    const received = await push.nextAfter(0);
    assert.equal(received.endpoint, subscription.endpoint);
    assert.equal(received.vapidKey, publicKey);
    assert.deepEqual(JSON.parse(received.text), {
      v: 1,
      kind: 'message',
      roomId,
      messageId: message.id,
      title: `Ada Admin in ${DEFAULT_ROOM}`,
      body: '@Member 1 the deploy is done',
      path: `/rooms/${roomId}`,
    });
  });

  it('pushes nothing more to a session that signed out, while others are still pushed to', async () => {
    const adminSubscription = push.subscribe();
    await admin.call('POST', '/api/push/subscriptions', adminSubscription, [201]);
    const memberId = member.user?.id ?? assert.fail('no member id');
    const adminId = admin.user?.id ?? assert.fail('no admin id');
    await member.signOut();
    const seen = push.received.length;
    await admin.post(roomId, `<@${memberId}> still there?`, 'push-e2e-2');
    await member.signIn('member1@example.com', PASSWORD);
    await member.post(roomId, `<@${adminId}> back now`, 'push-e2e-3');
    const received = await push.nextAfter(seen);
    assert.equal(received.endpoint, adminSubscription.endpoint, 'the mention of the signed-out member was pushed');
    // Another messaging process may push a message behind this one: a moment for a wrong push to show.
    await sleep(500);
    assert.equal(push.received.length, seen + 1);
  });
});
