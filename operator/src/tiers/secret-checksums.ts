// Rolling the pods when a Secret they read changes. A pod reads a Secret's value once, when it
// starts (environment variables), so a new value reaches it only through a new pod. The operator
// puts a checksum of the values each workload's pods read on its pod template: a changed value is
// a changed template, which the workload's own rolling update carries out (a Deployment with
// maxUnavailable 0 keeps every old pod serving until its replacement is ready). Pure: the
// reconcile reads the Secrets and passes their data in.
import { createHash } from 'node:crypto';
import type { V1EnvVar, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { externalUrlKey } from './backend.ts';
import type { DesiredObject } from './desired-object.ts';
import { objectNames } from './names.ts';

/** The pod template annotation holding the checksum of the Secret values its pods read. */
export const secretsChecksumAnnotation = 'hearth.dev/secrets-checksum';

/**
 * Variables a backend reads only when it first initialises its volume: a new value changes
 * nothing in a running server, so restarting it for one would only cost an outage. PostgreSQL's
 * image sets the password of its user at initdb and never again (secret-rotation-postgres.ts says how it changes).
 */
const readOnlyAtInit: ReadonlySet<string> = new Set(['POSTGRES_PASSWORD']);

/** One key of one Secret that a pod reads. */
export interface SecretKeyUse {
  readonly secret: string;
  readonly key: string;
}

/** A Secret's data as the API server returns it (base64 values), or undefined when there is no such Secret. */
export type SecretData = Readonly<Record<string, string>>;
export type SecretsRead = ReadonlyMap<string, SecretData | undefined>;

/** The Secret keys a pod template's containers read into their environment, each once, sorted. */
export function secretKeysUsedBy(template: V1PodTemplateSpec | undefined): SecretKeyUse[] {
  const uses = new Map<string, SecretKeyUse>();
  for (const variable of environmentOf(template)) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref?.name === undefined || readOnlyAtInit.has(variable.name)) continue;
    uses.set(`${ref.name}/${ref.key}`, { secret: ref.name, key: ref.key });
  }
  return [...uses.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, use]) => use);
}

function environmentOf(template: V1PodTemplateSpec | undefined): V1EnvVar[] {
  const spec = template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].flatMap((container) => container.env ?? []);
}

/** The Secrets the workloads among `objects` read: the ones the reconcile must read. */
export function secretNamesUsedBy(objects: readonly DesiredObject[]): string[] {
  const names = objects.flatMap((object) => secretKeysUsedBy(podTemplateOf(object)).map((use) => use.secret));
  return [...new Set(names)].sort();
}

/**
 * The checksum of the values `uses` name: SHA-256 over `secret/key=value` lines in the sorted
 * order of secretKeysUsedBy, so the same values always give the same checksum, whatever order the
 * API server lists a Secret's keys in, and a value moved to another key gives another. A key that
 * is not there counts as its own line, so a key that appears changes the checksum too.
 */
export function secretsChecksum(uses: readonly SecretKeyUse[], secrets: SecretsRead): string {
  const hash = createHash('sha256');
  for (const { secret, key } of uses) {
    const value = secrets.get(secret)?.[key];
    hash.update(value === undefined ? `${secret}/${key} missing\n` : `${secret}/${key}=${value}\n`);
  }
  return hash.digest('hex');
}

/** The uses among `objects` whose Secret or key is not there: pods that would not start. */
export function missingSecretKeys(objects: readonly DesiredObject[], secrets: SecretsRead): SecretKeyUse[] {
  const uses = new Map<string, SecretKeyUse>();
  for (const use of objects.flatMap((object) => secretKeysUsedBy(podTemplateOf(object)))) {
    if (secrets.get(use.secret)?.[use.key] === undefined) uses.set(`${use.secret}/${use.key}`, use);
  }
  return [...uses.values()];
}

/**
 * `objects` with the checksum annotation on the pod template of each workload that reads a
 * Secret; other objects (and workloads that read none) as they are. New objects: the builders'
 * are left untouched.
 */
