/**
 * The eager_lab comm with one kernel: handshake, requests and replies, pushes.
 * Its bookkeeping of requests in flight is connection/requests.ts, what it asks
 * of the kernel before opening a comm connection/probe.ts; the registry of the
 * page's connections, one per kernel, is registry.ts.
 *
 * Longer than 500 lines because handshake, comm lifecycle (open, adopt, retire,
 * reopen) and message dispatch all read and change the same comms and state:
 * apart, each would need the others' fields.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type {
  IReplies,
  ITensor,
  ITensors,
  ITensorsInColumns,
  Push,
  IRequestBodies,
  ValueSource
} from './protocol';
import {
  COMM_TARGET,
  MAX_COLUMN_ROWS,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  decodeMessage,
  decodeTensorColumns,
  decodeValues,
  hello,
  isCompatible,
  isPush,
  versionMismatch,
  welcome
} from './protocol';
import type { ConnectionState, IEagerConnection, IValuesPage } from './tokens';
import { BusyTracker } from './connection/busy';
import { isListening, whenLive } from './connection/probe';
import type { IRawReply, ITimer } from './connection/requests';
import {
  PendingRequests,
  RequestError,
  startBusyAwareTimer
} from './connection/requests';

export { TARGET_PROBE } from './connection/probe';
export { RequestError } from './connection/requests';
export type { RequestErrorCode } from './connection/requests';

/** Comms reopened after the kernel evicted ours, at most (no ping-pong). */
const MAX_REOPENS = 3;

/** Rows asked for first: a small page paints sooner (a screen shows ~40). */
const FIRST_PAGE_ROWS = 500;

/**
 * One kernel's eager_lab conversation.
 *
 * Registers the `eager_lab` comm target (so a kernel that loads eager_lab
 * later opens a comm to us), and opens a comm of its own once the kernel is
 * live and eager_lab listens there. Requests go on comms this connection
 * opened: a comm the kernel opens reaches every connection to the kernel
 * (each tab, each console) under one id, so it is answered and left to the
 * others, never closed or used here. A kernel restart ends this connection:
 * the registry makes a new one.
 */
export class EagerConnection implements IEagerConnection {
  constructor(options: EagerConnection.IOptions) {
    this._kernel = options.kernel;
    this._kernelId = options.kernel.id;
    this._key = `${options.kernel.id}#${options.generation ?? 0}`;
    this._version = options.version;
    this._timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this._pending = new PendingRequests({
      timeoutMs: this._timeoutMs,
      startTimer: fire => this._startTimer(fire),
      onSettled: comm => {
        if (this._retiring.has(comm)) {
          this._retire(comm);
        }
      }
    });
    this._busy = new BusyTracker(options.kernel);
    this._kernel.registerCommTarget(COMM_TARGET, this._onCommOpen);
    this._kernel.statusChanged.connect(this._onKernelStatus, this);
    void this._openWhenLive();
  }

  get kernelId(): string {
    return this._kernelId;
  }

