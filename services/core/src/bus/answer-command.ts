import { isHearthError } from '../errors.ts';
import type { CommandHandler, CommandReply, CommandRequest } from './bus.ts';

/**
 * The handler's reply; one that throws gets the reply shape every bus gives: a HearthError's
 * own body, anything else reported to `onError` and answered as `internal`.
 */
export async function answerCommand(handler: CommandHandler, request: CommandRequest, onError: (error: unknown) => void): Promise<CommandReply> {
  try {
    return await handler(request);
  } catch (error) {
    if (isHearthError(error)) return { ok: false, error: error.toJSON().error };
    onError(error);
    return { ok: false, error: { code: 'internal', message: 'the command handler failed' } };
  }
}
