/**
 * The shape of any Kubernetes object as it travels as JSON (timestamps stay strings: the
 * informer does not run objects through client-node's model classes), and the keys the cache
 * and the work queue use for them.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** kubectl's copy of the whole object as last `kubectl apply`'d (client-side): as big as the spec, and read by kubectl alone. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The object as an informer caches it: without metadata.managedFields and kubectl's
 * last-applied-configuration annotation, which no controller here reads and which are often the
 * bigger part of a small object (a Hearth made by `kubectl apply` carries its spec twice). A cache
 * of a few thousand objects keeps half its memory (client-go's informers are given such a transform
 * for the same reason).
 */
export function forCache<T extends KubeObject>(object: T): T {
  const metadata = object.metadata as (ObjectMeta & { managedFields?: unknown }) | undefined;
  const annotations = metadata?.annotations;
  const lastApplied = annotations !== undefined && lastAppliedAnnotation in annotations;
  if (metadata === undefined || (metadata.managedFields === undefined && !lastApplied)) return object;
  const kept = { ...metadata };
  delete kept.managedFields;
  if (lastApplied) {
    const rest = { ...annotations };
    delete rest[lastAppliedAnnotation];
    // The API server leaves out empty annotations: so does the cache.
    if (Object.keys(rest).length === 0) delete kept.annotations;
    else kept.annotations = rest;
  }
  return { ...object, metadata: kept };
}

/** `namespace/name`, or `name` alone for a cluster-scoped object (client-go's MetaNamespaceKeyFunc). */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name;
  if (name === undefined || name === '') throw new Error('object has no metadata.name');
  const namespace = object.metadata?.namespace;
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

export interface ObjectName {
  readonly namespace: string | undefined;
  readonly name: string;
}

/** The inverse of objectKey. */
export function splitKey(key: string): ObjectName {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: undefined, name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export interface OwnerKind {
  /** Any version of the owner's group matches: an owner reference keeps the version it was written with. */
  readonly apiVersion: string;
  readonly kind: string;
}

/**
 * The keys of the owners of kind `owner` that `object` names in its ownerReferences. Owner
 * references never cross namespaces, so the owner lives in the object's namespace.
 */
export function ownerKeys(object: KubeObject, owner: OwnerKind): string[] {
  const namespace = object.metadata?.namespace;
  const group = groupOf(owner.apiVersion);
  const keys: string[] = [];
  for (const reference of object.metadata?.ownerReferences ?? []) {
    if (reference.kind !== owner.kind || groupOf(reference.apiVersion) !== group) continue;
    const key = namespace === undefined || namespace === '' ? reference.name : `${namespace}/${reference.name}`;
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/**
 * Whether the spec (its generation), labels, annotations or deletion changed: not the status, nor
 * the finalizers (a controller adds its own as it starts a reconcile, which would queue another; one
 * taken off by hand is put back at the next resync), nor what the API server keeps beside them.
 */
export function specChanged(previous: KubeObject, object: KubeObject): boolean {
  const before = previous.metadata ?? {};
  const after = object.metadata ?? {};
  return (
    before.generation !== after.generation ||
    before.deletionTimestamp !== after.deletionTimestamp ||
    !sameJson(before.labels, after.labels) ||
    !sameJson(before.annotations, after.annotations)
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
