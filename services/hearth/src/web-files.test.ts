import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '@hearth/testing';
import { startTestServer, type TestServer } from './test-server.ts';

/**
 * The built UI as the server hands it out, on a stand-in dist/: what installing the app and its
 * service worker need from the server (types, caching, a policy that lets the worker run).
 */
describe('the web UI files', () => {
  let webDir: string;
  let s: TestServer;

  before(async () => {
    webDir = await mkdtemp(path.join(tmpdir(), 'hearth-web-'));
    await mkdir(path.join(webDir, 'icons'));
    const files: Record<string, string> = {
      'index.html': '<!doctype html><title>Hearth</title>',
      'app.js': 'export {};',
      'sw.js': '"use strict";',
      'manifest.webmanifest': '{"name":"Hearth"}',
      'icons/icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    };
    await Promise.all(Object.entries(files).map(([name, text]) => writeFile(path.join(webDir, name), text)));
    s = await startTestServer({ HEARTH_WEB_DIR: webDir });
  });
  after(async () => {
    await s?.stop();
    await rm(webDir, { recursive: true, force: true });
  });

  it('the manifest is served as application/manifest+json, the icon as SVG', async () => {
    const manifest = await call(s.app, 'GET', '/manifest.webmanifest');
    assert.equal(manifest.statusCode, 200);
    assert.match(String(manifest.headers['content-type']), /^application\/manifest\+json/);
    const icon = await call(s.app, 'GET', '/icons/icon.svg');
    assert.match(String(icon.headers['content-type']), /^image\/svg\+xml/);
  });

  it('the service worker is JavaScript the browser must revalidate at every load; other files keep their caching', async () => {
    const worker = await call(s.app, 'GET', '/sw.js');
    assert.equal(worker.statusCode, 200);
    assert.match(String(worker.headers['content-type']), /^(text|application)\/javascript/);
    assert.equal(worker.headers['cache-control'], 'no-cache');
    const bundle = await call(s.app, 'GET', '/app.js');
    assert.notEqual(bundle.headers['cache-control'], 'no-cache');
  });

  it("the policy lets a worker and the manifest load from Hearth's own origin", async () => {
    const page = await call(s.app, 'GET', '/rooms/anything');
    assert.equal(page.statusCode, 200);
    const directives = new Map(
      String(page.headers['content-security-policy'])
        .split('; ')
        .map((d) => [d.split(' ')[0], d.split(' ').slice(1)] as const),
    );
    // With no worker-src nor manifest-src, script-src and default-src decide.
    assert.deepEqual(directives.get('worker-src') ?? directives.get('script-src'), ["'self'"]);
    assert.deepEqual(directives.get('manifest-src') ?? directives.get('default-src'), ["'self'"]);
  });
});