export function withSecretsChecksums(objects: readonly DesiredObject[], secrets: SecretsRead): DesiredObject[] {
  return objects.map((object) => {
    const uses = secretKeysUsedBy(podTemplateOf(object));
    if (uses.length === 0 || (object.kind !== 'StatefulSet' && object.kind !== 'Deployment') || object.spec === undefined) return object;
    const template = object.spec.template;
    const annotations = { ...template.metadata?.annotations, [secretsChecksumAnnotation]: secretsChecksum(uses, secrets) };
    return { ...object, spec: { ...object.spec, template: { ...template, metadata: { ...template.metadata, annotations } } } };
  });
}

function podTemplateOf(object: DesiredObject): V1PodTemplateSpec | undefined {
  return object.kind === 'StatefulSet' || object.kind === 'Deployment' ? object.spec?.template : undefined;
}

/** A Secret the spec names, with the field that names it: what a person is told when it is missing. */
export interface SecretReference {
  readonly name: string;
  readonly key: string;
  readonly field: string;
}

/**
 * The Secrets of the person's making that a Hearth's spec names (the generated ones are the
 * operator's): also the ones a backup with includeSecrets keeps (backup/archive-secrets.ts).
 */
export function secretReferencesOf(hearth: Hearth): SecretReference[] {
  const { database, nats, redis, auth, ingress } = hearth.spec;
  const external = [
    ['spec.database.external.secretRef', database?.external?.secretRef],
    ['spec.nats.external.secretRef', nats?.external?.secretRef],
    ['spec.redis.external.secretRef', redis?.external?.secretRef],
  ] as const;
  const references: SecretReference[] = external.flatMap(([field, ref]) => (ref === undefined ? [] : [{ name: ref.name, key: externalUrlKey, field }]));
  return [...references, ...oidcReference(auth?.oidc?.clientSecretRef), ...tlsReference(ingress?.tlsSecretName)];
}

/** The ingress controller reads the certificate, no Hearth pod does: it is here for the backups that keep it. */
function tlsReference(name: string | undefined): SecretReference[] {
  return name === undefined ? [] : [{ name, key: 'tls.crt', field: 'spec.ingress.tlsSecretName' }];
}

/** The OIDC client secret's key defaults to clientSecret, as authEnv reads it. */
function oidcReference(ref: { readonly name: string; readonly key?: string } | undefined): SecretReference[] {
  return ref === undefined ? [] : [{ name: ref.name, key: ref.key ?? 'clientSecret', field: 'spec.auth.oidc.clientSecretRef' }];
}

/**
 * Every Secret a Hearth's pods may read, whichever tier serves: the ones its spec names, the
 * generated ones (also when restored by hand without their labels) and CloudNativePG's app user's.
 * What the operator's watch of Secrets maps a changed Secret back to its Hearths by.
 */
export function secretNamesOf(hearth: Hearth): string[] {
  const names = objectNames(hearth.metadata.name ?? '');
  const generated = [names.sessionKey, names.postgresCredentials, names.natsCredentials, names.redisCredentials, names.postgresApp];
  return [...new Set([...secretReferencesOf(hearth).map((reference) => reference.name), ...generated])];
}

/**
 * Secrets another operator makes once it has the object the Hearth gives it (CloudNativePG's app
 * user's, once its Cluster is applied): not there yet is no problem to stop for, since applying is
 * what makes them. The pods wait for them as Kubernetes makes any pod wait for a Secret, and the
 * checksum changes once they are there.
 */
export function isMadeByAnotherOperator(hearth: Hearth, secret: string): boolean {
  return secret === objectNames(hearth.metadata.name ?? '').postgresApp;
}

/** Says which Secret keys are missing, naming the spec's field for each Secret the spec names. */
export function describeMissing(missing: readonly SecretKeyUse[], references: readonly SecretReference[], secrets: SecretsRead): string {
  return missing
    .map(({ secret, key }) => {
      const field = references.find((reference) => reference.name === secret)?.field;
      const named = field === undefined ? `Secret ${secret}` : `Secret ${secret} (${field})`;
      return secrets.get(secret) === undefined ? `${named} is missing` : `${named} has no key ${key}`;
    })
    .join('; ');
}
