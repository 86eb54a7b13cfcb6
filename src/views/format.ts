/**
 * Numbers and indices as the detail views print them: compact (lovely-tensors'
 * `x∈[-3.541e+03, -4.054e-05] μ=-393.842`), with as many significant digits as
 * it takes to show a spread (min 3000.0001 and max 3000.0099 must not both read
 * 3000), and raw elements exactly as their dtype holds them.
 */

/** Significant digits of a statistic when nothing asks for more. */
export const DEFAULT_DIGITS = 4;

/** JavaScript numbers hold 17 significant digits at most. */
const MAX_DIGITS = 17;

/** Index tuple of flat position `flat` in a C-ordered array of `shape`. */
export function unravel(flat: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return out;
}

function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
}

/**
 * `v` with `digits` significant digits, short: fixed notation for
 * 1e-3 ≤ |v| < 1e5 with trailing zeros dropped (`0.0012`, `3000.0001`),
 * scientific otherwise (`1.18e+03` style: `-4.054e-05`); integers below 1e5
 * exactly.
 */
export function formatCompact(v: number, digits = DEFAULT_DIGITS): string {
  if (!Number.isFinite(v)) {
    return nonFinite(v);
  }
  const abs = Math.abs(v);
  if (abs === 0) {
    return '0';
  }
  if (Number.isInteger(v) && abs < 1e5) {
    return String(v);
  }
  const p = Math.max(1, Math.min(MAX_DIGITS, Math.round(digits)));
  if (abs >= 1e-3 && abs < 1e5) {
    const decimals = Math.max(0, p - 1 - Math.floor(Math.log10(abs)));
    return trimZeros(v.toFixed(Math.min(decimals, 100)));
  }
  const [mantissa, exp] = v.toExponential(p - 1).split('e');
  const e = Number(exp);
  const sign = e < 0 ? '-' : '+';
  return `${trimZeros(mantissa)}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Significant digits that tell `values` apart: the spread (max − min) shows
 * with two significant digits beside the largest magnitude, never fewer than
 * DEFAULT_DIGITS. Nulls and non-finite values are ignored.
 */
export function spreadDigits(values: ReadonlyArray<number | null>): number {
  const finite = values.filter(
    (v): v is number => v !== null && Number.isFinite(v)
  );
  if (finite.length < 2) {
    return DEFAULT_DIGITS;
  }
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const spread = hi - lo;
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (spread === 0 || magnitude === 0) {
    return DEFAULT_DIGITS;
  }
  const needed =
    Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(spread)) + 2;
  return Math.max(DEFAULT_DIGITS, Math.min(MAX_DIGITS, needed));
}

/** `values` formatted with one precision, enough to tell them apart (`—` for null). */
export function formatSpread(values: ReadonlyArray<number | null>): string[] {
  const digits = spreadDigits(values);
  return values.map(v => (v === null ? '—' : formatCompact(v, digits)));
}

/** A statistic on its own: compact, DEFAULT_DIGITS significant digits. */
export function formatNumber(v: number): string {
  return formatCompact(v, DEFAULT_DIGITS);
}

/**
 * One element of a `values` page as its dtype holds it: the shortest decimal
 * that reads back as the same float32 (`0.1`, not 0.10000000149011612), every
 * digit of a float64, integers exactly.
 */
export function formatValue(v: number | bigint, dtype?: string): string {
  if (typeof v === 'bigint') {
    return v.toString();
  }
  if (!Number.isFinite(v)) {
    return nonFinite(v);
  }
  if (dtype === 'float32') {
    for (let p = 1; p < 9; p++) {
      const s = v.toPrecision(p);
      if (Math.fround(Number(s)) === v) {
        return String(Number(s));
      }
    }
    return String(Number(v.toPrecision(9)));
  }
  return String(v);
}
