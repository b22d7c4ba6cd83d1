import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES } from '@hearth/core';
import { call, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/**
 * /api/openapi.json as a contract, read from a whole Hearth: every operation lists each status it
 * can return, its errors in the one error schema, its successes with a body schema, and the query
 * limits the routes enforce. `make api-contract` (schemathesis) checks the answers against it.
 */

interface Media {
  readonly schema?: Record<string, unknown>;
}
interface Response {
  readonly content?: Record<string, Media>;
}
interface Operation {
  readonly responses: Record<string, Response>;
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly schema: Record<string, unknown> }[];
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, Record<string, unknown>> };
}

/** What any operation can answer (docs/protocol.md §2): refusals before routing, a bearer token's, size, a backend away. */
const ANY = [400, 401, 403, 408, 413, 414, 431, 503];

/** Written out here, apart from the server's own table, so a status dropped from either shows. */
const EXPECTED: Readonly<Record<string, readonly number[]>> = {
  'GET /api/status': [200],
  'POST /api/setup': [201, 409, 429],
  'POST /api/session': [200, 429],
  'GET /api/session': [200],
  'DELETE /api/session': [200, 204],
  'GET /api/sessions': [200],
  'DELETE /api/sessions/{sessionId}': [200, 204, 404],
  'POST /api/sessions/revoke-others': [200],
  'GET /api/push': [200],
  'POST /api/push/subscriptions': [201],
  'DELETE /api/push/subscriptions': [204, 404],
  'GET /api/join/{joinCode}': [200, 404],
  'POST /api/join/{joinCode}': [201, 404, 409, 429],
  'GET /api/users': [200],
  'GET /api/users/me': [200],
  'PATCH /api/users/{userId}': [200, 404, 409],
  'PUT /api/users/me/avatar': [200, 404, 415, 429],
  'DELETE /api/users/me/avatar': [200, 404],
  'GET /api/users/{userId}/avatar': [200, 304, 404],
  'GET /api/account': [200],
  'POST /api/account/join-code': [200, 409],
  'GET /api/presence': [200],
  'GET /api/rooms': [200],
  'POST /api/rooms': [201, 404, 409],
  'POST /api/rooms/direct': [200, 404, 409],
  'GET /api/rooms/{roomId}': [200, 404],
  'PATCH /api/rooms/{roomId}': [200, 404, 409],
  'PUT /api/rooms/{roomId}/members/{userId}': [200, 404, 409],
  'DELETE /api/rooms/{roomId}/members/{userId}': [204, 404, 409],
  'PATCH /api/rooms/{roomId}/membership': [200, 404, 409],
  'POST /api/rooms/{roomId}/typing': [204, 404],
  'GET /api/rooms/{roomId}/messages': [200, 404],
  'POST /api/rooms/{roomId}/messages': [201, 404, 409, 429],
  'GET /api/messages/{messageId}': [200, 404],
  'PATCH /api/messages/{messageId}': [200, 404, 409],
  'DELETE /api/messages/{messageId}': [200, 404, 409],
  'POST /api/messages/{messageId}/boosts': [201, 404, 409],
  'POST /api/rooms/{roomId}/files': [201, 404, 409, 415, 429],
  'GET /api/messages/{messageId}/file': [200, 404],
  'GET /api/messages/{messageId}/file/thumbnail': [200, 404],
  'DELETE /api/boosts/{boostId}': [204, 404, 409],
  'GET /api/search': [200],
  'POST /api/admin/bots': [201, 404, 409],
  'GET /api/admin/bots': [200],
  'POST /api/admin/bots/{botId}/tokens': [201, 404, 409],
  'GET /api/admin/bots/{botId}/tokens': [200, 404],
  'DELETE /api/admin/bots/{botId}/tokens/{tokenId}': [200, 404, 409],
  'POST /api/admin/bots/{botId}/webhook-secret': [200, 404],
  'GET /api/admin/audit': [200],
  'GET /api/admin/audit/export': [200],
  'GET /api/realtime/sse': [200],
};

function operationsOf(document: Document): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) operations.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return operations;
}

function queryParameter(operation: Operation | undefined, name: string): Record<string, unknown> | undefined {
  return operation?.parameters?.find((parameter) => parameter.in === 'query' && parameter.name === name)?.schema;
}

