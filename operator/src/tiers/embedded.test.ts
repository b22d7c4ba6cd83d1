import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredEmbedded, embeddedSecrets, embeddedUrl } from './embedded.ts';
import { claimsOf, containerOf, envOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const ctx = defaultTierContext;

describe('desiredEmbedded', () => {
  it('builds these kinds and names', () => {
    const cases: { name: string; spec: HearthSpec; want: string[] }[] = [
      { name: 'no ingress', spec: {}, want: ['Service/acme', 'StatefulSet/acme'] },
      { name: 'with ingress', spec: { ingress: { host: 'chat.acme.example' } }, want: ['Service/acme', 'StatefulSet/acme', 'Ingress/acme'] },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(kindsAndNames(desiredEmbedded(hearthFixture(spec), ctx)), want, name);
  });

  it('runs one `hearth --target=all` with its data dir on a claim from the template', () => {
    const set = find(desiredEmbedded(hearthFixture({}), ctx), 'StatefulSet', 'acme');
    assert.equal(set.spec?.replicas, 1);
    assert.equal(set.spec?.serviceName, 'acme');
    const container = containerOf(set, 'hearth');
    assert.deepEqual(container.args, ['--target=all']);
    assert.equal(container.image, 'ghcr.io/hearth/hearth:0.1.0');
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(container.volumeMounts, [
      { name: 'data', mountPath: '/var/lib/hearth' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    assert.deepEqual(
      set.spec?.volumeClaimTemplates?.map((claim) => [claim.metadata?.name, claim.spec?.resources?.requests?.['storage']]),
      [['data', '10Gi']],
    );
    assert.deepEqual(set.spec?.selector.matchLabels, {
      'app.kubernetes.io/name': 'hearth',
      'app.kubernetes.io/instance': 'acme',
      'app.kubernetes.io/component': 'all',
    });
  });

  it('takes the claim size, class and retention from spec.storage', () => {
    const cases: { name: string; storage: HearthSpec['storage']; want: unknown[] }[] = [
      { name: 'defaults', storage: {}, want: ['10Gi', undefined, 'Retain'] },
      { name: 'size and class', storage: { size: '50Gi', storageClassName: 'fast' }, want: ['50Gi', 'fast', 'Retain'] },
      { name: 'a number of bytes', storage: { size: 1073741824 }, want: ['1073741824', undefined, 'Retain'] },
      { name: 'not retained', storage: { retainOnDelete: false }, want: ['10Gi', undefined, 'Delete'] },
    ];
    for (const { name, storage, want } of cases) {
      const set = find(desiredEmbedded(hearthFixture(storage === undefined ? {} : { storage }), ctx), 'StatefulSet', 'acme');
      const [claim] = claimsOf(set);
      const retention = set.spec?.persistentVolumeClaimRetentionPolicy;
      assert.deepEqual([claim?.size, claim?.storageClass, retention?.whenDeleted], want, name);
      assert.equal(retention?.whenScaled, 'Retain', name);
    }
  });

  it('sets these environment variables', () => {
    const base = {
      HEARTH_HTTP_PORT: '8080',
      HEARTH_PUBLIC_URL: 'http://acme.chat.svc',
      HEARTH_INSTANCE: 'acme',
      HEARTH_VERSION: '0.1.0',
      HEARTH_DATA_DIR: '/var/lib/hearth',
      HEARTH_SESSION_SECRET: 'secret:acme-session-key/key',
      HEARTH_FILES_STORAGE: 'off',
      // The one process holds the realtime connections (hearth-container.ts).
      NODE_OPTIONS: '--max-semi-space-size=8',
    };
    const cases: { name: string; spec: HearthSpec; want: Record<string, string> }[] = [
      {
        name: 'no ingress: the in-cluster URL; files off',
        spec: {},
        want: base,
      },
      {
        name: 'another version, and traces to a collector',
        spec: { version: '0.2.0', observability: { otlpEndpoint: 'http://otel-collector.monitoring:4318' } },
        want: { ...base, HEARTH_VERSION: '0.2.0', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.monitoring:4318' },
      },
      {
        name: 'ingress with TLS',
        spec: { ingress: { host: 'chat.acme.example', tlsSecretName: 'chat-tls' } },
        want: { ...base, HEARTH_PUBLIC_URL: 'https://chat.acme.example', HEARTH_TRUST_PROXY: '1' },
      },
      {
        name: 'SSO with passwords for administrators only (docs/sso.md)',
        spec: {
          auth: {
            local: { enabled: false },
            oidc: {
              issuerURL: 'https://sso.acme.example/realms/acme',
              clientID: 'hearth',
              clientSecretRef: { name: 'hearth-oidc', key: 'secret' },
              groupsClaim: 'roles',
              emailVerifiedClaim: 'xms_edov',
              scopes: ['openid', 'email', 'groups'],
              adminGroups: ['chat-admins', '/platform/sre'],
            },
          },
        },
        want: {
          ...base,
          HEARTH_OIDC_ISSUER_URL: 'https://sso.acme.example/realms/acme',
          HEARTH_OIDC_CLIENT_ID: 'hearth',
          HEARTH_OIDC_CLIENT_SECRET: 'secret:hearth-oidc/secret',
          HEARTH_OIDC_GROUPS_CLAIM: 'roles',
          HEARTH_OIDC_EMAIL_VERIFIED_CLAIM: 'xms_edov',
          HEARTH_OIDC_SCOPES: 'openid email groups',
          HEARTH_OIDC_ADMIN_GROUPS: 'chat-admins,/platform/sre',
          HEARTH_PASSWORD_SIGN_IN: 'admins',
        },
      },
    ];
    for (const { name, spec, want } of cases) {
      assert.deepEqual(envOf(containerOf(find(desiredEmbedded(hearthFixture(spec), ctx), 'StatefulSet', 'acme'))), want, name);
    }
  });

  it('keeps files on the volume when they are on, with the limits given', () => {
    const env = envOf(containerOf(find(desiredEmbedded(hearthFixture({ features: { files: true }, files: { maxSizeMiB: 10 } }), ctx), 'StatefulSet', 'acme')));
    assert.deepEqual(
      [env['HEARTH_FILES_STORAGE'], env['HEARTH_FILES_MAX_BYTES'], env['HEARTH_DATA_DIR']],
      ['directory', String(10 * 1024 * 1024), '/var/lib/hearth'],
    );
  });

  it('runs under the restricted pod security standard with probes and resources', () => {
    const set = find(desiredEmbedded(hearthFixture({}), ctx), 'StatefulSet', 'acme');
    const pod = podSpecOf(set);
    const container = containerOf(set);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    assert.deepEqual(
      [container.startupProbe?.httpGet?.path, container.livenessProbe?.httpGet?.path, container.readinessProbe?.httpGet?.path],
      ['/healthz', '/healthz', '/readyz'],
    );
    assert.deepEqual(container.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
  });

  it('serves port 80 from the pod port 8080', () => {
    const service = find(desiredEmbedded(hearthFixture({}), ctx), 'Service', 'acme');
    assert.deepEqual(service.spec?.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    assert.deepEqual(service.spec?.selector, find(desiredEmbedded(hearthFixture({}), ctx), 'StatefulSet', 'acme').spec?.selector.matchLabels);
  });

  it('routes the Ingress host to the Service, with class and TLS when given', () => {
    const cases: { name: string; ingress: NonNullable<HearthSpec['ingress']>; className: string | undefined; tls: unknown }[] = [
      { name: 'host only', ingress: { host: 'chat.acme.example' }, className: undefined, tls: undefined },
      {
        name: 'class and TLS',
        ingress: { host: 'chat.acme.example', className: 'nginx', tlsSecretName: 'chat-tls' },
        className: 'nginx',
        tls: [{ hosts: ['chat.acme.example'], secretName: 'chat-tls' }],
      },
    ];
    for (const { name, ingress, className, tls } of cases) {
      const object = find(desiredEmbedded(hearthFixture({ ingress }), ctx), 'Ingress', 'acme');
      assert.equal(object.spec?.ingressClassName, className, name);
      assert.deepEqual(object.spec?.tls, tls, name);
      assert.deepEqual(object.spec?.rules, [
        { host: 'chat.acme.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'acme', port: { name: 'http' } } } }] } },
      ]);
    }
  });

  it('a version change changes the image tag, and leaves the volume claim templates alone (they are immutable)', () => {
    const before = find(desiredEmbedded(hearthFixture({ version: '0.1.0' }), ctx), 'StatefulSet', 'acme');
    const after = find(desiredEmbedded(hearthFixture({ version: '0.2.0' }), ctx), 'StatefulSet', 'acme');
    assert.equal(containerOf(after).image, 'ghcr.io/hearth/hearth:0.2.0');
    assert.equal(after.metadata.labels['app.kubernetes.io/version'], '0.2.0');
    assert.deepEqual(after.spec?.volumeClaimTemplates, before.spec?.volumeClaimTemplates);
    assert.deepEqual(after.spec?.selector, before.spec?.selector);
  });

  it('takes the image repository and pull policy from the spec, else the operator defaults', () => {
    const cases: { name: string; spec: HearthSpec; want: [string | undefined, string | undefined] }[] = [
      {
        name: 'spec',
        spec: { image: { repository: 'registry.local/hearth', pullPolicy: 'Always' }, version: '1.0.0' },
        want: ['registry.local/hearth:1.0.0', 'Always'],
      },
      { name: 'no image block', spec: { image: {} }, want: ['ghcr.io/hearth/hearth:0.1.0', 'IfNotPresent'] },
    ];
    for (const { name, spec, want } of cases) {
      const container = containerOf(find(desiredEmbedded(hearthFixture(spec), { ...ctx, image: 'ghcr.io/hearth/hearth' }), 'StatefulSet', 'acme'));
      assert.deepEqual([container.image, container.imagePullPolicy], want, name);
    }
  });

  it('needs one generated Secret: the session key', () => {
    assert.deepEqual(embeddedSecrets(hearthFixture({})), [
      {
        name: 'acme-session-key',
        component: 'session',
        keys: [{ key: 'key', bytes: 32, encoding: 'base64url', description: 'signs session cookies (HEARTH_SESSION_SECRET)' }],
      },
    ]);
  });

  it('is reached at the Ingress host, else at its Service', () => {
    const cases: { spec: HearthSpec; want: string }[] = [
      { spec: {}, want: 'http://acme.chat.svc' },
      { spec: { ingress: { host: 'chat.acme.example' } }, want: 'http://chat.acme.example' },
      { spec: { ingress: { host: 'chat.acme.example', tlsSecretName: 't' } }, want: 'https://chat.acme.example' },
    ];
    for (const { spec, want } of cases) assert.equal(embeddedUrl(hearthFixture(spec)), want);
  });
});
