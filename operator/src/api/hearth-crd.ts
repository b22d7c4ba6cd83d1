// The one source of truth of the Hearth API: crds/hearth.dev_hearths.yaml and
// docs/crd-reference.md are generated from buildHearthCrd() (`make crds`, generate.ts).
//
// Defaults: a block every tier uses (image, storage, auth, observability, features) defaults to
// `{}` so that its own defaults show on every stored object; a block only some tiers use
// (services, database, nats, redis, ingress) has no default, and its fields are defaulted only
// when the user writes it. Rules: every CEL message names the field it is about.
import { backupScheduleField } from './archive-schema.ts';
import { booleanField, enumField, integerField, objectField, quantityField, stringField, type JsonSchema, type ValidationRule } from './json-schema.ts';
import {
  defaultBackendImages,
  defaultHearthImage,
  defaultHearthVersion,
  hearthApiVersion,
  hearthGroup,
  hearthKind,
  hearthPhases,
  hearthPlural,
  hearthServiceNames,
  hearthTiers,
  maxReplicasCeiling,
  migrationStages,
  minVolumeSize,
  pullPolicies,
  redisModes,
  retryMigrationAnnotation,
  tierDefaults,
  tierMoves,
  type HearthServiceName,
  type TierDefaults,
} from './hearth-types.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      selectableFields: { jsonPath: string }[];
    }[];
  };
}

const dnsSubdomain = { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 };
const httpUrl = { pattern: '^https?://\\S+$', maxLength: 2048 };

function tierField(): JsonSchema {
  return enumField(
    'How Hearth runs. `embedded`: one process with its data on one volume. `single`: gateway, realtime and messaging as separate Deployments over PostgreSQL, NATS and Redis. `clustered`: the same with no single point of failure: two or more of each service, PostgreSQL from CloudNativePG (or external), a NATS cluster, Redis with Sentinels. Moving up one step (embedded → single, single → clustered) migrates the data: the operator copies it into the new tier and switches to it (docs/operator.md#migrate-to-a-higher-tier); no other change is accepted.',
    hearthTiers,
    { default: 'embedded' },
  );
}

/**
 * On the whole object, because it needs status: spec.tier may move one step up (tierMoves) from
 * the tier that serves, which starts a migration that copies the data; or back to status.tier,
 * the tier that serves, which cancels a migration that has not switched. Nothing else: the operator
 * copies data only upwards, and one migration at a time.
 */
function tierChangeRule(): ValidationRule {
  const tierOf = (object: string): string => `(has(${object}.spec) && has(${object}.spec.tier) ? ${object}.spec.tier : 'embedded')`;
  const [asked, before] = [tierOf('self'), tierOf('oldSelf')];
  const serving = 'self.status.tier';
  const hasServing = `has(self.status) && has(${serving})`;
  const oneStepUp = tierMoves.map(({ from, to }) => `(${before} == '${from}' && ${asked} == '${to}')`).join(' || ');
  const moves = tierMoves.map(({ from, to }) => `${from} → ${to}`).join(' or ');
  return {
    rule: `${asked} == ${before} || (${hasServing} && ${asked} == ${serving}) || ((${oneStepUp}) && (!(${hasServing}) || ${serving} == ${before}))`,
    message:
      `spec.tier may only move one step up from the tier that serves, ${moves}, which migrates the data (docs/operator.md#migrate-to-a-higher-tier); ` +
      'or go back to status.tier to cancel a migration that has not switched yet',
    fieldPath: '.spec.tier',
    reason: 'FieldValueForbidden',
  };
}

/** Rolling back would run an older release on a database a newer one has migrated, which it cannot read. */
function versionField(): JsonSchema {
  const noDowngrade: ValidationRule = {
    rule: 'self == oldSelf || !isSemver(self, true) || !isSemver(oldSelf, true) || semver(self, true).compareTo(semver(oldSelf, true)) >= 0',
    message:
      'spec.version may not go back to an older release: schema migrations are not reversible; restore a backup into a new Hearth of that version instead (docs/operator.md#upgrade)',
    reason: 'FieldValueForbidden',
  };
  return stringField('Hearth release to run: the image tag. A semantic version may only go up.', {
    default: defaultHearthVersion,
    pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
    'x-kubernetes-validations': [noDowngrade],
  });
}

