/**
 * The eager_lab comm protocol, frontend side: message types, guards, and the
 * version rule. The contract is docs/protocol.md; its examples are checked
 * against these guards in src/__tests__/protocol.spec.ts.
 */

/** Protocol version spoken by this frontend (not the package version). */
export const PROTOCOL_VERSION = '1.2.0';

/** Comm target name, registered on both sides. */
export const COMM_TARGET = 'eager_lab';

/** Largest page of rows the kernel sends (it clamps larger limits). */
export const MAX_PAGE_ROWS = 5000;

/** Largest number of elements one `values` message carries. */
export const MAX_VALUES = 1048576;

/** A request without a reply after this long has failed. */
export const REQUEST_TIMEOUT_MS = 10000;

// ---------------------------------------------------------------- payloads

export interface ISource {
  file: string;
  line: number;
  function: string;
  /** Execution count of the notebook cell, or null for a file. */
  cell: number | null;
  /**
   * (1.2) The notebook cell's id (`cell.model.id`), which JupyterLab sends with
   * each execution: it finds the cell after re-runs, restarts and reloads,
   * where execution counts repeat. Null (or absent, from a 1.0/1.1 kernel)
   * when unknown.
   */
  cell_id?: string | null;
}

export interface ITensorRow {
  i: number;
  name: string | null;
  reason: string | null;
  op: string;
  /** Graph op name; null when unnamed. */
  op_name: string | null;
  /** `op_name` up to its last `/` (`""` at the top level); null when unnamed. */
  scope: string | null;
  graph: string | null;
  /**
   * Dimensions (null where one is unknown); null when the rank is unknown or
   * the op raised before producing outputs.
   */
  shape: Array<number | null> | null;
  /** Null for the row of an op that raised before producing outputs. */
  dtype: string | null;
  summary: string;
  nan: number;
  inf: number;
  source: ISource | null;
  error: string | null;
  has_value: boolean;
  /**
   * (1.2) Null while the value is held; else why it is gone, as a sentence
   * (memory budget, a newer recording, `rec.release()`, no numeric value, the
   * op raised). Absent from a 1.0/1.1 kernel.
   */
  why_no_value?: string | null;
}

export interface IStepError {
  type: string;
  message: string;
  tensor: number | null;
}

export interface IStepInfo {
  index: number;
  n_tensors: number;
  n_named: number;
  error: IStepError | null;
  first_nonfinite: number | null;
  /**
   * Whether `first_nonfinite` is known: the kernel computes summaries within
   * a time budget, so an unchecked step may hold NaN/Inf all the same.
   */
  nonfinite_checked?: boolean;
  /**
   * (1.1) `done`: compared with the graph (open it in the eager | graph view);
   * `available`: its starting state is kept, `get_comparison` runs it;
   * `unavailable`: it cannot be compared. Absent from a 1.0 kernel.
   */
  compare?: CompareState;
  /**
   * (1.2) Why the step cannot be compared, in the kernel's words, when
   * `compare` is `unavailable`; null otherwise, absent from older kernels.
   */
  compare_why?: string | null;
}

export type CompareState = 'done' | 'available' | 'unavailable';

export interface IRecordingInfo {
  id: number;
  label: string;
  finished: boolean;
  steps: IStepInfo[];
  /** (1.2) `rec.keep()` was called: newer recordings never release its values. */
  kept?: boolean;
}

export interface IStats {
  size: number;
  /** Null where undefined (empty, or no finite element). */
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  nan: number;
  pos_inf: number;
  neg_inf: number;
  zeros: number;
  histogram: number[];
  /** Null where an edge is not finite. */
  bin_edges: Array<number | null>;
}

// ---------------------------------------------------------------- messages

export interface IHello {
  type: 'hello';
  protocol_version: string;
  side: 'frontend' | 'kernel';
  version: string;
}

export interface IWelcome {
  type: 'welcome';
  protocol_version: string;
  side: 'frontend' | 'kernel';
  version: string;
  capabilities: string[];
}

export interface IStatus {
  type: 'status';
  capturing: boolean;
  target: string | null;
  recording_id: number | null;
  steps_recorded: number;
}

