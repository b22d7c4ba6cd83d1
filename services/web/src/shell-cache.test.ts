/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isStaleShellCache, routeRequest, SHELL_FILES, shellCacheName } from './shell-cache.ts';

const ORIGIN = 'https://chat.example.com';

test('which requests the worker answers: pages network-first, shell files from the cache, the rest left alone', () => {
  const cases = [
    { method: 'GET', url: `${ORIGIN}/`, mode: 'navigate', want: 'page' },
    { method: 'GET', url: `${ORIGIN}/rooms/r1`, mode: 'navigate', want: 'page' },
    { method: 'GET', url: `${ORIGIN}/app.js`, mode: 'cors', want: 'shell' },
    { method: 'GET', url: `${ORIGIN}/styles.css`, mode: 'no-cors', want: 'shell' },
    { method: 'GET', url: `${ORIGIN}/icons/icon-192.png`, mode: 'no-cors', want: 'shell' },
    { method: 'GET', url: `${ORIGIN}/manifest.webmanifest`, mode: 'cors', want: 'shell' },
    { method: 'GET', url: `${ORIGIN}/app.js?v=2`, mode: 'cors', want: 'network' },
    { method: 'GET', url: `${ORIGIN}/app.js.map`, mode: 'cors', want: 'network' },
    { method: 'GET', url: `${ORIGIN}/api/rooms`, mode: 'cors', want: 'network' },
    { method: 'GET', url: `${ORIGIN}/api/realtime/sse?resume=%7B%7D`, mode: 'cors', want: 'network' },
    // A navigation into the API (single sign-on's redirects) goes to the server, online or not.
    { method: 'GET', url: `${ORIGIN}/api/auth/oidc/start?returnTo=/`, mode: 'navigate', want: 'network' },
    { method: 'POST', url: `${ORIGIN}/`, mode: 'navigate', want: 'network' },
    { method: 'POST', url: `${ORIGIN}/api/rooms/r1/messages`, mode: 'cors', want: 'network' },
    { method: 'GET', url: 'https://elsewhere.example.com/app.js', mode: 'cors', want: 'network' },
  ] as const;
  for (const { want, ...request } of cases) assert.equal(routeRequest(request, ORIGIN), want, `${request.method} ${request.url} (${request.mode})`);
});

test('the shell is the page, its bundle and stylesheet, the manifest and its icons; never the API nor the source map', () => {
  assert.ok(SHELL_FILES.includes('/index.html') && SHELL_FILES.includes('/app.js') && SHELL_FILES.includes('/manifest.webmanifest'));
  assert.ok(SHELL_FILES.every((file) => !file.startsWith('/api/') && !file.endsWith('.map')));
});

test("on activation, only this worker's older caches go", () => {
  const current = shellCacheName('v2');
  assert.equal(current, 'hearth-shell-v2');
  assert.ok(isStaleShellCache('hearth-shell-v1', current));
  assert.ok(!isStaleShellCache(current, current));
  assert.ok(!isStaleShellCache('someone-else', current));
});