/**
 * A volume size no smaller than minVolumeSize (a size of 0 would otherwise reach the claim, which
 * refuses it). No schema default (undefined) for a field only some tiers read: a default would be
 * set, and ignored, in the others.
 */
function volumeSizeField(path: string, defaultSize: string | undefined, description = 'Size of the volume claim.'): JsonSchema {
  const atLeast: ValidationRule = {
    rule: `quantity(string(self)).compareTo(quantity('${minVolumeSize}')) >= 0`,
    message: `${path} must be at least ${minVolumeSize}`,
    reason: 'FieldValueInvalid',
  };
  return quantityField(description, { ...(defaultSize === undefined ? {} : { default: defaultSize }), 'x-kubernetes-validations': [atLeast] });
}

function imageField(): JsonSchema {
  return objectField(
    'The container image of Hearth; its tag is spec.version.',
    {
      repository: stringField('Image repository, without tag or digest.', {
        default: defaultHearthImage,
        minLength: 1,
        maxLength: 255,
        pattern: '^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$',
      }),
      pullPolicy: enumField('Image pull policy of every Hearth container.', pullPolicies, { default: 'IfNotPresent' }),
    },
    { default: {} },
  );
}

function ingressField(): JsonSchema {
  return objectField(
    'Exposes Hearth through an Ingress; without it, Hearth is reachable only inside the cluster through its Service.',
    {
      host: stringField('Public host name; the URL in status is https://<host> with tlsSecretName, else http://<host>.', dnsSubdomain),
      className: stringField('IngressClass to use; the cluster default class when not set.', dnsSubdomain),
      tlsSecretName: stringField('Secret (type kubernetes.io/tls) holding the certificate for host; plain HTTP when not set.', dnsSubdomain),
    },
    { required: ['host'] },
  );
}

function storageField(): JsonSchema {
  return objectField(
    "Hearth's own data volume: the embedded tier's database and uploads.",
    {
      size: volumeSizeField(
        'spec.storage.size',
        undefined,
        "Size of the embedded tier's volume claim; 10Gi when not set. The other tiers size each backend instead (spec.database.storage, spec.nats.storage).",
      ),
      storageClassName: stringField("StorageClass of the volume claim; the cluster's default class when not set.", dnsSubdomain),
      retainOnDelete: booleanField('Keep the volume claims (data) when the Hearth is deleted.', true),
    },
    { default: {} },
  );
}

function secretKeyRefField(description: string, defaultKey: string): JsonSchema {
  return objectField(
    description,
    {
      name: stringField("Name of a Secret in the Hearth's namespace.", dnsSubdomain),
      key: stringField('Key within the Secret.', { default: defaultKey, pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }),
    },
    { required: ['name'] },
  );
}

function oidcField(): JsonSchema {
  const needsSecret: ValidationRule = {
    rule: 'has(self.clientSecretRef)',
    message: 'spec.auth.oidc.clientSecretRef is required: the OIDC client secret is read from a Secret, never written in the spec',
    fieldPath: '.clientSecretRef',
    reason: 'FieldValueRequired',
  };
  const httpsIssuer: ValidationRule = {
    rule: "self.issuerURL.startsWith('https://') || (has(self.allowInsecureIssuer) && self.allowInsecureIssuer)",
    message:
      'spec.auth.oidc.issuerURL must be https://: sign-in tokens must not travel in the clear (allowInsecureIssuer: true permits http:// for a test provider)',
    fieldPath: '.issuerURL',
    reason: 'FieldValueInvalid',
  };
  return objectField(
    'Sign-in through an OpenID Connect provider.',
    {
      issuerURL: stringField("The provider's issuer URL, https://; its /.well-known/openid-configuration is read at start-up.", httpUrl),
      allowInsecureIssuer: booleanField('Allow an http:// issuerURL. Only for a test provider: tokens and the client secret then travel in the clear.', false),
      clientID: stringField('Client ID registered at the provider.', { minLength: 1, maxLength: 256 }),
      clientSecretRef: secretKeyRefField('The Secret key holding the client secret.', 'clientSecret'),
      groupsClaim: stringField("ID-token claim that lists the user's groups.", { default: 'groups', minLength: 1, maxLength: 256 }),
      emailVerifiedClaim: stringField('ID-token claim that says the email is verified: email_verified by the standard, xms_edov for Microsoft Entra ID.', {
        default: 'email_verified',
        minLength: 1,
        maxLength: 256,
      }),
      scopes: {
        description: 'Scopes to ask for (default: openid email profile); must include openid. Add groups where the provider needs it for the groups claim.',
        type: 'array',
        items: stringField('A scope.', { minLength: 1, maxLength: 256, pattern: '^[!#-\\[\\]-~]+$' }),
        maxItems: 32,
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-validations': [
          { rule: "self.exists(s, s == 'openid')", message: 'spec.auth.oidc.scopes must include openid', reason: 'FieldValueInvalid' },
        ],
      },
      adminGroups: {
        description: 'Members of any of these groups are Hearth administrators.',
        type: 'array',
        items: stringField('A group name as it appears in groupsClaim.', { minLength: 1, maxLength: 256 }),
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      },
    },
    { required: ['issuerURL', 'clientID'], 'x-kubernetes-validations': [needsSecret, httpsIssuer] },
  );
}

