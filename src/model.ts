/**
 * The sidebar's state, per followed kernel: status, recordings, the selected
 * step's rows, filter, grouping, selected tensor. Signals, no DOM.
 *
 * This class follows a kernel and talks to its connection; what it composes
 * lives in model/: the status union (status.ts), the rows and the list shown
 * of them (rows.ts, scopes.ts), which step and tensor to show (selection.ts)
 * and what is kept per kernel (kernelPrefs.ts). Their types are re-exported
 * here, so that views import the model from one place.
 *
 * Longer than 500 lines because each event (a push, a reply, a click, a kernel
 * switch) must move status, selection, rows and detail together, each after the
 * same check of which kernel and step are current: that sequencing is this class.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { DistinctNames } from './names';
import type {
  ICompareProgress,
  IRecordingInfo,
  IStatus,
  IStepInfo,
  ITensorRow,
  ITensors,
  Push
} from './protocol';
import type { ConnectionState, IEagerConnection, IValuesPage } from './tokens';
import type { IKernelPrefs } from './model/kernelPrefs';
import { KernelPrefs } from './model/kernelPrefs';
import type { ILoadState, ViewChange, ViewItem } from './model/rows';
import { RowsView } from './model/rows';
import type { Detail, IStepRef } from './model/selection';
import { findStep, revealTarget, stepToShow } from './model/selection';
import type { Status } from './model/status';
import { readyStatus, sameStatus, statusOf } from './model/status';

export type { ILoadState, ViewChange, ViewItem } from './model/rows';
export type { Detail, IStepRef } from './model/selection';
export type { Status, StatusReason } from './model/status';

export class EagerLabModel {
  get status(): Status {
    return this._status;
  }
  get statusChanged(): ISignal<this, Status> {
    return this._statusChanged;
  }

  get connection(): IEagerConnection | null {
    return this._connection;
  }

  get recordings(): readonly IRecordingInfo[] {
    return this._recordings;
  }
  get recordingsChanged(): ISignal<this, void> {
    return this._recordingsChanged;
  }

  get selection(): IStepRef | null {
    return this._selection;
  }
  get selectionChanged(): ISignal<this, IStepRef | null> {
    return this._selectionChanged;
  }

  /** The selected step's info, if it is still kept. */
  get step(): IStepInfo | null {
    return findStep(this._recordings, this._selection);
  }

  /** Rows of the selected step in execution order (`rows[k].i === k`). */
  get rows(): readonly ITensorRow[] {
    return this._view.rows;
  }

  /**
   * What tells the step's names apart (by row index), kept as rows arrive; a
   * change to earlier rows' comes as a `reset` of the view.
   */
  get names(): DistinctNames {
    return this._view.names;
  }

  get load(): ILoadState {
    return this._view.load;
  }
  get loadChanged(): ISignal<this, ILoadState> {
    return this._loadChanged;
  }

  get filter(): string {
    return this._view.filter;
  }
  set filter(text: string) {
    this._view.filter = text;
  }

  get grouped(): boolean {
    return this._view.grouped;
  }
  set grouped(on: boolean) {
    this._view.grouped = on;
  }

  isExpanded(path: string): boolean {
    return this._view.isExpanded(path);
  }

  /** Expand or collapse a scope group (a filter shows every group open). */
  toggleGroup(path: string, expanded?: boolean): void {
    this._view.toggleGroup(path, expanded);
  }

  /** Number of visible items (rows, or groups and rows when grouped). */
  get viewCount(): number {
    return this._view.viewCount;
  }

  /** The visible item at position `k` (0 ≤ k < viewCount). */
  viewItem(k: number): ViewItem {
    return this._view.viewItem(k);
  }

  /** Position of row `i` in the visible list, or -1 when hidden. */
  viewIndexOfRow(i: number): number {
    return this._view.viewIndexOfRow(i);
  }

  get viewChanged(): ISignal<this, ViewChange> {
    return this._viewChanged;
  }

  get selectedTensor(): number | null {
    return this._selectedTensor;
  }
  get detail(): Detail {
    return this._detail;
  }
  get detailChanged(): ISignal<this, Detail> {
    return this._detailChanged;
  }

  /** Asks the table to scroll row `i` into view (failing op, first NaN). */
  get revealRequested(): ISignal<this, number> {
    return this._revealRequested;
  }

  /** (1.4) The stage of a comparison the kernel is running, as it changes. */
  get compareProgress(): ISignal<this, ICompareProgress> {
    return this._compareProgress;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._unbind();
    Signal.clearData(this);
  }

  // ------------------------------------------------------------- following

  /** No notebook or console is current. */
  followNothing(): void {
    this._bind(null, { reason: 'no_kernel_widget' });
  }

  /** A notebook or console is current; its session is starting. */
  followPending(): void {
    this._bind(null, { reason: 'connecting' });
  }

  /** The current notebook or console has no kernel. */
  followNoKernel(): void {
    this._bind(null, { reason: 'no_kernel' });
  }

  /** Follow a kernel's connection (a new one after a restart). */
  followConnection(connection: IEagerConnection): void {
    if (connection === this._connection) {
      return;
    }
    this._bind(connection, statusOf(connection.state));
    if (connection.state.kind === 'ready') {
      this._restore(connection);
      void this.refresh();
    }
  }

  /** Ask the kernel for everything (after `welcome`, or on demand). */
  async refresh(): Promise<void> {
    const conn = this._connection;
    if (!conn || conn.state.kind !== 'ready') {
      return;
    }
    try {
      const state = await conn.request<'request_state'>({
        type: 'request_state'
      });
      if (conn !== this._connection) {
        return; // stale kernel
      }
      this._kernelStatus = state.status;
      this._recordings = state.recordings.slice();
      this._recordingsChanged.emit();
      this._updateStatus();
      this._ensureSelection();
      this._revealLateTarget();
    } catch (e) {
      if (conn === this._connection) {
        this._setStatus({ reason: 'error', message: Private.message(e) });
      }
    }
  }

  // ------------------------------------------------------------- steps

  /** Show one step's rows: first page at once, then the rest. */
  async selectStep(recordingId: number, step: number): Promise<void> {
    this._autoSelected = false; // the user's choice: kept when a capture ends
    return this._showStep(recordingId, step);
  }

  /** A step eager_lab picked itself; a capture's end may move it to the default step. */
  private _autoSelect(recordingId: number, step: number): Promise<void> {
    this._autoSelected = true;
    return this._showStep(recordingId, step);
  }

  private async _showStep(recordingId: number, step: number): Promise<void> {
    const conn = this._connection;
    const latest = this._recordings[this._recordings.length - 1];
    this._followLatest = !latest || latest.id === recordingId;
    this._selection = { recordingId, step };
    this._prefs().selection = this._selection;
    this._resetRows();
    this._selectionChanged.emit(this._selection);
    const info = this.step;
    this._pendingReveal = revealTarget(info);
    this._revealedTarget = false;
    if (!conn || conn.state.kind !== 'ready') {
      return;
    }
    const gen = ++this._loadGeneration;
    try {
      await conn.fetchTensors(recordingId, step, page =>
        this._isCurrentLoad(conn, gen) ? this.appendPage(page) : false
      );
    } catch (e) {
      if (this._isCurrentLoad(conn, gen)) {
        this._view.fail(Private.message(e));
        this._loadChanged.emit(this.load);
      }
    }
  }

  /**
   * Add one page of the selected step. Pages must come in order; a page for
   * another step, or out of order, is dropped. Returns whether to go on.
   */
  appendPage(page: ITensors): boolean {
    const sel = this._selection;
    if (
      !sel ||
      page.recording_id !== sel.recordingId ||
      page.step !== sel.step ||
      page.offset !== this.rows.length
    ) {
      return false;
    }
    const from = this._view.push(page.rows, page.total);
    this._loadChanged.emit(this.load);
    this._view.grow(from);
    if (
      this._pendingReveal !== null &&
      this._pendingReveal < this.rows.length
    ) {
      const i = this._pendingReveal;
      this._pendingReveal = null;
      this._revealedTarget = true;
      this.revealRow(i);
    }
    return this.rows.length < page.total;
  }

  /**
   * Select row `i` and ask the table to scroll to it, opening its scope
   * groups (the failing op, the first NaN/Inf). Waits for the row's page.
   */
  revealRow(i: number): void {
    if (i >= this.rows.length) {
      this._pendingReveal = i;
      return;
    }
    this._view.expandTo(i);
    if (this._selectedTensor !== i) {
      void this.selectTensor(i);
    }
    this._revealRequested.emit(i);
  }

  // ------------------------------------------------------------- tensors

  /** Select row `i` of the step and fetch its detail. */
  async selectTensor(i: number | null): Promise<void> {
    const conn = this._connection;
    const sel = this._selection;
    this._selectedTensor = i;
    const gen = ++this._detailGeneration;
    if (i === null || !sel || !conn) {
      this._setDetail({ kind: 'none' });
      return;
    }
    this._setDetail({ kind: 'loading', index: i });
    try {
      const tensor = await conn.getTensor(sel.recordingId, sel.step, i);
      if (conn === this._connection && gen === this._detailGeneration) {
        this._setDetail({ kind: 'loaded', index: i, tensor });
      }
    } catch (e) {
      if (conn === this._connection && gen === this._detailGeneration) {
        this._setDetail({
          kind: 'error',
          index: i,
          message: Private.message(e)
        });
      }
    }
  }

  /**
   * The source line the kernel recorded for row `i` of the selected step
   * (`tensor.code`), to check a notebook cell against; null when unknown.
   */
  async sourceCode(i: number): Promise<string | null> {
    const detail = this._detail;
    if (detail.kind === 'loaded' && detail.index === i) {
      return detail.tensor.code;
    }
    const conn = this._connection;
    const sel = this._selection;
    if (!conn || !sel) {
      return null;
    }
    try {
      return (await conn.getTensor(sel.recordingId, sel.step, i)).code;
    } catch {
      return null; // unchecked rather than no link at all
    }
  }

  /**
   * A page of the values of row `i` of the selected step; null when another
   * step or kernel is shown by the time it arrives. Selecting a tensor (even
   * the same one again) does not make it stale: the page is row `i`'s, and
   * whoever asked for row `i` still shows it.
   */
  async fetchValues(
    i: number,
    prefix: number[],
    offset: number,
    count: number
  ): Promise<IValuesPage | null> {
    const conn = this._connection;
    const sel = this._selection;
    if (!conn || !sel) {
      return null;
    }
    const page = await conn.getValues(
      sel.recordingId,
      sel.step,
      i,
      prefix,
      offset,
      count
    );
    return conn === this._connection && sel === this._selection ? page : null;
  }

  // ------------------------------------------------------------- internals

  private _bind(conn: IEagerConnection | null, status: Status): void {
    this._unbind();
    this._connection = conn;
    this._recordings = [];
    this._kernelStatus = null;
    this._selection = null;
    this._resetRows();
    if (conn) {
      conn.stateChanged.connect(this._onConnectionState, this);
      conn.pushReceived.connect(this._onPush, this);
      const prefs = this._prefs();
      this._view.usePrefs(prefs.filter, prefs.grouped, prefs.expanded);
      this._followLatest = prefs.followLatest;
    }
    this._view.invalidate();
    this._recordingsChanged.emit();
    this._selectionChanged.emit(null);
    this._setStatus(status);
  }

  private _unbind(): void {
    const conn = this._connection;
    if (!conn) {
      return;
    }
    const prefs = this._prefs();
    prefs.filter = this._view.filter;
    prefs.grouped = this._view.grouped;
    prefs.followLatest = this._followLatest;
    // A fully loaded step is kept, so that coming back to this notebook shows
    // it at once (a finished step's rows never change; `refresh()` catches up
    // on the rest).
    const complete = this._selection !== null && this._view.isComplete;
    prefs.snapshot = complete
      ? {
          connection: conn,
          recordings: this._recordings,
          kernelStatus: this._kernelStatus,
          selection: this._selection!,
          rows: this._view.rows,
          selectedTensor: this._selectedTensor
        }
      : null;
    if (!conn.isDisposed) {
      conn.stateChanged.disconnect(this._onConnectionState, this);
      conn.pushReceived.disconnect(this._onPush, this);
    }
    this._connection = null;
  }

  /** Show the step kept when this connection was last followed. */
  private _restore(conn: IEagerConnection): void {
    const snap = this._prefs().snapshot;
    if (!snap || snap.connection !== conn) {
      return;
    }
    this._recordings = snap.recordings.slice();
    this._kernelStatus = snap.kernelStatus;
    this._selection = snap.selection;
    this._view.restore(snap.rows);
    this._recordingsChanged.emit();
    this._selectionChanged.emit(this._selection);
    this._loadChanged.emit(this.load);
    this._updateStatus();
    if (snap.selectedTensor !== null) {
      void this.selectTensor(snap.selectedTensor);
    }
  }

  /** View preferences kept for the followed kernel. */
  private _prefs(): IKernelPrefs {
    return this._kernelPrefs.get(this._connection?.kernelId ?? '');
  }

  private _onConnectionState(
    sender: IEagerConnection,
    state: ConnectionState
  ): void {
    if (sender !== this._connection || state.kind === 'disposed') {
      return; // a stale kernel, or the registry is replacing it
    }
    if (state.kind === 'ready') {
      this._setStatus({ reason: 'connecting' });
      void this.refresh();
      return;
    }
    this._recordings = [];
    this._recordingsChanged.emit();
    this._setStatus(statusOf(state));
  }

  private _onPush(sender: IEagerConnection, push: Push): void {
    if (sender !== this._connection) {
      return; // a stale kernel
    }
    if (push.type === 'compare_progress') {
      this._compareProgress.emit(push);
      return;
    }
    if (push.type === 'status') {
      const wasCapturing = this._kernelStatus?.capturing ?? false;
      this._kernelStatus = push;
      this._updateStatus();
      if (wasCapturing && !push.capturing) {
        this._ensureSelection();
      }
      return;
    }
    const rec = push.recording;
    const k = this._recordings.findIndex(r => r.id === rec.id);
    const isNew = k < 0;
    if (isNew) {
      this._recordings.push(rec);
      this._recordings.sort((a, b) => a.id - b.id);
    } else {
      this._recordings[k] = rec;
    }
    this._recordingsChanged.emit();
    this._updateStatus();
    if (rec.finished || !this._kernelStatus?.capturing) {
      this._ensureSelection();
    }
    this._revealLateTarget();
  }

  /**
   * The kernel checks a step for NaN/Inf when its capture ends, so the shown step's
   * first NaN may become known after its rows: go there then, unless a row was picked.
   */
  private _revealLateTarget(): void {
    const target = revealTarget(this.step);
    if (
      target !== null &&
      !this._revealedTarget &&
      this._pendingReveal === null &&
      this._selectedTensor === null
    ) {
      this._revealedTarget = true;
      this.revealRow(target);
    }
  }

  /** Pick a step when none is shown, or follow the newest recording. */
  private _ensureSelection(): void {
    const next = stepToShow({
      recordings: this._recordings,
      selection: this._selection,
      autoSelected: this._autoSelected,
      followLatest: this._followLatest,
      capturing: this._kernelStatus?.capturing ?? false,
      remembered: this._prefs().selection
    });
    if (next) {
      void this._autoSelect(next.recordingId, next.step);
    }
  }

  private _updateStatus(): void {
    const conn = this._connection;
    if (!conn || conn.state.kind !== 'ready') {
      return;
    }
    this._setStatus(readyStatus(this._kernelStatus, this._recordings));
  }

  private _setStatus(status: Status): void {
    if (sameStatus(status, this._status)) {
      return;
    }
    this._status = status;
    this._statusChanged.emit(status);
  }

  private _setDetail(detail: Detail): void {
    this._detail = detail;
    this._detailChanged.emit(detail);
  }

  private _isCurrentLoad(conn: IEagerConnection, gen: number): boolean {
    return conn === this._connection && gen === this._loadGeneration;
  }

  private _resetRows(): void {
    ++this._loadGeneration;
    this._view.clear();
    this._pendingReveal = null;
    this._selectedTensor = null;
    ++this._detailGeneration;
    this._setDetail({ kind: 'none' });
    this._loadChanged.emit(this.load);
    this._view.invalidate();
  }

  private _autoSelected = false;
  private _connection: IEagerConnection | null = null;
  private _detail: Detail = { kind: 'none' };
  private _detailChanged = new Signal<this, Detail>(this);
  /** Bumped per tensor selection: a late detail of an older one is dropped. */
  private _detailGeneration = 0;
  private _followLatest = true;
  private _isDisposed = false;
  private _kernelPrefs = new KernelPrefs();
  private _kernelStatus: IStatus | null = null;
  private _loadChanged = new Signal<this, ILoadState>(this);
  /** Bumped per step shown: pages of an older one are dropped. */
  private _loadGeneration = 0;
  /** The row to reveal once its page arrives. */
  private _pendingReveal: number | null = null;
  private _recordings: IRecordingInfo[] = [];
  private _recordingsChanged = new Signal<this, void>(this);
  private _revealRequested = new Signal<this, number>(this);
  private _compareProgress = new Signal<this, ICompareProgress>(this);
  /** The shown step's failing op or first NaN was revealed already. */
  private _revealedTarget = false;
  private _selectedTensor: number | null = null;
  private _selection: IStepRef | null = null;
  private _selectionChanged = new Signal<this, IStepRef | null>(this);
  private _status: Status = { reason: 'no_kernel_widget' };
  private _statusChanged = new Signal<this, Status>(this);
  private _viewChanged = new Signal<this, ViewChange>(this);
  private _view = new RowsView(change => this._viewChanged.emit(change));
}

namespace Private {
  export function message(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
  }
}
