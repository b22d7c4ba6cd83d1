// What the status of a HearthBackup (and of a HearthRestore) says, from what its Job and the Job's
// pods report: a pure decision, so every case is a table test.
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import type { ArchiveJobStatus, ArchivePhase, Condition } from '../api/index.ts';

/** What the reconcile saw: the Job (if made), its pods, and why it could not be made (if so). */
export interface ArchiveFindings {
  readonly job: V1Job | undefined;
  readonly pods: readonly V1Pod[];
  /** The Job is not made and will not be until this changes: the Hearth is missing, say. */
  readonly blocked?: { readonly reason: string; readonly message: string };
  /** RFC 3339, for a condition that changes now. */
  readonly now: string;
  readonly generation: number | undefined;
}

/** What the status holds besides the snapshot and the location, which the caller adds. */
export type DecidedStatus = Required<Pick<ArchiveJobStatus, 'phase' | 'conditions'>> & Omit<ArchiveJobStatus, 'phase' | 'conditions'>;

function jobCondition(job: V1Job | undefined, type: 'Complete' | 'Failed') {
  return job?.status?.conditions?.find((condition) => condition.type === type && condition.status === 'True');
}

export function phaseOf(job: V1Job | undefined): ArchivePhase {
  if (jobCondition(job, 'Complete') !== undefined) return 'Succeeded';
  if (jobCondition(job, 'Failed') !== undefined) return 'Failed';
  return (job?.status?.active ?? 0) > 0 ? 'Running' : 'Pending';
}

/** The message a pod's first failed step left (init containers first: they run first), else undefined. */
function failureOf(pod: V1Pod): string | undefined {
  const statuses: V1ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const failed = statuses.find((status) => (status.state?.terminated?.exitCode ?? 0) !== 0);
  const terminated = failed?.state?.terminated;
  if (failed === undefined || terminated === undefined) return undefined;
  return `${failed.name}: ${lastLine(terminated.message) ?? `exit status ${terminated.exitCode}`}`;
}

/** What the container of a pod that succeeded wrote to its termination log: the archive's location. */
export function reportedLocation(pods: readonly V1Pod[]): string | undefined {
  for (const pod of newestFirst(pods)) {
    if (pod.status?.phase !== 'Succeeded') continue;
    const message = lastLine(pod.status.containerStatuses?.[0]?.state?.terminated?.message);
    if (message !== undefined) return message;
  }
  return undefined;
}

function lastLine(text: string | undefined): string | undefined {
  const line = text
    ?.trim()
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .at(-1);
  return line === undefined || line === '' ? undefined : line;
}

function newestFirst(pods: readonly V1Pod[]): V1Pod[] {
  const created = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods].sort((a, b) => created(b) - created(a));
}

/** Why the Job failed: its newest failed pod's words, else the Job's own (BackoffLimitExceeded…). */
function whyFailed(job: V1Job | undefined, pods: readonly V1Pod[]): { reason: string; message: string } {
  for (const pod of newestFirst(pods)) {
    const failure = failureOf(pod);
    if (failure !== undefined) return { reason: 'JobFailed', message: failure };
  }
  const condition = jobCondition(job, 'Failed');
  return { reason: condition?.reason ?? 'JobFailed', message: condition?.message ?? 'the Job failed' };
}

type ConditionWords = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

function condition(words: ConditionWords, found: ArchiveFindings): Condition {
  const made: Condition = { ...words, lastTransitionTime: found.now };
  return found.generation === undefined ? made : { ...made, observedGeneration: found.generation };
}

/** Complete and Failed, as the Job has them. */
function conditionsOf(phase: ArchivePhase, found: ArchiveFindings): Condition[] {
  const pair = (complete: Condition['status'], failed: Condition['status'], reason: string, message: string): Condition[] => [
    condition({ type: 'Complete', status: complete, reason, message }, found),
    condition({ type: 'Failed', status: failed, reason, message: failed === 'True' ? message : '' }, found),
  ];
  if (found.blocked !== undefined) return pair('False', 'False', found.blocked.reason, found.blocked.message);
  const job = found.job?.metadata?.name ?? '';
  switch (phase) {
    case 'Succeeded':
      return pair('True', 'False', 'JobComplete', `Job ${job} succeeded`);
    case 'Failed': {
      const why = whyFailed(found.job, found.pods);
      return pair('False', 'True', why.reason, why.message);
    }
    case 'Running':
      return pair('False', 'False', 'JobRunning', `Job ${job} is running`);
    case 'Pending':
      return pair('False', 'False', 'JobPending', found.job === undefined ? 'the Job is being made' : `Job ${job} is waiting for its pod`);
  }
}

/** Each condition's transition time kept while its status holds. */
function keepTransitions(conditions: readonly Condition[], previous: ArchiveJobStatus | undefined): Condition[] {
  return conditions.map((next) => {
    const before = previous?.conditions?.find((old) => old.type === next.type);
    return before !== undefined && before.status === next.status ? { ...next, lastTransitionTime: before.lastTransitionTime } : next;
  });
}

function endOf(job: V1Job | undefined): Date | string | undefined {
  return job?.status?.completionTime ?? jobCondition(job, 'Failed')?.lastTransitionTime;
}

/** The Job's name and times, as far as it has them. */
function jobTimes(job: V1Job | undefined, phase: ArchivePhase): Pick<ArchiveJobStatus, 'job' | 'startedAt' | 'completedAt'> {
  const ended = phase === 'Succeeded' || phase === 'Failed' ? endOf(job) : undefined;
  const times = { job: job?.metadata?.name, startedAt: toTime(job?.status?.startTime), completedAt: toTime(ended) };
  return Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined));
}

/** The status the Job and its pods say. */
export function decideArchiveStatus(found: ArchiveFindings, previous: ArchiveJobStatus | undefined): DecidedStatus {
  const phase = found.blocked !== undefined ? 'Pending' : phaseOf(found.job);
  const status: DecidedStatus = { phase, conditions: keepTransitions(conditionsOf(phase, found), previous), ...jobTimes(found.job, phase) };
  if (found.generation !== undefined) status.observedGeneration = found.generation;
  return status;
}

/** client-node types times as Date; plain JSON from the API server holds the RFC 3339 string. */
function toTime(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The status of work whose Job is not made: Pending while that may change (it is `blocked`),
 * Failed with the blocker's message when nothing will (a spec that cannot change asks for it).
 */
export function decideBlockedStatus(found: ArchiveFindings, previous: ArchiveJobStatus | undefined, final: boolean): DecidedStatus {
  const decided = decideArchiveStatus(found, previous);
  if (!final) return decided;
  const message = found.blocked?.message ?? '';
  const conditions = decided.conditions.map((condition) => (condition.type === 'Failed' ? { ...condition, status: 'True' as const, message } : condition));
  return { ...decided, phase: 'Failed', conditions };
}

/** Whether a status says the work is over: a reconcile then only keeps what it says. */
export function isFinished(status: ArchiveJobStatus | undefined): boolean {
  return status?.phase === 'Succeeded' || status?.phase === 'Failed';
}
