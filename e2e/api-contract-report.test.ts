import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractCounts } from './api-contract-report.ts';

/** `make api-contract`'s counts, from schemathesis's NDJSON events (the shape 4.x writes). */

function scenario(label: string, statuses: readonly number[], failedChecks: readonly string[] = []): string {
  const interactions = Object.fromEntries(statuses.map((status, i) => [`c${i}`, { request: {}, response: { status_code: status } }]));
  const checks = {
    c0: [{ name: 'not_a_server_error', status: 'success' }, ...failedChecks.map((name) => ({ name, status: 'failure' }))],
  };
  return JSON.stringify({ ScenarioFinished: { status: failedChecks.length > 0 ? 'failure' : 'success', recorder: { label, interactions, checks } } });
}

describe('contractCounts', () => {
  it('counts requests, operations and failures by kind', () => {
    const ndjson = [
      JSON.stringify({ Initialize: { schemathesis_version: '4.32.5' } }),
      scenario('GET /api/status', [200, 200, 400]),
      scenario('GET /api/status', [503], ['status_code_conformance']),
      scenario('POST /api/rooms', [201, 500], ['not_a_server_error', 'response_schema_conformance', 'content_type_conformance']),
      scenario('PUT /api/x', [405], ['allow_header_conformance']),
      '',
    ].join('\n');
    assert.deepEqual(contractCounts(ndjson), {
      requests: 7,
      operations: 3,
      serverErrors: 2,
      schemaViolations: 2,
      undocumentedStatuses: 1,
      otherFailures: 1,
      total: 6,
    });
  });

  it('is all zeros for a run without scenarios', () => {
    assert.equal(contractCounts('').total, 0);
    assert.equal(contractCounts('').requests, 0);
  });
});
