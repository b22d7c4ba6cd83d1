// Carrying out the rotation of the bundled PostgreSQL's password (tiers/secret-rotation-postgres.ts
// decides each step from what it observes here): the credentials Secret and the pending one, read
// from the API server for their data; the rotation Jobs the Hearth owns, and the last line of a
// failed one's pod. Runs before the generated Secrets are ensured: an operator stopped between
// deleting the credentials Secret and creating it again must find it made again from the pending
// one, not reported lost.
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import {
  buildPendingPasswordSecret,
  buildPostgresPasswordJob,
  buildRotatedCredentials,
  decidePostgresRotation,
  failureLine,
  instanceLabels,
  jobState,
  labelKeys,
  passwordContainerName,
  pendingPasswordSecretName,
  pendingSecretLabel,
  postgresPasswordKey,
  rotationDecisions,
  rotationRequest,
  rotationFailedMessage,
  rotationRequestAnnotation,
  toSelector,
  type GeneratedSecret,
  type ObservedPasswordJob,
  type ObservedPasswordSecret,
  type PostgresRotationAction,
  type PostgresRotationFindings,
  type SecretData,
} from '../tiers/index.ts';
import { hearthName, hearthNamespace, isOwnedBy, liveObjects, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';
import { dataOf, requestedSecret } from './secrets-rotation.ts';

/** The PostgreSQL credentials as the rotation leaves them, when it replaced them: the checksum's input. */
export async function ensurePostgresPasswordRotation(
  ctx: ReconcileContext,
  hearth: Hearth,
  secrets: readonly GeneratedSecret[],
): Promise<Map<string, SecretData>> {
  const made = new Map<string, SecretData>();
  const secret = secrets.find((candidate) => candidate.opensVolumesOf !== undefined);
  if (secret === undefined) return made;
  const findings = await observe(ctx, hearth, secret);
  if (findings === undefined) return made;
  const scope: RotationScope = { ctx, hearth, secret, pending: findings.pending };
  for (const action of decidePostgresRotation(findings)) {
    const data = await act(scope, action);
    if (data !== undefined) made.set(secret.name, data);
  }
  return made;
}

/** What the rotation decides by; undefined when nothing is asked nor under way. */
async function observe(ctx: ReconcileContext, hearth: Hearth, secret: GeneratedSecret): Promise<PostgresRotationFindings | undefined> {
  const namespace = hearthNamespace(hearth);
  const pendingName = pendingPasswordSecretName(hearthName(hearth));
  const live = await liveObjects(ctx, 'Secret', namespace, instanceLabels(hearthName(hearth)));
  const wanted = wantedRequest(hearth, secret, live);
  const cachedJobs = await rotationJobs(hearth, liveObjects(ctx, 'Job', namespace, instanceLabels(hearthName(hearth))));
  if (wanted === undefined && cachedJobs.length === 0 && nothingUnderWay(hearth, secret, live, pendingName)) return undefined;
  // From the API server: just after a restart the cache may not show the Job yet, and a step
  // decided without it could leave deleted credentials reported lost.
  const jobs = await rotationJobs(hearth, ctx.client.list(pathOf('Job', namespace), toSelector(instanceLabels(hearthName(hearth)))));
  const credentials = (await ctx.client.get(pathOf('Secret', namespace, secret.name))) as V1Secret | undefined;
  const pending = (await ctx.client.get(pathOf('Secret', namespace, pendingName))) as V1Secret | undefined;
  return {
    // The cache may not show yet the request recorded by the step before (a failure, a replacement).
    wanted: credentials?.metadata?.annotations?.[rotationRequestAnnotation] === wanted ? undefined : wanted,
    credentials: observedSecret(credentials),
    pending: observedSecret(pending),
    jobs: await Promise.all(jobs.map((job) => observeJob(ctx, namespace, job))),
  };
}

/**
 * The cache says nothing is asked or under way: no Secret's data to read, so a steady Hearth costs
 * no request. Credentials it does not show may have been deleted for a replacement: looked at,
 * unless the Hearth was never reconciled (no status yet), so has had no password to replace.
 */
function nothingUnderWay(hearth: Hearth, secret: GeneratedSecret, live: readonly KubeObject[], pendingName: string): boolean {
  const names = new Set(live.map((object) => object.metadata?.name));
  return !names.has(pendingName) && (names.has(secret.name) || hearth.status?.observedGeneration === undefined);
}

/** The rotation Jobs among `objects` that the Hearth owns. */
async function rotationJobs(hearth: Hearth, objects: Promise<readonly KubeObject[]>): Promise<V1Job[]> {
  const owned = (await objects).filter((object) => isOwnedBy(object, hearth) && object.metadata?.labels?.[labelKeys.component] === 'rotation');
  return owned as unknown as V1Job[];
}

/** The request rotationDecisions asks a new PostgreSQL password for, by what the live Secrets record. */
function wantedRequest(hearth: Hearth, secret: GeneratedSecret, live: readonly KubeObject[]): string | undefined {
  const handled = new Map(live.map((object) => [object.metadata?.name ?? '', object.metadata?.annotations?.[rotationRequestAnnotation]]));
  const asked = rotationDecisions(hearth, [secret], handled).some((decision) => decision.action === 'alterPassword');
  return asked ? rotationRequest(hearth) : undefined;
}

function observedSecret(secret: V1Secret | undefined): ObservedPasswordSecret | undefined {
  if (secret === undefined || secret.metadata?.deletionTimestamp !== undefined) return undefined;
  const encoded = secret.data?.[postgresPasswordKey];
  return {
    uid: secret.metadata?.uid ?? '',
    password: encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString(),
    request: secret.metadata?.annotations?.[rotationRequestAnnotation],
  };
}

async function observeJob(ctx: ReconcileContext, namespace: string, job: V1Job): Promise<ObservedPasswordJob> {
  const name = job.metadata?.name ?? '';
  const state = jobState(job);
  return {
    name,
    pendingUid: job.metadata?.labels?.[pendingSecretLabel],
    state,
    message: state === 'failed' ? await lastLine(ctx, namespace, name) : undefined,
    deleting: job.metadata?.deletionTimestamp !== undefined,
  };
}

/** The newest pod's termination message (its log's tail: FallbackToLogsOnError), last line. */
async function lastLine(ctx: ReconcileContext, namespace: string, job: string): Promise<string | undefined> {
  const pods = (await ctx.client.list(pathOf('Pod', namespace), `job-name=${job}`)) as unknown as V1Pod[];
  const time = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return failureLine(terminationMessage([...pods].sort((a, b) => time(b) - time(a))[0]));
}

function terminationMessage(pod: V1Pod | undefined): string | undefined {
  const status = (pod?.status?.containerStatuses ?? []).find((container) => container.name === passwordContainerName);
  if (status === undefined) return undefined;
  return (status.state?.terminated ?? status.lastState?.terminated)?.message;
}

interface RotationScope {
  readonly ctx: ReconcileContext;
  readonly hearth: Hearth;
  readonly secret: GeneratedSecret;
  readonly pending: ObservedPasswordSecret | undefined;
}

async function act(scope: RotationScope, action: PostgresRotationAction): Promise<SecretData | undefined> {
  const { ctx, hearth, pending } = scope;
  const namespace = hearthNamespace(hearth);
  const pendingName = pendingPasswordSecretName(hearthName(hearth));
  switch (action.type) {
    case 'createPending':
      await createPending(scope, action.request);
      return undefined;
    case 'createJob': {
      const job = buildPostgresPasswordJob(hearth, ctx.tierContext, action.pendingUid);
      if (await ctx.client.create(pathOf('Job', namespace), job)) await ctx.events.record(hearth, 'Normal', 'Created', `Created Job ${job.metadata.name}`);
      return undefined;
    }
    case 'replaceCredentials':
      return replaceCredentials(scope, pending?.password ?? '', action.request);
    case 'fail':
      await recordFailure(scope, action);
      return undefined;
    case 'deleteJob':
      // In the background: its pods go with it.
      await ctx.client.delete(pathOf('Job', namespace, action.name));
      return undefined;
    case 'deletePending':
      await ctx.client.delete(pathOf('Secret', namespace, pendingName));
      return undefined;
  }
}

async function recordFailure({ ctx, hearth, secret }: RotationScope, failure: Extract<PostgresRotationAction, { type: 'fail' }>): Promise<void> {
  await ctx.events.record(hearth, 'Warning', 'RotationFailed', rotationFailedMessage(secret.name, failure.job, failure.message));
  // Recorded as handled, so the same request is not tried again: a new value asks again.
  if (failure.request === undefined) return;
  const path = pathOf('Secret', hearthNamespace(hearth), secret.name);
  await ctx.client.mergePatch(path, { metadata: { annotations: { [rotationRequestAnnotation]: failure.request } } });
}

async function createPending({ ctx, hearth, secret }: RotationScope, request: string): Promise<void> {
  const built = buildPendingPasswordSecret(hearth, requestedSecret(hearth, secret, ctx, request));
  if (!(await ctx.client.create(pathOf('Secret', hearthNamespace(hearth)), built))) return;
  await ctx.events.record(
    hearth,
    'Normal',
    'RotationStarted',
    `Rotating Secret ${secret.name} (rotate-secrets ${request}): a Job sets a new password in PostgreSQL (kept in Secret ${built.metadata?.name ?? ''} meanwhile), then the Secret is replaced`,
  );
}

/** Immutable: deleted and created again, as the other generated Secrets are rotated. */
async function replaceCredentials({ ctx, hearth, secret }: RotationScope, password: string, request: string | undefined): Promise<SecretData> {
  const namespace = hearthNamespace(hearth);
  const built = buildRotatedCredentials(requestedSecret(hearth, secret, ctx, request), password, request);
  await ctx.client.delete(pathOf('Secret', namespace, secret.name));
  if (!(await ctx.client.create(pathOf('Secret', namespace), built))) {
    throw new Error(`Secret ${secret.name} was deleted to be replaced by the rotated password but is there again: retrying`);
  }
  await ctx.events.record(
    hearth,
    'Normal',
    'Rotated',
    `Rotated Secret ${secret.name}${request === undefined ? '' : ` (rotate-secrets ${request})`}: PostgreSQL has the new password; the pods that read it roll onto it`,
  );
  return dataOf(built);
}
