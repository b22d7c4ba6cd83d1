import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, parseConfigFrom } from './config.ts';

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

  it("signs Web Push with the public URL where it is https, else a postmaster's address at its host, and turns push off when told", () => {
    assert.deepEqual(parse({ HEARTH_PUBLIC_URL: 'https://chat.example.com' }).push, { contact: 'https://chat.example.com' });
    assert.deepEqual(parse({}).push, { contact: 'mailto:postmaster@localhost' });
    assert.deepEqual(parse({ HEARTH_PUSH_CONTACT: 'mailto:ops@example.com' }).push, { contact: 'mailto:ops@example.com' });
    assert.equal(parse({ HEARTH_PUSH: 'false' }).push, null);
  });

  it('trims an idle process after 30 quiet seconds unless told another time, or 0 for never', () => {
    assert.equal(parse({}).idleTrimSeconds, 30);
    assert.equal(parse({ HEARTH_IDLE_TRIM_SECONDS: '0' }).idleTrimSeconds, 0);
    assert.equal(parse({ HEARTH_IDLE_TRIM_SECONDS: '5' }).idleTrimSeconds, 5);
  });

  it('honours the environment and the target flag in both spellings', () => {
    const config = parse({ HEARTH_HTTP_PORT: '9090', HEARTH_DATA_DIR: '/var/lib/hearth', HEARTH_PUBLIC_URL: 'https://chat.example.com/' }, ['--target', 'all']);
    assert.equal(config.http.port, 9090);
    assert.equal(config.store.type === 'sqlite' ? config.store.path : '', '/var/lib/hearth/hearth.db');
    assert.equal(config.http.publicUrl, 'https://chat.example.com');
    assert.equal(config.http.secureCookies, true);
    const shared = parse(
      {
        HEARTH_DATABASE_URL: 'postgres://db/hearth',
        HEARTH_NATS_URL: 'nats://a:4222, nats://b:4222',
        HEARTH_REDIS_URL: 'redis://r:6379',
        HEARTH_INSTANCE: 'acme',
      },
      ['--target=gateway'],
    );
    assert.equal(shared.target, 'gateway');
    assert.deepEqual(shared.store, { type: 'postgres', url: 'postgres://db/hearth', poolSize: 10 });
    assert.deepEqual(shared.bus, {
      type: 'nats',
      servers: ['nats://a:4222', 'nats://b:4222'],
      instance: 'acme',
      replayLimit: 10_000,
      streamReplicas: 1,
      streamMaxBytes: 0,
    });
    const replicated = parse(
      {
        HEARTH_DATABASE_URL: 'postgres://db/h',
        HEARTH_NATS_URL: 'nats://a:4222',
        HEARTH_REDIS_URL: 'redis://r',
        HEARTH_NATS_STREAM_REPLICAS: '3',
        HEARTH_NATS_STREAM_MAX_BYTES: '4026531840',
      },
      ['--target=messaging'],
    );
    assert.deepEqual(replicated.bus.type === 'nats' ? [replicated.bus.streamReplicas, replicated.bus.streamMaxBytes] : [], [3, 4026531840]);
    const authenticated = parse(
      { HEARTH_DATABASE_URL: 'postgres://db/h', HEARTH_NATS_URL: 'nats://hearth:p%40ss@a:4222,nats://hearth:p%40ss@b:4222', HEARTH_REDIS_URL: 'redis://r' },
      ['--target=messaging'],
    );
    assert.deepEqual(authenticated.bus.type === 'nats' ? [authenticated.bus.servers, authenticated.bus.credentials] : [], [
      ['nats://a:4222', 'nats://b:4222'],
      { user: 'hearth', pass: 'p@ss' },
    ]);
    assert.deepEqual(shared.ephemeral, { type: 'redis', url: 'redis://r:6379', instance: 'acme' });
    const sentinel = parse(
      { HEARTH_DATABASE_URL: 'postgres://db/h', HEARTH_NATS_URL: 'nats://a:4222', HEARTH_REDIS_URL: 'redis-sentinel://:p%40ss@s1:26379,10.0.0.2:26380/hearth' },
      ['--target=realtime'],
    );
    assert.deepEqual(sentinel.ephemeral.type === 'redis' ? sentinel.ephemeral.sentinel : undefined, {
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'hearth',
      password: 'p@ss',
    });
    assert.equal(parse({ HEARTH_TRUST_PROXY: '1' }).http.trustProxy, 1);
    assert.equal(parse({ HEARTH_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, '10.0.0.0/8, 127.0.0.1');
  });

  const refusals: Array<[Record<string, string>, string[], RegExp]> = [
    [{ HEARTH_HTTP_PORT: 'eighty' }, [], /^HEARTH_HTTP_PORT must be a whole number from 0 to 65535 \(got "eighty"\)$/],
    [{ HEARTH_HTTP_PORT: '70000' }, [], /^HEARTH_HTTP_PORT/],
    [
      { HEARTH_DATABASE_URL: 'postgres://db/h', HEARTH_NATS_URL: 'nats://a:4222', HEARTH_REDIS_URL: 'redis-sentinel://s1:26379' },
      ['--target=realtime'],
      /^HEARTH_REDIS_URL must be redis-sentinel:\/\/\[:password@\]host:port/,
    ],
    [
      { HEARTH_DATABASE_URL: 'postgres://db/h', HEARTH_NATS_URL: 'nats://a:4222', HEARTH_REDIS_URL: 'redis://r', HEARTH_NATS_STREAM_REPLICAS: '7' },
      ['--target=messaging'],
      /^HEARTH_NATS_STREAM_REPLICAS/,
    ],
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
    [{ HEARTH_NATS_URL: 'nats://u:secret@a:4222,nats://u:other@b:4222' }, [], /^HEARTH_NATS_URL names different users or passwords/],
    [{ HEARTH_NATS_URL: 'nats://u:secret@a:4222, http://b' }, [], /got "nats:\/\/u:\*\*\*@a:4222,http:\/\/b"/],
    [{ HEARTH_REDIS_URL: 'localhost:6379' }, [], /^HEARTH_REDIS_URL must be a redis:\/\//],
    [{}, ['--target=operator'], /^--target must be one of all, gateway, realtime, messaging \(got "operator"\)$/],
    [
      { HEARTH_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8, cluster.local' },
      [],
      /^HEARTH_WEBHOOK_ALLOWED_NETWORKS: "cluster.local" is not an IP address or a network/,
    ],
    [{ HEARTH_REQUEST_TIMEOUT_SECONDS: '0' }, [], /^HEARTH_REQUEST_TIMEOUT_SECONDS must be a whole number from 1/],
    [{ HEARTH_PUSH_CONTACT: 'http://chat.example.com' }, [], /^HEARTH_PUSH_CONTACT must be a mailto: or https: URL/],
    [{ HEARTH_IDLE_TRIM_SECONDS: '-1' }, [], /^HEARTH_IDLE_TRIM_SECONDS must be a whole number from 0/],
  ];
  for (const [env, argv, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')} with one line naming it`, () => {
      assert.throws(
        () => parse(env, argv),
        (error: unknown) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
      );
    });
  }
});

describe('parseConfig: sign-in and SSO', () => {
  const noSecret = { HEARTH_OIDC_ISSUER_URL: 'https://sso.acme.example/realms/acme', HEARTH_OIDC_CLIENT_ID: 'hearth' };
  const sso = { ...noSecret, HEARTH_OIDC_CLIENT_SECRET: 's3cret' };
  const files: Record<string, string> = { '/run/secrets/oidc': 'from-a-file\n', '/run/secrets/empty': '  \n' };
  const parseWith = (env: Record<string, string>) =>
    parseConfigFrom({
      env: { HEARTH_PUBLIC_URL: 'https://chat.acme.example', ...env },
      argv: [],
      cwd: '/srv',
      defaultWebDir: '/srv/web',
      readSecretFile: (file) => {
        const content = files[file];
        if (content === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
        return content;
      },
    });

  it('has no SSO, passwords for everyone and two-week idle, 90-day sessions by default', () => {
    const { auth } = parseWith({});
    assert.equal(auth.oidc, null);
    assert.equal(auth.passwordSignIn, 'enabled');
    assert.deepEqual(auth.sessions, { idleTimeoutMs: 14 * 24 * 3_600_000, maxAgeMs: 90 * 24 * 3_600_000 });
  });

  it('reads a complete SSO configuration, with redirect URIs from the public URL', () => {
    const { oidc } = parseWith({
      ...sso,
      HEARTH_OIDC_ADMIN_GROUPS: 'hearth-admins, /platform/sre',
      HEARTH_OIDC_SCOPES: 'openid email profile groups',
      HEARTH_OIDC_GROUPS_CLAIM: 'roles',
    }).auth;
    assert.deepEqual(oidc, {
      issuer: 'https://sso.acme.example/realms/acme',
      clientId: 'hearth',
      clientSecret: 's3cret',
      scopes: ['openid', 'email', 'profile', 'groups'],
      groupsClaim: 'roles',
      emailVerifiedClaim: 'email_verified',
      adminGroups: ['hearth-admins', '/platform/sre'],
      redirectUri: 'https://chat.acme.example/auth/oidc/callback',
      postLogoutRedirectUri: 'https://chat.acme.example/',
      buttonLabel: 'Sign in with SSO',
      allowInsecureIssuer: false,
    });
  });

  it('reads the client secret from a file, trimmed', () => {
    assert.equal(parseWith({ ...noSecret, HEARTH_OIDC_CLIENT_SECRET_FILE: '/run/secrets/oidc' }).auth.oidc?.clientSecret, 'from-a-file');
  });

  it('takes session lifetimes and the password policy from the environment', () => {
    const { auth } = parseWith({ ...sso, HEARTH_PASSWORD_SIGN_IN: 'admins', HEARTH_SESSION_IDLE_TIMEOUT_MINUTES: '30', HEARTH_SESSION_MAX_AGE_HOURS: '12' });
    assert.equal(auth.passwordSignIn, 'admins');
    assert.deepEqual(auth.sessions, { idleTimeoutMs: 30 * 60_000, maxAgeMs: 12 * 3_600_000 });
  });

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a client id alone',
      { HEARTH_OIDC_CLIENT_ID: 'hearth' },
      /^SSO is only partly configured: HEARTH_OIDC_ISSUER_URL, HEARTH_OIDC_CLIENT_SECRET \(or HEARTH_OIDC_CLIENT_SECRET_FILE\) are missing$/,
    ],
    ['no secret', noSecret, /^SSO is only partly configured: HEARTH_OIDC_CLIENT_SECRET \(or HEARTH_OIDC_CLIENT_SECRET_FILE\) is missing$/],
    ['admin groups alone', { HEARTH_OIDC_ADMIN_GROUPS: 'admins' }, /HEARTH_OIDC_ISSUER_URL, HEARTH_OIDC_CLIENT_ID, HEARTH_OIDC_CLIENT_SECRET/],
    ['both secret forms', { ...sso, HEARTH_OIDC_CLIENT_SECRET_FILE: '/run/secrets/oidc' }, /not both/],
    [
      'a missing secret file',
      { ...noSecret, HEARTH_OIDC_CLIENT_SECRET_FILE: '/run/secrets/nope' },
      /HEARTH_OIDC_CLIENT_SECRET_FILE cannot be read \(\/run\/secrets\/nope: ENOENT\)/,
    ],
    ['an empty secret file', { ...noSecret, HEARTH_OIDC_CLIENT_SECRET_FILE: '/run/secrets/empty' }, /HEARTH_OIDC_CLIENT_SECRET_FILE is empty/],
    ['a plain-http issuer', { ...sso, HEARTH_OIDC_ISSUER_URL: 'http://sso.acme.example' }, /HEARTH_OIDC_ISSUER_URL must be an https:\/\/ URL/],
    ['scopes without openid', { ...sso, HEARTH_OIDC_SCOPES: 'email profile' }, /HEARTH_OIDC_SCOPES must include openid/],
    ['passwords off without SSO', { HEARTH_PASSWORD_SIGN_IN: 'disabled' }, /HEARTH_PASSWORD_SIGN_IN=disabled needs SSO/],
    ['an unknown password policy', { HEARTH_PASSWORD_SIGN_IN: 'sometimes' }, /HEARTH_PASSWORD_SIGN_IN must be one of enabled, admins, disabled/],
    ['a too-short idle timeout', { HEARTH_SESSION_IDLE_TIMEOUT_MINUTES: '1' }, /HEARTH_SESSION_IDLE_TIMEOUT_MINUTES must be a whole number from 5/],
  ];
  for (const [what, env, message] of refusals) {
    it(`refuses ${what} with one line naming what to fix`, () =>
      assert.throws(
        () => parseWith(env),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      ));
  }
});
