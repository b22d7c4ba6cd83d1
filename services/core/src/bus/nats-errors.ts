import { HearthError } from '../errors.ts';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** NATS trouble as the rest of Hearth sees it: `doing` says what could not be done, the cause's message follows. */
export function unavailable(doing: string, cause: unknown): HearthError {
  return new HearthError('unavailable', `${doing}: ${messageOf(cause)}`, { cause });
}
