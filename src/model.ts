/**
 * The sidebar's state, per followed kernel: status, recordings, the selected
 * step's rows, filter, grouping, selected tensor. Signals, no DOM.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import { DistinctNames } from './names';
import type {
  IRecordingInfo,
  IStatus,
  IStepInfo,
  ITensor,
  ITensorRow,
  ITensors,
  Push
} from './protocol';
import type { ConnectionState, IEagerConnection, IValuesPage } from './tokens';

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

/** A step of a recording. */
export interface IStepRef {
  recordingId: number;
  step: number;
}

/** One line of the visible list: a tensor row or a scope group header. */
export type ViewItem =
  | { kind: 'row'; row: ITensorRow; depth: number }
  | {
      kind: 'group';
      /** Full scope path; the key for expansion. */
      path: string;
      /** Shown text: one or more scope segments (single-child chains merged). */
      label: string;
      depth: number;
      /** Rows below this group (matching the filter, when there is one). */
      count: number;
      errors: number;
      nonfinite: number;
      expanded: boolean;
    };

/** How the visible list changed. */
export type ViewChange =
  | { kind: 'reset' }
  /** Items were added at the end; earlier items are unchanged. */
  | { kind: 'append'; from: number };

/** The detail of the selected tensor. */
export type Detail =
  | { kind: 'none' }
  | { kind: 'loading'; index: number }
  | { kind: 'loaded'; index: number; tensor: ITensor }
  | { kind: 'error'; index: number; message: string };

