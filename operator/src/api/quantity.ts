// Kubernetes resource quantities, compared exactly. The API server stores a quantity in canonical
// form (`cpu: 0.5` comes back as `500m`, `memory: 1024Mi` as `1Gi`), so two spellings of one amount
// must compare equal, or a steady Hearth would be re-applied on every reconcile.

/** A quantity as an exact fraction: numerator / denominator, both whole. */
interface Exact {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const binaryPowers: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalExponents: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const quantityPattern = /^([0-9]+)?(?:\.([0-9]*))?(?:([KMGTPE]i)|[eE]([-+]?[0-9]+)|([numkMGTPE]?))$/;

/** A quantity's digits (its decimal point dropped), and the powers of ten and of 1024 that scale them. */
interface Scaled {
  readonly digits: bigint;
  readonly tens: number;
  readonly kibis: number;
}

function scaledOf(text: string): Scaled | undefined {
  const match = quantityPattern.exec(text);
  if (match === null) return undefined;
  const [, whole = '', fraction = '', binarySuffix, exponent, decimalSuffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  return {
    digits: BigInt(`${whole}${fraction}`),
    tens: suffixTens(binarySuffix, exponent, decimalSuffix) - fraction.length,
    kibis: binarySuffix === undefined ? 0 : (binaryPowers[binarySuffix] ?? 0),
  };
}

/** The power of ten an exponent or a decimal suffix scales by; a binary suffix scales by 1024s instead. */
function suffixTens(binarySuffix: string | undefined, exponent: string | undefined, decimalSuffix: string): number {
  if (binarySuffix !== undefined) return 0;
  return exponent !== undefined ? Number(exponent) : (decimalExponents[decimalSuffix] ?? 0);
}

function exactOf(quantity: string | number): Exact | undefined {
  const scaled = scaledOf(typeof quantity === 'number' ? String(quantity) : quantity.trim());
  if (scaled === undefined) return undefined;
  const numerator = scaled.digits * 1024n ** BigInt(scaled.kibis);
  if (scaled.tens >= 0) return { numerator: numerator * 10n ** BigInt(scaled.tens), denominator: 1n };
  return { numerator, denominator: 10n ** BigInt(-scaled.tens) };
}

/** -1, 0 or 1 as `a` is less than, equal to or more than `b`; undefined when either is not a quantity. */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 | undefined {
  const x = exactOf(a);
  const y = exactOf(b);
  if (x === undefined || y === undefined) return undefined;
  const left = x.numerator * y.denominator;
  const right = y.numerator * x.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

export function isQuantity(value: unknown): value is string | number {
  return (typeof value === 'string' || typeof value === 'number') && exactOf(value) !== undefined;
}

/** A quantity in base units as a number (`10Gi` → 10737418240), for messages and rough sums; undefined when it is not one. */
export function quantityValue(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const exact = exactOf(quantity);
  return exact === undefined ? undefined : Number(exact.numerator) / Number(exact.denominator);
}