  get key(): string {
    return this._key;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get stateChanged(): ISignal<IEagerConnection, ConnectionState> {
    return this._stateChanged;
  }

  get pushReceived(): ISignal<IEagerConnection, Push> {
    return this._pushReceived;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearHandshakeTimer();
    this._busy.dispose();
    this._setState({ kind: 'disposed' });
    this._kernel.removeCommTarget(COMM_TARGET, this._onCommOpen);
    this._pending.closeAll();
    for (const comm of [this._comm, this._opening, ...this._retiring]) {
      if (comm) {
        this._drop(comm);
      }
    }
    this._comm = this._opening = null;
    this._retiring.clear();
    // The kernel's own comms are other connections' too: dropped here only.
    this._shared.forEach(comm => comm.dispose());
    this._shared.clear();
    Signal.clearData(this);
  }

  request<K extends keyof IReplies>(
    body: IRequestBodies[K]
  ): Promise<IReplies[K]> {
    return this._request(body).then(r => r.msg as IReplies[K]);
  }

  /**
   * A step's rows, page after page, as columns (1.3; a 1.2 kernel answers
   * with rows, in pages of 5000). The next page is asked for as soon as one
   * arrives, before it is read and shown, so that the kernel makes it
   * meanwhile.
   */
  async fetchTensors(
    recordingId: number,
    step: number,
    onPage: (page: ITensors) => boolean
  ): Promise<void> {
    let next = this._tensorsPage(recordingId, step, 0, FIRST_PAGE_ROWS);
    for (;;) {
      const page = await next;
      const end = page.offset + page.rows.length;
      const more = page.rows.length > 0 && end < page.total;
      if (more) {
        next = this._tensorsPage(recordingId, step, end, MAX_COLUMN_ROWS);
        // Not awaited when the caller stops (another step): its failure is no news.
        next.catch(() => undefined);
      }
      if (!onPage(page) || !more) {
        return;
      }
    }
  }

  /** One page of rows, read from columns when the kernel sent them. */
  private async _tensorsPage(
    recordingId: number,
    step: number,
    offset: number,
    limit: number
  ): Promise<ITensors> {
    const { msg, buffers } = await this._request({
      type: 'get_tensors',
      recording_id: recordingId,
      step,
      offset,
      limit,
      columns: true
    });
    const reply = msg as IReplies['get_tensors'];
    if (
      reply.recording_id !== recordingId ||
      reply.step !== step ||
      reply.offset !== offset
    ) {
      throw new RequestError('bad_reply', 'tensors: page for another step');
    }
    if (!('columns' in reply)) {
      return reply;
    }
    try {
      return decodeTensorColumns(reply as ITensorsInColumns, buffers);
    } catch (e) {
      throw new RequestError('bad_reply', (e as Error).message);
    }
  }

  getTensor(
    recordingId: number,
    step: number,
    index: number
  ): Promise<ITensor> {
    return this.request<'get_tensor'>({
      type: 'get_tensor',
      recording_id: recordingId,
      step,
      index
    });
  }

  async getValues(
    recordingId: number,
    step: number,
    index: number,
    prefix: number[],
    offset: number,
    count: number,
    source: ValueSource = 'eager'
  ): Promise<IValuesPage> {
    const { msg, buffers } = await this._request({
      type: 'get_values',
      recording_id: recordingId,
      step,
      index,
      prefix,
      offset,
      count,
      // A 1.0 kernel knows no `source`: send it only for graph (or XLA) values.
      ...(source !== 'eager' ? { source } : {})
    });
    const values = msg as IReplies['get_values'];
    try {
      return { ...values, data: decodeValues(values, buffers[0]) };
    } catch (e) {
      throw new RequestError('bad_reply', (e as Error).message);
    }
  }

  // ------------------------------------------------------------- handshake

  private async _openWhenLive(): Promise<void> {
    await whenLive(this._kernel, () => this._isDisposed);
    if (this._isDisposed || this._comm || this._opening || this._isStale()) {
      return;
    }
    const listening = await isListening(this._kernel);
    if (this._isDisposed || this._comm || this._opening || this._isStale()) {
      return;
    }
    if (listening === false) {
      // eager_lab opens a comm itself when it is loaded: wait for that.
      if (this._state.kind === 'connecting') {
        this._setState({ kind: 'not_loaded' });
      }
      return;
    }
    this._openOwn();
  }

  /** Open a comm of this connection's own, with `hello`. */
  private _openOwn(): void {
    let comm: Kernel.IComm;
    try {
      comm = this._kernel.createComm(COMM_TARGET);
    } catch (e) {
      // `handleComms` is off for this kernel connection.
      this._setState({ kind: 'error', message: (e as Error).message });
      return;
    }
    this._own.add(comm);
    this._opening = comm;
    comm.onMsg = msg => this._onMessage(comm, msg);
    comm.onClose = msg => this._onClose(comm, msg);
    this._armHandshakeTimer(comm);
    comm.open(hello(this._version) as unknown as JSONObject);
  }

  private _armHandshakeTimer(comm: Kernel.IComm): void {
    this._handshakeTimer = this._startTimer(() => {
      if (this._opening === comm && this._state.kind === 'connecting') {
        this._opening = null;
        this._retire(comm);
        this._setState({
          kind: 'error',
          message: 'the kernel did not answer the eager_lab handshake'
        });
      }
    });
  }

  private _clearHandshakeTimer(): void {
    if (this._handshakeTimer) {
      window.clearTimeout(this._handshakeTimer.id);
      this._handshakeTimer = null;
    }
  }

  /**
   * A comm opened by the kernel (eager_lab was loaded there). Every
   * connection to the kernel gets it under the same id: answer it, so the
   * kernel knows a panel is there, then leave it to the others (closing it
   * would close it for them too) and go on on a comm of our own.
   */
  private _onCommOpen = (
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void => {
    if (this._isDisposed || this._isStale()) {
      comm.dispose();
      return;
    }
    const data = decodeMessage(msg.content.data);
    if (!data || data.type !== 'hello') {
      comm.send({
        type: 'error',
        code: 'bad_request',
        message: 'expected hello as comm-open data'
      });
      comm.dispose();
      return;
    }
    if (!isCompatible(data.protocol_version)) {
      comm.send(
        versionMismatch(data.protocol_version) as unknown as JSONObject
      );
      comm.dispose();
      this._mismatch(data.protocol_version);
      return;
    }
    comm.send(welcome(this._version) as unknown as JSONObject);
    // Kept, unused, until this connection ends: JupyterLab counts comms per
    // target to share one kernel subshell among them, and disposing this one
    // now could delete the subshell that our own comm is about to use.
    comm.onMsg = () => undefined;
    comm.onClose = () => void this._shared.delete(comm);
    this._shared.add(comm);
    if (this._state.kind !== 'ready') {
      this._setState({ kind: 'connecting' });
    }
    // A new hello is a new kernel-side transport (a load, a reload): our
    // older comm may be gone with the old one, so open a fresh one.
    if (!this._opening) {
      this._openOwn();
    }
  };

  /** Make `comm` the live one; the older one closes once its replies are in. */
  private _adopt(
    comm: Kernel.IComm,
    peer: { version: string; protocol_version: string; capabilities?: string[] }
  ): void {
    const older = [this._comm, this._opening].filter(
      c => c !== null && c !== comm
    ) as Kernel.IComm[];
    this._comm = comm;
    this._opening = null;
    this._clearHandshakeTimer();
    older.forEach(c => this._retire(c));
    this._setState({
      kind: 'ready',
      kernelVersion: peer.version,
      protocolVersion: peer.protocol_version,
      capabilities: peer.capabilities
    });
  }

  private _retire(comm: Kernel.IComm): void {
    if (this._pending.isWaitingOn(comm)) {
      this._retiring.add(comm);
      return;
    }
    this._retiring.delete(comm);
    this._drop(comm);
  }

  /** Close a comm of ours (the kernel forgets it), quietly. */
  private _drop(comm: Kernel.IComm): void {
    this._own.delete(comm);
    if (comm.isDisposed) {
      return;
    }
    this._closing.add(comm);
    try {
      comm.close();
    } catch {
      // The kernel connection is already gone: nothing to tell the kernel.
      comm.dispose();
    }
  }

  private _mismatch(kernel: string): void {
    this._setState({
      kind: 'version_mismatch',
      frontend: PROTOCOL_VERSION,
      kernel
    });
  }

  // ------------------------------------------------------------- messages

  private _onMessage(comm: Kernel.IComm, msg: KernelMessage.ICommMsgMsg): void {
    if (this._isDisposed || this._isStale()) {
      return;
    }
    const raw = msg.content.data as { request_id?: unknown };
    const data = decodeMessage(raw);
    const pendingId =
      typeof raw?.request_id === 'string' ? raw.request_id : null;
    if (!data) {
      console.warn('eager_lab: malformed message dropped', raw);
      if (pendingId !== null && this._pending.has(pendingId)) {
        this._pending.settle(pendingId, null, [], 'malformed reply');
      }
      return;
    }
    if (data.type === 'welcome') {
      if (comm === this._opening) {
        if (isCompatible(data.protocol_version)) {
          this._adopt(comm, data);
        } else {
          this._opening = null;
          this._retire(comm);
          this._mismatch(data.protocol_version);
        }
      }
      return;
    }
    if (data.type === 'error' && !data.request_id) {
      if (data.code === 'version_mismatch') {
        if (comm === this._opening) {
          this._opening = null;
          this._retire(comm);
        }
        this._mismatch(
          data.protocol_version ?? Private.otherVersion(data.message)
        );
      } else {
        console.warn('eager_lab: kernel error', data.message);
      }
      return;
    }
    if (isPush(data)) {
      // The kernel pushes to every open comm: take pushes from the live one.
      if (comm === this._comm) {
        this._pushReceived.emit(data);
      }
      return;
    }
    if (pendingId !== null && this._pending.has(pendingId)) {
      this._pending.settle(pendingId, data, msg.buffers ?? [], null);
    }
  }

  private _onClose(
    comm: Kernel.IComm,
    msg?: KernelMessage.ICommCloseMsg
  ): void {
    this._retiring.delete(comm);
    this._own.delete(comm);
    if (this._closing.delete(comm) || this._isDisposed) {
      return; // we closed it
    }
    this._pending.failAllOn(comm, 'the kernel closed the comm');
    const data = (msg?.content.data ?? {}) as { reason?: unknown };
    if (comm === this._opening) {
      // The target went away between our question and our hello.
      this._opening = null;
      this._clearHandshakeTimer();
      if (this._state.kind === 'connecting') {
        this._setState({ kind: 'not_loaded' });
      }
    } else if (comm === this._comm) {
      this._comm = null;
      if (data.reason === 'evicted' && this._reopened < MAX_REOPENS) {
        // The kernel keeps a few comms and closed ours as the least recently
        // heard from: this panel is still here, so it opens another.
        this._reopened += 1;
        this._setState({ kind: 'connecting' });
        this._openOwn();
      } else {
        this._setState({ kind: 'not_loaded' });
      }
    }
  }

  /** Send a request on the live comm; fails at once when there is none. */
  private _request(
    body: { type: keyof IReplies } & JSONObject
  ): Promise<IRawReply> {
    const comm = this._comm;
    if (this._isDisposed || this._state.kind !== 'ready' || !comm) {
      return Promise.reject(
        new RequestError('not_ready', 'eager_lab is not connected')
      );
    }
    return this._pending.send(comm, body);
  }

  /** A timeout that pauses while the kernel is busy (see startBusyAwareTimer). */
  private _startTimer(fire: () => void): ITimer {
    return startBusyAwareTimer(
      this._busy,
      this._timeoutMs,
      () => this._isDisposed,
      fire
    );
  }

  private _onKernelStatus(_: unknown, status: KernelMessage.Status): void {
    if (status === 'dead') {
      this._setState({ kind: 'error', message: 'the kernel died' });
    }
  }

  private _isStale(): boolean {
    // The kernel connection object can be re-pointed; compare ids.
    return this._kernel.isDisposed || this._kernel.id !== this._kernelId;
  }

  private _setState(state: ConnectionState): void {
    if (this._state.kind === 'disposed') {
      return;
    }
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _comm: Kernel.IComm | null = null;
  private _opening: Kernel.IComm | null = null;
  /** Comms this connection opened (the kernel's own are never kept). */
  private _own = new Set<Kernel.IComm>();
  /** Comms the kernel opened, answered and left alone (see _onCommOpen). */
  private _shared = new Set<Kernel.IComm>();
  private _reopened = 0;
  private _retiring = new Set<Kernel.IComm>();
  private _closing = new Set<Kernel.IComm>();
  private _isDisposed = false;
  private _busy: BusyTracker;
  private _kernel: Kernel.IKernelConnection;
  private _kernelId: string;
  private _key: string;
  private _pending: PendingRequests;
  private _pushReceived = new Signal<IEagerConnection, Push>(this);
  private _state: ConnectionState = { kind: 'connecting' };
  private _stateChanged = new Signal<IEagerConnection, ConnectionState>(this);
  private _timeoutMs: number;
  private _handshakeTimer: ITimer | null = null;
  private _version: string;
}

export namespace EagerConnection {
  export interface IOptions {
    kernel: Kernel.IKernelConnection;
    /** This frontend's package version, sent in `hello`. */
    version: string;
    /** Restart count of this kernel, part of the connection key. */
    generation?: number;
    timeoutMs?: number;
  }
}

namespace Private {
  /** The protocol version that is not ours, from an error message. */
  export function otherVersion(message: string): string {
    const versions = message.match(/\d+\.\d+\.\d+/g) ?? [];
    return versions.find(v => v !== PROTOCOL_VERSION) ?? 'unknown';
  }
}