export interface IRecording {
  type: 'recording';
  recording: IRecordingInfo;
}

export interface IRequestState {
  type: 'request_state';
  request_id: string;
}

export interface IState {
  type: 'state';
  request_id: string;
  status: IStatus;
  recordings: IRecordingInfo[];
}

export interface IGetTensors {
  type: 'get_tensors';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  limit: number;
}

export interface ITensors {
  type: 'tensors';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  total: number;
  rows: ITensorRow[];
}

export interface IGetTensor {
  type: 'get_tensor';
  request_id: string;
  recording_id: number;
  step: number;
  index: number;
}

export interface ITensor {
  type: 'tensor';
  request_id: string;
  recording_id: number;
  step: number;
  index: number;
  row: ITensorRow;
  stats: IStats | null;
  code: string | null;
  fetch_code: string;
  /** (1.1) Rows `i` of the tensors the op consumed; absent from a 1.0 kernel. */
  inputs?: number[];
}

/** (1.1) Whose value: a tensor row's (eager) or a comparison row's (graph). */
export type ValueSource = 'eager' | 'graph';

export interface IGetValues {
  type: 'get_values';
  request_id: string;
  recording_id: number;
  step: number;
  index: number;
  prefix: number[];
  offset: number;
  count: number;
  source?: ValueSource;
}

export interface IValues {
  type: 'values';
  request_id: string;
  recording_id: number;
  step: number;
  index: number;
  prefix: number[];
  shape: number[];
  dtype: ValueDType;
  offset: number;
  count: number;
  total: number;
  source?: ValueSource;
}

/** (1.1) One row of an eager-vs-graph comparison. */
export interface IComparisonRow {
  k: number;
  name: string | null;
  graph: string | null;
  op: string;
  /** The eager row `i` of the twin; null for a graph-only tensor. */
  eager_index: number | null;
  graph_summary: string | null;
  max_abs_diff: number | null;
  max_rel_diff: number | null;
  diverges: boolean;
  only_in: 'eager' | 'graph' | null;
  why: string | null;
}

export interface IGetComparison {
  type: 'get_comparison';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  limit: number;
}

export interface IComparison {
  type: 'comparison';
  request_id: string;
  recording_id: number;
  step: number;
  first_divergence: number | null;
  offset: number;
  total: number;
  rows: IComparisonRow[];
}

/** (1.1) A named tensor's statistics over the steps of a recording. */
export interface ITrendSeries {
  step: number[];
  mean: Array<number | null>;
  std: Array<number | null>;
  max_abs: Array<number | null>;
  nan: number[];
  inf: number[];
}

export interface IGetTrends {
  type: 'get_trends';
  request_id: string;
  recording_id: number;
  offset: number;
  limit: number;
}

export interface ITrends {
  type: 'trends';
  request_id: string;
  recording_id: number;
  steps: number[];
  offset: number;
  total: number;
  series: Record<string, ITrendSeries>;
}

export type ErrorCode =
  'bad_request' | 'not_found' | 'no_value' | 'version_mismatch' | 'internal';

export interface IError {
  type: 'error';
  /** Absent for `version_mismatch`, which answers a `hello`. */
  request_id?: string | null;
  code: ErrorCode;
  message: string;
  /** Optional: the sender's protocol version, for `version_mismatch`. */
  protocol_version?: string;
}

/** Every message, discriminated on `type`. */
export type Message =
  | IHello
  | IWelcome
  | IStatus
  | IRecording
  | IRequestState
  | IState
  | IGetTensors
  | ITensors
  | IGetTensor
  | ITensor
  | IGetValues
  | IValues
  | IGetComparison
  | IComparison
  | IGetTrends
  | ITrends
  | IError;

export type MessageType = Message['type'];

/** Kernel pushes (no request id). */
export type Push = IStatus | IRecording;

/** Requests and the reply type each expects. */
export interface IReplies {
  request_state: IState;
  get_tensors: ITensors;
  get_tensor: ITensor;
  get_values: IValues;
  get_comparison: IComparison;
  get_trends: ITrends;
}