/** Rows of the selected step as they arrive. */
export interface ILoadState {
  loaded: number;
  total: number | null;
  error: string | null;
}

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
    const sel = this._selection;
    if (!sel) {
      return null;
    }
    const rec = this._recordings.find(r => r.id === sel.recordingId);
    return rec?.steps.find(s => s.index === sel.step) ?? null;
  }

  /** Rows of the selected step in execution order (`rows[k].i === k`). */
  get rows(): readonly ITensorRow[] {
    return this._rows;
  }

  /**
   * What tells the step's names apart (by row index), kept as rows arrive; a
   * change to earlier rows' comes as a `reset` of the view.
   */
  get names(): DistinctNames {
    return this._names;
  }

  get load(): ILoadState {
    return {
      loaded: this._rows.length,
      total: this._total,
      error: this._loadError
    };
  }
  get loadChanged(): ISignal<this, ILoadState> {
    return this._loadChanged;
  }

  get filter(): string {
    return this._filter;
  }
  set filter(text: string) {
    if (text === this._filter) {
      return;
    }
    this._filter = text;
    this._needle = text.trim().toLowerCase();
    this._invalidateView();
  }

  get grouped(): boolean {
    return this._grouped;
  }
  set grouped(on: boolean) {
    if (on === this._grouped) {
      return;
    }
    this._grouped = on;
    this._invalidateView();
  }

  isExpanded(path: string): boolean {
    return this._needle !== '' || this._expanded.has(path);
  }

  /** Expand or collapse a scope group (a filter shows every group open). */
  toggleGroup(path: string, expanded?: boolean): void {
    const open = expanded ?? !this._expanded.has(path);
    if (open === this._expanded.has(path)) {
      return;
    }
    if (open) {
      this._expanded.add(path);
    } else {
      this._expanded.delete(path);
    }
    this._invalidateView();
  }

  /** Number of visible items (rows, or groups and rows when grouped). */
  get viewCount(): number {
    this._ensureView();
    return this._flat === null ? this._rows.length : this._flat.length;
  }

  /** The visible item at position `k` (0 ≤ k < viewCount). */
  viewItem(k: number): ViewItem {
    this._ensureView();
    if (this._flat === null) {
      return { kind: 'row', row: this._rows[k], depth: 0 };
    }
    const entry = this._flat[k];
    const depth = this._flatDepth[k];
    if (typeof entry === 'number') {
      return { kind: 'row', row: this._rows[entry], depth };
    }
    return {
      kind: 'group',
      path: entry.node.path,
      label: entry.label,
      depth,
      count: this._needle
        ? (this._matchCounts.get(entry.node) ?? 0)
        : entry.node.count,
      errors: entry.node.errors,
      nonfinite: entry.node.nonfinite,
      expanded: this.isExpanded(entry.node.path)
    };
  }

  /** Position of row `i` in the visible list, or -1 when hidden. */
  viewIndexOfRow(i: number): number {
    this._ensureView();
    if (this._flat === null) {
      return i < this._rows.length ? i : -1;
    }
    return this._flat.indexOf(i);
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
    this._bind(connection, Private.statusOf(connection.state));
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
    this._pendingReveal = Private.revealTarget(info);
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
        this._loadError = Private.message(e);
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
      page.offset !== this._rows.length
    ) {
      return false;
    }
    const from = this._rows.length;
    this._total = page.total;
    for (const row of page.rows) {
      this._rows.push(row);
    }
    this._loadChanged.emit(this.load);
    this._grow(from);
    if (
      this._pendingReveal !== null &&
      this._pendingReveal < this._rows.length
    ) {
      const i = this._pendingReveal;
      this._pendingReveal = null;
      this._revealedTarget = true;
      this.revealRow(i);
    }
    return this._rows.length < page.total;
  }

  /**
   * Select row `i` and ask the table to scroll to it, opening its scope
   * groups (the failing op, the first NaN/Inf). Waits for the row's page.
   */
  revealRow(i: number): void {
    if (i >= this._rows.length) {
      this._pendingReveal = i;
      return;
    }
    const scope = this._rows[i].scope;
    if (this._grouped) {
      const paths =
        scope === null
          ? [Private.UNNAMED_SCOPE]
          : scope
              .split('/')
              .map((_, k, parts) => parts.slice(0, k + 1).join('/'));
      let changed = false;
      for (const p of paths) {
        if (p && !this._expanded.has(p)) {
          this._expanded.add(p);
          changed = true;
        }
      }
      if (changed) {
        this._invalidateView();
      }
    }
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
      this._filter = prefs.filter;
      this._needle = prefs.filter.trim().toLowerCase();
      this._grouped = prefs.grouped;
      this._expanded = prefs.expanded;
      this._followLatest = prefs.followLatest;
    }
    this._invalidateView();
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
    prefs.filter = this._filter;
    prefs.grouped = this._grouped;
    prefs.followLatest = this._followLatest;
    // A fully loaded step is kept, so that coming back to this notebook shows
    // it at once (a finished step's rows never change; `refresh()` catches up
    // on the rest).
    const complete =
      this._selection !== null &&
      this._total !== null &&
      this._rows.length === this._total;
    prefs.snapshot = complete
      ? {
          connection: conn,
          recordings: this._recordings,
          kernelStatus: this._kernelStatus,
          selection: this._selection!,
          rows: this._rows,
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
    this._rows = snap.rows;
    this._total = snap.rows.length;
    this._grow(0);
    this._invalidateView();
    this._recordingsChanged.emit();
    this._selectionChanged.emit(this._selection);
    this._loadChanged.emit(this.load);
    this._updateStatus();
    if (snap.selectedTensor !== null) {
      void this.selectTensor(snap.selectedTensor);
    }
  }

  /** View preferences kept per kernel, restored when it is followed again. */
  private _prefs(): Private.IPrefs {
    const id = this._connection?.kernelId ?? '';
    let prefs = this._kernelPrefs.get(id);
    if (!prefs) {
      prefs = {
        filter: '',
        grouped: false,
        expanded: new Set(),
        followLatest: true,
        selection: null,
        snapshot: null
      };
      this._kernelPrefs.set(id, prefs);
    }
    return prefs;
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
    this._setStatus(Private.statusOf(state));
  }

  private _onPush(sender: IEagerConnection, push: Push): void {
    if (sender !== this._connection) {
      return; // a stale kernel
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
    const target = Private.revealTarget(this.step);
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
    const latest = this._recordings[this._recordings.length - 1];
    if (!latest || latest.steps.length === 0) {
      return;
    }
    const sel = this._selection;
    const exists = sel !== null && this.step !== null;
    // A busy kernel answers only after its cell: while it captures, keep the
    // current view and switch when the capture ends.
    const capturing = this._kernelStatus?.capturing ?? false;
    // The first push of a capture can come before the kernel says it captures, so
    // step 0 of an unfinished recording may have been picked: once the recording ends,
    // an automatic pick moves to its default step (last, failing or first NaN).
    const settledElsewhere =
      exists &&
      this._autoSelected &&
      latest.finished &&
      !capturing &&
      sel.recordingId === latest.id &&
      sel.step !== Private.defaultStep(latest).index;
    if (
      exists &&
      !settledElsewhere &&
      !(this._followLatest && sel.recordingId !== latest.id)
    ) {
      return;
    }
    if (capturing && exists) {
      return;
    }
    const remembered = this._prefs().selection;
    if (
      !exists &&
      remembered &&
      this._recordings.some(
        r =>
          r.id === remembered.recordingId &&
          r.steps.some(s => s.index === remembered.step)
      )
    ) {
      void this._autoSelect(remembered.recordingId, remembered.step);
      return;
    }
    void this._autoSelect(latest.id, Private.defaultStep(latest).index);
  }

  private _updateStatus(): void {
    const conn = this._connection;
    if (!conn || conn.state.kind !== 'ready') {
      return;
    }
    const ks = this._kernelStatus;
    if (ks?.capturing) {
      this._setStatus({
        reason: 'capturing',
        target: ks.target,
        stepsRecorded: ks.steps_recorded
      });
    } else if (!this._recordings.some(r => r.steps.length > 0)) {
      this._setStatus({ reason: 'no_steps_yet' });
    } else {
      this._setStatus({ reason: 'ready' });
    }
  }

  private _setStatus(status: Status): void {
    if (JSON.stringify(status) === JSON.stringify(this._status)) {
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
    this._rows = [];
    this._names = new DistinctNames();
    this._total = null;
    this._loadError = null;
    this._hay = [];
    this._tree = Private.newNode('', '', null, 0);
    this._nodes = new Map([['', this._tree]]);
    this._matches = [];
    this._pendingReveal = null;
    this._selectedTensor = null;
    ++this._detailGeneration;
    this._setDetail({ kind: 'none' });
    this._loadChanged.emit(this.load);
    this._invalidateView();
  }

  // ------------------------------------------------------------- the view

  /** Rows from `from` on arrived: grow the tree and matches, tell the table. */
  private _grow(from: number): void {
    const names: Array<string | null> = [];
    for (let k = from; k < this._rows.length; k++) {
      this._addToTree(k);
      names.push(this._rows[k].name);
    }
    if (from === 0) {
      this._names = new DistinctNames();
    }
    // New names can change what tells earlier ones apart: shown rows re-filled.
    const renamed = this._names.add(names);
    if (!this._grouped && !this._needle) {
      // Every row is shown in order: the new ones go at the end.
      this._viewChanged.emit(
        renamed ? { kind: 'reset' } : { kind: 'append', from }
      );
    } else if (this._viewDirty) {
      this._viewChanged.emit({ kind: 'reset' }); // rebuilt when next read
    } else if (this._grouped) {
      // New rows land inside groups, so positions shift: rebuilt lazily.
      this._invalidateView();
    } else {
      const before = this._matches.length;
      for (let k = from; k < this._rows.length; k++) {
        if (this._matchesRow(k)) {
          this._matches.push(k);
        }
      }
      if (renamed) {
        this._viewChanged.emit({ kind: 'reset' });
      } else if (this._matches.length > before) {
        this._viewChanged.emit({ kind: 'append', from: before });
      }
    }
  }

  private _addToTree(k: number): void {
    const row = this._rows[k];
    const node =
      row.scope === null ? this._unnamedNode() : this._nodeFor(row.scope);
    node.items.push(k);
    for (let n: Private.INode | null = node; n; n = n.parent) {
      n.count += 1;
      if (row.error !== null) {
        n.errors += 1;
      }
      if (row.nan > 0 || row.inf > 0) {
        n.nonfinite += 1;
      }
    }
  }

  /** Unnamed rows have no scope: they share one top-level group. */
  private _unnamedNode(): Private.INode {
    let node = this._nodes.get(Private.UNNAMED_SCOPE);
    if (!node) {
      node = Private.newNode(Private.UNNAMED_SCOPE, '<unnamed>', this._tree, 1);
      this._tree.items.push(node);
      this._nodes.set(Private.UNNAMED_SCOPE, node);
    }
    return node;
  }

  private _nodeFor(scope: string): Private.INode {
    const found = this._nodes.get(scope);
    if (found) {
      return found;
    }
    const cut = scope.lastIndexOf('/');
    const parent = cut < 0 ? this._tree : this._nodeFor(scope.slice(0, cut));
    const node = Private.newNode(
      scope,
      cut < 0 ? scope : scope.slice(cut + 1),
      parent,
      parent.depth + 1
    );
    parent.items.push(node);
    this._nodes.set(scope, node);
    return node;
  }

  private _matchesRow(k: number): boolean {
    let hay = this._hay[k];
    if (hay === undefined) {
      const r = this._rows[k];
      hay = `${r.name ?? ''}\n${r.op}\n${r.scope ?? ''}`.toLowerCase();
      this._hay[k] = hay;
    }
    return hay.includes(this._needle);
  }

  private _invalidateView(): void {
    this._viewDirty = true;
    this._viewChanged.emit({ kind: 'reset' });
  }

  private _ensureView(): void {
    if (!this._viewDirty) {
      return;
    }
    this._viewDirty = false;
    this._matches = [];
    this._matchCounts = new Map();
    if (this._needle) {
      for (let k = 0; k < this._rows.length; k++) {
        if (this._matchesRow(k)) {
          this._matches.push(k);
        }
      }
    }
    if (!this._grouped) {
      this._flat = this._needle ? this._matches : null;
      this._flatDepth = [];
      return;
    }
    if (this._needle) {
      for (const k of this._matches) {
        const scope = this._rows[k].scope;
        const node = this._nodes.get(scope ?? Private.UNNAMED_SCOPE);
        for (let n = node ?? null; n; n = n.parent) {
          this._matchCounts.set(n, (this._matchCounts.get(n) ?? 0) + 1);
        }
      }
    }
    const flat: Array<number | Private.IFlatGroup> = [];
    const depths: number[] = [];
    this._flatten(this._tree, 0, flat, depths);
    this._flat = flat;
    this._flatDepth = depths;
  }

  private _flatten(
    node: Private.INode,
    depth: number,
    flat: Array<number | Private.IFlatGroup>,
    depths: number[]
  ): void {
    const filtering = this._needle !== '';
    for (const item of node.items) {
      if (typeof item === 'number') {
        if (!filtering || this._matchesRow(item)) {
          flat.push(item);
          depths.push(depth);
        }
        continue;
      }
      if (filtering && !this._matchCounts.get(item)) {
        continue;
      }
      // A scope holding one sub-scope and no rows shows as one line: a/b/c.
      let group = item;
      let label = item.label;
      while (group.items.length === 1 && typeof group.items[0] !== 'number') {
        group = group.items[0] as Private.INode;
        label += '/' + group.label;
      }
      flat.push({ node: group, label });
      depths.push(depth);
      if (this.isExpanded(group.path)) {
        this._flatten(group, depth + 1, flat, depths);
      }
    }
  }

  private _connection: IEagerConnection | null = null;
  private _detail: Detail = { kind: 'none' };
  private _detailChanged = new Signal<this, Detail>(this);
  private _detailGeneration = 0;
  private _expanded = new Set<string>();
  private _filter = '';
  private _flat: Array<number | Private.IFlatGroup> | null = null;
  private _flatDepth: number[] = [];
  private _followLatest = true;
  private _grouped = false;
  private _hay: string[] = [];
  private _isDisposed = false;
  private _kernelPrefs = new Map<string, Private.IPrefs>();
  private _kernelStatus: IStatus | null = null;
  private _loadChanged = new Signal<this, ILoadState>(this);
  private _loadError: string | null = null;
  private _loadGeneration = 0;
  private _matchCounts = new Map<Private.INode, number>();
  private _matches: number[] = [];
  private _names = new DistinctNames();
  private _needle = '';
  private _nodes = new Map<string, Private.INode>();
  private _pendingReveal: number | null = null;
  private _recordings: IRecordingInfo[] = [];
  private _recordingsChanged = new Signal<this, void>(this);
  private _revealRequested = new Signal<this, number>(this);
  private _revealedTarget = false;
  private _rows: ITensorRow[] = [];
  private _selectedTensor: number | null = null;
  private _selection: IStepRef | null = null;
  private _autoSelected = false;
  private _selectionChanged = new Signal<this, IStepRef | null>(this);
  private _status: Status = { reason: 'no_kernel_widget' };
  private _statusChanged = new Signal<this, Status>(this);
  private _total: number | null = null;
  private _tree: Private.INode = Private.newNode('', '', null, 0);
  private _viewChanged = new Signal<this, ViewChange>(this);
  private _viewDirty = true;
}

namespace Private {
  /** Group key of unnamed rows (no real scope contains a NUL). */
  export const UNNAMED_SCOPE = '\u0000unnamed';

  export interface INode {
    path: string;
    label: string;
    parent: INode | null;
    depth: number;
    /** Row indices and child scopes, in order of first appearance. */
    items: Array<number | INode>;
    count: number;
    errors: number;
    nonfinite: number;
  }

  export interface IFlatGroup {
    node: INode;
    label: string;
  }

  export interface IPrefs {
    filter: string;
    grouped: boolean;
    expanded: Set<string>;
    followLatest: boolean;
    selection: IStepRef | null;
    snapshot: ISnapshot | null;
  }

  /** A loaded step of a kernel, kept while another kernel is followed. */
  export interface ISnapshot {
    connection: IEagerConnection;
    recordings: IRecordingInfo[];
    kernelStatus: IStatus | null;
    selection: IStepRef;
    rows: ITensorRow[];
    selectedTensor: number | null;
  }

  export function newNode(
    path: string,
    label: string,
    parent: INode | null,
    depth: number
  ): INode {
    return {
      path,
      label,
      parent,
      depth,
      items: [],
      count: 0,
      errors: 0,
      nonfinite: 0
    };
  }

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

  export function message(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
  }
}
