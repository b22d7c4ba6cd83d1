import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from './config.ts';

const parse = (env: Record<string, string>, argv: string[] = []) => parseConfig(env, argv, '/srv', '/srv/web');

describe('parseConfig', () => {
  it('defaults to the embedded tier on port 8080 with data in ./data', () => {
    const config = parse({});
    assert.equal(config.target, 'all');
    assert.equal(config.http.port, 8080);
    assert.equal(config.dataDir, '/srv/data');
    assert.equal(config.store.type, 'sqlite');
    assert.equal(config.http.publicUrl, 'http://localhost:8080');
    assert.equal(config.http.secureCookies, false);
    assert.equal(config.http.trustProxy, false);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits));
  });

  it('honours the environment and the target flag in both spellings', () => {
    const config = parse({ HEARTH_HTTP_PORT: '9090', HEARTH_DATA_DIR: '/var/lib/hearth', HEARTH_PUBLIC_URL: 'https://chat.example.com/' }, ['--target', 'all']);
    assert.equal(config.http.port, 9090);
    assert.equal(config.store.type === 'sqlite' ? config.store.path : '', '/var/lib/hearth/hearth.db');
    assert.equal(config.http.publicUrl, 'https://chat.example.com');
    assert.equal(config.http.secureCookies, true);
    assert.equal(parse({}, ['--target=gateway']).target, 'gateway');
    assert.equal(parse({ HEARTH_TRUST_PROXY: '1' }).http.trustProxy, 1);
    assert.equal(parse({ HEARTH_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, '10.0.0.0/8, 127.0.0.1');
  });

  const refusals: Array<[Record<string, string>, string[], RegExp]> = [
    [{ HEARTH_HTTP_PORT: 'eighty' }, [], /^HEARTH_HTTP_PORT must be a whole number from 0 to 65535 \(got "eighty"\)$/],
    [{ HEARTH_HTTP_PORT: '70000' }, [], /^HEARTH_HTTP_PORT/],
    [{ HEARTH_HTTP_PORT: '-1' }, [], /^HEARTH_HTTP_PORT/],
    [{ HEARTH_PUBLIC_URL: 'chat.example.com' }, [], /^HEARTH_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ HEARTH_PUBLIC_URL: 'ftp://x' }, [], /^HEARTH_PUBLIC_URL/],
    [{ HEARTH_SECURE_COOKIES: 'maybe' }, [], /^HEARTH_SECURE_COOKIES must be true or false/],
    [{ HEARTH_LOG_LEVEL: 'loud' }, [], /^HEARTH_LOG_LEVEL must be one of/],
    [{ HEARTH_INSTANCE: 'Acme Corp' }, [], /^HEARTH_INSTANCE must be a lower-case DNS label/],
    [{ HEARTH_TRUST_PROXY: 'the load balancer' }, [], /^HEARTH_TRUST_PROXY must be true, false, a hop count/],
    [{}, ['--target=operator'], /^--target must be one of all, gateway, realtime, messaging \(got "operator"\)$/],
  ];
  for (const [env, argv, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')} with one line naming it`, () => {
      assert.throws(() => parse(env, argv), (error: unknown) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'));
    });
  }
});
