import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { call, setUpAccount } from '@hearth/testing';
import { startTestServer } from './test-server.ts';

/** What every response carries, whatever it is (JSON, an error, a probe, a page), on every target's app. */
function assertSecurityHeaders(response: LightMyRequestResponse, what: string): void {
  const csp = String(response.headers['content-security-policy'] ?? '');
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: scripts only from Hearth's origin, none inline`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(response.headers['x-frame-options'], 'DENY', what);
}

describe('security headers', () => {
  it('are on every kind of response over http, without HSTS', async () => {
    const s = await startTestServer();
    try {
      const responses: Array<[string, LightMyRequestResponse]> = [
        ['an API answer', await call(s.app, 'GET', '/api/status')],
        ['a page', await call(s.app, 'GET', '/rooms/anything')],
        ['an unknown API path', await call(s.app, 'GET', '/api/nothing-here')],
        ['a refused body', await call(s.app, 'POST', '/api/setup', { body: '{not json' })],
        ['a probe', await call(s.app, 'GET', '/healthz')],
        ['the OpenAPI document', await call(s.app, 'GET', '/api/openapi.json')],
      ];
      for (const [what, response] of responses) {
        assertSecurityHeaders(response, what);
        assert.equal(response.headers['strict-transport-security'], undefined, `${what}: no HSTS over http`);
      }
    } finally {
      await s.stop();
    }
  });

  it('add HSTS, and Secure cookies, when Hearth is reached over TLS', async () => {
    const s = await startTestServer({ HEARTH_PUBLIC_URL: 'https://chat.acme.example' });
    try {
      const status = await call(s.app, 'GET', '/api/status');
      assertSecurityHeaders(status, 'an API answer');
      assert.equal(status.headers['strict-transport-security'], 'max-age=31536000');
      await setUpAccount(s.app);
      const signIn = await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: 'correct horse battery' } });
      assert.match(String(signIn.headers['set-cookie']), /; HttpOnly.*; Secure|; Secure.*; HttpOnly/);
      assert.match(String(signIn.headers['set-cookie']), /; SameSite=Lax/);
    } finally {
      await s.stop();
    }
  });
});
