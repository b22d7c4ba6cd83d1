import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { desiredSingle, singleSecrets, singleUrl } from './single.ts';
import { containerOf, envOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const ctx = defaultTierContext;
const single = (spec: HearthSpec = {}): DesiredObject[] => desiredSingle(hearthFixture({ tier: 'single', ...spec }), ctx);
const external = (name: string) => ({ external: { secretRef: { name } } });

const bundled = [
  'NetworkPolicy/acme-postgres',
  'Service/acme-postgres',
  'StatefulSet/acme-postgres',
  'NetworkPolicy/acme-nats',
  'Service/acme-nats',
  'StatefulSet/acme-nats',
  'NetworkPolicy/acme-redis',
  'Service/acme-redis',
  'StatefulSet/acme-redis',
];
const services = ['Deployment/acme-gateway', 'Service/acme-gateway', 'Deployment/acme-realtime', 'Service/acme-realtime', 'Deployment/acme-messaging'];

/** The pod half of the restricted Pod Security Standard, and no API token. */
function assertRestrictedPod(pod: V1PodSpec, name: string): void {
  assert.equal(pod.securityContext?.runAsNonRoot, true, name);
  assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, name);
  assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', name);
  assert.equal(pod.automountServiceAccountToken, false, name);
}

/** The container half of the restricted Pod Security Standard, probes, and a memory request. */
function assertRestrictedContainer(container: V1Container, name: string): void {
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true, name);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false, name);
  assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], name);
  assert.ok(container.readinessProbe !== undefined && container.livenessProbe !== undefined, `${name} has probes`);
  assert.ok(container.resources?.requests?.['memory'] !== undefined, `${name} requests memory`);
}