function authField(): JsonSchema {
  return objectField(
    'How people sign in.',
    {
      local: objectField(
        'Accounts with a password stored by Hearth.',
        {
          enabled: booleanField(
            'Sign-in and sign-up with a local password for everyone. false leaves passwords to administrators only (the break-glass path, docs/sso.md) and needs oidc.',
            true,
          ),
        },
        { default: {} },
      ),
      oidc: oidcField(),
    },
    {
      default: {},
      'x-kubernetes-validations': [
        {
          rule: '!has(self.local) || !has(self.local.enabled) || self.local.enabled || has(self.oidc)',
          message: 'spec.auth.local.enabled may be false only with spec.auth.oidc: without SSO nobody could sign in',
          fieldPath: '.local.enabled',
          reason: 'FieldValueInvalid',
        },
      ],
    },
  );
}

/** A count of 1 to maxReplicasCeiling; without defaultValue, the operator picks it by tier (tierDefaults). */
function replicasField(description: string, defaultValue?: number): JsonSchema {
  const range = { minimum: 1, maximum: maxReplicasCeiling };
  return integerField(description, defaultValue === undefined ? range : { default: defaultValue, ...range });
}

function byTier(key: keyof TierDefaults): string {
  return `When not set: ${tierDefaults.single[key]} in the single tier, ${tierDefaults.clustered[key]} in the clustered tier.`;
}

function autoscalingField(service: HearthServiceName): JsonSchema {
  const ordered: ValidationRule = {
    rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas',
    message: `spec.services.${service}.autoscaling.maxReplicas must be at least minReplicas`,
    fieldPath: '.maxReplicas',
    reason: 'FieldValueInvalid',
  };
  return objectField(
    'Scale on CPU with a HorizontalPodAutoscaler; replicas is then only the starting count.',
    {
      minReplicas: replicasField('Fewest replicas the autoscaler keeps.', 1),
      maxReplicas: replicasField('Most replicas the autoscaler starts.'),
      targetCPUUtilizationPercentage: integerField('Average CPU use, as a percentage of requests, that the autoscaler aims for.', {
        default: 80,
        minimum: 1,
        maximum: 100,
      }),
    },
    { required: ['maxReplicas'], 'x-kubernetes-validations': [ordered] },
  );
}

// What a container's resources may name (core/v1 validation): the standard names, huge pages, or
// an extended resource with a domain. Checked here so that a typo fails at kubectl apply, not at the Deployment.
const resourceNameRule = "self.all(name, name in ['cpu', 'memory', 'ephemeral-storage'] || name.startsWith('hugepages-') || name.contains('/'))";