export type Request =
  | IRequestState
  | IGetTensors
  | IGetTensor
  | IGetValues
  | IGetComparison
  | IGetTrends;

/** Requests as the caller writes them: the connection adds the request id. */
export interface IRequestBodies {
  request_state: Omit<IRequestState, 'request_id'>;
  get_tensors: Omit<IGetTensors, 'request_id'>;
  get_tensor: Omit<IGetTensor, 'request_id'>;
  get_values: Omit<IGetValues, 'request_id'>;
  get_comparison: Omit<IGetComparison, 'request_id'>;
  get_trends: Omit<IGetTrends, 'request_id'>;
}

// ---------------------------------------------------------------- guards

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStr(v: unknown): v is string {
  return typeof v === 'string';
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isInt(v: unknown): v is number {
  return Number.isInteger(v);
}

function isNat(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0;
}

function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

function orNull<T>(
  guard: (v: unknown) => v is T
): (v: unknown) => v is T | null {
  return (v: unknown): v is T | null => v === null || guard(v);
}

function arrayOf<T>(guard: (v: unknown) => v is T): (v: unknown) => v is T[] {
  return (v: unknown): v is T[] => Array.isArray(v) && v.every(guard);
}

const isNatArray = arrayOf(isNat);

function isVersion(v: unknown): v is string {
  return isStr(v) && parseVersion(v) !== null;
}

function isSide(v: unknown): v is 'frontend' | 'kernel' {
  return v === 'frontend' || v === 'kernel';
}

export function isSource(v: unknown): v is ISource {
  return (
    isObj(v) &&
    isStr(v.file) &&
    isNat(v.line) &&
    isStr(v.function) &&
    // `cell` may be left out for a file.
    (v.cell === undefined || v.cell === null || isInt(v.cell)) &&
    (v.cell_id === undefined || orNull(isStr)(v.cell_id))
  );
}

export function isTensorRow(v: unknown): v is ITensorRow {
  return (
    isObj(v) &&
    isNat(v.i) &&
    orNull(isStr)(v.name) &&
    orNull(isStr)(v.reason) &&
    isStr(v.op) &&
    orNull(isStr)(v.op_name) &&
    orNull(isStr)(v.scope) &&
    orNull(isStr)(v.graph) &&
    orNull(arrayOf(orNull(isNat)))(v.shape) &&
    orNull(isStr)(v.dtype) &&
    isStr(v.summary) &&
    isNat(v.nan) &&
    isNat(v.inf) &&
    orNull(isSource)(v.source) &&
    orNull(isStr)(v.error) &&
    isBool(v.has_value) &&
    (v.why_no_value === undefined || orNull(isStr)(v.why_no_value))
  );
}

export function isStepError(v: unknown): v is IStepError {
  return (
    isObj(v) &&
    isStr(v.type) &&
    isStr(v.message) &&
    (v.tensor === undefined || orNull(isNat)(v.tensor))
  );
}

export function isStepInfo(v: unknown): v is IStepInfo {
  return (
    isObj(v) &&
    isNat(v.index) &&
    isNat(v.n_tensors) &&
    isNat(v.n_named) &&
    orNull(isStepError)(v.error) &&
    orNull(isNat)(v.first_nonfinite) &&
    (v.nonfinite_checked === undefined || isBool(v.nonfinite_checked)) &&
    (v.compare === undefined ||
      v.compare === 'done' ||
      v.compare === 'available' ||
      v.compare === 'unavailable') &&
    (v.compare_why === undefined || orNull(isStr)(v.compare_why))
  );
}

export function isRecordingInfo(v: unknown): v is IRecordingInfo {
  return (
    isObj(v) &&
    isInt(v.id) &&
    isStr(v.label) &&
    isBool(v.finished) &&
    arrayOf(isStepInfo)(v.steps) &&
    (v.kept === undefined || isBool(v.kept))
  );
}

export function isStats(v: unknown): v is IStats {
  return (
    isObj(v) &&
    isNat(v.size) &&
    orNull(isNum)(v.min) &&
    orNull(isNum)(v.max) &&
    orNull(isNum)(v.mean) &&
    orNull(isNum)(v.std) &&
    isNat(v.nan) &&
    isNat(v.pos_inf) &&
    isNat(v.neg_inf) &&
    isNat(v.zeros) &&
    arrayOf(isNat)(v.histogram) &&
    arrayOf(orNull(isNum))(v.bin_edges)
  );
}

export function isHello(v: unknown): v is IHello {
  return (
    isObj(v) &&
    v.type === 'hello' &&
    isVersion(v.protocol_version) &&
    isSide(v.side) &&
    isStr(v.version)
  );
}

export function isWelcome(v: unknown): v is IWelcome {
  return (
    isObj(v) &&
    v.type === 'welcome' &&
    isVersion(v.protocol_version) &&
    isSide(v.side) &&
    isStr(v.version) &&
    arrayOf(isStr)(v.capabilities)
  );
}

export function isStatus(v: unknown): v is IStatus {
  return (
    isObj(v) &&
    v.type === 'status' &&
    isBool(v.capturing) &&
    orNull(isStr)(v.target) &&
    orNull(isInt)(v.recording_id) &&
    isNat(v.steps_recorded)
  );
}

export function isRecording(v: unknown): v is IRecording {
  return isObj(v) && v.type === 'recording' && isRecordingInfo(v.recording);
}

function hasRequestId(v: Obj): boolean {
  return isStr(v.request_id) && v.request_id.length > 0;
}

export function isRequestState(v: unknown): v is IRequestState {
  return isObj(v) && v.type === 'request_state' && hasRequestId(v);
}

export function isState(v: unknown): v is IState {
  return (
    isObj(v) &&
    v.type === 'state' &&
    hasRequestId(v) &&
    isStatus(v.status) &&
    arrayOf(isRecordingInfo)(v.recordings)
  );
}

function isStepLocator(v: Obj): boolean {
  return isInt(v.recording_id) && isNat(v.step);
}

export function isGetTensors(v: unknown): v is IGetTensors {
  return (
    isObj(v) &&
    v.type === 'get_tensors' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.offset) &&
    isNat(v.limit)
  );
}

