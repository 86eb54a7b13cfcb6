/**
 * Glue: the current kernel widget → its session's kernel → that kernel's
 * eager_lab connection → the model.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import { Signal } from '@lumino/signaling';
import type { ConnectionRegistry } from './registry';
import type { EagerLabModel } from './model';
import type { IKernelWidget, KernelWidgetTracker } from './tracker';
import type { IEagerConnection } from './tokens';

export class KernelFollower {
  constructor(options: KernelFollower.IOptions) {
    this._model = options.model;
    this._registry = options.registry;
    this._tracker = options.tracker;
    this._tracker.currentChanged.connect((_, w) => void this._follow(w), this);
    this._registry.replaced.connect(this._onReplaced, this);
    void this._follow(this._tracker.currentWidget);
  }

  /** The widget whose kernel is followed. */
  get widget(): IKernelWidget | null {
    return this._widget;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _follow(widget: IKernelWidget | null): Promise<void> {
    this._context?.kernelChanged.disconnect(this._update, this);
    this._context = null;
    this._widget = widget;
    if (!widget) {
      this._model.followNothing();
      return;
    }
    const context = widget.sessionContext;
    if (!context.isReady) {
      this._model.followPending();
      await context.ready;
    }
    // The user may have moved on while the session started, or closed the
    // widget; connecting to it then would leave a handler behind.
    if (this._widget !== widget || widget.isDisposed) {
      return;
    }
    this._context = context;
    context.kernelChanged.connect(this._update, this);
    this._update();
  }

  private _update(): void {
    const kernel = this._context?.session?.kernel ?? null;
    if (!kernel) {
      this._model.followNoKernel();
    } else {
      this._model.followConnection(
        this._registry.connectionFor(kernel, this._context?.session)
      );
    }
  }

  private _onReplaced(_: ConnectionRegistry, conn: IEagerConnection): void {
    const kernel = this._context?.session?.kernel ?? null;
    if (kernel && kernel.id === conn.kernelId) {
      this._model.followConnection(conn);
    }
  }

  private _context: ISessionContext | null = null;
  private _model: EagerLabModel;
  private _registry: ConnectionRegistry;
  private _tracker: KernelWidgetTracker;
  private _widget: IKernelWidget | null = null;
}

export namespace KernelFollower {
  export interface IOptions {
    model: EagerLabModel;
    registry: ConnectionRegistry;
    tracker: KernelWidgetTracker;
  }
}
