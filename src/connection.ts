/**
 * The eager_lab comm with one kernel: handshake, requests and replies, pushes.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject, JSONValue } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type {
  ErrorCode,
  IReplies,
  ITensor,
  ITensors,
  Push,
  IRequestBodies,
  ValueSource
} from './protocol';
import {
  COMM_TARGET,
  MAX_PAGE_ROWS,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  decodeMessage,
  decodeValues,
  hello,
  isCompatible,
  isPush,
  versionMismatch,
  welcome
} from './protocol';
import type { ConnectionState, IEagerConnection, IValuesPage } from './tokens';

/** Why a request failed: a protocol error code or a local reason. */
export type RequestErrorCode =
  ErrorCode | 'timeout' | 'closed' | 'bad_reply' | 'not_ready';

export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The reply each request type expects. */
const REPLY_TYPE: { [K in keyof IReplies]: IReplies[K]['type'] } = {
  request_state: 'state',
  get_tensors: 'tensors',
  get_tensor: 'tensor',
  get_values: 'values',
  get_comparison: 'comparison',
  get_trends: 'trends'
};

/** Comms reopened after the kernel evicted ours, at most (no ping-pong). */
const MAX_REOPENS = 3;

/** Rows asked for first: a small page paints sooner. */
const FIRST_PAGE_ROWS = 1000;

/**
 * Asked of the kernel (silently, as a user expression) before this frontend
 * opens a comm: is eager_lab's comm target registered there? ipykernel
 * answers a comm to an unknown target by closing it on IOPub, which every
 * other connection to that kernel (another tab, a console) logs as "Comm not
 * found"; asking first opens comms only where eager_lab listens.
 */
