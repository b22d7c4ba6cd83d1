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
    const shared = parse(
      { HEARTH_DATABASE_URL: 'postgres://db/hearth', HEARTH_NATS_URL: 'nats://a:4222, nats://b:4222', HEARTH_REDIS_URL: 'redis://r:6379', HEARTH_INSTANCE: 'acme' },
      ['--target=gateway'],
    );
    assert.equal(shared.target, 'gateway');
    assert.deepEqual(shared.store, { type: 'postgres', url: 'postgres://db/hearth', poolSize: 10 });
    assert.deepEqual(shared.bus, { type: 'nats', servers: ['nats://a:4222', 'nats://b:4222'], instance: 'acme', replayLimit: 10_000 });
    assert.deepEqual(shared.ephemeral, { type: 'redis', url: 'redis://r:6379', instance: 'acme' });
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
    [{}, ['--target=gateway'], /^HEARTH_DATABASE_URL must be set: --target=gateway runs as a separate service/],
    [{ HEARTH_DATABASE_URL: 'postgres://db/hearth' }, ['--target=messaging'], /^HEARTH_NATS_URL must be set/],
    [{ HEARTH_DATABASE_URL: 'postgres://db/hearth', HEARTH_NATS_URL: 'nats://n:4222' }, ['--target=realtime'], /^HEARTH_REDIS_URL must be set/],
    [{ HEARTH_DATABASE_URL: 'mysql://db' }, [], /^HEARTH_DATABASE_URL must be a postgres:\/\/ URL$/],
    [{ HEARTH_NATS_URL: 'http://n:4222' }, [], /^HEARTH_NATS_URL must be one or more/],
    [{ HEARTH_REDIS_URL: 'localhost:6379' }, [], /^HEARTH_REDIS_URL must be a redis:\/\//],
    [{}, ['--target=operator'], /^--target must be one of all, gateway, realtime, messaging \(got "operator"\)$/],
  ];
  for (const [env, argv, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')} with one line naming it`, () => {
      assert.throws(() => parse(env, argv), (error: unknown) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'));
    });
  }
});
