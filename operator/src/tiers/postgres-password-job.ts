// Rotating the bundled PostgreSQL's generated password. PostgreSQL reads POSTGRES_PASSWORD only at
// its first start (initdb) and keeps the password in its data, so a new Secret alone would lock the
// services out: the password is changed in the database first, by a Job that connects as the user
// with the current password and runs ALTER ROLE, and only then put into the credentials Secret.
// The new value waits meanwhile in a pending Secret, which the Job reads; both passwords reach
// the Job by environment only, never in its args, its spec or an Event.
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { backendImage, imagePullPolicy, type TierContext } from './context.ts';
import { objectMeta } from './desired-object.ts';
import { commonLabels } from './labels.ts';
import type { DesiredJob } from './migration-job.ts';
import { objectNames } from './names.ts';
import { containerSecurityContext, imageUsers, podSecurityContext, secretEnv, tmpMount, tmpVolume, valueEnv } from './pod.ts';
import { postgresDatabase, postgresPasswordKey, postgresPort, postgresUser } from './postgres.ts';
import { rotationRequestAnnotation } from './secret-rotation.ts';

export const passwordContainerName = 'alter-role';
/** The label on the Job naming the pending Secret (by uid) whose password it sets. */
export const pendingSecretLabel = 'hearth.dev/pending-secret-uid';
/** The variables the script reads the two passwords from. */
export const currentPasswordVariable = 'HEARTH_CURRENT_PASSWORD';
export const newPasswordVariable = 'HEARTH_NEW_PASSWORD';
/**
 * A pod lost to its node is retried; a refused password or a missing role is not something a
 * second run changes, and the old password stays in force meanwhile, so the person is told soon.
 */
export const passwordJobBackoffLimit = 1;

/** The pending Secret: the generated password the rotation sets, until it replaces the credentials. */
export function pendingPasswordSecretName(hearthName: string): string {
  return `${objectNames(hearthName).postgresCredentials}-next`;
}

/**
 * `<hearth>-pg-password-<6 hex>`, from the pending Secret's uid: the same for one attempt, so an
 * operator that restarts finds the Job it made; another for the next. 40 + 13 + 6: a label value.
 */
export function passwordJobName(hearthName: string, pendingUid: string): string {
  return `${hearthName}-pg-password-${createHash('sha256').update(pendingUid).digest('hex').slice(0, 6)}`;
}

/**
 * What the Job runs (sh -c). First whether the new password opens a connection already: a pod
 * that ran ALTER ROLE and was lost before it exited, retried, must succeed, not fail on the old
 * password no longer in force. Then ALTER ROLE with the current password. The new value goes from
 * the environment into a psql variable (\getenv, psql 15+) and into the statement quoted by
 * format('%L'), so no character of it can end the string literal; none is on a command line.
 * psql's error, its last line, is the termination message the operator quotes.
 */
export const alterRoleScript = [
  'set -eu',
  `if PGPASSWORD="$${newPasswordVariable}" psql -qAtX -c 'SELECT 1' >/dev/null 2>&1; then`,
  "  echo 'the new password is in force already'",
  '  exit 0',
  'fi',
  `PGPASSWORD="$${currentPasswordVariable}" psql -qAtX -v ON_ERROR_STOP=1 <<'SQL'`,
  `\\getenv new_password ${newPasswordVariable}`,
  "SELECT format('ALTER ROLE %I PASSWORD %L', current_user, :'new_password') \\gexec",
  'SQL',
  "echo 'password changed'",
].join('\n');

/** The Job that sets the pending Secret's password (`pendingUid`) on the bundled PostgreSQL's user. */
export function buildPostgresPasswordJob(hearth: Hearth, ctx: TierContext, pendingUid: string): DesiredJob {
  const instance = hearth.metadata.name ?? '';
  const names = objectNames(instance);
  const labels = commonLabels(instance, 'rotation');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: objectMeta(hearth, passwordJobName(instance, pendingUid), { ...labels, [pendingSecretLabel]: pendingUid }),
    spec: {
      backoffLimit: passwordJobBackoffLimit,
      template: {
        // The label the PostgreSQL NetworkPolicy admits (postgres.ts).
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: passwordContainerName,
              image: backendImage(hearth, ctx, 'postgres'),
              imagePullPolicy: imagePullPolicy(hearth),
              command: ['sh', '-c', alterRoleScript],
              env: [
                valueEnv('PGHOST', names.backends.postgres),
                valueEnv('PGPORT', String(postgresPort.port)),
                valueEnv('PGUSER', postgresUser),
                valueEnv('PGDATABASE', postgresDatabase),
                valueEnv('PGCONNECT_TIMEOUT', '10'),
                secretEnv(currentPasswordVariable, names.postgresCredentials, postgresPasswordKey),
                secretEnv(newPasswordVariable, pendingPasswordSecretName(instance), postgresPasswordKey),
              ],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
              securityContext: containerSecurityContext(),
              volumeMounts: [tmpMount],
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
          volumes: [tmpVolume],
          securityContext: podSecurityContext(imageUsers.postgres),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}

/**
 * The pending Secret: `generated` (a credentials Secret just built with a new password, marked
 * with its request) under the pending name, owned by the Hearth. Like the credentials it is marked
 * generated, so a Hearth deleted mid-rotation with spec.storage.retainOnDelete keeps it with them
 * (the finalizer takes the owner reference off): one of the two is the password in force.
 */
export function buildPendingPasswordSecret(hearth: Hearth, generated: V1Secret): V1Secret {
  const meta = objectMeta(hearth, pendingPasswordSecretName(hearth.metadata.name ?? ''), generated.metadata?.labels ?? {}, generated.metadata?.annotations);
  return { ...generated, metadata: meta };
}

/** The credentials Secret made again from the pending one (`generated` gives its metadata), with the pending password. */
export function buildRotatedCredentials(generated: V1Secret, pendingPassword: string, request: string | undefined): V1Secret {
  const annotations = { ...generated.metadata?.annotations };
  if (request !== undefined) annotations[rotationRequestAnnotation] = request;
  return { ...generated, metadata: { ...generated.metadata, annotations }, stringData: { [postgresPasswordKey]: pendingPassword } };
}
