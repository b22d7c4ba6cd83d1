import path from 'node:path';

/**
 * The flags Node runs the operator with: the chart's `command` (charts/hearth-operator/values.yaml,
 * which chart.test.ts holds to this list), the tests that start `operator/src/main.ts` and the
 * benchmark, so that what is measured is what is deployed.
 *
 * V8 sizes its young generation from the memory it sees: 64 MiB a semi-space on a 24 GiB machine
 * with no limit, 16 MiB under the chart's default 768 MiB limit. The pages of the young generation a
 * burst of watch events has touched stay resident, so unpinned the operator's memory depended on
 * the node it ran on and on whether a limit was set: at 2,000 Hearths 475 MiB resident with 64 MiB,
 * 398 MiB with 16 (bench/README.md, "Operator: what the profiles showed"). 16 MiB is what a limited
 * pod got anyway, now everywhere.
 */
export const operatorNodeFlags: readonly string[] = ['--max-semi-space-size=16'];

/** The operator's entry point, from the repository's root (the image's working directory). */
export const operatorEntryPoint = 'operator/src/main.ts';

/** Node's arguments to start the operator from a checkout at `root`: its flags, then its entry point. */
export function operatorNodeArgs(root: string): string[] {
  return [...operatorNodeFlags, path.join(root, operatorEntryPoint)];
}