function resourcesField(service: HearthServiceName): JsonSchema {
  const path = `spec.services.${service}.resources`;
  const amounts = (key: 'limits' | 'requests', description: string): JsonSchema => ({
    description,
    type: 'object',
    additionalProperties: quantityField('An amount of the named resource.'),
    // Bounded so that the API server can bound the cost of the rules over it.
    maxProperties: 8,
    'x-kubernetes-validations': [
      {
        rule: resourceNameRule,
        message: `${path}.${key}: a resource is cpu, memory, ephemeral-storage, hugepages-<size> or a name with a domain (example.com/gpu)`,
        reason: 'FieldValueInvalid',
      },
    ],
  });
  const limitsCoverRequests: ValidationRule = {
    rule: '!has(self.limits) || !has(self.requests) || self.requests.all(name, !(name in self.limits) || quantity(string(self.limits[name])).compareTo(quantity(string(self.requests[name]))) >= 0)',
    message: `${path}.limits must be at least ${path}.requests for each resource`,
    fieldPath: '.limits',
    reason: 'FieldValueInvalid',
  };
  return objectField(
    'Compute resources of each container (as in a Pod spec).',
    {
      limits: amounts('limits', 'Most of each resource a container may use, by resource name (cpu, memory).'),
      requests: amounts('requests', 'Resources reserved for a container, by resource name (cpu, memory).'),
    },
    { 'x-kubernetes-validations': [limitsCoverRequests] },
  );
}

function serviceField(service: HearthServiceName): JsonSchema {
  return objectField(`The ${service} Deployment (single and clustered tiers).`, {
    replicas: replicasField(`Number of pods. ${byTier('serviceReplicas')}`),
    resources: resourcesField(service),
    autoscaling: autoscalingField(service),
  });
}

function servicesField(): JsonSchema {
  const properties = Object.fromEntries(hearthServiceNames.map((service) => [service, serviceField(service)]));
  return objectField('The separate services of the single and clustered tiers; the embedded tier ignores this.', properties);
}

function externalField(what: string, keys: string): JsonSchema {
  return objectField(
    `Use an existing ${what} instead of the bundled one.`,
    {
      secretRef: objectField(
        `Secret with ${keys}.`,
        { name: stringField("Name of a Secret in the Hearth's namespace.", dnsSubdomain) },
        { required: ['name'] },
      ),
    },
    { required: ['secretRef'] },
  );
}

function volumeField(what: string, path: string, defaultSize: string): JsonSchema {
  return objectField(`The volume of each ${what} pod.`, { size: volumeSizeField(`${path}.size`, defaultSize) });
}

/** A bundled backend's image: always with a tag or a digest, so that what runs is what was chosen. */
function backendImageField(what: string, path: string, defaultImage: string): JsonSchema {
  return stringField(
    `Image of the bundled ${what}, with a tag or a digest (a mirror, or another patch release); the operator's default, ${defaultImage}, is the release Hearth is tested with.`,
    {
      maxLength: 512,
      pattern: '^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$',
      'x-kubernetes-validations': [
        {
          rule: "!self.endsWith(':latest')",
          message: `${path} may not be :latest: name the release, so that what runs is what was chosen`,
          reason: 'FieldValueInvalid',
        },
      ],
    },
  );
}

function databaseField(): JsonSchema {
  return objectField('PostgreSQL for the single and clustered tiers.', {
    image: backendImageField(
      'PostgreSQL',
      'spec.database.image',
      `${defaultBackendImages.postgres} (in the clustered tier, a CloudNativePG operand image: ${defaultBackendImages.cloudNativePG})`,
    ),
    instances: replicasField(
      `PostgreSQL instances: one primary, the rest standbys (a CloudNativePG Cluster); 1 in the single tier, at least 2 in the clustered tier. ${byTier('databaseInstances')}`,
    ),
    storage: volumeField('PostgreSQL', 'spec.database.storage', '10Gi'),
    external: externalField('PostgreSQL server', 'key `url`, a postgres:// connection URL'),
  });
}

function natsField(): JsonSchema {
  return objectField('NATS with JetStream for the single and clustered tiers.', {
    image: backendImageField('NATS server', 'spec.nats.image', defaultBackendImages.nats),
    replicas: replicasField(
      `NATS servers: 1 in the single tier, 3 or 5 in the clustered tier (the event stream is kept on 3 of them). ${byTier('natsReplicas')}`,
    ),
    storage: volumeField('NATS', 'spec.nats.storage', '5Gi'),
    external: externalField('NATS server', 'key `url`, a nats:// URL'),
  });
}