export const TARGET_PROBE = `'${COMM_TARGET}' in __import__('comm').get_comm_manager().targets`;

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
    this._setState({ kind: 'disposed' });
    this._kernel.removeCommTarget(COMM_TARGET, this._onCommOpen);
    for (const [id, pending] of this._pending) {
      window.clearTimeout(pending.timer.id);
      pending.reject(new RequestError('closed', 'connection closed'));
      this._pending.delete(id);
    }
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

  async fetchTensors(
    recordingId: number,
    step: number,
    onPage: (page: ITensors) => boolean
  ): Promise<void> {
    let offset = 0;
    let total = Infinity;
    let limit = FIRST_PAGE_ROWS;
    while (offset < total) {
      const page = await this.request<'get_tensors'>({
        type: 'get_tensors',
        recording_id: recordingId,
        step,
        offset,
        limit
      });
      if (
        page.recording_id !== recordingId ||
        page.step !== step ||
        page.offset !== offset
      ) {
        throw new RequestError('bad_reply', 'tensors: page for another step');
      }
      total = page.total;
      if (!onPage(page) || page.rows.length === 0) {
        return;
      }
      offset += page.rows.length;
      limit = MAX_PAGE_ROWS;
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
      // A 1.0 kernel knows no `source`: send it only for graph values.
      ...(source === 'graph' ? { source } : {})
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
    await this._whenLive();
    if (this._isDisposed || this._comm || this._opening || this._isStale()) {
      return;
    }
    const listening = await this._isListening();
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

  /**
   * Whether eager_lab's comm target is registered in the kernel (see
   * TARGET_PROBE); false for a kernel that cannot tell (not Python, no
   * `comm`: no eager_lab either), null when the question got no answer.
   */
  private async _isListening(): Promise<boolean | null> {
    try {
      const future = this._kernel.requestExecute(
        {
          code: '',
          silent: true,
          store_history: false,
          allow_stdin: false,
          stop_on_error: false,
          user_expressions: { [COMM_TARGET]: TARGET_PROBE }
        },
        true
      );
      const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
      if (reply.content.status !== 'ok') {
        return null; // aborted after an error in a queued cell: no answer
      }
      const result = (
        reply.content.user_expressions as Record<string, any> | undefined
      )?.[COMM_TARGET];
      return result?.status === 'ok' && result.data?.['text/plain'] === 'True';
    } catch {
      return null;
    }
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

  /** Resolves once the kernel runs (idle or busy), so the comm survives. */
  private _whenLive(): Promise<void> {
    const live = (s: KernelMessage.Status) => s === 'idle' || s === 'busy';
    if (live(this._kernel.status)) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const check = (_: unknown, status: KernelMessage.Status) => {
        if (live(status) || this._isDisposed) {
          this._kernel.statusChanged.disconnect(check);
          resolve();
        }
      };
      this._kernel.statusChanged.connect(check);
    });
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
    if ([...this._pending.values()].some(p => p.comm === comm)) {
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
        this._settle(pendingId, null, [], 'malformed reply');
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
      this._settle(pendingId, data, msg.buffers ?? [], null);
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
    for (const [id, p] of this._pending) {
      if (p.comm === comm) {
        this._settle(id, null, [], 'the kernel closed the comm');
      }
    }
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

  private _request(
    body: { type: keyof IReplies } & JSONObject
  ): Promise<{ msg: unknown; buffers: (ArrayBuffer | ArrayBufferView)[] }> {
    const comm = this._comm;
    if (this._isDisposed || this._state.kind !== 'ready' || !comm) {
      return Promise.reject(
        new RequestError('not_ready', 'eager_lab is not connected')
      );
    }
    const id = `r${++this._counter}`;
    return new Promise((resolve, reject) => {
      const timer = this._startTimer(() =>
        this._settle(
          id,
          null,
          [],
          `no reply in ${this._timeoutMs / 1000} s`,
          'timeout'
        )
      );
      this._pending.set(id, {
        expect: REPLY_TYPE[body.type],
        comm,
        timer,
        resolve,
        reject
      });
      comm.send({ ...body, request_id: id } as JSONValue);
    });
  }

  private _settle(
    id: string,
    msg: ReturnType<typeof decodeMessage>,
    buffers: (ArrayBuffer | ArrayBufferView)[],
    failure: string | null,
    code: RequestErrorCode = 'bad_reply'
  ): void {
    const p = this._pending.get(id);
    if (!p) {
      return;
    }
    this._pending.delete(id);
    window.clearTimeout(p.timer.id);
    if (failure !== null || !msg) {
      p.reject(new RequestError(code, failure ?? 'no reply'));
    } else if (msg.type === 'error') {
      p.reject(new RequestError(msg.code, msg.message));
    } else if (msg.type !== p.expect) {
      p.reject(
        new RequestError('bad_reply', `expected ${p.expect}, got ${msg.type}`)
      );
    } else {
      p.resolve({ msg, buffers });
    }
    if (this._retiring.has(p.comm)) {
      this._retire(p.comm);
    }
  }

  /**
   * A timer that fires after the timeout, counting only while the kernel is
   * not busy: a busy kernel (a training cell) handles comm messages when the
   * cell ends, and that is not a failure.
   */
  private _startTimer(fire: () => void): Private.ITimer {
    const handle: Private.ITimer = { id: 0 };
    const arm = (): void => {
      handle.id = window.setTimeout(() => {
        if (this._isDisposed) {
          return;
        }
        if (this._kernel.status === 'busy') {
          arm();
        } else {
          fire();
        }
      }, this._timeoutMs);
    };
    arm();
    return handle;
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
  private _counter = 0;
  private _isDisposed = false;
  private _kernel: Kernel.IKernelConnection;
  private _kernelId: string;
  private _key: string;
  private _pending = new Map<string, Private.IPending>();
  private _pushReceived = new Signal<IEagerConnection, Push>(this);
  private _state: ConnectionState = { kind: 'connecting' };
  private _stateChanged = new Signal<IEagerConnection, ConnectionState>(this);
  private _timeoutMs: number;
  private _handshakeTimer: Private.ITimer | null = null;
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
  export interface IPending {
    expect: string;
    comm: Kernel.IComm;
    timer: ITimer;
    resolve: (r: {
      msg: unknown;
      buffers: (ArrayBuffer | ArrayBufferView)[];
    }) => void;
    reject: (e: RequestError) => void;
  }

  export interface IEntry {
    connection: EagerConnection;
    generation: number;
    /** The session connection holding the kernel connection, if known. */
    owner: { readonly disposed: ISignal<any, any> } | null;
  }

  export interface ITimer {
    id: number;
  }

  /** The protocol version that is not ours, from an error message. */
  export function otherVersion(message: string): string {
    const versions = message.match(/\d+\.\d+\.\d+/g) ?? [];
    return versions.find(v => v !== PROTOCOL_VERSION) ?? 'unknown';
  }
}
