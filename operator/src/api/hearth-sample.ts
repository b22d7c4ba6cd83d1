// A Hearth with every field of the TypeScript types set. `Complete<T>` makes the compiler demand
// every key of the types (and refuse any other), and hearth-crd.test.ts checks that the CRD
// schema has exactly these keys: so the types and the schema cannot drift apart unnoticed.
import type { Condition, HearthSpec, HearthStatus } from './hearth-types.ts';

/** T with every optional field required, all the way down. */
export type Complete<T> = T extends readonly (infer U)[] ? Complete<U>[] : T extends object ? { [K in keyof T]-?: Complete<NonNullable<T[K]>> } : T;

const service = {
  replicas: 2,
  resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: 256 * 1024 * 1024 } },
  autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
};

export const completeHearthSpec: Complete<HearthSpec> = {
  tier: 'single',
  version: '0.1.0',
  image: { repository: 'ghcr.io/hearth/hearth', pullPolicy: 'IfNotPresent' },
  ingress: { host: 'chat.acme.example', className: 'nginx', tlsSecretName: 'chat-tls' },
  storage: { size: '10Gi', storageClassName: 'standard', retainOnDelete: true },
  auth: {
    local: { enabled: true },
    oidc: {
      issuerURL: 'https://sso.acme.example/realms/acme',
      allowInsecureIssuer: false,
      clientID: 'hearth',
      clientSecretRef: { name: 'hearth-oidc', key: 'clientSecret' },
      groupsClaim: 'groups',
      emailVerifiedClaim: 'email_verified',
      scopes: ['openid', 'email', 'profile', 'groups'],
      adminGroups: ['chat-admins'],
    },
  },
  services: { gateway: service, realtime: service, messaging: service },
  database: { image: 'registry.acme.example/mirror/postgres:15.18', instances: 1, storage: { size: '20Gi' }, external: { secretRef: { name: 'pg' } } },
  nats: { image: 'nats:2.15.3', replicas: 1, storage: { size: '5Gi' }, external: { secretRef: { name: 'nats' } } },
  redis: {
    image: 'redis@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    mode: 'standalone',
    external: { secretRef: { name: 'redis' } },
  },
  observability: {
    serviceMonitor: true,
    prometheusRule: true,
    dashboards: true,
    labels: { release: 'kube-prometheus-stack' },
    otlpEndpoint: 'http://otel-collector.monitoring:4318',
  },
  features: { search: true, bots: true, files: true, webPush: true },
  files: { maxSizeMiB: 50, allowedTypes: ['image/*', 'application/pdf'] },
  webhooks: { allowedNetworks: ['10.0.0.0/8', 'fd00::/8', '192.168.1.20'] },
  paused: false,
  migration: { deleteOldData: false },
  // Both destinations for the keys' sake: the CRD takes exactly one (crd.test.ts applies the s3 one).
  backup: {
    schedule: '0 3 * * *',
    timeZone: 'Europe/Paris',
    retention: 7,
    destination: {
      volumeClaim: { claimName: 'backups', path: 'acme' },
      s3: {
        bucket: 'acme-backups',
        prefix: 'hearth/prod',
        endpoint: 'https://s3.acme.example',
        region: 'eu-west-1',
        forcePathStyle: true,
        credentialsSecretRef: { name: 'backup-s3' },
      },
    },
    includeSecrets: { keySecretRef: { name: 'hearth-archive-key', key: 'key' } },
  },
};

const ready: Complete<Condition> = {
  type: 'Ready',
  status: 'True',
  observedGeneration: 3,
  lastTransitionTime: '2026-01-02T15:04:05Z',
  reason: 'AllComponentsReady',
  message: '',
};

export const completeHearthStatus: Complete<HearthStatus> = {
  phase: 'Ready',
  tier: 'clustered',
  version: '0.1.0',
  newestVersion: '0.1.0',
  url: 'https://chat.acme.example',
  observedGeneration: 3,
  conditions: [ready],
  migration: {
    from: 'single',
    to: 'clustered',
    stage: 'Succeeded',
    copied: 204297,
    total: 204297,
    startedAt: '2026-01-02T14:04:05Z',
    job: 'acme-migrate-3f2a1c',
    attempt: '',
    reason: 'WaitingForBackends',
    message: 'StatefulSet acme-postgres: not created yet',
  },
};
