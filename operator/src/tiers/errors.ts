// Why a Hearth cannot be run as its spec says. These are values, not exceptions: the reconcile
// turns one into a condition (the code is its reason), a phase and a Warning Event.
//
// Two kinds: a build failure (desiredObjects cannot make the objects at all: nothing is applied
// or pruned, so whatever serves keeps serving) and a reconcile problem (the objects were made, but
// a step could not carry them out: the API server refused one, or credentials are missing).
import type { HearthPhase } from '../api/index.ts';

export const tierErrorCodes = ['InvalidResource', 'DatabaseNotAvailable', 'CredentialsMissing', 'ReconcileError'] as const;
export type TierErrorCode = (typeof tierErrorCodes)[number];

export interface TierError {
  /** Stable, CamelCase: usable as a condition reason and an Event reason as it is. */
  readonly code: TierErrorCode;
  /** For a person: names the field or object and what to do. */
  readonly message: string;
}

/** The clustered tier's PostgreSQL comes from CloudNativePG or from outside; with neither, nothing is built. */
export function databaseNotAvailable(): TierError {
  return {
    code: 'DatabaseNotAvailable',
    message:
      'spec.tier clustered needs a highly available PostgreSQL: install CloudNativePG (its postgresql.cnpg.io CRDs and operator), ' +
      'or set spec.database.external.secretRef to a Secret with key url (docs/operator.md#clustered-tier); nothing is created until then',
  };
}

export function invalidResource(message: string): TierError {
  return { code: 'InvalidResource', message };
}

/**
 * The phase a problem puts the Hearth in: Failed when the spec itself cannot be carried out (a
 * person must change it), Pending when the cluster lacks something the spec needs (installing it
 * lets the Hearth go on), Degraded when the spec is fine and something around it must be repaired.
 */
export function phaseOfError(error: TierError): HearthPhase {
  switch (error.code) {
    case 'InvalidResource':
      return 'Failed';
    case 'DatabaseNotAvailable':
      return 'Pending';
    case 'CredentialsMissing':
    case 'ReconcileError':
      return 'Degraded';
  }
}