export function isTensors(v: unknown): v is ITensors {
  return (
    isObj(v) &&
    v.type === 'tensors' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.offset) &&
    isNat(v.total) &&
    arrayOf(isTensorRow)(v.rows) &&
    (v.offset as number) + (v.rows as unknown[]).length <= (v.total as number)
  );
}

export function isGetTensor(v: unknown): v is IGetTensor {
  return (
    isObj(v) &&
    v.type === 'get_tensor' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.index)
  );
}

export function isTensor(v: unknown): v is ITensor {
  return (
    isObj(v) &&
    v.type === 'tensor' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.index) &&
    isTensorRow(v.row) &&
    orNull(isStats)(v.stats) &&
    orNull(isStr)(v.code) &&
    isStr(v.fetch_code) &&
    (v.inputs === undefined || isNatArray(v.inputs))
  );
}

export function isGetValues(v: unknown): v is IGetValues {
  return (
    isObj(v) &&
    v.type === 'get_values' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.index) &&
    isNatArray(v.prefix) &&
    isNat(v.offset) &&
    isNat(v.count) &&
    (v.source === undefined || isValueSource(v.source))
  );
}

function isValueSource(v: unknown): v is ValueSource {
  return v === 'eager' || v === 'graph';
}

export const VALUE_DTYPES = [
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64'
] as const;

export type ValueDType = (typeof VALUE_DTYPES)[number];

export function isValueDType(v: unknown): v is ValueDType {
  return isStr(v) && (VALUE_DTYPES as readonly string[]).includes(v);
}

export function isValues(v: unknown): v is IValues {
  return (
    isObj(v) &&
    v.type === 'values' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.index) &&
    isNatArray(v.prefix) &&
    isNatArray(v.shape) &&
    isValueDType(v.dtype) &&
    isNat(v.offset) &&
    isNat(v.count) &&
    isNat(v.total) &&
    v.count <= MAX_VALUES &&
    (v.source === undefined || isValueSource(v.source))
  );
}

