import type { GatewayDeps } from './deps.ts';

/**
 * Ends sessions everywhere at once, the one way sign-out and the signed-in devices page both do:
 * gone from the store and this process's cache, then a session.ended signal for each, which drops
 * it from every other process's cache and closes its realtime streams (WebSocket and SSE) with
 * `unauthenticated`. The signal goes out before the request is answered, so by the time the
 * client hears "done", no process will take the session again.
 */
export async function endSession(deps: GatewayDeps, sessionId: string): Promise<void> {
  await deps.sessions.revoke(sessionId);
  await deps.bus.publishSignal({ type: 'session.ended', sessionId, at: new Date().toISOString() });
}

/** Every session of the person but `keepSessionId`, ended as endSession ends one; returns how many. */
export async function endOtherSessions(deps: GatewayDeps, userId: string, keepSessionId: string): Promise<number> {
  const ended = await deps.sessions.revokeOthers(userId, keepSessionId);
  const at = new Date().toISOString();
  for (const sessionId of ended) await deps.bus.publishSignal({ type: 'session.ended', sessionId, at });
  return ended.length;
}
