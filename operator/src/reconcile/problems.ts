// Turning what went wrong in a reconcile into something a person sees: a condition on the Hearth
// (reconcile-hearth.ts writes it) and a Warning Event when that condition changes. Pure.
import { KubeApiError } from '@hearth/kube-runtime';
import type { Condition, HearthStatus } from '../api/index.ts';
import { invalidResource, type TierError } from '../tiers/index.ts';

/** A write of one object the API server refused, with the object named. */
export class ObjectWriteError extends Error {
  readonly kind: string;
  readonly objectName: string;
  override readonly cause: KubeApiError;
  constructor(kind: string, objectName: string, cause: KubeApiError) {
    super(`${kind} ${objectName}: ${cause.message}`, { cause });
    this.name = 'ObjectWriteError';
    this.kind = kind;
    this.objectName = objectName;
    this.cause = cause;
  }
}

/** The API server's own words, without our request line (`apply /apis/...: HTTP 422: `). */
function serverMessage(error: KubeApiError): string {
  return error.serverMessage ?? `HTTP ${error.status}`;
}

/**
 * The problem an error from a reconcile step is, or undefined for one that is not worth a
 * condition (a conflict with a newer version, which the next reconcile resolves by itself).
 * A 400 or 422 is the spec asking for something the API server will not take: InvalidResource,
 * until the spec changes. Anything else (403, 5xx, a timeout) is ReconcileError, retried with back-off.
 */
export function problemOf(error: unknown): TierError | undefined {
  const cause = error instanceof ObjectWriteError ? error.cause : error;
  if (cause instanceof KubeApiError && cause.status === 409) return undefined;
  const subject = error instanceof ObjectWriteError ? `${error.kind} ${error.objectName}` : undefined;
  if (isRefusedSpec(cause)) return invalidResource(`the API server refused ${subject ?? 'an object'} of this spec: ${serverMessage(cause)}`);
  return { code: 'ReconcileError', message: `${subject === undefined ? '' : `${subject}: `}${detailOf(cause)}; retrying with back-off` };
}

/** A 400 or 422: the API server will not take what the spec asks for, however often it is asked. */
function isRefusedSpec(cause: unknown): cause is KubeApiError {
  return cause instanceof KubeApiError && (cause.status === 400 || cause.status === 422);
}

/** What went wrong in words: the API server's own, an error's message, or whatever was thrown. */
function detailOf(cause: unknown): string {
  if (cause instanceof KubeApiError) return serverMessage(cause);
  return cause instanceof Error ? cause.message : String(cause);
}

/** Condition types whose True status is a problem for a person to act on: each change of one is a Warning. */
const warningConditions = new Set(['Degraded', 'StorageUnchanged']);
/** Condition types whose False status is such a problem (what spec.observability asks for is not there). */
const warningWhenFalse = new Set(['MonitoringReady']);
/** Warnings named after the condition's reason rather than its type. */
const namedByReason = new Set(['Degraded', 'MonitoringReady']);
/** Degraded because pods are not ready is told by the Ready and Degraded conditions alone, without a Warning each time. */
const quietReasons = new Set(['ComponentsNotReady']);

export interface Warning {
  readonly reason: string;
  readonly message: string;
}

function isProblem(condition: Condition): boolean {
  return (warningConditions.has(condition.type) && condition.status === 'True') || (warningWhenFalse.has(condition.type) && condition.status === 'False');
}

/**
 * The Warnings a status change calls for: each problem condition that is True now and was not, or
 * says something else than before. Unchanged problems make none, so a steady Hearth writes nothing.
 */
export function warningsOf(previous: HearthStatus | undefined, next: HearthStatus): Warning[] {
  const before = (type: string): Condition | undefined => previous?.conditions?.find((condition) => condition.type === type);
  return (
    (next.conditions ?? [])
      .filter((condition) => isProblem(condition) && !quietReasons.has(condition.reason))
      .filter((condition) => {
        const old = before(condition.type);
        return old === undefined || !isProblem(old) || old.reason !== condition.reason || old.message !== condition.message;
      })
      // A Degraded Warning says which problem; the others are named after their condition, as `kubectl describe` groups them.
      .map((condition) => ({ reason: namedByReason.has(condition.type) ? condition.reason : condition.type, message: condition.message }))
  );
}
