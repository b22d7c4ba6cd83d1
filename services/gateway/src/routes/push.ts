import { ECDH } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HearthError, nowIso, vapidKeys, type OutboundAddressPolicy } from '@hearth/core';
import { requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { pushEndpointQuery, pushSubscriptionBody } from '../schemas.ts';

/** A browser's subscription as it sends it (PushSubscription.toJSON()). */
interface SubscriptionBody {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

/**
 * Web Push (docs/protocol.md, "Notifications"): `GET /api/push` gives the key a browser subscribes
 * with; `POST /api/push/subscriptions` keeps the browser's subscription with this session (ending
 * the session ends it); `DELETE /api/push/subscriptions?endpoint=` forgets it. People only: bot
 * tokens never reach these (bot-auth.ts). The messaging service does the pushing.
 */
export function registerPushRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/push', async (request, reply) => {
    requireSignedIn(request);
    requirePush(deps);
    const { publicKey } = await vapidKeys(deps.store);
    return reply.header('cache-control', 'no-store').send({ publicKey });
  });

  app.post<{ Body: SubscriptionBody }>('/api/push/subscriptions', { schema: { body: pushSubscriptionBody } }, async (request, reply) => {
    const { user, session } = requireSignedIn(request);
    const { addressPolicy } = requirePush(deps);
    const { endpoint, keys } = request.body;
    refuseEndpoint(endpoint, addressPolicy);
    refuseKeys(keys);
    await deps.store.transaction((tx) =>
      tx.putPushSubscription({ endpoint, userId: user.id, sessionId: session.id, p256dh: keys.p256dh, auth: keys.auth, createdAt: nowIso() }),
    );
    return reply.code(201).send({ endpoint });
  });

  app.delete<{ Querystring: { endpoint: string } }>('/api/push/subscriptions', { schema: { querystring: pushEndpointQuery } }, async (request, reply) => {
    const { user } = requireSignedIn(request);
    const removed = await deps.store.transaction((tx) => tx.deletePushSubscription(user.id, request.query.endpoint));
    if (!removed) throw new HearthError('not_found', 'you have no push subscription at this endpoint', { field: 'endpoint' });
    return reply.code(204).send();
  });
}

function requirePush(deps: GatewayDeps): NonNullable<GatewayDeps['push']> {
  if (deps.push === null) throw new HearthError('push_disabled', 'push notifications are turned off on this Hearth');
  return deps.push;
}

/** An endpoint the messaging service would refuse to connect to is refused now, where the browser hears of it. */
function refuseEndpoint(endpoint: string, policy: OutboundAddressPolicy): void {
  if (!URL.canParse(endpoint)) throw new HearthError('invalid_request', 'endpoint is not a URL', { field: 'endpoint' });
  const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  const refusal = isIP(host) === 0 ? null : policy.refusal(host);
  if (refusal !== null) throw new HearthError('invalid_request', `endpoint is not a push service Hearth may reach: ${refusal}`, { field: 'endpoint' });
}

/** The browser's key must be a point on P-256 (uncompressed), its secret 16 bytes: anything else could never be encrypted to. */
function refuseKeys(keys: SubscriptionBody['keys']): void {
  try {
    ECDH.convertKey(Buffer.from(keys.p256dh, 'base64url'), 'prime256v1', undefined, undefined, 'uncompressed');
  } catch {
    throw new HearthError('invalid_request', 'keys.p256dh is not a P-256 public key', { field: 'keys.p256dh' });
  }
  if (Buffer.from(keys.auth, 'base64url').byteLength !== 16) throw new HearthError('invalid_request', 'keys.auth must be 16 bytes', { field: 'keys.auth' });
}
