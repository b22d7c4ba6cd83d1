/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  choiceAfterAttempt,
  choiceForAttempt,
  initialTransportChoice,
  isDrop,
  TRANSPORT_RULES,
  type AttemptEnd,
  type Transport,
  type TransportChoice,
} from './transport-choice.ts';

/** The transport of each attempt, when attempts end as listed (one attempt per end). */
function transportsOver(ends: readonly AttemptEnd[], start: TransportChoice = initialTransportChoice(0)): Transport[] {
  let choice = start;
  const used: Transport[] = [];
  for (const end of ends) {
    choice = choiceForAttempt(choice, end.at);
    used.push(choice.transport);
    choice = choiceAfterAttempt(choice, end);
  }
  return [...used, choiceForAttempt(choice, ends.at(-1)?.at ?? 0).transport];
}

const refused = (at: number): AttemptEnd => ({ heard: false, code: 1006, at });
const dropped = (at: number): AttemptEnd => ({ heard: true, code: 1006, at });
const closedBy = (code: number, at: number): AttemptEnd => ({ heard: true, code, at });

const cases: readonly { readonly name: string; readonly ends: readonly AttemptEnd[]; readonly transports: readonly Transport[] }[] = [
  { name: 'nothing ended: WebSocket', ends: [], transports: ['websocket'] },
  { name: 'one refused upgrade is not enough', ends: [refused(0)], transports: ['websocket', 'websocket'] },
  { name: 'two refused upgrades in a row: SSE', ends: [refused(0), refused(300)], transports: ['websocket', 'websocket', 'sse'] },
  {
    name: 'a connection that worked between two refusals starts the count over',
    ends: [refused(0), closedBy(1001, 300), refused(600)],
    transports: ['websocket', 'websocket', 'websocket', 'websocket'],
  },
  {
    name: 'three drops of working connections within a minute: SSE',
    ends: [dropped(0), dropped(20_000), dropped(59_999)],
    transports: ['websocket', 'websocket', 'websocket', 'sse'],
  },
  {
    name: 'three drops spread over more than a minute: still WebSocket',
    ends: [dropped(0), dropped(30_000), dropped(60_000), dropped(120_001)],
    transports: ['websocket', 'websocket', 'websocket', 'websocket', 'websocket'],
  },
  {
    name: 'closes the server means (restart, unavailable, too slow) are no drops',
    ends: [closedBy(1001, 0), closedBy(1013, 1_000), closedBy(4429, 2_000), closedBy(1000, 3_000)],
    transports: ['websocket', 'websocket', 'websocket', 'websocket', 'websocket'],
  },
  {
    name: 'SSE stays while it works and when it drops',
    ends: [refused(0), refused(300), dropped(1_000), dropped(2_000), dropped(3_000), closedBy(1001, 4_000)],
    transports: ['websocket', 'websocket', 'sse', 'sse', 'sse', 'sse', 'sse'],
  },
  {
    name: 'SSE failing to open twice in a row too: the server is down, WebSocket again',
    ends: [refused(0), refused(300), refused(1_000), refused(2_000)],
    transports: ['websocket', 'websocket', 'sse', 'sse', 'websocket'],
  },
  {
    name: 'WebSocket again at the first reconnect after a long while on SSE, and back to SSE if still refused',
    ends: [
      refused(0),
      refused(1),
      dropped(TRANSPORT_RULES.retryWebSocketAfterMs),
      refused(TRANSPORT_RULES.retryWebSocketAfterMs + 1),
      refused(TRANSPORT_RULES.retryWebSocketAfterMs + 2),
    ],
    transports: ['websocket', 'websocket', 'sse', 'websocket', 'websocket', 'sse'],
  },
];

for (const { name, ends, transports } of cases) {
  test(`transport choice: ${name}`, () => {
    assert.deepEqual(transportsOver(ends), transports);
  });
}

test('a close with a deliberate code is no drop; one with none, or an unknown one, is', () => {
  assert.deepEqual([1000, 1001, 1013, 4001, 4400, 4408, 4429].map(isDrop), [false, false, false, false, false, false, false]);
  assert.deepEqual([1006, 1005, 1011, 1002].map(isDrop), [true, true, true, true]);
});

test('a working SSE stream is never cut to retry WebSocket: the retry waits for an attempt', () => {
  let choice = initialTransportChoice(0);
  choice = choiceAfterAttempt(choice, refused(0));
  choice = choiceAfterAttempt(choice, refused(1));
  assert.equal(choice.transport, 'sse');
  assert.equal(choice.since, 1);
  assert.equal(choiceForAttempt(choice, TRANSPORT_RULES.retryWebSocketAfterMs).transport, 'sse');
  assert.equal(choiceForAttempt(choice, TRANSPORT_RULES.retryWebSocketAfterMs + 1).transport, 'websocket');
});
