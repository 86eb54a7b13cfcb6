/**
 * The page's eager_lab connections, one per kernel, and their lifetimes:
 * made when a kernel is first seen, replaced on a restart, closed with their
 * panel or when the page goes away. The conversation each one holds with its
 * kernel is connection.ts.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import { EagerConnection } from './connection';
import type { IEagerConnection } from './tokens';

/**
 * One connection per kernel seen, kept while the kernel connection lives, so
 * that every kernel has the comm target registered even when its notebook is
 * not the current one. A restart replaces the connection (new generation).
 */
export class ConnectionRegistry {
  constructor(options: ConnectionRegistry.IOptions) {
    this._version = options.version;
    this._timeoutMs = options.timeoutMs;
    window.addEventListener('pagehide', this._onPageHide);
  }

  /** Emitted with the new connection when a restart replaced one. */
  get replaced(): ISignal<this, IEagerConnection> {
    return this._replaced;
  }

  /**
   * The connection to `kernel`; `owner` is the session connection that holds
   * it, whose end ends the connection while the kernel connection can still
   * tell the kernel (once the kernel connection itself is disposed, our
   * comms could no longer be closed and the kernel would keep pushing to
   * them).
   */
  connectionFor(
    kernel: Kernel.IKernelConnection,
    owner?: { readonly disposed: ISignal<any, any> } | null
  ): IEagerConnection {
    let entry = this._entries.get(kernel);
    if (!entry || entry.connection.kernelId !== kernel.id) {
      entry?.connection.dispose();
      const fresh: Private.IEntry = {
        connection: this._create(kernel, 0),
        generation: 0,
        owner: entry?.owner ?? null
      };
      if (!entry) {
        kernel.statusChanged.connect(this._onStatus, this);
        kernel.disposed.connect(this._release, this);
      }
      this._entries.set(kernel, fresh);
      entry = fresh;
    }
    if (owner && entry.owner !== owner) {
      entry.owner = owner;
      owner.disposed.connect(() => this._release(kernel), this);
    }
    return entry.connection;
  }

  dispose(): void {
    window.removeEventListener('pagehide', this._onPageHide);
    for (const kernel of [...this._entries.keys()]) {
      this._release(kernel);
    }
    Signal.clearData(this);
  }

  private _create(kernel: Kernel.IKernelConnection, generation: number) {
    return new EagerConnection({
      kernel,
      version: this._version,
      generation,
      timeoutMs: this._timeoutMs
    });
  }

  private _onStatus(
    kernel: Kernel.IKernelConnection,
    status: KernelMessage.Status
  ): void {
    // 'restarting' (user restart) and 'autorestarting' (the kernel died and
    // the server restarted it) both wipe the kernel's state and our comms.
    if (status !== 'restarting' && status !== 'autorestarting') {
      return;
    }
    const entry = this._entries.get(kernel);
    if (!entry) {
      return;
    }
    entry.connection.dispose();
    entry.generation += 1;
    entry.connection = this._create(kernel, entry.generation);
    this._replaced.emit(entry.connection);
  }

  /** Its panel or kernel connection is gone: close our comms, forget it. */
  private _release(kernel: Kernel.IKernelConnection): void {
    const entry = this._entries.get(kernel);
    if (!entry) {
      return;
    }
    this._entries.delete(kernel);
    if (!kernel.isDisposed) {
      kernel.statusChanged.disconnect(this._onStatus, this);
      kernel.disposed.disconnect(this._release, this);
    }
    entry.connection.dispose();
  }

  /**
   * The page is going away (closed, reloaded): close our comms while the
   * websocket is still open, so that the kernel does not keep comms of a
   * page that no longer exists (and push to them).
   */
  private _onPageHide = (event: PageTransitionEvent): void => {
    if (event.persisted) {
      return; // kept in the back-forward cache: it may come back as it is
    }
    for (const entry of this._entries.values()) {
      entry.connection.dispose();
    }
  };

  private _entries = new Map<Kernel.IKernelConnection, Private.IEntry>();
  private _replaced = new Signal<this, IEagerConnection>(this);
  private _timeoutMs: number | undefined;
  private _version: string;
}

export namespace ConnectionRegistry {
  export interface IOptions {
    version: string;
    timeoutMs?: number;
  }
}

namespace Private {
  export interface IEntry {
    connection: EagerConnection;
    generation: number;
    /** The session connection holding the kernel connection, if known. */
    owner: { readonly disposed: ISignal<any, any> } | null;
  }
}
