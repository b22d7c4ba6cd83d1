// helm as built by scripts/build-helm.sh (`make helm-bin`), for the chart's tests.
import path from 'node:path';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';

/** .cache/helm/<version>/helm with the version scripts/build-helm.sh pins, or $HEARTH_HELM; throws, naming the make target, when it is not built. */
export async function helmBinary(): Promise<string> {
  const fromEnv = process.env.HEARTH_HELM;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const version = await pinnedVersion('build-helm.sh', 'helm_version');
  const binary = path.join(repoRoot, '.cache', 'helm', version, 'helm');
  if (!(await isExecutable(binary))) throw new Error(`helm is not built at ${path.relative(repoRoot, binary)}: run \`make helm-bin\` (scripts/build-helm.sh)`);
  return binary;
}
