/**
 * Whether a kernel is busy, as the panel's timeouts need to know: some
 * request it was given is still running. JupyterLab's `kernel.status` is the
 * last IOPub status, whatever request it is about, so a short request answered
 * while a cell runs leaves it at "idle" until the cell's own "idle": opening a
 * comm subshell (`create_subshell_request`, on the control channel) does that
 * right after `%load_ext eager_lab` starts a long cell, and the panel's
 * handshake was given up while the cell was still running. Here every status
 * counts for the request it is about (its parent message), and the kernel is
 * busy while any of them is.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';

/** The kernel signals this reads (a kernel connection has them). */
export type BusyKernel = Pick<
  Kernel.IKernelConnection,
  'status' | 'statusChanged' | 'iopubMessage' | 'connectionStatusChanged'
>;

/** Statuses after which no request of before is running. */
const RESET = new Set(['starting', 'restarting', 'autorestarting', 'dead']);

export class BusyTracker {
  constructor(kernel: BusyKernel) {
    this._kernel = kernel;
    kernel.iopubMessage.connect(this._onIOPub, this);
    kernel.statusChanged.connect(this._onStatus, this);
    kernel.connectionStatusChanged.connect(this._onConnection, this);
  }

  /** Whether a request the kernel was given has not finished yet. */
  get busy(): boolean {
    return this._running.size > 0 || this._kernel.status === 'busy';
  }

  dispose(): void {
    this._kernel.iopubMessage.disconnect(this._onIOPub, this);
    this._kernel.statusChanged.disconnect(this._onStatus, this);
    this._kernel.connectionStatusChanged.disconnect(this._onConnection, this);
    this._running.clear();
  }

  private _onIOPub(_: unknown, msg: KernelMessage.IIOPubMessage): void {
    if (msg.header.msg_type !== 'status') {
      return;
    }
    const parent = (msg.parent_header as Partial<KernelMessage.IHeader>)
      ?.msg_id;
    if (!parent) {
      return; // the kernel's own "starting": no request
    }
    const state = (msg as KernelMessage.IStatusMsg).content.execution_state;
    if (state === 'busy') {
      this._running.add(parent);
    } else if (state === 'idle') {
      this._running.delete(parent);
    }
  }

  /** A restart or a dead kernel ends every request (their "idle" never comes). */
  private _onStatus(_: unknown, status: KernelMessage.Status): void {
    if (RESET.has(status)) {
      this._running.clear();
    }
  }

  /**
   * A lost connection may have lost the "idle" of a request: forget them all
   * rather than wait for ever (a timeout that never fires hangs the panel).
   */
  private _onConnection(_: unknown, status: Kernel.ConnectionStatus): void {
    if (status !== 'connected') {
      this._running.clear();
    }
  }

  private _kernel: BusyKernel;
  private _running = new Set<string>();
}
