// Semantic versions as the CRD's CEL compares them (isSemver and semver with normalization: a
// leading `v`, a missing minor or patch as 0), so that the operator and the API server agree on
// which release is older.

export interface SemanticVersion {
  readonly core: readonly [number, number, number];
  /** The pre-release identifiers: `1.2.0-rc.1` → ['rc', '1']; empty for a release. */
  readonly preRelease: readonly string[];
}

const shape = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version `text` names, or undefined when it is not one (a tag such as `nightly`). */
export function parseSemver(text: string): SemanticVersion | undefined {
  const match = shape.exec(text);
  if (match === null) return undefined;
  const [, major = '0', minor = '0', patch = '0', pre] = match;
  return { core: [Number(major), Number(minor), Number(patch)], preRelease: pre === undefined ? [] : pre.split('.') };
}

/** Negative when a is older than b, positive when newer, 0 when the same release (build metadata ignored). */
export function compareSemver(a: SemanticVersion, b: SemanticVersion): number {
  for (let index = 0; index < 3; index += 1) {
    const difference = a.core[index]! - b.core[index]!;
    if (difference !== 0) return difference;
  }
  return comparePreRelease(a.preRelease, b.preRelease);
}

/** A release is newer than any of its pre-releases; identifiers compare numerically when both are numbers. */
function comparePreRelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = compareIdentifier(a[index]!, b[index]!);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function compareIdentifier(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  if (numeric.test(a) !== numeric.test(b)) return numeric.test(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The newer of two versions, where a tag that is no version (`nightly`) counts for nothing. */
export function newestOf(newest: string | undefined, version: string | undefined): string | undefined {
  const candidate = version === undefined ? undefined : parseSemver(version);
  const known = newest === undefined ? undefined : parseSemver(newest);
  if (candidate === undefined) return known === undefined ? undefined : newest;
  return known !== undefined && compareSemver(known, candidate) >= 0 ? newest : version;
}