function redisField(): JsonSchema {
  return objectField('Redis for the single and clustered tiers.', {
    image: backendImageField('Redis', 'spec.redis.image', defaultBackendImages.redis),
    mode: enumField(
      `Topology of the bundled Redis: standalone (one server) in the single tier, sentinel (a master and a replica watched by 3 Sentinels) in the clustered tier. ${byTier('redisMode')}`,
      redisModes,
    ),
    external: externalField('Redis server', 'key `url`, a redis:// URL'),
  });
}

/**
 * A switch this release cannot honour in one position: the CRD refuses that value, saying so,
 * rather than accept it and do nothing (`notAvailable` is what it would do).
 */
function switchField(description: string, defaultValue: boolean, path: string, notAvailable: string): JsonSchema {
  const rule: ValidationRule = {
    rule: defaultValue ? 'self' : '!self',
    message: `${path}: ${String(!defaultValue)} is not available yet: ${notAvailable}`,
    reason: 'FieldValueForbidden',
  };
  return { ...booleanField(`${description} Only ${String(defaultValue)} is available in this release.`, defaultValue), 'x-kubernetes-validations': [rule] };
}

/**
 * Labels the operator adds to the monitoring objects, so that a Prometheus (and a Grafana sidecar)
 * that selects them by label picks them up. Not app.kubernetes.io/*: those say what the operator
 * owns, and it would not let a user's value replace its own.
 */
