/**
 * Finding the cell that made a tensor: by id, by execution count only when
 * there is no id, and "stale" when the line changed or the cell is gone.
 */
import type { ISource } from '../protocol';
import type { ICellInfo } from '../sourceLink';
import { lineOf, matchCell } from '../sourceLink';

const CODE = 'loss = tf.reduce_mean(tf.square(p - y))';

function cell(id: string, count: number | null, source: string): ICellInfo {
  return { id, type: 'code', executionCount: count, source };
}

function src(over: Partial<ISource>): ISource {
  return {
    file: '/tmp/ipykernel_1/2.py',
    line: 2,
    function: 'train_step',
    cell: 2,
    cell_id: 'b',
    ...over
  };
}

// An earlier session's outputs: cell "a" still shows [2], the count that
// cell "b" got when it ran in this session.
const CELLS = [
  cell('a', 2, `x = 1\n${CODE}`),
  { id: 'md', type: 'markdown', executionCount: null, source: 'text' },
  cell('b', 2, `def f():\n    ${CODE}\n`)
];

describe('matchCell', () => {
  it('finds the cell by its id, not the first cell with its count', () => {
    expect(matchCell(CELLS, src({}), CODE)).toEqual({
      kind: 'found',
      index: 2
    });
  });

  it('says stale when the line no longer reads the recorded code', () => {
    const edited = CELLS.slice();
    edited[2] = cell('b', 2, 'def f():\n    loss = 0\n');
    expect(matchCell(edited, src({}), CODE)).toEqual({
      kind: 'stale',
      index: 2,
      now: '    loss = 0'
    });
    // A line past the end of a shortened cell is stale too.
    expect(matchCell(edited, src({ line: 9 }), CODE).kind).toBe('stale');
  });

  it('says missing when no cell has the id (deleted)', () => {
    expect(matchCell(CELLS, src({ cell_id: 'gone' }), CODE)).toEqual({
      kind: 'missing'
    });
  });

  it('falls back to the execution count without an id, checking the code', () => {
    const old = src({ cell_id: null, line: 2 });
    // Both "a" and "b" show [2]; only "a" has the code at line 2.
    expect(matchCell(CELLS, old, CODE)).toEqual({ kind: 'found', index: 0 });
    const older = src({ cell_id: undefined, line: 2 });
    expect(matchCell(CELLS, older, 'something else').kind).toBe('stale');
    expect(matchCell(CELLS, src({ cell_id: null, cell: 7 }), CODE)).toEqual({
      kind: 'missing'
    });
  });

  it('does not check a line the kernel could not read', () => {
    expect(matchCell(CELLS, src({ line: 40 }), '')).toEqual({
      kind: 'found',
      index: 2
    });
    expect(matchCell(CELLS, src({}), null).kind).toBe('found');
  });

  it('reads 1-based lines', () => {
    expect(lineOf('a\nb', 1)).toBe('a');
    expect(lineOf('a\nb', 2)).toBe('b');
    expect(lineOf('a\nb', 3)).toBeNull();
    expect(lineOf('a\nb', 0)).toBeNull();
  });
});
