// Why a Hearth cannot be run as its spec says. These are values, not exceptions: the reconcile
// turns one into a condition (the code is its reason), a phase and a Warning Event.
//
// Two kinds: a build failure (desiredObjects cannot make the objects at all: nothing is applied
// or pruned, so whatever serves keeps serving) and a reconcile problem (the objects were made, but
// a step could not carry them out: the API server refused one, or credentials are missing).
import type { HearthPhase, HearthTier } from '../api/index.ts';

export const tierErrorCodes = ['TierNotSupported', 'InvalidResource', 'CredentialsMissing', 'ReconcileError'] as const;
export type TierErrorCode = (typeof tierErrorCodes)[number];

export interface TierError {
  /** Stable, CamelCase: usable as a condition reason and an Event reason as it is. */
  readonly code: TierErrorCode;
  /** For a person: names the field or object and what to do. */
  readonly message: string;
}

export function tierNotSupported(tier: HearthTier): TierError {
  return {
    code: 'TierNotSupported',
    message: `spec.tier ${tier} is not supported by this operator yet; the tier that was serving keeps serving`,
  };
}

export function invalidResource(message: string): TierError {
  return { code: 'InvalidResource', message };
}

/**
 * The phase a problem puts the Hearth in: Failed when the spec itself cannot be carried out (a
 * person must change it), Degraded when the spec is fine and something around it must be repaired.
 */
export function phaseOfError(error: TierError): HearthPhase {
  switch (error.code) {
    case 'TierNotSupported':
    case 'InvalidResource':
      return 'Failed';
    case 'CredentialsMissing':
    case 'ReconcileError':
      return 'Degraded';
  }
}
