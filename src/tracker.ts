/**
 * The notebook or console whose kernel the panel follows, or null.
 */
import type { ILabShell } from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/** A notebook or console panel: a widget with a session context. */
export interface IKernelWidget extends Widget {
  readonly sessionContext: ISessionContext;
}

export function isKernelWidget(w: Widget | null): w is IKernelWidget {
  const ctx = (w as Partial<IKernelWidget> | null)?.sessionContext;
  return !!ctx && typeof ctx === 'object' && 'kernelChanged' in ctx;
}

/**
 * Follows the current notebook or console. With a lab shell, any other main
 * area widget (an editor, a terminal) makes the current widget null; without
 * one (Notebook 7 pages), the notebook and console trackers decide.
 */
export class KernelWidgetTracker {
  constructor(options: KernelWidgetTracker.IOptions) {
    const { labShell, notebookTracker, consoleTracker } = options;
    if (labShell) {
      labShell.currentChanged.connect((_, change) => {
        this._set(isKernelWidget(change.newValue) ? change.newValue : null);
      }, this);
    } else {
      notebookTracker?.currentChanged.connect((_, w) => this._set(w), this);
      consoleTracker?.currentChanged.connect((_, w) => this._set(w), this);
    }
    // Adopt a widget that is already current (Notebook 7 opens the notebook
    // before plugins activate; a restored lab layout does too).
    const current = labShell?.currentWidget ?? null;
    this._current = isKernelWidget(current)
      ? current
      : (notebookTracker?.currentWidget ??
        consoleTracker?.currentWidget ??
        null);
  }

  /** Emits the new current kernel widget, or null. */
  get currentChanged(): ISignal<this, IKernelWidget | null> {
    return this._currentChanged;
  }

  get currentWidget(): IKernelWidget | null {
    return this._current;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _set(widget: IKernelWidget | null): void {
    if (widget === this._current) {
      return;
    }
    this._current = widget;
    this._currentChanged.emit(widget);
  }

  private _current: IKernelWidget | null;
  private _currentChanged = new Signal<this, IKernelWidget | null>(this);
}

export namespace KernelWidgetTracker {
  export interface IOptions {
    labShell: ILabShell | null;
    notebookTracker: INotebookTracker | null;
    consoleTracker: IConsoleTracker | null;
  }
}
