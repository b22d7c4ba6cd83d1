import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { errorOf, HearthClient, PASSWORD } from './client.ts';
import { freePort, MAIN_PATH, startHearth, type Hearth } from './harness.ts';
import { sleep } from './helpers.ts';
import { ADMIN_GROUP, ssoEnv, startTestProvider, type Tamper, type TestProvider } from './oidc-provider.ts';
import { CLOSE_CODES } from './protocol.ts';
import { connectWebSocket } from './realtime.ts';
import { SsoBrowser, type Visit } from './sso-browser.ts';

/**
 * Sign-in through a real OpenID provider (oidc-provider on a loopback port): provisioning and
 * roles from groups, every refusal the issue lists, back-channel and RP-initiated logout, the
 * password policy's break-glass path, key rotation, and the audit log of all of it.
 */

interface AuditLine {
  readonly action: string;
  readonly actorId: string | null;
  readonly targetId: string | null;
  readonly detail: Record<string, unknown>;
  readonly origin: { readonly ip: string; readonly userAgent: string } | null;
}

describe('single sign-on through an OpenID provider', () => {
  let provider: TestProvider;
  let hearth: Hearth;
  let owner: HearthClient;
  let firstSsoSignInAt = 0;

  before(async () => {
    provider = await startTestProvider({
      people: [
        { login: 'owner', email: 'owner@acme.test', name: 'Olive Owner', emailVerified: true, groups: [ADMIN_GROUP] },
        { login: 'alice', email: 'alice@acme.test', name: 'Alice Admin', emailVerified: true, groups: ['staff', ADMIN_GROUP] },
        { login: 'bob', email: 'bob@acme.test', name: 'Bob Member', emailVerified: true, groups: ['staff'] },
        { login: 'carol', email: 'carol@acme.test', name: 'Carol Unverified', emailVerified: false, groups: ['staff'] },
      ],
    });
    // Local passwords only for administrators: the break-glass path while SSO is on.
    hearth = await startHearth({ env: ssoEnv(provider, { HEARTH_PASSWORD_SIGN_IN: 'admins' }) });
    provider.registerHearth(hearth.url);
    owner = new HearthClient(hearth.url);
    await owner.setup('Acme', 'Olive Owner', 'owner@acme.test', PASSWORD);
  });
  after(async () => {
    await hearth?.stop();
    await provider?.stop();
  });

  /** Starts a sign-in and stops where the provider sends the browser back to Hearth. */
  async function reachCallback(browser: SsoBrowser, login: string, returnTo = '/'): Promise<string> {
    const isCallback = (next: string): boolean => next.startsWith(`${hearth.url}/auth/oidc/callback`);
    const start = await browser.follow(`${hearth.url}/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`, isCallback);
    // Already signed in at the provider: it sends the browser straight back.
    if (start.stoppedAt !== null) return start.stoppedAt;
    assert.equal(start.page.status, 200, `the provider's login page: ${start.page.body.slice(0, 200)}`);
    const back = await browser.logInAtProvider(start.page, login, isCallback);
    assert.ok(back.stoppedAt !== null, `the provider sent the browser back to Hearth (visited ${back.visited.join(' → ')})`);
    return back.stoppedAt;
  }

  /** The whole sign-in; returns the page Hearth answered the callback with and a client holding the session. */
  async function signIn(login: string, returnTo = '/'): Promise<{ browser: SsoBrowser; client: HearthClient; callback: Visit & { location: string | null } }> {
    const browser = new SsoBrowser();
    const callback = await browser.request(await reachCallback(browser, login, returnTo));
    const client = new HearthClient(hearth.url);
    for (const [name, value] of browser.cookies(hearth.url)) client.cookies.set(name, value);
    if (firstSsoSignInAt === 0 && callback.status === 302) firstSsoSignInAt = Date.now();
    return { browser, client, callback };
  }

  /** A refused sign-in: the status, the error code on Hearth's page, and no session cookie. */
  function assertRefused(callback: Visit, status: number, code: string, reason: RegExp): void {
    assert.equal(callback.status, status, `status for ${code}: ${callback.body.slice(0, 400)}`);
    assert.match(callback.body, new RegExp(`id="sso-error-code">${code}<`));
    assert.match(callback.body, reason);
    assert.ok(!callback.setCookies.includes('hearth_session'), 'no session cookie is set');
  }

  async function auditExport(admin: HearthClient): Promise<AuditLine[]> {
    const response = await admin.raw('GET', '/api/admin/audit/export');
    assert.equal(response.status, 200, response.text.slice(0, 300));
    assert.match(response.headers.get('content-type') ?? '', /ndjson/);
    return response.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditLine);
  }

  it('creates a new person on first sign-in through the login page, as a member, and lands them where they started', async () => {
    const { client, callback } = await signIn('bob', '/rooms/somewhere');
    assert.equal(callback.status, 302);
    assert.equal(callback.location, `${hearth.url}/rooms/somewhere`);
    const { user } = await client.session();
    assert.deepEqual({ name: user.name, email: user.email, role: user.role }, { name: 'Bob Member', email: 'bob@acme.test', role: 'member' });
    assert.ok(
      (await client.rooms()).some((room) => room.name === 'All Talk'),
      'a new person joins the open rooms',
    );
    // A second sign-in is the same user, not a new one.
    const again = await signIn('bob');
    assert.equal((await again.client.session()).user.id, user.id);
  });

  it('makes a member of the admin group an administrator, and demotes them at the next sign-in once removed from it', async () => {
    const first = await signIn('alice');
    const { user } = await first.client.session();
    assert.equal(user.role, 'administrator');
    assert.ok((await first.client.raw('GET', '/api/account')).json !== null);

    const alice = provider.people.get('alice');
    assert.ok(alice !== undefined);
    alice.groups = ['staff'];
    try {
      const second = await signIn('alice');
      const demoted = (await second.client.session()).user;
      assert.equal(demoted.id, user.id);
      assert.equal(demoted.role, 'member');
      assert.equal((await second.client.raw('POST', '/api/account/join-code', undefined)).status, 403, 'a demoted person can no longer act as administrator');
    } finally {
      alice.groups = ['staff', ADMIN_GROUP];
    }
    assert.equal((await (await signIn('alice')).client.session()).user.role, 'administrator');
  });

  it('links an existing local account by the email the provider verified, instead of creating a second user', async () => {
    const { client } = await signIn('owner');
    const { user } = await client.session();
    assert.equal(user.id, owner.userId);
    assert.equal((await owner.users()).filter((u) => u.email === 'owner@acme.test').length, 1);
  });

  it('refuses an answer whose state does not match the sign-in this browser started', async () => {
    const browser = new SsoBrowser();
    const callbackUrl = new URL(await reachCallback(browser, 'bob'));
    callbackUrl.searchParams.set('state', 'forged-state');
    assertRefused(await browser.request(callbackUrl.href), 401, 'sso_refused', /state mismatch/);
  });

  it('refuses a replayed answer and a replayed code', async () => {
    const browser = new SsoBrowser();
    const callbackUrl = await reachCallback(browser, 'bob');
    assert.equal((await browser.request(callbackUrl)).status, 302, 'the first use signs in');
    assertRefused(await browser.request(callbackUrl), 401, 'sso_refused', /state mismatch|already completed/);

    // The used code under a fresh sign-in's state: the state checks pass, the provider refuses the code.
    const fresh = new URL(await reachCallback(browser, 'bob'));
    fresh.searchParams.set('code', new URL(callbackUrl).searchParams.get('code') ?? '');
    assertRefused(await browser.request(fresh.href), 401, 'sso_refused', /invalid_grant/);
  });

  const tampered: Array<[Tamper, RegExp]> = [
    ['audience', /aud/],
    ['expired', /exp|timestamp/i],
    ['unknown-key', /key/i],
  ];
  for (const [tamper, reason] of tampered) {
    it(`refuses an ID token ${tamper === 'audience' ? 'for another audience' : tamper === 'expired' ? 'that has expired' : 'signed by a key the provider does not publish'}`, async () => {
      provider.tamper = tamper;
      try {
        const { callback } = await signIn('bob');
        assertRefused(callback, 401, 'sso_refused', reason);
      } finally {
        provider.tamper = 'none';
      }
    });
  }

  it('refuses a person whose email the provider has not verified, with a page that says so', async () => {
    const { callback } = await signIn('carol');
    assertRefused(callback, 403, 'sso_forbidden', /carol@acme\.test is not verified/);
    assert.ok(!(await owner.users()).some((u) => u.email === 'carol@acme.test'), 'no user was created');
  });

  it('says so when the provider cannot be reached, and starts no session', async () => {
    const deadIssuer = `http://127.0.0.1:${await freePort()}`;
    const orphan = await startHearth({ env: ssoEnv(provider, { HEARTH_OIDC_ISSUER_URL: deadIssuer }) });
    try {
      const browser = new SsoBrowser();
      const visit = await browser.request(`${orphan.url}/auth/oidc/start`);
      assertRefused(visit, 502, 'sso_unavailable', /could not be reached/);
      // Hearth itself stays up and ready: a provider outage must not take chat down.
      assert.equal((await fetch(`${orphan.url}/readyz`)).status, 200);
    } finally {
      await orphan.stop();
    }
  });

  it("ends the session and closes that person's WebSocket within 5 seconds of a back-channel logout", async () => {
    const { browser, client } = await signIn('bob');
    await client.session();
    const other = await signIn('bob'); // another browser of bob's: a separate provider session, which stays
    await other.client.session();
    const stream = connectWebSocket(hearth.url, { cookie: client.cookieHeader() });
    await stream.ready;
    const sentBefore = provider.logoutsSent.length;
    const signedOutAt = Date.now();
    await browser.logOutAtProvider(
      `${provider.issuer}/session/end?client_id=${provider.clientId}&post_logout_redirect_uri=${encodeURIComponent(`${hearth.url}/`)}`,
    );
    const closed = await Promise.race([stream.closed, sleep(5_000).then(() => null)]);
    assert.ok(closed !== null, 'the WebSocket closed within 5 s');
    assert.equal(closed.code, CLOSE_CODES.unauthenticated);
    assert.ok(Date.now() - signedOutAt < 5_000);
    assert.deepEqual(provider.logoutsSent.slice(sentBefore), [200], 'Hearth accepted the logout token');
    assert.equal((await client.raw('GET', '/api/session')).status, 401);
    assert.equal((await other.client.raw('GET', '/api/session')).status, 200, "bob's other provider session is untouched");
  });

  it('refuses a forged or replayed back-channel logout token', async () => {
    const post = (token: string) =>
      fetch(`${hearth.url}/auth/oidc/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `logout_token=${token}`,
      });
    const forged = await post('eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.');
    assert.equal(forged.status, 400);
    assert.equal(((await forged.json()) as { error: { field: string } }).error.field, 'logout_token');
    const missing = await fetch(`${hearth.url}/auth/oidc/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(missing.status, 400);
  });

  it('signs out locally and hands the browser the provider logout URL (RP-initiated logout)', async () => {
    const { client } = await signIn('bob');
    await client.session();
    const answer = await client.raw('DELETE', '/api/session');
    assert.equal(answer.status, 200);
    const logoutUrl = new URL((answer.json as { logoutUrl: string }).logoutUrl);
    assert.equal(`${logoutUrl.origin}${logoutUrl.pathname}`, `${provider.issuer}/session/end`);
    assert.equal(logoutUrl.searchParams.get('client_id'), provider.clientId);
    assert.equal(logoutUrl.searchParams.get('post_logout_redirect_uri'), `${hearth.url}/`);
    assert.equal((await client.raw('GET', '/api/session')).status, 401);
    // A password session has no provider to sign out of.
    const local = new HearthClient(hearth.url);
    await local.signIn('owner@acme.test', PASSWORD);
    assert.equal((await local.raw('DELETE', '/api/session')).status, 204);
  });

  it('keeps passwords for administrators only (break-glass) and refuses them to everyone else', async () => {
    const status = (await new HearthClient(hearth.url).raw('GET', '/api/status')).json as { signIn: { password: string; sso: { startUrl: string } } };
    assert.equal(status.signIn.password, 'admins');
    assert.equal(status.signIn.sso.startUrl, '/auth/oidc/start');

    const joinCode = await owner.joinCode();
    const joiner = await new HearthClient(hearth.url).raw('POST', `/api/join/${joinCode}`, { name: 'Dan', email: 'dan@acme.test', password: PASSWORD });
    assert.equal(joiner.status, 403);
    assert.equal(errorOf(joiner)?.code, 'password_sign_in_disabled');

    // The owner is an administrator with a password: break-glass works...
    const breakGlass = new HearthClient(hearth.url);
    await breakGlass.signIn('owner@acme.test', PASSWORD);
    // ...until their groups make them a member, when their password stops working too.
    const person = provider.people.get('owner');
    assert.ok(person !== undefined);
    person.groups = [];
    try {
      assert.equal((await (await signIn('owner')).client.session()).user.role, 'member');
      const refused = await new HearthClient(hearth.url).raw('POST', '/api/session', { email: 'owner@acme.test', password: PASSWORD });
      assert.equal(refused.status, 403);
      assert.equal(errorOf(refused)?.code, 'password_sign_in_disabled');
    } finally {
      person.groups = [ADMIN_GROUP];
    }
    assert.equal((await (await signIn('owner')).client.session()).user.role, 'administrator');
  });

  it('keeps signing people in after the provider rotates its signing key', async () => {
    // openid-client refetches the JWKS for an unknown key id once its copy is a minute old.
    const wait = firstSsoSignInAt + 61_000 - Date.now();
    if (wait > 0) await sleep(wait);
    await provider.rotateKeys();
    const { client, callback } = await signIn('bob');
    assert.equal(callback.status, 302, callback.body.slice(0, 300));
    assert.equal((await client.session()).user.email, 'bob@acme.test');
  });

  it('records every sign-in, refusal, role change and sign-out in the audit log export, with where it came from', async () => {
    const { client: alice } = await signIn('alice');
    await alice.session();
    const lines = await auditExport(alice);
    const actions = (action: string, match: (line: AuditLine) => boolean = () => true) => lines.filter((line) => line.action === action && match(line));
    const users = await alice.users();
    const idOf = (email: string): string => users.find((user) => user.email === email)?.id ?? `no user ${email}`;

    assert.ok(
      actions('user.created', (l) => l.targetId === idOf('bob@acme.test') && l.detail['via'] === 'sso').length === 1,
      'bob was created once, through SSO',
    );
    assert.ok(actions('auth.sign_in', (l) => l.actorId === idOf('bob@acme.test') && l.detail['method'] === 'sso').length >= 3);
    assert.ok(actions('auth.sign_in', (l) => l.actorId === owner.userId && l.detail['method'] === 'password').length >= 1, 'break-glass password sign-in');
    const roleChanges = actions('user.role_changed', (l) => l.targetId === idOf('alice@acme.test')).map((l) => [l.detail['from'], l.detail['to']]);
    assert.deepEqual(roleChanges, [
      ['administrator', 'member'],
      ['member', 'administrator'],
    ]);
    const failures = actions('auth.sign_in_failed').map((l) => `${String(l.detail['method'])}:${String(l.detail['code'] ?? l.detail['reason'])}`);
    for (const expected of ['sso:sso_refused', 'sso:sso_forbidden', 'password:passwords disabled']) {
      assert.ok(failures.includes(expected), `a failed sign-in ${expected} is recorded (got ${failures.join(', ')})`);
    }
    assert.ok(actions('auth.logout_from_provider', (l) => l.detail['sessionsEnded'] === 1).length >= 1, 'the back-channel logout');
    assert.ok(actions('auth.sign_out', (l) => l.actorId === idOf('bob@acme.test') && l.detail['sso'] === true).length >= 1);
    const bobSignIn = actions('auth.sign_in', (l) => l.actorId === idOf('bob@acme.test'))[0];
    assert.equal(bobSignIn?.origin?.ip, '127.0.0.1');
    assert.equal(bobSignIn?.origin?.userAgent, 'hearth-sso-test');
  });

  it('refuses to start with an incomplete SSO configuration, with one line naming what is missing', () => {
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HEARTH_HTTP_PORT: '0',
      HEARTH_OIDC_ISSUER_URL: provider.issuer,
      HEARTH_OIDC_ALLOW_INSECURE_ISSUER: 'true',
    };
    const run = spawnSync(process.execPath, [MAIN_PATH], { env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      'hearth: SSO is only partly configured: HEARTH_OIDC_CLIENT_ID, HEARTH_OIDC_CLIENT_SECRET (or HEARTH_OIDC_CLIENT_SECRET_FILE) are missing',
    ]);
  });
});
