/**
 * (1.3) A `tensors` page sent as columns, read back into rows: strings and
 * sources by index, numbers from the message's buffers (docs/protocol.md,
 * "In columns"). Rows are objects with the fields of ITensorRow; their
 * summary line is made from the numbers when first read (summaryText.ts), so
 * only the rows on screen ever format one.
 */
import { arrayOf, isNat, isObj, isSource, isStr, orNull } from './checks';
import { summaryText } from './summaryText';
import type {
  ISource,
  ITensorColumns,
  ITensorRow,
  ITensors,
  ITensorsInColumns
} from './types';

type Buffer = ArrayBuffer | ArrayBufferView;

/** `flags` bits. */
const HAS_VALUE = 1;
const INTEGER = 2;
const STATS = 4;

const INT32 = [
  'op',
  'scope',
  'graph',
  'reason',
  'dtype',
  'error',
  'why_no_value',
  'source',
  'summary',
  'rank',
  'flags'
] as const;
const FLOAT64 = [
  'size',
  'min',
  'max',
  'mean',
  'std',
  'nan',
  'pos_inf',
  'neg_inf',
  'zeros'
] as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const isNullableStrArray = arrayOf(orNull(isStr));

/**
 * The JSON part of a page in columns: its per-row arrays as long as `count`.
 * The buffers are checked where they are read (decodeTensorColumns).
 */
export function isTensorColumns(v: unknown): v is ITensorColumns {
  return (
    isObj(v) &&
    isNat(v.count) &&
    arrayOf(isStr)(v.strings) &&
    arrayOf(isSource)(v.sources) &&
    isNullableStrArray(v.name) &&
    isNullableStrArray(v.op_name) &&
    v.name.length === v.count &&
    v.op_name.length === v.count &&
    arrayOf(isStr)(v.int32) &&
    arrayOf(isStr)(v.float64)
  );
}

/**
 * The rows of a page in columns. Throws when a buffer is missing or of the
 * wrong size, or an index points outside its table: the page is refused
 * whole, never half-read.
 */
export function decodeTensorColumns(
  msg: ITensorsInColumns,
  buffers: Buffer[]
): ITensors {
  const c = msg.columns;
  const n = c.count;
  const ints = readColumns(buffers[0], Int32Array, c.int32, INT32, n);
  const nums = readColumns(buffers[1], Float64Array, c.float64, FLOAT64, n);
  let dimCount = 0;
  for (let k = 0; k < n; k++) {
    const rank = ints.rank[k];
    check(rank >= -1, 'rank');
    dimCount += Math.max(rank, 0);
  }
  const dims = readArray(buffers[2], Float64Array, dimCount, 'dims');
  const strings = c.strings.length;
  for (const name of INT32) {
    const column = ints[name];
    const top =
      name === 'source'
        ? c.sources.length
        : name === 'rank' || name === 'flags'
          ? Infinity
          : strings;
    for (let k = 0; k < n; k++) {
      check(column[k] >= -1 && column[k] < top, name);
    }
  }
  for (const name of ['size', 'nan', 'pos_inf', 'neg_inf', 'zeros'] as const) {
    for (let k = 0; k < n; k++) {
      check(Number.isInteger(nums[name][k]) && nums[name][k] >= 0, name);
    }
  }
  for (let d = 0; d < dimCount; d++) {
    check(Number.isInteger(dims[d]) && dims[d] >= -1, 'dims');
  }

  const page: IPage = { columns: c, ints, nums, offset: msg.offset, texts: [] };
  const Row = rowClass(page);
  const rows: ITensorRow[] = new Array(n);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const rank = ints.rank[k];
    let shape: Array<number | null> | null = null;
    if (rank >= 0) {
      shape = new Array(rank);
      for (let j = 0; j < rank; j++) {
        const d = dims[at + j];
        shape[j] = d < 0 ? null : d;
      }
      at += rank;
    }
    rows[k] = new Row(page, k, shape);
  }
  return {
    type: 'tensors',
    request_id: msg.request_id,
    recording_id: msg.recording_id,
    step: msg.step,
    offset: msg.offset,
    total: msg.total,
    rows
  };
}

interface IPage {
  columns: ITensorColumns;
  ints: Record<(typeof INT32)[number], Int32Array>;
  nums: Record<(typeof FLOAT64)[number], Float64Array>;
  offset: number;
  /** Summary lines made so far, by row of the page. */
  texts: string[];
}

