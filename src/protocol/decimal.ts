/**
 * Numbers printed as Python prints them: `f"{x:.{d}f}"` and `f"{x:.{p}e}"`,
 * correctly rounded from the exact binary value, ties to even.
 *
 * JavaScript's toFixed and toExponential round the exact value correctly
 * too, except exact ties, which they round away from zero (2.5 → "3", Python
 * "2"; 0.125 to two places: "0.13", Python "0.12"). A tie half a unit of
 * 10^j away needs x·2^(1 - j) to be an odd integer (x = odd·2^(j-1)·5^j), an
 * exact test in floating point: only those values are rounded here, from
 * the exact value (every double is m·2^e, that is D·10^-s with D a BigInt,
 * m·5^-e when e < 0).
 */

/**
 * x may lie halfway between multiples of 10^j: x·2^(1 - j) is an odd integer,
 * and for j > 0 a multiple of 5^j (as far as a float division tells: a false
 * yes only costs the exact path).
 */
function mayTie(x: number, j: number): boolean {
  const y = x * 2 ** (1 - j);
  return (
    Number.isInteger(y) &&
    y % 2 !== 0 &&
    (j <= 0 || Number.isInteger(y / 5 ** j))
  );
}

const BITS = new DataView(new ArrayBuffer(8));

/** |x| = digits · 10^-scale exactly (x finite, not 0). */
function exact(x: number): { digits: bigint; scale: number } {
  BITS.setFloat64(0, Math.abs(x));
  const hi = BITS.getUint32(0);
  const lo = BITS.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << BigInt(32)) | BigInt(lo);
  let e = -1074; // subnormal
  if (biased !== 0) {
    m |= BigInt(1) << BigInt(52);
    e = biased - 1075;
  }
  // Fewer binary places, fewer decimal places to carry.
  while (e < 0 && (m & BigInt(1)) === BigInt(0)) {
    m >>= BigInt(1);
    e += 1;
  }
  return e >= 0
    ? { digits: m << BigInt(e), scale: 0 }
    : { digits: m * BigInt(5) ** BigInt(-e), scale: -e };
}

/** `n / 10^drop`, rounded half to even. */
function roundDown(n: bigint, drop: number): bigint {
  if (drop <= 0) {
    return n * BigInt(10) ** BigInt(-drop);
  }
  const div = BigInt(10) ** BigInt(drop);
  let q = n / div;
  const twice = (n % div) * BigInt(2);
  if (twice > div || (twice === div && (q & BigInt(1)) === BigInt(1))) {
    q += BigInt(1);
  }
  return q;
}

/** Python's `f"{x:.{decimals}f}"` for a finite x. */
export function toFixedPy(x: number, decimals: number): string {
  if (!mayTie(x, -decimals)) {
    return x.toFixed(decimals); // no tie possible: correctly rounded already
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) {
    return sign + (decimals > 0 ? '0.' + '0'.repeat(decimals) : '0');
  }
  const { digits, scale } = exact(x);
  let text = roundDown(digits, scale - decimals).toString();
  if (decimals > 0) {
    text = text.padStart(decimals + 1, '0');
    text = `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
  }
  return sign + text;
}

/**
 * `f"{x:.{places}e}"` of a finite, non-zero x (or of a safe integer, as
 * `Decimal(x)` formats it: both round the exact value half to even), as
 * mantissa and decimal exponent: -1.5e-05 with 3 places is
 * `{ mantissa: '-1.500', exponent: -5 }`.
 */
export function toExponentialPy(
  x: number,
  places: number
): { mantissa: string; exponent: number } {
  const fast = x.toExponential(places);
  const cut = fast.indexOf('e');
  const e = Number(fast.slice(cut + 1));
  // The last digit kept is at 10^(e - places), or one place lower when
  // rounding carried into a new digit (9.99… to 1.0e+1).
  if (!mayTie(x, e - places) && !mayTie(x, e - places - 1)) {
    return { mantissa: fast.slice(0, cut), exponent: e };
  }
  const { digits, scale } = exact(x);
  const length = digits.toString().length;
  let exponent = length - 1 - scale;
  let kept = roundDown(digits, length - (places + 1));
  if (kept.toString().length > places + 1) {
    kept /= BigInt(10); // 9.99… rounded up to 10.0…: a power of ten
    exponent += 1;
  }
  const m = kept.toString();
  const mantissa = places > 0 ? `${m[0]}.${m.slice(1)}` : m;
  return { mantissa: (x < 0 ? '-' : '') + mantissa, exponent };
}
