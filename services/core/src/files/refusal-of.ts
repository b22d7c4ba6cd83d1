import assert from 'node:assert/strict';
import { HearthError } from '../errors.ts';

/** For the rules' tests: the HearthError `work` throws, as its code, field and message; fails when it throws none. */
export function refusal(work: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof HearthError, String(error));
    return { code: error.code, field: error.field, message: error.message };
  }
  return assert.fail('it was not refused');
}
