import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const HEARTH = path.resolve(import.meta.dirname, '../../bin/hearth');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `hearth <args>` as a person runs it, with only the variables given (and PATH). */
export async function hearth(args: readonly string[], env: Readonly<Record<string, string>>): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(HEARTH, [...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
