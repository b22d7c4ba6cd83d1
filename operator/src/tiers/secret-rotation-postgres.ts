// Rotating the bundled PostgreSQL's password, step by step (postgres-password-job.ts says why it
// takes a Job). Each step is decided from the objects as they are, never from memory, so an
// operator killed at any point resumes where it stopped: a pending Secret holds the new password;
// a Job sets it in PostgreSQL; once the Job has succeeded the credentials Secret is made again with
// it, and the pending Secret and the Job are removed. A rotation once started is finished even if
// the request changes meanwhile: after its Job has run, only the pending Secret knows the password
// in force. A failed Job leaves the old password in force and in the Secret. Pure.
import type { JobState } from './migration.ts';

/** A credentials or pending Secret as observed: its password and the request it records. */
export interface ObservedPasswordSecret {
  readonly uid: string;
  readonly password: string | undefined;
  readonly request: string | undefined;
}

/** A rotation Job as observed, with the pending Secret it was made for (its label). */
export interface ObservedPasswordJob {
  readonly name: string;
  readonly pendingUid: string | undefined;
  readonly state: JobState;
  /** Its pod's last line (psql's error) when it failed. */
  readonly message: string | undefined;
  readonly deleting: boolean;
}

export interface PostgresRotationFindings {
  /** The rotate-secrets request that asks for a new PostgreSQL password (rotationDecisions), if any. */
  readonly wanted: string | undefined;
  readonly credentials: ObservedPasswordSecret | undefined;
  readonly pending: ObservedPasswordSecret | undefined;
  readonly jobs: readonly ObservedPasswordJob[];
}

export type PostgresRotationAction =
  | { readonly type: 'createPending'; readonly request: string }
  | { readonly type: 'createJob'; readonly pendingUid: string }
  | { readonly type: 'replaceCredentials'; readonly request: string | undefined }
  | { readonly type: 'fail'; readonly request: string | undefined; readonly job: string; readonly message: string | undefined }
  | { readonly type: 'deleteJob'; readonly name: string }
  | { readonly type: 'deletePending' };

/** The next steps, in order; none while a Job runs or nothing is asked. */
export function decidePostgresRotation(findings: PostgresRotationFindings): PostgresRotationAction[] {
  const { pending, credentials, wanted } = findings;
  // A Job of no pending Secret (or of one replaced): what is left of a rotation that ended.
  const stale: PostgresRotationAction[] = findings.jobs
    .filter((job) => !job.deleting && (pending === undefined || job.pendingUid !== pending.uid))
    .map((job) => ({ type: 'deleteJob', name: job.name }));
  if (pending !== undefined) return [...stale, ...nextForPending(findings, pending)];
  // No credentials: a lost Secret, which ensureGeneratedSecrets tells about; nothing to rotate.
  if (wanted === undefined || credentials === undefined) return stale;
  return [...stale, { type: 'createPending', request: wanted }];
}

function nextForPending(findings: PostgresRotationFindings, pending: ObservedPasswordSecret): PostgresRotationAction[] {
  const { credentials } = findings;
  const job = findings.jobs.find((candidate) => !candidate.deleting && candidate.pendingUid === pending.uid);
  const cleanUp: PostgresRotationAction[] = [...(job === undefined ? [] : [{ type: 'deleteJob', name: job.name } as const]), { type: 'deletePending' }];
  // Replaced already (the operator stopped before removing the rest).
  if (credentials !== undefined && credentials.password === pending.password) return cleanUp;
  if (job === undefined) return credentials === undefined ? [] : [{ type: 'createJob', pendingUid: pending.uid }];
  switch (job.state) {
    case 'active':
      return [];
    case 'succeeded':
      // Also when the credentials are gone: deleted for the replacement, before it was created.
      return [{ type: 'replaceCredentials', request: pending.request }, ...cleanUp];
    case 'failed':
      if (credentials === undefined) return [];
      return [{ type: 'fail', request: pending.request, job: job.name, message: job.message }, ...cleanUp];
  }
}

/** The Warning for a failed rotation Job: what stays, why (its last line), and how to ask again. */
export function rotationFailedMessage(secret: string, job: string, line: string | undefined): string {
  const why = line === undefined ? 'it left no message' : `its last line: ${line}`;
  return (
    `Secret ${secret} was not rotated: Job ${job}, which sets the new password in PostgreSQL, failed (${why}). ` +
    'The current password stays in force and in the Secret. Fix the cause, then ask again with a new hearth.dev/rotate-secrets value ' +
    '(docs/operator.md#rotating-generated-secrets)'
  );
}
