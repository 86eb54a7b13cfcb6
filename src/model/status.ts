/**
 * What the panel shows instead of (or above) the table, and why: the status
 * union, and how a connection's state and the kernel's own status map onto it.
 * Pure functions; EagerLabModel holds the current status and its signal.
 */
import type { IRecordingInfo, IStatus } from '../protocol';
import type { ConnectionState } from '../tokens';

/** What the panel shows instead of (or above) the table, and why. */
export type Status =
  | { reason: 'no_kernel_widget' }
  | { reason: 'no_kernel' }
  | { reason: 'connecting' }
  | { reason: 'not_loaded' }
  | { reason: 'version_mismatch'; frontend: string; kernel: string }
  | { reason: 'no_steps_yet' }
  | { reason: 'capturing'; target: string | null; stepsRecorded: number }
  | { reason: 'ready' }
  | { reason: 'error'; message: string };

export type StatusReason = Status['reason'];

/**
 * The status a connection's state gives. A ready connection still reads as
 * `connecting`: the kernel's `state` reply decides (see `readyStatus`).
 */
export function statusOf(state: ConnectionState): Status {
  switch (state.kind) {
    case 'connecting':
    case 'ready': // the state reply decides
    case 'disposed':
      return { reason: 'connecting' };
    case 'not_loaded':
      return { reason: 'not_loaded' };
    case 'version_mismatch':
      return {
        reason: 'version_mismatch',
        frontend: state.frontend,
        kernel: state.kernel
      };
    case 'error':
      return { reason: 'error', message: state.message };
  }
}

/**
 * The status of a ready connection, from what the kernel last said it does
 * (null before its first `status`) and the recordings it keeps.
 */
export function readyStatus(
  kernel: IStatus | null,
  recordings: readonly IRecordingInfo[]
): Status {
  if (kernel?.capturing) {
    return {
      reason: 'capturing',
      target: kernel.target,
      stepsRecorded: kernel.steps_recorded
    };
  }
  if (!recordings.some(r => r.steps.length > 0)) {
    return { reason: 'no_steps_yet' };
  }
  return { reason: 'ready' };
}

/**
 * Whether two statuses say the same thing. Compared by value, not identity:
 * each push builds a new object, and an unchanged status is not emitted again.
 */
export function sameStatus(a: Status, b: Status): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
