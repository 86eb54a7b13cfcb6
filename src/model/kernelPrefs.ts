/**
 * What the panel remembers of each kernel while it follows another: filter,
 * grouping, open groups, the step shown, and that step's rows once complete,
 * so that coming back to a notebook shows it as it was, at once.
 */
import type { IRecordingInfo, IStatus, ITensorRow } from '../protocol';
import type { IEagerConnection } from '../tokens';
import type { IStepRef } from './selection';

/** View preferences kept per kernel, restored when it is followed again. */
export interface IKernelPrefs {
  filter: string;
  grouped: boolean;
  /** Open scope groups: the set the view itself opens and closes. */
  expanded: Set<string>;
  followLatest: boolean;
  selection: IStepRef | null;
  snapshot: IStepSnapshot | null;
}

/** A loaded step of a kernel, kept while another kernel is followed. */
export interface IStepSnapshot {
  connection: IEagerConnection;
  recordings: IRecordingInfo[];
  kernelStatus: IStatus | null;
  selection: IStepRef;
  rows: ITensorRow[];
  selectedTensor: number | null;
}

export class KernelPrefs {
  /** The preferences of kernel `kernelId` (`''`: no kernel), made when first asked. */
  get(kernelId: string): IKernelPrefs {
    let prefs = this._byKernel.get(kernelId);
    if (!prefs) {
      prefs = {
        filter: '',
        grouped: false,
        expanded: new Set(),
        followLatest: true,
        selection: null,
        snapshot: null
      };
      this._byKernel.set(kernelId, prefs);
    }
    return prefs;
  }

  private _byKernel = new Map<string, IKernelPrefs>();
}
