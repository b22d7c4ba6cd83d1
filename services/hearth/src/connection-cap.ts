import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { HearthError, rawErrorResponse } from '@hearth/core';

/** How long a client over the cap is told to wait: about what an idle keep-alive socket takes to go. */
const RETRY_AFTER_S = 5;

/**
 * At most `cap` open connections per client address (0: no cap). A connection over it is answered
 * 429 rate_limited with Retry-After and closed before its request is read, so one address holding
 * sockets open (idle, or trickling requests the request timeout has not cut yet) cannot take all
 * of the server's. Only for clients that connect directly: behind a proxy every socket is the proxy's.
 */
export function capConnectionsPerAddress(server: Server, cap: number): void {
  if (cap === 0) return;
  const open = new Map<string, number>();
  // Prepended: the check runs before the HTTP parser is given the socket.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > cap) {
      const refusal = new HearthError('rate_limited', `more than ${cap} open connections from one address`, { retryAfter: RETRY_AFTER_S });
      socket.write(rawErrorResponse(refusal), () => socket.destroy());
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