const isNullableNum = orNull(isNum);

export function isComparisonRow(v: unknown): v is IComparisonRow {
  return (
    isObj(v) &&
    isNat(v.k) &&
    orNull(isStr)(v.name) &&
    orNull(isStr)(v.graph) &&
    isStr(v.op) &&
    orNull(isNat)(v.eager_index) &&
    orNull(isStr)(v.graph_summary) &&
    isNullableNum(v.max_abs_diff) &&
    isNullableNum(v.max_rel_diff) &&
    isBool(v.diverges) &&
    (v.only_in === null || v.only_in === 'eager' || v.only_in === 'graph') &&
    orNull(isStr)(v.why)
  );
}

export function isGetComparison(v: unknown): v is IGetComparison {
  return (
    isObj(v) &&
    v.type === 'get_comparison' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.offset) &&
    isNat(v.limit)
  );
}

export function isComparison(v: unknown): v is IComparison {
  return (
    isObj(v) &&
    v.type === 'comparison' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    orNull(isNat)(v.first_divergence) &&
    isNat(v.offset) &&
    isNat(v.total) &&
    arrayOf(isComparisonRow)(v.rows) &&
    (v.offset as number) + (v.rows as unknown[]).length <= (v.total as number)
  );
}

export function isTrendSeries(v: unknown): v is ITrendSeries {
  if (!isObj(v) || !isNatArray(v.step)) {
    return false;
  }
  const n = v.step.length;
  const nums = arrayOf(isNullableNum);
  return (
    nums(v.mean) &&
    nums(v.std) &&
    nums(v.max_abs) &&
    isNatArray(v.nan) &&
    isNatArray(v.inf) &&
    [v.mean, v.std, v.max_abs, v.nan, v.inf].every(a => a.length === n)
  );
}

export function isGetTrends(v: unknown): v is IGetTrends {
  return (
    isObj(v) &&
    v.type === 'get_trends' &&
    hasRequestId(v) &&
    isInt(v.recording_id) &&
    isNat(v.offset) &&
    isNat(v.limit)
  );
}

export function isTrends(v: unknown): v is ITrends {
  return (
    isObj(v) &&
    v.type === 'trends' &&
    hasRequestId(v) &&
    isInt(v.recording_id) &&
    isNatArray(v.steps) &&
    isNat(v.offset) &&
    isNat(v.total) &&
    isObj(v.series) &&
    Object.values(v.series).every(isTrendSeries)
  );
}

const ERROR_CODES: readonly string[] = [
  'bad_request',
  'not_found',
  'no_value',
  'version_mismatch',
  'internal'
];

export function isError(v: unknown): v is IError {
  return (
    isObj(v) &&
    v.type === 'error' &&
    (v.request_id === undefined || orNull(isStr)(v.request_id)) &&
    isStr(v.code) &&
    ERROR_CODES.includes(v.code) &&
    isStr(v.message) &&
    (v.protocol_version === undefined || isStr(v.protocol_version))
  );
}

const GUARDS: { [K in MessageType]: (v: unknown) => boolean } = {
  hello: isHello,
  welcome: isWelcome,
  status: isStatus,
  recording: isRecording,
  request_state: isRequestState,
  state: isState,
  get_tensors: isGetTensors,
  tensors: isTensors,
  get_tensor: isGetTensor,
  tensor: isTensor,
  get_values: isGetValues,
  values: isValues,
  get_comparison: isGetComparison,
  comparison: isComparison,
  get_trends: isGetTrends,
  trends: isTrends,
  error: isError
};

/**
 * Check any JSON value received on the comm: the message, or null when it is
 * malformed or of an unknown type. Extra fields are allowed (a later minor
 * version may add some); missing or ill-typed ones are not.
 */
export function decodeMessage(data: unknown): Message | null {
  if (!isObj(data) || !isStr(data.type)) {
    return null;
  }
  const guard = GUARDS[data.type as MessageType] as
    ((v: unknown) => boolean) | undefined;
  if (!guard || !Object.prototype.hasOwnProperty.call(GUARDS, data.type)) {
    return null;
  }
  return guard(data) ? (data as unknown as Message) : null;
}