function monitoringLabelsField(path: string): JsonSchema {
  // [.] rather than a backslash: the pattern sits in a CEL string literal, where a backslash is an escape.
  const labelKey = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
  return {
    description:
      "Labels added to every object the switches above make (ServiceMonitor, PodMonitor, PrometheusRule, ConfigMap), for a Prometheus whose serviceMonitorSelector, podMonitorSelector and ruleSelector select by label: `release: <release>` for kube-prometheus-stack. Keys under app.kubernetes.io/ are the operator's own.",
    type: 'object',
    additionalProperties: stringField('A label value.', { maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' }),
    // Bounded so that the API server can bound the cost of the rules over the keys.
    maxProperties: 16,
    'x-kubernetes-validations': [
      {
        rule: `self.all(key, key.size() <= 253 && key.matches('${labelKey}'))`,
        message: `${path} keys must be label keys: an optional DNS-subdomain prefix and /, then a name of at most 63 characters`,
        reason: 'FieldValueInvalid',
      },
      {
        rule: "self.all(key, !key.startsWith('app.kubernetes.io/'))",
        message: `${path} may not set app.kubernetes.io/ labels: the operator sets them, and they say which objects it owns`,
        reason: 'FieldValueForbidden',
      },
    ],
  };
}

function observabilityField(): JsonSchema {
  const path = 'spec.observability';
  return objectField(
    'Metrics, alerts, dashboards and traces. The first three are for a cluster running the Prometheus Operator and Grafana (docs/operator.md#monitoring). Each object is owned by the Hearth and deleted when its switch is turned off.',
    {
      serviceMonitor: booleanField(
        "Scrape every Hearth process's GET /metrics: a Prometheus Operator ServiceMonitor for the processes behind a Service (gateway, realtime, or the embedded tier's) and a PodMonitor for those without (messaging), each series labelled namespace, hearth and component. Needs the monitoring.coreos.com CRDs: without them the MonitoringReady condition says so.",
        false,
      ),
      prometheusRule: booleanField(
        "A PrometheusRule with Hearth's recording rules and alerts (deploy/monitoring/hearth-rules.yaml), restricted to this Hearth's series. Needs the monitoring.coreos.com CRDs.",
        false,
      ),
      dashboards: booleanField(
        'A ConfigMap with the Grafana dashboard (deploy/monitoring/hearth-dashboard.json), labelled grafana_dashboard: "1" for the Grafana sidecar, opening on this Hearth.',
        false,
      ),
      labels: monitoringLabelsField(`${path}.labels`),
      otlpEndpoint: stringField(
        "An OpenTelemetry collector's OTLP/HTTP endpoint (e.g. http://otel-collector.monitoring:4318): every Hearth process sends its traces there, as http/protobuf (OTEL_EXPORTER_OTLP_ENDPOINT). Unset: no traces, at no cost.",
        httpUrl,
      ),
    },
    { default: {} },
  );
}

function featuresField(): JsonSchema {
  return objectField(
    'Optional product features.',
    {
      search: switchField('Full-text search of messages.', true, 'spec.features.search', 'search cannot be turned off in this release'),
      bots: switchField('Bot accounts, their API tokens and webhooks.', true, 'spec.features.bots', 'bots cannot be turned off in this release'),
      files: booleanField(
        "File and image uploads in messages, within spec.files' limits. Their bytes are kept on the embedded tier's volume (files/ beside the database), and in PostgreSQL in the single and clustered tiers (so that its backups and standbys hold them). Off: uploads are refused with 403 files_disabled, and files posted before stay readable only once it is on again.",
        false,
      ),
      webPush: booleanField(
        "Web Push: mentions and direct messages (as each person's involvement in a room asks) pushed to the browsers of people who allowed notifications, so a closed tab is told too. Each message is encrypted to the browser's key and sent to its push service (Google's, Mozilla's, Apple's...), so the Hearth pods need egress to them. Off (HEARTH_PUSH=false): the browser asks for no push subscription and nothing is pushed; notifications come only while Hearth is open.",
        true,
      ),
    },
    { default: {} },
  );
}

/** The limits of spec.features.files; only with it on (else they would be accepted and ignored). */
function filesField(): JsonSchema {
  return objectField('Limits of file uploads (spec.features.files).', {
    maxSizeMiB: integerField('The largest file a person may upload, in MiB (HEARTH_FILES_MAX_BYTES). Defaulted by Hearth: 25.', { minimum: 1, maximum: 1024 }),
    allowedTypes: {
      description:
        'The types accepted (HEARTH_FILES_TYPES), as image/*, application/pdf or */*; an image is judged by its bytes, anything else by the type the browser declares. Unset: every type. Whatever is accepted, only PNG, JPEG, GIF and WebP images are shown in the page; the rest is served as a download, never as HTML or SVG.',
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: stringField('A type, or a family of types (image/*).', { pattern: '^(\\*/\\*|[a-z0-9][a-z0-9.+-]*/(\\*|[a-z0-9][a-z0-9.+-]*))$', maxLength: 255 }),
    },
  });
}

function webhooksField(): JsonSchema {
  return objectField(
    "Where bots' webhooks may be called.",
    {
      allowedNetworks: {
        description:
          'Private networks (10.0.0.0/8, fd00::/8) or addresses a webhook may be at, besides public addresses: a bot in this cluster (its Service and pod networks). Unset, a webhook at a loopback, private or link-local address is refused (HEARTH_WEBHOOK_ALLOWED_NETWORKS).',
        type: 'array',
        items: {
          ...stringField('An IP address or a network in CIDR notation.', { minLength: 2, maxLength: 50 }),
          'x-kubernetes-validations': [
            {
              rule: 'isIP(self) || isCIDR(self)',
              message: 'spec.webhooks.allowedNetworks: each must be an IP address or a network like 10.0.0.0/8',
              reason: 'FieldValueInvalid',
            },
          ],
        },
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      },
    },
    {},
  );
}

function migrationField(): JsonSchema {
  return objectField(
    'How a tier migration (a change of spec.tier one step up) treats the old tier.',
    {
      deleteOldData: booleanField(
        "Delete the old tier's volumes (the embedded tier's, or the single tier's PostgreSQL's) once the new tier serves. false keeps them, unused, for a person to delete.",
        false,
      ),
    },
    { default: {} },
  );
}

function migrationStatusField(): JsonSchema {
  const count = (description: string): JsonSchema => integerField(description, { format: 'int64', minimum: 0 });
  return objectField(
    'The last tier migration, as far as it got.',
    {
      from: enumField('The tier the data is copied from.', hearthTiers),
      to: enumField('The tier the data is copied to.', hearthTiers),
      stage: enumField(
        'StartingBackends, Copying, Verifying, StartingServices (the new tier’s services come up beside the old tier, which serves), Switching (Service and Ingress move, status.tier changes), ScalingDown (the old tier), then Succeeded; or Failed (the old tier serves, writable), or Cancelled (spec.tier went back).',
        migrationStages,
      ),
      copied: count('Records copied so far (the copy Job’s progress), when known.'),
      total: count('Records to copy, when known.'),
      startedAt: stringField('When the migration began.', { format: 'date-time' }),
      job: stringField('The copy Job of the current attempt.'),
      attempt: stringField(`The ${retryMigrationAnnotation} annotation value the current attempt runs for; empty for the first.`),
      reason: stringField('Why it waits or failed, in one CamelCase word.'),
      message: stringField('Why it waits or failed, for a person.', { maxLength: 32768 }),
    },
    { required: ['from', 'to', 'stage', 'startedAt'] },
  );
}

/** The spec of a Hearth; a HearthRestore holds one too (hearth-backup-crd.ts). */
export function hearthSpecField(): JsonSchema {
  return specField();
}

function specField(): JsonSchema {
  const rules = tierCountRules();
  return objectField(
    'The Hearth installation the user wants.',
    {
      tier: tierField(),
      version: versionField(),
      image: imageField(),
      ingress: ingressField(),
      storage: storageField(),
      auth: authField(),
      services: servicesField(),
      database: databaseField(),
      nats: natsField(),
      redis: redisField(),
      observability: observabilityField(),
      features: featuresField(),
      files: filesField(),
      webhooks: webhooksField(),
      paused: booleanField('Stop reconciling: the operator changes nothing until this is false again.', false),
      migration: migrationField(),
      backup: backupScheduleField(),
    },
    { default: {}, 'x-kubernetes-validations': rules },
  );
}

/**
 * Counts and modes that only make sense in one tier: the single tier runs one server of each
 * backend; the clustered tier needs a standby, a NATS quorum, and Redis Sentinels (each unless
 * that backend is external, when the count is not the operator's to set).
 */
function tierCountRules(): ValidationRule[] {
  const clustered = "has(self.tier) && self.tier == 'clustered'";
  const set = (path: string): string => `has(self.${path.split('.')[0]}) && has(self.${path})`;
  const external = (backend: string): string => `has(self.${backend}) && has(self.${backend}.external)`;
  const rule = (expression: string, message: string, fieldPath: string): ValidationRule => ({
    rule: expression,
    message,
    fieldPath,
    reason: 'FieldValueInvalid',
  });
  const embedded = "!has(self.tier) || self.tier == 'embedded'";
  const onlyServerTiers = (field: string): ValidationRule =>
    rule(
      `!(${embedded}) || !has(self.${field})`,
      `spec.${field} is for the single and clustered tiers: the embedded tier runs one process with its data on spec.storage`,
      `.${field}`,
    );
  return [
    ...['services', 'database', 'nats', 'redis'].map(onlyServerTiers),
    rule(
      '!has(self.files) || (has(self.features) && has(self.features.files) && self.features.files)',
      'spec.files sets the limits of file uploads: it needs spec.features.files true',
      '.files',
    ),
    rule(
      `${embedded} || !(${set('storage.size')})`,
      "spec.storage.size is the embedded tier's volume: in the single and clustered tiers size spec.database.storage.size and spec.nats.storage.size",
      '.storage.size',
    ),
    rule(
      `${clustered} || !(${set('database.instances')}) || self.database.instances == 1`,
      'spec.database.instances above 1 needs spec.tier clustered: the single tier runs one PostgreSQL server',
      '.database.instances',
    ),
    rule(
      `!(${clustered}) || ${external('database')} || !(${set('database.instances')}) || self.database.instances >= 2`,
      'spec.database.instances must be at least 2 when spec.tier is clustered: a primary and a standby to fail over to',
      '.database.instances',
    ),
    rule(
      `${clustered} || !(${set('nats.replicas')}) || self.nats.replicas == 1`,
      'spec.nats.replicas above 1 needs spec.tier clustered: the single tier runs one NATS server',
      '.nats.replicas',
    ),
    rule(
      `!(${clustered}) || ${external('nats')} || !(${set('nats.replicas')}) || self.nats.replicas == 3 || self.nats.replicas == 5`,
      'spec.nats.replicas must be 3 or 5 when spec.tier is clustered: a JetStream cluster needs a quorum, and an even count tolerates no more failures than one fewer',
      '.nats.replicas',
    ),
    rule(
      `${clustered} || !(${set('redis.mode')}) || self.redis.mode == 'standalone'`,
      'spec.redis.mode sentinel needs spec.tier clustered: the single tier runs one Redis server',
      '.redis.mode',
    ),
    rule(
      `!(${clustered}) || ${external('redis')} || !(${set('redis.mode')}) || self.redis.mode == 'sentinel'`,
      'spec.redis.mode standalone would be a single point of failure in the clustered tier: leave it unset (sentinel), or use spec.redis.external',
      '.redis.mode',
    ),
  ];
}

function conditionField(): JsonSchema {
  return objectField(
    "One aspect of the Hearth's state (metav1.Condition).",
    {
      type: stringField('What the condition is about, in CamelCase: Ready, Progressing, Degraded, MigrationFailed.', {
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
      status: enumField('Whether the condition holds.', ['True', 'False', 'Unknown']),
      observedGeneration: integerField('metadata.generation the condition was set from.', { format: 'int64', minimum: 0 }),
      lastTransitionTime: stringField('When status last changed.', { format: 'date-time' }),
      reason: stringField('Why, in one CamelCase word a program can match.', {
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
      message: stringField('Why, for a person; may be empty.', { maxLength: 32768 }),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  );
}

function statusField(): JsonSchema {
  return objectField('What the operator last observed; written only through the status subresource.', {
    phase: enumField('Summary of the state.', hearthPhases),
    tier: enumField('The tier that is serving now (during a migration, the old one).', hearthTiers),
    version: stringField('The Hearth release that is serving now.'),
    newestVersion: stringField('The newest semantic version this Hearth has served; spec.version may not go below it.'),
    url: stringField('Where people reach Hearth.'),
    observedGeneration: integerField('metadata.generation of the spec the status was derived from.', { format: 'int64', minimum: 0 }),
    migration: migrationStatusField(),
    conditions: {
      description: 'Latest observations, one per type.',
      type: 'array',
      items: conditionField(),
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
  });
}

function rootSchema(): JsonSchema {
  // The operator names the objects it creates after the Hearth (<name>-messaging, <name>-postgres-0);
  // Services need DNS labels and StatefulSet pod names leave room for a suffix.
  const shortName: ValidationRule = {
    rule: "self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message: 'metadata.name must be at most 40 characters of a-z, 0-9 and -, starting with a letter: the objects of the Hearth are named after it',
    fieldPath: '.metadata.name',
    reason: 'FieldValueInvalid',
  };
  return objectField(
    'A Hearth installation: the operator runs it in the tier spec.tier names.',
    {
      apiVersion: stringField('Versioned schema of this object: hearth.dev/v1alpha1.'),
      kind: stringField('Kind of this object: Hearth.'),
      // The API server allows only name and generateName here, without descriptions.
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: specField(),
      status: statusField(),
    },
    { 'x-kubernetes-validations': [shortName, tierChangeRule()] },
  );
}

function printerColumns(): PrinterColumn[] {
  return [
    { name: 'Tier', type: 'string', jsonPath: '.spec.tier', description: 'The tier asked for.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
    // Empty unless the operator stands back: a paused Hearth's phase is the last one it saw.
    {
      name: 'Paused',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Paused")].status',
      description: 'True while spec.paused holds the operator back.',
    },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'The Hearth release asked for.' },
    { name: 'Migration', type: 'string', jsonPath: '.status.migration.stage', description: 'Where the last tier migration is.', priority: 1 },
    { name: 'URL', type: 'string', jsonPath: '.status.url', description: 'Where people reach Hearth.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
  ];
}

/** The CustomResourceDefinition of Hearth, as applied to a cluster. */
export function buildHearthCrd(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${hearthPlural}.${hearthGroup}`, labels: { 'app.kubernetes.io/part-of': 'hearth' } },
    spec: {
      group: hearthGroup,
      names: { kind: hearthKind, listKind: `${hearthKind}List`, plural: hearthPlural, singular: 'hearth', shortNames: ['hearth'], categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: hearthApiVersion,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema() },
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(),
          // `kubectl get hearth --field-selector spec.tier=single`, and the same for watches.
          selectableFields: [{ jsonPath: '.spec.tier' }],
        },
      ],
    },
  };
}
