/**
 * The rows of one comparison, as the eager | graph view reads them: counts
 * (graph-only, eager-only, diverging, noise, per cause), the row of each
 * eager tensor, and which rows are shown for a filter and the noise choice.
 * Plain data, no signals: ComparisonModel keeps one per loaded comparison.
 */
import type { IComparisonRow } from '../protocol';

/** The cause counted for a diverging row the kernel could not attribute. */
export const UNKNOWN_CAUSE = 'unknown';

export interface ICompareCounts {
  graphOnly: number;
  eagerOnly: number;
  diverging: number;
  /** (1.4) Diverging rows that are optimisation noise. */
  noise: number;
  /** (1.4) Diverging rows per cause, most frequent first; [] from older kernels. */
  causes: Array<[string, number]>;
}

export const NO_COUNTS: ICompareCounts = {
  graphOnly: 0,
  eagerOnly: 0,
  diverging: 0,
  noise: 0,
  causes: []
};

/** Whether a row is hidden while optimisation noise is (its difference is noise). */
export function isNoise(row: IComparisonRow): boolean {
  return row.diverges && row.noise === true;
}

/** Whether a row matches the panel's filter text (name, op, function graph). */
export function matchesFilter(row: IComparisonRow, needle: string): boolean {
  const hay = `${row.name ?? ''}\n${row.op}\n${row.graph ?? ''}`.toLowerCase();
  return hay.includes(needle);
}

export class CompareRows {
  constructor(rows: IComparisonRow[] = []) {
    this.rows = rows;
    // A 1.4 kernel sends `cause` on every row (null where none): its absence
    // means an older kernel, whose comparison has no causes to show.
    this.hasCauses = rows.some(r => r.cause !== undefined);
    const counts = { ...NO_COUNTS };
    const causes = new Map<string, number>();
    rows.forEach((r, k) => {
      if (r.eager_index !== null && !this._byEager.has(r.eager_index)) {
        this._byEager.set(r.eager_index, k);
      }
      counts.graphOnly += r.only_in === 'graph' ? 1 : 0;
      counts.eagerOnly += r.only_in === 'eager' ? 1 : 0;
      if (r.diverges) {
        counts.diverging += 1;
        counts.noise += isNoise(r) ? 1 : 0;
        if (this.hasCauses) {
          const cause = r.cause ?? UNKNOWN_CAUSE;
          causes.set(cause, (causes.get(cause) ?? 0) + 1);
        }
      }
    });
    // Most frequent first, as the kernel's `causes`; ties in order of first use.
    counts.causes = [...causes.entries()].sort((a, b) => b[1] - a[1]);
    this.counts = counts;
  }

  readonly rows: readonly IComparisonRow[];
  readonly counts: ICompareCounts;
  /** Whether the kernel said why rows differ (protocol 1.4). */
  readonly hasCauses: boolean;

  /** Row `k` of eager tensor `i` (its first occurrence), if it has one. */
  rowOfEager(i: number): number | undefined {
    return this._byEager.get(i);
  }

  /**
   * Rows `k` shown for a filter (lower case, trimmed) and whether noise is
   * shown; null when every row is (no filter, nothing hidden).
   */
  view(needle: string, showNoise: boolean): number[] | null {
    const hideNoise = !showNoise && this.counts.noise > 0;
    if (!needle && !hideNoise) {
      return null;
    }
    const shown: number[] = [];
    this.rows.forEach((r, k) => {
      if (
        (!hideNoise || !isNoise(r)) &&
        (!needle || matchesFilter(r, needle))
      ) {
        shown.push(k);
      }
    });
    return shown;
  }

  private _byEager = new Map<number, number>();
}
