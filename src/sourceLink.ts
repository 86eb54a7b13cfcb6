/**
 * Where a tensor's source line is now: the notebook cell that made it, found
 * by the cell's id (execution counts repeat after re-runs, restarts and
 * reloads; the saved outputs of an earlier session carry them too), checked
 * against the line the kernel recorded, so that a changed or deleted cell is
 * said to be stale rather than jumped to.
 */
import type { ISource } from './protocol';

/** What the lookup needs to know of a notebook cell. */
export interface ICellInfo {
  id: string;
  type: string;
  /** Null for a cell that has not run (or a markdown cell). */
  executionCount: number | null;
  source: string;
}

export type CellMatch =
  /** The cell, and its text at the line is the recorded code. */
  | { kind: 'found'; index: number }
  /** No cell of this notebook is the one that ran. */
  | { kind: 'missing' }
  /** The cell is there but its text at the line is no longer the code. */
  | { kind: 'stale'; index: number; now: string };

/**
 * Find `source`'s cell among `cells`: by `cell_id` when the kernel sent one,
 * else (a 1.0/1.1 kernel, a frontend that sends no ids) by execution count,
 * preferring the cell whose line still reads `code`. `code` null or `''`
 * (the kernel could not read the line) is not checked.
 */
export function matchCell(
  cells: readonly ICellInfo[],
  source: ISource,
  code: string | null
): CellMatch {
  const id = source.cell_id ?? null;
  if (id !== null) {
    const index = cells.findIndex(c => c.id === id);
    if (index < 0) {
      return { kind: 'missing' };
    }
    return check(cells[index], index, source.line, code);
  }
  if (source.cell === null || source.cell === undefined) {
    return { kind: 'missing' };
  }
  const ran = cells
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.type === 'code' && c.executionCount === source.cell);
  if (ran.length === 0) {
    return { kind: 'missing' };
  }
  const checked = ran.map(({ c, index }) => check(c, index, source.line, code));
  return checked.find(m => m.kind === 'found') ?? checked[0];
}

/** The text of 1-based `line` in a cell's source, or null past its end. */
export function lineOf(text: string, line: number): string | null {
  const lines = text.split('\n');
  return line >= 1 && line <= lines.length ? lines[line - 1] : null;
}

function check(
  cell: ICellInfo,
  index: number,
  line: number,
  code: string | null
): CellMatch {
  if (!code) {
    return { kind: 'found', index };
  }
  const now = lineOf(cell.source, line);
  return now !== null && now.trim() === code.trim()
    ? { kind: 'found', index }
    : { kind: 'stale', index, now: now ?? '' };
}
