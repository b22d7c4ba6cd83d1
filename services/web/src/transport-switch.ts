import type { SocketEvents, SocketLike } from './connection.ts';
import { choiceAfterAttempt, choiceForAttempt, initialTransportChoice, type Transport } from './transport-choice.ts';

/**
 * The connection's `openSocket` that picks the transport of each attempt (transport-choice.ts)
 * and tells the choice how the attempt ended. Both transports are SocketLikes, so the
 * connection's hello, resume map and back-off work the same on either, and across a switch:
 * every attempt resumes from what the page has applied, whichever transport carried it.
 */

export interface TransportSwitchDeps {
  openWebSocket(events: SocketEvents): SocketLike;
  openSse(events: SocketEvents): SocketLike;
  now(): number;
  /** The transport of each attempt, as it starts (the page shows it, for debugging). */
  onTransport(transport: Transport): void;
}

export function createTransportSwitch(deps: TransportSwitchDeps): (events: SocketEvents) => SocketLike {
  let choice = initialTransportChoice(deps.now());

  return function openSocket(events: SocketEvents): SocketLike {
    choice = choiceForAttempt(choice, deps.now());
    const transport = choice.transport;
    let heard = false;
    deps.onTransport(transport);
    const tracked: SocketEvents = {
      onOpen: () => events.onOpen(),
      onMessage(data) {
        heard = true;
        events.onMessage(data);
      },
      onClose(code) {
        // The connection has one socket at a time, so this attempt is the one `choice` was made for.
        choice = choiceAfterAttempt(choice, { heard, code, at: deps.now() });
        events.onClose(code);
      },
    };
    return transport === 'websocket' ? deps.openWebSocket(tracked) : deps.openSse(tracked);
  };
}
