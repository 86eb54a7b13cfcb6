/** Numbers and indices as the detail views print them. */

/** Index tuple of flat position `flat` in a C-ordered array of `shape`. */
export function unravel(flat: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return out;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) {
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  }
  if (Number.isInteger(v) && Math.abs(v) < 1e15) {
    return String(v);
  }
  return String(Number(v.toPrecision(6)));
}

export function formatValue(v: number | bigint): string {
  return typeof v === 'bigint' ? v.toString() : formatNumber(v);
}
