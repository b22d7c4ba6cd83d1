import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1EnvVar } from '@kubernetes/client-node';
import type { AuthSpec, HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import {
  authEnv,
  baseHearthEnv,
  buildHearthContainer,
  buildHearthPodSpec,
  filesEnv,
  sessionKeySecret,
  uploadBodyMiB,
  sessionSecretEnv,
  type HearthContainerOptions,
} from './hearth-container.ts';
import { envOf, hearthFixture } from './testing.ts';

const ctx = defaultTierContext;
const env = (variables: V1EnvVar[]): Record<string, string> => envOf({ name: 'hearth', env: variables });
const oidc = { issuerURL: 'https://sso.acme.example/realms/acme', clientID: 'hearth' };
const resources = { requests: { cpu: '100m', memory: '128Mi' } };
const options: HearthContainerOptions = { target: 'gateway', env: [{ name: 'A', value: '1' }], resources };

describe('baseHearthEnv', () => {
  it('sets the port, URL, instance and version, and what the ingress, tracing, webhooks and Web Push add', () => {
    const base = { HEARTH_HTTP_PORT: '8080', HEARTH_PUBLIC_URL: 'https://chat.acme.example', HEARTH_INSTANCE: 'acme', HEARTH_VERSION: '0.1.0' };
    const cases: { name: string; spec: HearthSpec; want: Record<string, string> }[] = [
      { name: 'nothing else', spec: {}, want: base },
      { name: 'another version', spec: { version: '0.3.1' }, want: { ...base, HEARTH_VERSION: '0.3.1' } },
      { name: 'behind an Ingress: trust one proxy', spec: { ingress: { host: 'chat.acme.example' } }, want: { ...base, HEARTH_TRUST_PROXY: '1' } },
      {
        name: 'traces to a collector',
        spec: { observability: { otlpEndpoint: 'http://otel:4318' } },
        want: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' },
      },
      {
        name: 'webhooks allowed on private networks',
        spec: { webhooks: { allowedNetworks: ['10.0.0.0/8', 'fd00::/8'] } },
        want: { ...base, HEARTH_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8,fd00::/8' },
      },
      { name: 'an empty list of networks: public only, left out', spec: { webhooks: { allowedNetworks: [] } }, want: base },
      { name: 'Web Push on (the default): left to Hearth', spec: { features: { webPush: true } }, want: base },
      { name: 'Web Push off', spec: { features: { webPush: false } }, want: { ...base, HEARTH_PUSH: 'false' } },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(env(baseHearthEnv(hearthFixture(spec), 'https://chat.acme.example', ctx)), want, name);
  });
});

describe('filesEnv', () => {
  it('turns files off unless the spec turns them on, and passes the limits given', () => {
    const cases: { name: string; spec: HearthSpec; storage: 'directory' | 'postgres'; want: Record<string, string>; bodyMiB: number | undefined }[] = [
      { name: 'no features block: off', spec: {}, storage: 'directory', want: { HEARTH_FILES_STORAGE: 'off' }, bodyMiB: undefined },
      { name: 'off', spec: { features: { files: false } }, storage: 'postgres', want: { HEARTH_FILES_STORAGE: 'off' }, bodyMiB: undefined },
      { name: 'on, on the volume', spec: { features: { files: true } }, storage: 'directory', want: { HEARTH_FILES_STORAGE: 'directory' }, bodyMiB: 26 },
      {
        name: 'on, in PostgreSQL, with limits',
        spec: { features: { files: true }, files: { maxSizeMiB: 100, allowedTypes: ['image/*', 'application/pdf'] } },
        storage: 'postgres',
        want: { HEARTH_FILES_STORAGE: 'postgres', HEARTH_FILES_MAX_BYTES: String(100 * 1024 * 1024), HEARTH_FILES_TYPES: 'image/*,application/pdf' },
        bodyMiB: 101,
      },
    ];
    for (const { name, spec, storage, want, bodyMiB } of cases) {
      assert.deepEqual(env(filesEnv(hearthFixture(spec), storage)), want, name);
      assert.equal(uploadBodyMiB(hearthFixture(spec)), bodyMiB, name);
    }
  });
});

describe('authEnv', () => {
  it('passes the OIDC settings that are given, and restricts passwords to administrators only with SSO', () => {
    const cases: { name: string; auth: AuthSpec | undefined; want: Record<string, string> }[] = [
      { name: 'no auth block', auth: undefined, want: {} },
      { name: 'passwords off without SSO: the CRD refuses it, nothing to say', auth: { local: { enabled: false } }, want: {} },
      { name: 'issuer and client only', auth: { oidc }, want: { HEARTH_OIDC_ISSUER_URL: oidc.issuerURL, HEARTH_OIDC_CLIENT_ID: 'hearth' } },
      {
        name: 'an http:// issuer let through',
        auth: { oidc: { ...oidc, allowInsecureIssuer: true } },
        want: { HEARTH_OIDC_ISSUER_URL: oidc.issuerURL, HEARTH_OIDC_CLIENT_ID: 'hearth', HEARTH_OIDC_ALLOW_INSECURE_ISSUER: 'true' },
      },
      {
        name: 'allowInsecureIssuer false, empty lists: left out',
        auth: { oidc: { ...oidc, allowInsecureIssuer: false, scopes: [], adminGroups: [] } },
        want: { HEARTH_OIDC_ISSUER_URL: oidc.issuerURL, HEARTH_OIDC_CLIENT_ID: 'hearth' },
      },
      {
        name: 'the client secret under its default key',
        auth: { oidc: { ...oidc, clientSecretRef: { name: 'hearth-oidc' } } },
        want: { HEARTH_OIDC_ISSUER_URL: oidc.issuerURL, HEARTH_OIDC_CLIENT_ID: 'hearth', HEARTH_OIDC_CLIENT_SECRET: 'secret:hearth-oidc/clientSecret' },
      },
      {
        name: 'everything, passwords for administrators',
        auth: {
          local: { enabled: false },
          oidc: {
            ...oidc,
            clientSecretRef: { name: 'hearth-oidc', key: 'secret' },
            groupsClaim: 'roles',
            emailVerifiedClaim: 'xms_edov',
            scopes: ['openid', 'email'],
            adminGroups: ['chat-admins', 'sre'],
          },
        },
        want: {
          HEARTH_OIDC_ISSUER_URL: oidc.issuerURL,
          HEARTH_OIDC_CLIENT_ID: 'hearth',
          HEARTH_OIDC_CLIENT_SECRET: 'secret:hearth-oidc/secret',
          HEARTH_OIDC_GROUPS_CLAIM: 'roles',
          HEARTH_OIDC_EMAIL_VERIFIED_CLAIM: 'xms_edov',
          HEARTH_OIDC_SCOPES: 'openid email',
          HEARTH_OIDC_ADMIN_GROUPS: 'chat-admins,sre',
          HEARTH_PASSWORD_SIGN_IN: 'admins',
        },
      },
      {
        name: 'passwords on beside SSO',
        auth: { local: { enabled: true }, oidc },
        want: { HEARTH_OIDC_ISSUER_URL: oidc.issuerURL, HEARTH_OIDC_CLIENT_ID: 'hearth' },
      },
    ];
    for (const { name, auth, want } of cases) assert.deepEqual(env(authEnv(hearthFixture(auth === undefined ? {} : { auth }))), want, name);
  });
});

describe('the session key', () => {
  it('is a generated Secret of 32 bytes, named after the Hearth, whichever the tier', () => {
    for (const tier of ['embedded', 'single', 'clustered'] as const) {
      const hearth = hearthFixture({ tier }, { name: 'globex' });
      assert.deepEqual(sessionKeySecret(hearth), {
        name: 'globex-session-key',
        component: 'session',
        keys: [{ key: 'key', bytes: 32, encoding: 'base64url', description: 'signs session cookies (HEARTH_SESSION_SECRET)' }],
      });
      assert.deepEqual(env([sessionSecretEnv(hearth)]), { HEARTH_SESSION_SECRET: 'secret:globex-session-key/key' }, tier);
    }
  });
});

describe('buildHearthContainer', () => {
  it('runs the target from the Hearth’s image, on port 8080, with the env, resources and mounts given', () => {
    const hearth = hearthFixture({ version: '0.2.0', image: { repository: 'registry.local/hearth', pullPolicy: 'Always' } });
    const container = buildHearthContainer(hearth, ctx, { ...options, target: 'realtime', volumeMounts: [{ name: 'data', mountPath: '/var/lib/hearth' }] });
    assert.deepEqual([container.name, container.image, container.imagePullPolicy], ['hearth', 'registry.local/hearth:0.2.0', 'Always']);
    assert.deepEqual(container.args, ['--target=realtime']);
    assert.equal(container.command, undefined, 'the image’s entrypoint is the hearth command');
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(container.env, [
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=8' },
      { name: 'A', value: '1' },
    ]);
    assert.equal(container.resources, resources);
    assert.deepEqual(container.volumeMounts, [
      { name: 'data', mountPath: '/var/lib/hearth' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  it('caps the young generation of the targets that hold the connections (realtime, all) only', () => {
    const nodeOptions = (target: 'all' | 'gateway' | 'realtime' | 'messaging') =>
      buildHearthContainer(hearthFixture({}), ctx, { ...options, target }).env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    assert.deepEqual((['all', 'gateway', 'realtime', 'messaging'] as const).map(nodeOptions), [
      '--max-semi-space-size=8',
      undefined,
      '--max-semi-space-size=8',
      undefined,
    ]);
  });

  it('mounts only /tmp when no volume is given', () => {
    assert.deepEqual(buildHearthContainer(hearthFixture({}), ctx, options).volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('waits for /healthz to start, restarts on it, and routes traffic on /readyz', () => {
    const container = buildHearthContainer(hearthFixture({}), ctx, options);
    const probes = { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe };
    assert.deepEqual(
      Object.entries(probes).map(([name, probe]) => [name, probe?.httpGet?.path, probe?.httpGet?.port, probe?.periodSeconds, probe?.failureThreshold]),
      [
        ['startup', '/healthz', 'http', 2, 90],
        ['liveness', '/healthz', 'http', 10, 3],
        ['readiness', '/readyz', 'http', 5, 3],
      ],
    );
    assert.deepEqual(container.lifecycle, { preStop: { sleep: { seconds: 5 } } });
    assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('buildHearthPodSpec', () => {
  it('runs the container as the image’s user, with no API token nor Service links, and /tmp beside the volumes given', () => {
    const container = buildHearthContainer(hearthFixture({}), ctx, options);
    const data = { name: 'data', persistentVolumeClaim: { claimName: 'c' } };
    const pod = buildHearthPodSpec(container, [data]);
    assert.deepEqual(pod.containers, [container]);
    assert.deepEqual(pod.volumes, [data, { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    assert.deepEqual([pod.securityContext?.runAsUser, pod.securityContext?.runAsGroup, pod.securityContext?.runAsNonRoot], [65532, 65532, true]);
    assert.deepEqual([pod.automountServiceAccountToken, pod.enableServiceLinks, pod.terminationGracePeriodSeconds], [false, false, 30]);
    assert.deepEqual(buildHearthPodSpec(container).volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
  });
});
