/**
 * Which step and tensor the panel shows: the step reference, the selected
 * tensor's detail, and the rules that pick a step when the user has not (the
 * newest recording's failing step, first NaN/Inf, else its last step) and the
 * row to open it at. Pure functions; EagerLabModel acts on their answers.
 */
import type { IRecordingInfo, IStepInfo, ITensor } from '../protocol';

/** A step of a recording. */
export interface IStepRef {
  recordingId: number;
  step: number;
}

/** The detail of the selected tensor. */
export type Detail =
  | { kind: 'none' }
  | { kind: 'loading'; index: number }
  | { kind: 'loaded'; index: number; tensor: ITensor }
  | { kind: 'error'; index: number; message: string };

/** The step `ref` names, if the kernel still keeps it. */
export function findStep(
  recordings: readonly IRecordingInfo[],
  ref: IStepRef | null
): IStepInfo | null {
  if (!ref) {
    return null;
  }
  const rec = recordings.find(r => r.id === ref.recordingId);
  return rec?.steps.find(s => s.index === ref.step) ?? null;
}

/** The step worth showing first: a failing one, one with NaN/Inf, the last. */
export function defaultStep(rec: IRecordingInfo): IStepInfo {
  return (
    rec.steps.find(s => s.error !== null) ??
    rec.steps.find(s => s.first_nonfinite !== null) ??
    rec.steps[rec.steps.length - 1]
  );
}

/** The row to scroll to when a step opens: the failing op, the first NaN. */
export function revealTarget(step: IStepInfo | null): number | null {
  if (!step) {
    return null;
  }
  return step.error?.tensor ?? step.first_nonfinite ?? null;
}

/** What `stepToShow` weighs. */
export interface IShownStep {
  /** The kernel's recordings, oldest first. */
  recordings: readonly IRecordingInfo[];
  /** The step shown now, if any (it may no longer be kept). */
  selection: IStepRef | null;
  /** The shown step was picked by eager_lab, not by the user. */
  autoSelected: boolean;
  /** The shown step is of the newest recording: a newer one replaces it. */
  followLatest: boolean;
  /** The kernel is capturing (it answers only after its cell). */
  capturing: boolean;
  /** The step last shown for this kernel, shown again when it is kept. */
  remembered: IStepRef | null;
}

/**
 * The step to switch to, or null to keep the view as it is. Called when the
 * kernel's recordings change and when a capture ends.
 */
export function stepToShow(now: IShownStep): IStepRef | null {
  const { recordings, selection: sel, capturing, remembered } = now;
  const latest = recordings[recordings.length - 1];
  if (!latest || latest.steps.length === 0) {
    return null;
  }
  const exists = sel !== null && findStep(recordings, sel) !== null;
  // The first push of a capture can come before the kernel says it captures, so
  // step 0 of an unfinished recording may have been picked: once the recording ends,
  // an automatic pick moves to its default step (last, failing or first NaN).
  const settledElsewhere =
    exists &&
    now.autoSelected &&
    latest.finished &&
    !capturing &&
    sel.recordingId === latest.id &&
    sel.step !== defaultStep(latest).index;
  if (
    exists &&
    !settledElsewhere &&
    !(now.followLatest && sel.recordingId !== latest.id)
  ) {
    return null;
  }
  // A busy kernel answers only after its cell: while it captures, keep the
  // current view and switch when the capture ends.
  if (capturing && exists) {
    return null;
  }
  if (
    !exists &&
    remembered &&
    recordings.some(
      r =>
        r.id === remembered.recordingId &&
        r.steps.some(s => s.index === remembered.step)
    )
  ) {
    return { recordingId: remembered.recordingId, step: remembered.step };
  }
  return { recordingId: latest.id, step: defaultStep(latest).index };
}