describe('the OpenAPI document', () => {
  let s: TestServer;
  let admin: TestSession;
  let document: Document;
  let operations: Map<string, Operation>;

  before(async () => {
    s = await startTestServer();
    admin = await setUpAccount(s.app);
    const response = await call(s.app, 'GET', '/api/openapi.json');
    assert.equal(response.statusCode, 200, response.body);
    document = response.json<Document>();
    operations = operationsOf(document);
  });
  after(() => stopAndAssertNo5xx(s));

  it('documents exactly the operations it is expected to', () => {
    assert.deepEqual([...operations.keys()].sort(), Object.keys(EXPECTED).sort());
  });

  it('lists every status each operation can return', () => {
    for (const [name, statuses] of Object.entries(EXPECTED)) {
      const documented = Object.keys(operations.get(name)?.responses ?? {}).map(Number);
      const expected = [...new Set([...statuses, ...ANY])].sort((a, b) => a - b);
      assert.deepEqual(
        documented.sort((a, b) => a - b),
        expected,
        `${name}'s statuses`,
      );
    }
  });

  it('gives every error the shared error schema, and every success with a body its schema', () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) {
          assert.deepEqual(response.content?.['application/json']?.schema, { $ref: '#/components/schemas/Error' }, `${name} ${status}`);
        } else if (status === '204') {
          assert.equal(response.content, undefined, `${name} 204 has no body`);
        } else {
          const media = Object.values(response.content ?? {});
          assert.ok(media.length > 0 && media.every((m) => m.schema !== undefined), `${name} ${status} has a body schema`);
        }
      }
    }
  });

  it('names every error code in the error schema', () => {
    const error = document.components.schemas['Error'] as { properties: { error: { properties: { code: { enum: string[] } } } } };
    assert.deepEqual(error.properties.error.properties.code.enum.sort(), Object.keys(ERROR_CODES).sort());
  });

  it('states the page limits the routes enforce, and the routes enforce them', async () => {
    const messagesLimit = queryParameter(operations.get('GET /api/rooms/{roomId}/messages'), 'limit');
    const auditLimit = queryParameter(operations.get('GET /api/admin/audit'), 'limit');
    assert.deepEqual(messagesLimit, { type: 'integer', minimum: 1, maximum: 100, default: 40 });
    assert.deepEqual(auditLimit, { type: 'integer', minimum: 1, maximum: 200, default: 50 });
    const rooms = await call(s.app, 'GET', '/api/rooms', { session: admin });
    const roomId = rooms.json<{ rooms: { id: string }[] }>().rooms[0]?.id ?? 'none';
    for (const [url, max] of [
      [`/api/rooms/${roomId}/messages`, 100],
      ['/api/admin/audit', 200],
    ] as const) {
      assert.equal((await call(s.app, 'GET', `${url}?limit=${max}`, { session: admin })).statusCode, 200, `${url} limit=${max}`);
      for (const refused of [0, max + 1]) {
        const response = await call(s.app, 'GET', `${url}?limit=${refused}`, { session: admin });
        assert.equal(response.statusCode, 400, `${url} limit=${refused}`);
        assert.equal(response.json<{ error: { field: string } }>().error.field, 'limit');
      }
    }
  });

  it('states that names and bodies may not be blank, and a blank one is refused naming the field (found by schemathesis)', async () => {
    const roomName = (document.paths['/api/rooms']?.['post'] as unknown as { requestBody: { content: Record<string, Media> } }).requestBody.content[
      'application/json'
    ]?.schema as { properties: { name: { pattern: string } } };
    assert.equal(roomName.properties.name.pattern, '\\S');
    const response = await call(s.app, 'POST', '/api/rooms', { session: admin, body: { kind: 'open', name: ' \t ' } });
    assert.equal(response.statusCode, 400, response.body);
    assert.deepEqual(response.json(), { error: { code: 'invalid_request', message: 'body name must not be blank', field: 'name' } });
  });

  it("states a message body's limit as configured (HEARTH_MAX_MESSAGE_CHARS), not the route's loose bound", () => {
    for (const [path, method] of [
      ['/api/rooms/{roomId}/messages', 'post'],
      ['/api/messages/{messageId}', 'patch'],
    ] as const) {
      const operation = document.paths[path]?.[method] as unknown as { requestBody: { content: Record<string, Media> } };
      const body = operation.requestBody.content['application/json']?.schema as { properties: { body: { maxLength: number } } };
      assert.equal(body.properties.body.maxLength, s.config.limits.messageChars, `${method} ${path}`);
    }
  });
});
