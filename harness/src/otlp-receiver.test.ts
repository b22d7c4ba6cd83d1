import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExportRequest } from './otlp-receiver.ts';

const trace = 'a'.repeat(32);
const span = (spanId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ traceId: trace, spanId, name: `span ${spanId}`, ...extra });
const resource = (service: string, scopes: Record<string, unknown>[]): Record<string, unknown> => ({
  resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
  scopeSpans: scopes,
});

describe('parseExportRequest', () => {
  it('flattens resources and scopes in the order they came, each span with its resource and scope', () => {
    const spans = parseExportRequest({
      resourceSpans: [
        resource('gateway', [
          { scope: { name: 'http' }, spans: [span('1'.repeat(16)), span('2'.repeat(16))] },
          { scope: { name: 'pg' }, spans: [span('3'.repeat(16))] },
        ]),
        resource('realtime', [{ spans: [span('4'.repeat(16))] }]),
      ],
    });
    assert.deepEqual(
      spans.map((s) => [s.spanId[0], s.resource['service.name'], s.scope]),
      [
        ['1', 'gateway', 'http'],
        ['2', 'gateway', 'http'],
        ['3', 'gateway', 'pg'],
        ['4', 'realtime', ''],
      ],
    );
  });

  const parents: readonly (readonly [string, unknown, string | null])[] = [
    ['absent', undefined, null],
    ['empty', '', null],
    ['given', 'b'.repeat(16), 'b'.repeat(16)],
  ];
  for (const [what, parentSpanId, want] of parents) {
    it(`reads a parent span id that is ${what}`, () => {
      const [parsed] = parseExportRequest({ resourceSpans: [resource('s', [{ spans: [span('1'.repeat(16), { parentSpanId })] }])] });
      assert.equal(parsed?.parentSpanId, want);
    });
  }

  const refused: readonly (readonly [string, unknown])[] = [
    ['not an object', 'spans'],
    ['null', null],
    ['a trace id in upper case', { resourceSpans: [resource('s', [{ spans: [{ traceId: 'A'.repeat(32), spanId: '1'.repeat(16), name: 'x' }] }])] }],
    ['a short span id', { resourceSpans: [resource('s', [{ spans: [span('1'.repeat(15))] }])] }],
  ];
  for (const [what, json] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => parseExportRequest(json)));
  }

  it('reads an empty request as no spans', () => {
    assert.deepEqual(parseExportRequest({}), []);
  });
});