/** A row's fields, read from its page's columns. */
abstract class ColumnRow implements ITensorRow {
  constructor(page: IPage, k: number, shape: Array<number | null> | null) {
    const { columns: c, ints, nums } = page;
    const text = (column: Int32Array): string | null =>
      column[k] < 0 ? null : c.strings[column[k]];
    this.i = page.offset + k;
    this.name = c.name[k];
    this.reason = text(ints.reason);
    this.op = text(ints.op) ?? '';
    this.op_name = c.op_name[k];
    this.scope = text(ints.scope);
    this.graph = text(ints.graph);
    this.shape = shape;
    this.dtype = text(ints.dtype);
    this.nan = nums.nan[k];
    this.inf = nums.pos_inf[k] + nums.neg_inf[k];
    this.source = ints.source[k] < 0 ? null : c.sources[ints.source[k]];
    this.error = text(ints.error);
    this.has_value = (ints.flags[k] & HAS_VALUE) !== 0;
    this.why_no_value = text(ints.why_no_value);
  }

  abstract get summary(): string;

  i: number;
  name: string | null;
  reason: string | null;
  op: string;
  op_name: string | null;
  scope: string | null;
  graph: string | null;
  shape: Array<number | null> | null;
  dtype: string | null;
  nan: number;
  inf: number;
  source: ISource | null;
  error: string | null;
  has_value: boolean;
  why_no_value: string | null;
}

/** Rows of one page: their summary getter reads that page's numbers. */
function rowClass(
  page: IPage
): new (
  page: IPage,
  k: number,
  shape: Array<number | null> | null
) => ITensorRow {
  return class extends ColumnRow {
    get summary(): string {
      const k = this.i - page.offset;
      let line = page.texts[k];
      if (line === undefined) {
        line = page.texts[k] = summaryOf(page, k, this.dtype);
      }
      return line;
    }
  };
}

function summaryOf(page: IPage, k: number, dtype: string | null): string {
  const { columns, ints, nums } = page;
  if (ints.summary[k] >= 0) {
    return columns.strings[ints.summary[k]];
  }
  const known = (ints.flags[k] & STATS) !== 0;
  const stat = (v: number): number | null => (known ? v : null);
  return summaryText({
    dtype: dtype ?? '?',
    size: nums.size[k],
    min: stat(nums.min[k]),
    max: stat(nums.max[k]),
    mean: stat(nums.mean[k]),
    std: stat(nums.std[k]),
    nan: nums.nan[k],
    pos_inf: nums.pos_inf[k],
    neg_inf: nums.neg_inf[k],
    zeros: nums.zeros[k],
    integer: (ints.flags[k] & INTEGER) !== 0
  });
}

function check(ok: boolean, what: string): void {
  if (!ok) {
    throw new Error(`tensors: column ${what} holds a value out of range`);
  }
}

type Typed = Int32Array | Float64Array;
type TypedCtor<T extends Typed> = {
  BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  new (length: number): T;
};

/** The named columns of a buffer of `names.length` columns of `n` values each. */
function readColumns<T extends Typed, K extends string>(
  buffer: Buffer | undefined,
  Ctor: TypedCtor<T>,
  names: string[],
  wanted: readonly K[],
  n: number
): Record<K, T> {
  const all = readArray(buffer, Ctor, names.length * n, names.join(','));
  const out = {} as Record<K, T>;
  for (const name of wanted) {
    const at = names.indexOf(name);
    if (at < 0) {
      throw new Error(`tensors: the page has no column ${name}`);
    }
    out[name] = all.subarray(at * n, (at + 1) * n) as T;
  }
  return out;
}

/** `count` little-endian values of a buffer, copied only when unaligned. */
function readArray<T extends Typed>(
  buffer: Buffer | undefined,
  Ctor: TypedCtor<T>,
  count: number,
  what: string
): T {
  if (!buffer) {
    throw new Error(`tensors: the buffer of ${what} is missing`);
  }
  const view = ArrayBuffer.isView(buffer)
    ? buffer
    : new DataView(buffer, 0, buffer.byteLength);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (view.byteLength !== count * size) {
    throw new Error(
      `tensors: the buffer of ${what} has ${view.byteLength} bytes, not ${count * size}`
    );
  }
  if (LITTLE_ENDIAN && view.byteOffset % size === 0) {
    return new Ctor(view.buffer as ArrayBuffer, view.byteOffset, count);
  }
  const out = new Ctor(count);
  const data = new DataView(view.buffer, view.byteOffset, view.byteLength);
  for (let k = 0; k < count; k++) {
    out[k] =
      size === 4 ? data.getInt32(k * 4, true) : data.getFloat64(k * 8, true);
  }
  return out;
}
