import { runPasswordRoll, type PasswordRollReport } from '../e2e/secret-rotation.ts';
import { printTable, round, writeResults } from './common.ts';

/**
 * A database password rotated under load on the single tier (e2e/secret-rotation.ts): POSTERS
 * people post back to back, each post retried with its clientMessageId until acknowledged; the
 * password is changed in PostgreSQL (ALTER ROLE), then the five service processes are replaced
 * one at a time by ones started with the new password, the two gateways behind nginx. Reported:
 * the attempts that failed during the roll (by what came back) and the acknowledged posts the
 * store does not have, which must be 0 (e2e/single-tier/secret-rotation.test.ts asserts it).
 * RUNS runs, each on fresh backends.
 */

const POSTERS = Number(process.env['BENCH_ROTATION_POSTERS'] ?? 4);
const RUNS = Number(process.env['BENCH_ROTATION_RUNS'] ?? 3);
const STEADY_MS = 2_000;

export async function runSecretRotation(): Promise<PasswordRollReport[]> {
  const runs: PasswordRollReport[] = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await runPasswordRoll({ posters: POSTERS, steadyMs: STEADY_MS }));
  printTable(
    `Database password rotated under load: ${POSTERS} posters, 5 processes rolled one at a time (${RUNS} runs)`,
    runs.map((run, i) => ({
      metric: `run ${i + 1}`,
      value: String(run.failedDuringRoll),
      note: `failed attempts during the roll of ${round(run.rollMs / 1000)} s, ${run.failedAfterRoll} after it (the whole run: ${JSON.stringify(run.failures)}); ${run.acknowledged} acknowledged, ${run.lost} lost`,
    })),
  );
  const file = await writeResults('secret-rotation', {
    posters: POSTERS,
    processesRolled: runs[0]?.processes ?? 0,
    runs: runs.map((run) => ({ ...run, rollMs: Math.round(run.rollMs) })),
    failedDuringRoll: runs.map((run) => run.failedDuringRoll),
    acknowledgedLost: runs.reduce((sum, run) => sum + run.lost, 0),
  });
  console.log(`\nwritten to ${file}`);
  return runs;
}

if (import.meta.main) await runSecretRotation();