/** Whether a decoded message is a kernel push. */
export function isPush(msg: Message): msg is Push {
  return msg.type === 'status' || msg.type === 'recording';
}

// ---------------------------------------------------------------- versions

/** `[major, minor, patch]` of a `X.Y.Z` version (pre-release tail ignored). */
export function parseVersion(v: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+.][0-9A-Za-z.+-]*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The two sides work together when their major versions are equal. */
export function isCompatible(
  theirs: string,
  ours: string = PROTOCOL_VERSION
): boolean {
  const a = parseVersion(theirs);
  const b = parseVersion(ours);
  return a !== null && b !== null && a[0] === b[0];
}

// ---------------------------------------------------------------- builders

export function hello(version: string): IHello {
  return {
    type: 'hello',
    protocol_version: PROTOCOL_VERSION,
    side: 'frontend',
    version
  };
}

export function welcome(version: string): IWelcome {
  return {
    type: 'welcome',
    protocol_version: PROTOCOL_VERSION,
    side: 'frontend',
    version,
    capabilities: []
  };
}

export function versionMismatch(theirs: string): IError {
  return {
    type: 'error',
    code: 'version_mismatch',
    message: `eager_lab protocol ${theirs} (kernel) is not compatible with ${PROTOCOL_VERSION} (frontend)`,
    protocol_version: PROTOCOL_VERSION
  };
}

// ---------------------------------------------------------------- values

/** Typed array for each dtype `values` may carry. */
export type ValueArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

const ARRAY_TYPES: {
  [K in ValueDType]: {
    BYTES_PER_ELEMENT: number;
    new (buffer: ArrayBuffer, byteOffset: number, length: number): ValueArray;
  };
} = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array
};

/** Little-endian host? Buffers are little-endian by contract. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The `count` elements of a `values` message's first buffer as a typed array.
 * Throws when the buffer is missing or too short.
 */
export function decodeValues(
  msg: IValues,
  buffer: ArrayBuffer | ArrayBufferView | undefined
): ValueArray {
  if (!buffer) {
    throw new Error('values: the message has no buffer');
  }
  const Ctor = ARRAY_TYPES[msg.dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  let bytes: ArrayBuffer;
  let offset: number;
  let length: number;
  if (ArrayBuffer.isView(buffer)) {
    bytes = buffer.buffer as ArrayBuffer;
    offset = buffer.byteOffset;
    length = buffer.byteLength;
  } else {
    bytes = buffer;
    offset = 0;
    length = buffer.byteLength;
  }
  if (length < msg.count * size) {
    throw new Error(
      `values: ${length} bytes for ${msg.count} ${msg.dtype} elements`
    );
  }
  if (offset % size !== 0) {
    // Typed arrays need aligned views: copy the bytes to a fresh buffer.
    bytes = bytes.slice(offset, offset + msg.count * size);
    offset = 0;
  }
  const array = new Ctor(bytes, offset, msg.count);
  if (!LITTLE_ENDIAN && size > 1) {
    const view = new DataView(bytes, offset, msg.count * size);
    const swapped = new Ctor(new ArrayBuffer(msg.count * size), 0, msg.count);
    for (let k = 0; k < msg.count; k++) {
      (swapped as any)[k] = Private.readLE(view, k * size, msg.dtype);
    }
    return swapped;
  }
  return array;
}

namespace Private {
  export function readLE(
    view: DataView,
    at: number,
    dtype: ValueDType
  ): number | bigint {
    switch (dtype) {
      case 'float32':
        return view.getFloat32(at, true);
      case 'float64':
        return view.getFloat64(at, true);
      case 'int16':
        return view.getInt16(at, true);
      case 'uint16':
        return view.getUint16(at, true);
      case 'int32':
        return view.getInt32(at, true);
      case 'uint32':
        return view.getUint32(at, true);
      case 'int64':
        return view.getBigInt64(at, true);
      case 'uint64':
        return view.getBigUint64(at, true);
      default:
        return view.getUint8(at);
    }
  }
}
