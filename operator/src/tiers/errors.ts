// Why a Hearth cannot be turned into objects. These are values, not exceptions: the reconcile
// turns one into a `Ready=False` condition (the code is the condition's reason) and an Event, and
// applies and prunes nothing, so whatever is serving keeps serving.
import type { HearthTier } from '../api/index.ts';

export const tierErrorCodes = ['TierNotSupported', 'InvalidResource'] as const;
export type TierErrorCode = (typeof tierErrorCodes)[number];

export interface TierError {
  /** Stable, CamelCase: usable as a condition reason as it is. */
  readonly code: TierErrorCode;
  /** For a person: names the field and what to do. */
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
