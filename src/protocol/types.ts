/**
 * The eager_lab comm protocol's payloads and messages, as TypeScript types: the
 * frontend's reading of docs/protocol.md. No logic; guards.ts checks that a
 * received message has these shapes.
 */

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

/** Element types a `values` message may carry. */
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
  /** (1.3) Rows as columns; a 1.2 kernel ignores it and sends `rows`. */
  columns?: boolean;
}

/** A page of rows: as a 1.2 kernel sends it, and as the panel keeps it. */
export interface ITensors {
  type: 'tensors';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  total: number;
  rows: ITensorRow[];
}

/**
 * (1.3) A page's rows as columns (docs/protocol.md, "In columns"): strings
 * and sources once, names per row, the rest in the message's buffers, whose
 * columns `int32` and `float64` name in order.
 */
export interface ITensorColumns {
  count: number;
  strings: string[];
  sources: ISource[];
  name: Array<string | null>;
  op_name: Array<string | null>;
  int32: string[];
  float64: string[];
}

/** (1.3) The `tensors` reply to `get_tensors` with `columns: true`. */
export interface ITensorsInColumns {
  type: 'tensors';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  total: number;
  columns: ITensorColumns;
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
  /**
   * (1.4) The Keras layer that made it, `path/to/layer (Class)`, or null;
   * absent from older kernels.
   */
  layer?: string | null;
}

/**
 * (1.1) Whose value: a tensor row's (eager) or a comparison row's (graph);
 * (1.4) a row of the XLA comparison: its XLA (`xla`) or eager (`xla_eager`)
 * value.
 */
export type ValueSource = 'eager' | 'graph' | 'xla' | 'xla_eager';

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
  /**
   * The eager row `i` of the twin; null for a graph-only tensor, and (1.4)
   * for a row of an XLA comparison, whose eager side is a value of an eager
   * replay (`only_in` null; see `eager_summary`).
   */
  eager_index: number | null;
  /**
   * (1.4) The eager value's summary where it is no row of the step (an XLA
   * comparison's rows); null otherwise, absent from older kernels.
   */
  eager_summary?: string | null;
  graph_summary: string | null;
  max_abs_diff: number | null;
  max_rel_diff: number | null;
  diverges: boolean;
  only_in: 'eager' | 'graph' | null;
  why: string | null;
  /**
   * (1.4) Why a diverging row differs: `python-value`, `stateful`,
   * `control-flow`, `graph-optimization[:<pass>]`, `xla`, `propagated` (or a
   * cause a later kernel adds); null on rows that agree and on a difference
   * the kernel could not attribute. Absent from older kernels, as are the
   * fields below.
   */
  cause?: string | null;
  /** (1.4) One line: what happened, where, and the fix. */
  cause_text?: string | null;
  /** (1.4) The difference is explained by optimisation alone. */
  noise?: boolean;
  /** (1.4) A propagated difference: the row `k` it came from. */
  origin?: number | null;
  /** (1.4) The Keras layer: `"<path> (<class>)"`. */
  layer?: string | null;
}

/** (1.4) What a comparison against XLA (`jit_compile`) was run as. */
export type ComparisonMode = 'graph' | 'xla';

/**
 * (1.4) The first Keras layer whose XLA forward/backward differs from eager;
 * `path`, `class_name` and `max_abs_diff` are null when no single layer does
 * (`text` says where the difference comes from then).
 */
export interface IXlaLayer {
  path: string | null;
  class_name: string | null;
  max_abs_diff: number | null;
  text: string;
}

export interface IGetComparison {
  type: 'get_comparison';
  request_id: string;
  recording_id: number;
  step: number;
  offset: number;
  limit: number;
  /** (1.4) Against XLA instead of the graph; send only to a kernel with `xla`. */
  jit_compile?: boolean;
}

export interface IComparison {
  type: 'comparison';
  request_id: string;
  recording_id: number;
  step: number;
  /**
   * Row `k` of the first divergence: (1.4) the first *real* one (not noise,
   * not propagated); before 1.4, the first row beyond tolerance.
   */
  first_divergence: number | null;
  /** (1.4) The first row beyond tolerance, whatever its cause. */
  first_difference?: number | null;
  /** (1.4) Diverging rows per cause (`unknown` for a null cause). */
  causes?: Record<string, number>;
  /** (1.4) How many diverging rows are optimisation noise. */
  noise?: number;
  mode?: ComparisonMode;
  xla_layer?: IXlaLayer | null;
  /** (1.4) How long the comparison took in the kernel. */
  seconds?: number | null;
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

/**
 * (1.4) While the kernel compares a step (seconds on a real model): the stage
 * it is in, pushed at each stage; `stage` is null when it is done.
 */
export interface ICompareProgress {
  type: 'compare_progress';
  recording_id: number;
  step: number;
  mode: 'graph' | 'xla';
  stage: string | null;
  /** Seconds since the comparison started. */
  elapsed: number;
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
  | ITensorsInColumns
  | IGetTensor
  | ITensor
  | IGetValues
  | IValues
  | IGetComparison
  | IComparison
  | IGetTrends
  | ITrends
  | ICompareProgress
  | IError;

export type MessageType = Message['type'];

/** Kernel pushes (no request id). */
export type Push = IStatus | IRecording | ICompareProgress;

/** Requests and the reply type each expects. */
export interface IReplies {
  request_state: IState;
  get_tensors: ITensors | ITensorsInColumns;
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