describe('desiredSingle', () => {
  it('builds these kinds and names', () => {
    const cases: { name: string; spec: HearthSpec; want: string[] }[] = [
      { name: 'bundled backends, no ingress', spec: {}, want: [...bundled, ...services] },
      { name: 'bundled backends and ingress', spec: { ingress: { host: 'chat.globex.example' } }, want: [...bundled, ...services, 'Ingress/acme'] },
      { name: 'external PostgreSQL', spec: { database: external('pg') }, want: [...bundled.slice(3), ...services] },
      { name: 'external NATS', spec: { nats: external('nats') }, want: [...bundled.slice(0, 3), ...bundled.slice(6), ...services] },
      { name: 'external Redis', spec: { redis: external('redis') }, want: [...bundled.slice(0, 6), ...services] },
      { name: 'all external', spec: { database: external('pg'), nats: external('nats'), redis: external('redis') }, want: services },
      {
        name: 'an autoscaled gateway',
        spec: { services: { gateway: { autoscaling: { maxReplicas: 5 } } } },
        want: [...bundled, 'Deployment/acme-gateway', 'Service/acme-gateway', 'HorizontalPodAutoscaler/acme-gateway', ...services.slice(2)],
      },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(kindsAndNames(single(spec)), want, name);
  });

  it('sets these environment variables on each service', () => {
    const bundledUrls = {
      DATABASE_PASSWORD: 'secret:acme-postgres-credentials/password',
      HEARTH_DATABASE_URL: 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres:5432/hearth',
      NATS_PASSWORD: 'secret:acme-nats-credentials/password',
      HEARTH_NATS_URL: 'nats://hearth:$(NATS_PASSWORD)@acme-nats:4222',
      // Three quarters of the default 5Gi volume.
      HEARTH_NATS_STREAM_MAX_BYTES: '4026531840',
      REDIS_PASSWORD: 'secret:acme-redis-credentials/password',
      HEARTH_REDIS_URL: 'redis://:$(REDIS_PASSWORD)@acme-redis:6379',
    };
    const base = { HEARTH_HTTP_PORT: '8080', HEARTH_PUBLIC_URL: 'http://acme-gateway.chat.svc', HEARTH_INSTANCE: 'acme', HEARTH_VERSION: '0.1.0' };
    const sso: HearthSpec = {
      auth: {
        oidc: { issuerURL: 'https://sso.acme.example/realms/acme', clientID: 'hearth', clientSecretRef: { name: 'hearth-oidc' }, adminGroups: ['chat-admins'] },
      },
    };
    const off = { HEARTH_FILES_STORAGE: 'off' };
    // Realtime holds the connections (hearth-container.ts).
    const connectionHolder = { NODE_OPTIONS: '--max-semi-space-size=8' };
    const cases: { name: string; spec: HearthSpec; service: string; want: Record<string, string> }[] = [
      { name: 'messaging, bundled', spec: {}, service: 'acme-messaging', want: { ...base, ...off, ...bundledUrls } },
      {
        name: 'messaging, tracing to a collector',
        spec: { observability: { otlpEndpoint: 'https://otel.example:4318' } },
        service: 'acme-messaging',
        want: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4318', ...off, ...bundledUrls },
      },
      {
        name: 'gateway, bundled: also the session key',
        spec: {},
        service: 'acme-gateway',
        want: { ...base, HEARTH_SESSION_SECRET: 'secret:acme-session-key/key', ...off, ...bundledUrls },
      },

      {
        name: 'realtime behind an ingress',
        spec: { ingress: { host: 'chat.globex.example', tlsSecretName: 'tls' } },
        service: 'acme-realtime',
        want: {
          ...base,
          HEARTH_PUBLIC_URL: 'https://chat.globex.example',
          HEARTH_TRUST_PROXY: '1',
          HEARTH_SESSION_SECRET: 'secret:acme-session-key/key',
          ...bundledUrls,
          ...connectionHolder,
        },
      },
      {
        name: 'gateway with SSO: the OIDC settings and client secret',
        spec: sso,
        service: 'acme-gateway',
        want: {
          ...base,
          HEARTH_SESSION_SECRET: 'secret:acme-session-key/key',
          HEARTH_OIDC_ISSUER_URL: 'https://sso.acme.example/realms/acme',
          HEARTH_OIDC_CLIENT_ID: 'hearth',
          HEARTH_OIDC_CLIENT_SECRET: 'secret:hearth-oidc/clientSecret',
          HEARTH_OIDC_ADMIN_GROUPS: 'chat-admins',
          ...off,
          ...bundledUrls,
        },
      },
      {
        name: 'realtime with SSO: none of it (it serves no sign-in)',
        spec: sso,
        service: 'acme-realtime',
        want: { ...base, HEARTH_SESSION_SECRET: 'secret:acme-session-key/key', ...bundledUrls, ...connectionHolder },
      },
      { name: 'messaging with SSO: none of it', spec: sso, service: 'acme-messaging', want: { ...base, ...off, ...bundledUrls } },
      {
        name: 'messaging, all external',
        spec: { database: external('pg'), nats: external('nats'), redis: external('redis') },
        service: 'acme-messaging',
        want: { ...base, ...off, HEARTH_DATABASE_URL: 'secret:pg/url', HEARTH_NATS_URL: 'secret:nats/url', HEARTH_REDIS_URL: 'secret:redis/url' },
      },
    ];
    for (const { name, spec, service, want } of cases) assert.deepEqual(envOf(containerOf(find(single(spec), 'Deployment', service))), want, name);
  });

  it('keeps files in PostgreSQL, telling the gateway and messaging (which take and delete them) and not realtime', () => {
    const storage = (service: string): string | undefined =>
      envOf(containerOf(find(single({ features: { files: true } }), 'Deployment', service)))['HEARTH_FILES_STORAGE'];
    assert.deepEqual(['acme-gateway', 'acme-messaging', 'acme-realtime'].map(storage), ['postgres', 'postgres', undefined]);
  });

  it('defines every $(VAR) before the variable that uses it', () => {
    for (const deployment of single().filter((object) => object.kind === 'Deployment')) {
      const seen = new Set<string>();
      for (const variable of containerOf(deployment).env ?? []) {
        for (const [, used] of (variable.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)) assert.ok(seen.has(used ?? ''), `${variable.name} uses ${used}`);
        seen.add(variable.name);
      }
    }
  });

  it('runs each service with its target, replicas and resources', () => {
    const spec: HearthSpec = {
      services: {
        gateway: { replicas: 2, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: 536870912 } } },
        realtime: { replicas: 3 },
        messaging: { autoscaling: { minReplicas: 2, maxReplicas: 6 } },
      },
    };
    const cases = [
      { service: 'gateway', replicas: 2, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '536870912' } } },
      { service: 'realtime', replicas: 3, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
      // The autoscaler sets the count: the Deployment leaves it out.
      { service: 'messaging', replicas: undefined, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
    ];
    for (const { service, replicas, resources } of cases) {
      const deployment = find(single(spec), 'Deployment', `acme-${service}`);
      assert.equal(deployment.spec?.replicas, replicas, service);
      assert.deepEqual(containerOf(deployment).args, [`--target=${service}`], service);
      assert.deepEqual(containerOf(deployment).resources, resources, service);
    }
  });

  it('takes the replicas from tierDefaults when the spec leaves them out', () => {
    for (const service of ['gateway', 'realtime', 'messaging']) assert.equal(find(single(), 'Deployment', `acme-${service}`).spec?.replicas, 1, service);
  });

  it('scales an autoscaled service on CPU between its bounds', () => {
    const autoscaler = find(
      single({ services: { realtime: { autoscaling: { maxReplicas: 8, targetCPUUtilizationPercentage: 60 } } } }),
      'HorizontalPodAutoscaler',
      'acme-realtime',
    );
    assert.deepEqual(autoscaler.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'acme-realtime' },
      minReplicas: 1,
      maxReplicas: 8,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
  });

  it('routes /api/realtime/ to realtime and the rest to the gateway', () => {
    const ingress = find(single({ ingress: { host: 'chat.globex.example', className: 'nginx' } }), 'Ingress', 'acme');
    assert.equal(ingress.spec?.ingressClassName, 'nginx');
    assert.deepEqual(
      ingress.spec?.rules?.[0]?.http?.paths.map((path) => [path.path, path.pathType, path.backend.service?.name, path.backend.service?.port?.name]),
      [
        ['/api/realtime/', 'Prefix', 'acme-realtime', 'http'],
        ['/', 'Prefix', 'acme-gateway', 'http'],
      ],
    );
    assert.equal(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'], '3600');
  });

  it('runs every pod, Hearth or backend, under the restricted pod security standard', () => {
    for (const workload of single().filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet')) {
      const pod = podSpecOf(workload);
      assertRestrictedPod(pod, workload.metadata.name);
      for (const container of pod.containers) assertRestrictedContainer(container, workload.metadata.name);
    }
  });

  it('probes each Hearth service on /healthz and /readyz', () => {
    for (const service of ['gateway', 'realtime', 'messaging']) {
      const container = containerOf(find(single(), 'Deployment', `acme-${service}`));
      assert.deepEqual([container.livenessProbe?.httpGet?.path, container.readinessProbe?.httpGet?.path], ['/healthz', '/readyz'], service);
    }
  });

  it('runs the bundled backends from their official images, with their data where it belongs', () => {
    const objects = single({ storage: { storageClassName: 'fast' }, database: { storage: { size: '20Gi' } }, nats: { storage: { size: '2Gi' } } });
    const cases = [
      { name: 'acme-postgres', image: 'postgres:15.18', claims: [['data', '20Gi', 'fast']], mount: '/var/lib/postgresql/data', port: 5432 },
      { name: 'acme-nats', image: 'nats:2.15.3', claims: [['data', '2Gi', 'fast']], mount: '/data', port: 4222 },
      // Redis keeps nothing worth a volume.
      { name: 'acme-redis', image: 'redis:7.0.15', claims: [], mount: '/data', port: 6379 },
    ];
    for (const { name, image, claims, mount, port } of cases) {
      const set = find(objects, 'StatefulSet', name);
      const container = containerOf(set);
      assert.equal(container.image, image, name);
      assert.deepEqual(
        (set.spec?.volumeClaimTemplates ?? []).map((claim) => [
          claim.metadata?.name,
          claim.spec?.resources?.requests?.['storage'],
          claim.spec?.storageClassName,
        ]),
        claims,
        name,
      );
      assert.ok(
        container.volumeMounts?.some((volume) => volume.name === 'data' && volume.mountPath === mount),
        `${name} mounts ${mount}`,
      );
      assert.equal(find(objects, 'Service', name).spec?.ports?.[0]?.port, port, name);
      assert.equal(set.spec?.serviceName, name);
      assert.equal(set.metadata.labels['app.kubernetes.io/version'], image.split(':')[1], name);
    }
  });

  it('starts NATS with JetStream on its volume and a generated password, and PostgreSQL with its own', () => {
    const objects = single();
    const nats = containerOf(find(objects, 'StatefulSet', 'acme-nats'));
    assert.deepEqual(nats.args, ['-js', '-sd', '/data', '-m', '8222', '-n', '$(POD_NAME)', '--user', 'hearth', '--pass', '$(NATS_PASSWORD)']);
    assert.equal(envOf(nats)['NATS_PASSWORD'], 'secret:acme-nats-credentials/password');
    assert.deepEqual(envOf(containerOf(find(objects, 'StatefulSet', 'acme-postgres'))), {
      POSTGRES_USER: 'hearth',
      POSTGRES_DB: 'hearth',
      POSTGRES_PASSWORD: 'secret:acme-postgres-credentials/password',
      PGDATA: '/var/lib/postgresql/data/pgdata',
    });
    const redis = containerOf(find(objects, 'StatefulSet', 'acme-redis'));
    assert.deepEqual(redis.args, ['--requirepass', '$(REDIS_PASSWORD)', '--save', '', '--appendonly', 'no']);
    assert.equal(envOf(redis)['REDIS_PASSWORD'], 'secret:acme-redis-credentials/password');
  });

  it('lets only this Hearth’s service pods (and a migration’s copy Job, a backup’s or a restore’s, the password rotation Job, to PostgreSQL) reach each backend’s port', () => {
    const cases = [
      { name: 'acme-postgres', port: 5432, also: ['migration', 'backup', 'restore', 'rotation'] },
      { name: 'acme-nats', port: 4222, also: [] },
      { name: 'acme-redis', port: 6379, also: [] },
    ];
    const objects = single();
    for (const { name, port, also } of cases) {
      const policy = find(objects, 'NetworkPolicy', name);
      assert.deepEqual(policy.spec.podSelector, find(objects, 'StatefulSet', name).spec?.selector, name);
      assert.deepEqual(policy.spec.policyTypes, ['Ingress'], name);
      assert.deepEqual(
        policy.spec.ingress,
        [
          {
            from: [
              {
                podSelector: {
                  matchLabels: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme' },
                  matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['gateway', 'realtime', 'messaging', ...also] }],
                },
              },
            ],
            ports: [{ protocol: 'TCP', port }],
          },
        ],
        name,
      );
    }
  });

  it('a version change changes the image tag on every Deployment, and no backend', () => {
    const before = single({ version: '0.1.0' });
    const after = single({ version: '0.2.0' });
    for (const object of after) {
      if (object.kind === 'Deployment') assert.equal(containerOf(object).image, 'ghcr.io/hearth/hearth:0.2.0', object.metadata.name);
      if (object.kind === 'StatefulSet') assert.deepEqual(object, find(before, 'StatefulSet', object.metadata.name), object.metadata.name);
    }
  });

  it('needs these generated Secrets', () => {
    const cases: { name: string; spec: HearthSpec; want: string[] }[] = [
      {
        name: 'bundled',
        spec: {},
        want: [
          'acme-session-key/key',
          'acme-postgres-credentials/password',
          'acme-nats-credentials/password',
          'acme-nats-credentials/routePassword',
          'acme-redis-credentials/password',
        ],
      },
      {
        name: 'external PostgreSQL and Redis',
        spec: { database: external('pg'), redis: external('redis') },
        want: ['acme-session-key/key', 'acme-nats-credentials/password', 'acme-nats-credentials/routePassword'],
      },
      { name: 'all external', spec: { database: external('pg'), nats: external('nats'), redis: external('redis') }, want: ['acme-session-key/key'] },
    ];
    for (const { name, spec, want } of cases) {
      const secrets = singleSecrets(hearthFixture({ tier: 'single', ...spec }));
      assert.deepEqual(
        secrets.flatMap((secret) => secret.keys.map((key) => `${secret.name}/${key.key}`)),
        want,
        name,
      );
    }
  });

  it('is reached at the Ingress host, else at the gateway Service', () => {
    assert.equal(singleUrl(hearthFixture({ tier: 'single' })), 'http://acme-gateway.chat.svc');
    assert.equal(singleUrl(hearthFixture({ tier: 'single', ingress: { host: 'chat.globex.example' } })), 'http://chat.globex.example');
  });
});
