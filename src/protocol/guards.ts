/**
 * Runtime checks of what arrives on the comm: one guard per message type and
 * payload (the checks of plain values are checks.ts), and `decodeMessage`,
 * which picks the guard by `type`. A message
 * that fails its guard is dropped, never half-used. The examples in
 * docs/protocol-examples are checked against these in protocol.spec.ts.
 */
import type { Obj } from './checks';
import {
  arrayOf,
  isBool,
  isInt,
  isNat,
  isNum,
  isObj,
  isSource,
  isStr,
  orNull
} from './checks';
import { isTensorColumns } from './columns';

export { isSource };
import { MAX_VALUES } from './constants';
import { parseVersion } from './handshake';
import type {
  ICompareProgress,
  IComparison,
  IComparisonRow,
  IError,
  IGetComparison,
  IGetTensor,
  IGetTensors,
  IGetTrends,
  IGetValues,
  IHello,
  IRecording,
  IRecordingInfo,
  IRequestState,
  IState,
  IStats,
  IStatus,
  IStepError,
  IStepInfo,
  ITensor,
  ITensorRow,
  ITensors,
  ITensorsInColumns,
  ITrendSeries,
  ITrends,
  IValues,
  IWelcome,
  IXlaLayer,
  Message,
  MessageType,
  Push,
  ValueDType,
  ValueSource
} from './types';
import { VALUE_DTYPES } from './types';

const isNatArray = arrayOf(isNat);

function isVersion(v: unknown): v is string {
  return isStr(v) && parseVersion(v) !== null;
}

function isSide(v: unknown): v is 'frontend' | 'kernel' {
  return v === 'frontend' || v === 'kernel';
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
    isNat(v.limit) &&
    (v.columns === undefined || isBool(v.columns))
  );
}

/** A page of rows (`rows`, 1.2) or of columns (`columns`, 1.3). */
export function isTensors(v: unknown): v is ITensors | ITensorsInColumns {
  if (
    !isObj(v) ||
    v.type !== 'tensors' ||
    !hasRequestId(v) ||
    !isStepLocator(v) ||
    !isNat(v.offset) ||
    !isNat(v.total)
  ) {
    return false;
  }
  const count = Array.isArray(v.rows)
    ? arrayOf(isTensorRow)(v.rows) && v.columns === undefined
      ? v.rows.length
      : -1
    : isTensorColumns(v.columns)
      ? v.columns.count
      : -1;
  return count >= 0 && v.offset + count <= v.total;
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
    (v.inputs === undefined || isNatArray(v.inputs)) &&
    (v.layer === undefined || orNull(isStr)(v.layer))
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
  return v === 'eager' || v === 'graph' || v === 'xla' || v === 'xla_eager';
}

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
    (v.eager_summary === undefined || orNull(isStr)(v.eager_summary)) &&
    orNull(isStr)(v.graph_summary) &&
    isNullableNum(v.max_abs_diff) &&
    isNullableNum(v.max_rel_diff) &&
    isBool(v.diverges) &&
    (v.only_in === null || v.only_in === 'eager' || v.only_in === 'graph') &&
    orNull(isStr)(v.why) &&
    // 1.4: absent from older kernels
    (v.cause === undefined || orNull(isStr)(v.cause)) &&
    (v.cause_text === undefined || orNull(isStr)(v.cause_text)) &&
    (v.noise === undefined || isBool(v.noise)) &&
    (v.origin === undefined || orNull(isNat)(v.origin)) &&
    (v.layer === undefined || orNull(isStr)(v.layer))
  );
}

export function isXlaLayer(v: unknown): v is IXlaLayer {
  return (
    isObj(v) &&
    orNull(isStr)(v.path) &&
    orNull(isStr)(v.class_name) &&
    isNullableNum(v.max_abs_diff) &&
    isStr(v.text)
  );
}

function isCauseCounts(v: unknown): v is Record<string, number> {
  return isObj(v) && Object.values(v).every(isNat);
}

export function isGetComparison(v: unknown): v is IGetComparison {
  return (
    isObj(v) &&
    v.type === 'get_comparison' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    isNat(v.offset) &&
    isNat(v.limit) &&
    (v.jit_compile === undefined || isBool(v.jit_compile))
  );
}

export function isComparison(v: unknown): v is IComparison {
  return (
    isObj(v) &&
    v.type === 'comparison' &&
    hasRequestId(v) &&
    isStepLocator(v) &&
    orNull(isNat)(v.first_divergence) &&
    // 1.4: absent from older kernels
    (v.first_difference === undefined || orNull(isNat)(v.first_difference)) &&
    (v.causes === undefined || isCauseCounts(v.causes)) &&
    (v.noise === undefined || isNat(v.noise)) &&
    (v.mode === undefined || v.mode === 'graph' || v.mode === 'xla') &&
    (v.xla_layer === undefined || orNull(isXlaLayer)(v.xla_layer)) &&
    (v.seconds === undefined || isNullableNum(v.seconds)) &&
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

export function isCompareProgress(v: unknown): v is ICompareProgress {
  return (
    isObj(v) &&
    v.type === 'compare_progress' &&
    isNat(v.recording_id) &&
    isNat(v.step) &&
    (v.mode === 'graph' || v.mode === 'xla') &&
    orNull(isStr)(v.stage) &&
    typeof v.elapsed === 'number' &&
    Number.isFinite(v.elapsed)
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
  compare_progress: isCompareProgress,
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
  return (
    msg.type === 'status' ||
    msg.type === 'recording' ||
    msg.type === 'compare_progress'
  );
}
