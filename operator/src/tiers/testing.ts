// Helpers for the tiers' table tests.
import type { V1Container, V1EnvVar, V1PodSpec } from '@kubernetes/client-node';
import type { Hearth, HearthSpec, HearthStatus } from '../api/index.ts';
import type { DesiredKind, DesiredObject } from './desired-object.ts';
import type { Dashboard } from './observability-dashboard.ts';

export interface FixtureMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
}

/** A Hearth as the API server returns it, with the defaults the CRD schema fills in. */
export function hearthFixture(spec: HearthSpec, meta: FixtureMeta = {}, status?: HearthStatus): Hearth {
  const hearth: Hearth = {
    apiVersion: 'hearth.dev/v1alpha1',
    kind: 'Hearth',
    metadata: {
      name: meta.name ?? 'acme',
      namespace: meta.namespace ?? 'chat',
      uid: meta.uid ?? '0b9c2f4e-1111-4222-8333-444455556666',
      generation: meta.generation ?? 1,
    },
    spec: {
      tier: 'embedded',
      version: '0.1.0',
      image: { repository: 'ghcr.io/hearth/hearth', pullPolicy: 'IfNotPresent' },
      storage: { size: '10Gi', retainOnDelete: true },
      ...spec,
    },
  };
  if (status !== undefined) hearth.status = status;
  return hearth;
}

export type ObjectOfKind<K extends DesiredKind> = Extract<DesiredObject, { kind: K }>;

export function find<K extends DesiredKind>(objects: readonly DesiredObject[], kind: K, name: string): ObjectOfKind<K> {
  const found = objects.find((object): object is ObjectOfKind<K> => object.kind === kind && object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in ${kindsAndNames(objects).join(', ')}`);
  return found;
}

export function kindsAndNames(objects: readonly DesiredObject[]): string[] {
  return objects.map((object) => `${object.kind}/${object.metadata.name}`);
}

/** A StatefulSet's volume claim templates, each as its name, requested size and storage class. */
export function claimsOf(set: ObjectOfKind<'StatefulSet'>): { name: string | undefined; size: string | undefined; storageClass: string | undefined }[] {
  return (set.spec?.volumeClaimTemplates ?? []).map((claim) => ({
    name: claim.metadata?.name,
    size: claim.spec?.resources?.requests?.['storage'],
    storageClass: claim.spec?.storageClassName,
  }));
}

export function podSpecOf(object: DesiredObject): V1PodSpec {
  if (object.kind !== 'StatefulSet' && object.kind !== 'Deployment') throw new Error(`${object.kind} has no pod`);
  const spec = object.spec?.template.spec;
  if (spec === undefined) throw new Error(`${object.kind} ${object.metadata.name} has no pod spec`);
  return spec;
}

export function containerOf(object: DesiredObject, name?: string): V1Container {
  const containers = podSpecOf(object).containers;
  const container = name === undefined ? containers[0] : containers.find((c) => c.name === name);
  if (container === undefined) throw new Error(`${object.metadata.name} has no container ${name ?? ''}`);
  return container;
}

/** Each variable as its value, or `secret:<name>/<key>` when it comes from a Secret. */
export function envOf(container: V1Container): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((variable) => [variable.name, describeEnv(variable)]));
}

function describeEnv(variable: V1EnvVar): string {
  const secret = variable.valueFrom?.secretKeyRef;
  if (secret !== undefined) return `secret:${secret.name}/${secret.key}`;
  const field = variable.valueFrom?.fieldRef;
  if (field !== undefined) return `field:${field.fieldPath}`;
  return variable.value ?? '';
}

/** The project's dashboard as far as the operator reads it: a uid, a title, panels and the variables it starts on. */
export const dashboardFixture: Dashboard = {
  uid: 'hearth',
  title: 'Hearth',
  panels: [],
  templating: {
    list: [
      { name: 'datasource', type: 'datasource', current: {} },
      { name: 'namespace', type: 'query', current: {} },
      { name: 'hearth', type: 'query', current: {} },
    ],
  },
};
