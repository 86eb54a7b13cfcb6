/**
 * The eager | graph view of the selected step: the kernel runs the step again
 * as a graph from its saved starting state (`get_comparison`), or (1.4)
 * compiled with XLA, and this model keeps the rows (graph execution order,
 * graph-only tensors included; model/compareRows.ts counts and filters
 * them), the first real divergence, whether optimisation noise is shown, the
 * filter and the selected row. Signals, no DOM.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { EagerLabModel } from './model';
import type { ICompareCounts } from './model/compareRows';
import { CompareRows, isNoise } from './model/compareRows';
import type {
  ICompareProgress,
  ComparisonMode,
  IComparison,
  IComparisonRow,
  IXlaLayer
} from './protocol';
import { MAX_PAGE_ROWS } from './protocol';
import type { Availability } from './model/compareAvailability';
import { availability } from './model/compareAvailability';
import type { IValuesPage } from './tokens';

export type { Availability, ComparisonMode, ICompareCounts };

export type ComparisonState =
  /** The eager view: nothing asked. */
  | { kind: 'off' }
  /** The kernel is running the step as a graph (seconds). */
  | { kind: 'loading' }
  | { kind: 'loaded' }
  | { kind: 'error'; message: string };

export class ComparisonModel {
  constructor(main: EagerLabModel) {
    this._main = main;
    main.selectionChanged.connect(this._onSelection, this);
    // A step compared in the kernel (`--compare`) opens in this view by itself.
    main.recordingsChanged.connect(this._autoOpen, this);
    main.statusChanged.connect(this._autoOpen, this);
    main.viewChanged.connect(this._onMainView, this);
    main.revealRequested.connect(this._onMainReveal, this);
    main.compareProgress.connect(this._onProgress, this);
  }

  /** Whether the selected step can be compared (and why not, when not). */
  get availability(): Availability {
    return this._availability('graph');
  }

  /** Whether it can be compared with XLA: also needs a 1.4 kernel (`xla`). */
  get xlaAvailability(): Availability {
    return this._availability('xla');
  }

  /** Whether the eager | graph view is shown (it may still be loading). */
  get active(): boolean {
    return this._state.kind !== 'off';
  }

  /**
   * Show (compare in the kernel on first use) or leave the comparison view;
   * `mode` says against what: the graph, or (1.4) the step compiled by XLA.
   */
  async setActive(on: boolean, mode: ComparisonMode = 'graph'): Promise<void> {
    const key = this._stepKey();
    if (!on) {
      this._userOff = key;
      this._reset();
      return;
    }
    this._userOff = null;
    if (this.active && this._mode === mode) {
      return;
    }
    if (this.active) {
      this._reset();
    }
    this._mode = mode;
    await this._load();
  }

  /** What the shown comparison is against: the graph, or XLA. */
  get mode(): ComparisonMode {
    return this._mode;
  }

  get state(): ComparisonState {
    return this._state;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** All rows: graph execution order, then eager-only tensors. */
  get rows(): readonly IComparisonRow[] {
    return this._data.rows;
  }

  /**
   * How many rows are only in the graph, only in eager, diverge, are noise,
   * and (1.4) how many diverge per cause.
   */
  get counts(): ICompareCounts {
    return this._data.counts;
  }

  /** Whether the kernel said why rows differ (protocol 1.4). */
  get hasCauses(): boolean {
    return this._data.hasCauses;
  }

  /**
   * Row `k` of the first real divergence (1.4: not optimisation noise, not
   * propagated; an older kernel's first row beyond tolerance).
   */
  get firstDivergence(): number | null {
    return this._firstDivergence;
  }

  /** Row `k` of the first row beyond tolerance, whatever its cause. */
  get firstDifference(): number | null {
    return this._firstDifference;
  }

  /** (1.4, XLA) The first Keras layer whose XLA run differs from eager. */
  get xlaLayer(): IXlaLayer | null {
    return this._xlaLayer;
  }

  /** (1.4) While loading: the kernel's stage, and when asked (Date.now()). */
  get progress(): { stage: string | null; since: number } | null {
    const loading = this._state.kind === 'loading';
    return loading ? { stage: this._stage, since: this._loadingSince } : null;
  }

  /** (1.4) How long the kernel took to compare, in seconds. */
  get seconds(): number | null {
    return this._seconds;
  }

  /**
   * Whether rows whose difference is optimisation noise are listed; hidden
   * by default, so that the list starts with what needs fixing. Kept for the
   * panel's life, across steps and comparisons.
   */
  get showNoise(): boolean {
    return this._showNoise;
  }

  set showNoise(on: boolean) {
    if (on === this._showNoise) {
      return;
    }
    this._showNoise = on;
    this._invalidate();
    this._changed.emit();
  }

  /** The comparison row of eager row `i`, if it has one. */
  rowOfEager(i: number): IComparisonRow | undefined {
    const k = this._data.rowOfEager(i);
    return k === undefined ? undefined : this._data.rows[k];
  }

  // ---------------------------------------------------------- visible rows

  /** Rows shown: all, or those the panel's filter and the noise choice leave. */
  get viewCount(): number {
    this._ensureView();
    return this._view === null ? this.rows.length : this._view.length;
  }

  viewRow(position: number): IComparisonRow {
    this._ensureView();
    return this.rows[this._view === null ? position : this._view[position]];
  }

  /** Position of row `k` among the shown rows, or -1. */
  viewIndexOf(k: number): number {
    this._ensureView();
    return this._view === null
      ? k < this.rows.length
        ? k
        : -1
      : this._view.indexOf(k);
  }

  // ---------------------------------------------------------- selection

  get selected(): IComparisonRow | null {
    return this._selected === null ? null : (this.rows[this._selected] ?? null);
  }

  get selectionChanged(): ISignal<this, IComparisonRow | null> {
    return this._selectionChanged;
  }

  /** Asks the table to scroll row `k` into view. */
  get revealRequested(): ISignal<this, number> {
    return this._revealRequested;
  }

  /** Select row `k`; its eager twin's detail loads beside the graph value. */
  select(k: number | null): void {
    if (k !== null && (k < 0 || k >= this.rows.length)) {
      return;
    }
    this._selected = k;
    const row = k === null ? null : this.rows[k];
    this._syncing = true;
    try {
      void this._main.selectTensor(row?.eager_index ?? null);
    } finally {
      this._syncing = false;
    }
    this._selectionChanged.emit(row);
  }

  /**
   * Select and show row `k` (the filter is cleared, and noise shown, when
   * they hide the row).
   */
  reveal(k: number): void {
    if (k < 0 || k >= this.rows.length) {
      return;
    }
    this._unhide(k);
    this.select(k);
    this._revealRequested.emit(k);
  }

  /** Select and show the row a propagated row's difference came from. */
  revealOrigin(k: number): boolean {
    const origin = this.rows[k]?.origin;
    if (origin === undefined || origin === null || !this.rows[origin]) {
      return false;
    }
    this.reveal(origin);
    return true;
  }

  /** Select and show the first divergence; false when there is none. */
  jumpToFirstDivergence(): boolean {
    if (this._firstDivergence === null) {
      return false;
    }
    this.reveal(this._firstDivergence);
    return true;
  }

  /**
   * A page of comparison row `k`'s graph (or XLA) value; null when the
   * comparison was left or run again by the time it arrives (the row is
   * another one then). `side: 'eager'` pages the eager value of an XLA row,
   * which is no tensor of the step.
   */
  async fetchGraphValues(
    k: number,
    prefix: number[],
    offset: number,
    count: number,
    side: 'graph' | 'eager' = 'graph'
  ): Promise<IValuesPage | null> {
    const conn = this._main.connection;
    const sel = this._main.selection;
    const gen = this._generation;
    if (!conn || !sel) {
      return null;
    }
    const page = await conn.getValues(
      sel.recordingId,
      sel.step,
      k,
      prefix,
      offset,
      count,
      this._mode === 'graph' ? 'graph' : side === 'eager' ? 'xla_eager' : 'xla'
    );
    return gen === this._generation ? page : null;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  // ---------------------------------------------------------- internals

  private _stepKey(): string | null {
    const sel = this._main.selection;
    return sel
      ? `${this._main.connection?.key}/${sel.recordingId}:${sel.step}`
      : null;
  }

  private _onSelection(): void {
    this._reset();
    this._userOff = null;
    this._autoOpen();
  }

  private _autoOpen(): void {
    if (
      !this.active &&
      this._main.step?.compare === 'done' &&
      this._userOff !== this._stepKey() &&
      this.availability.ok
    ) {
      this._mode = 'graph'; // what `compare: "done"` says was run
      void this._load();
    }
  }

  private _availability(mode: ComparisonMode): Availability {
    return availability(
      this._main.connection?.state ?? null,
      this._main.step,
      mode
    );
  }

  /** Clear the filter, and show noise, where they hide row `k`. */
  private _unhide(k: number): void {
    if (this.viewIndexOf(k) < 0) {
      if (isNoise(this.rows[k])) {
        this.showNoise = true;
      }
      if (this.viewIndexOf(k) < 0) {
        this._main.filter = '';
      }
    }
  }

  private _onMainView(): void {
    if (this._main.filter !== this._filter) {
      this._filter = this._main.filter;
      this._invalidate();
      this._changed.emit();
    }
  }

  /** "Go to input" in the detail reveals the input's comparison row. */
  private _onMainReveal(_: EagerLabModel, i: number): void {
    if (!this.active || this._syncing) {
      return;
    }
    const k = this._data.rowOfEager(i);
    if (k !== undefined) {
      this._unhide(k);
      this._selected = k;
      this._selectionChanged.emit(this.rows[k]);
      this._revealRequested.emit(k);
    }
  }

  private async _load(): Promise<void> {
    const conn = this._main.connection;
    const sel = this._main.selection;
    if (!conn || !sel) {
      return;
    }
    const mode = this._mode;
    const can = this._availability(mode);
    if (!can.ok) {
      this._setState({ kind: 'error', message: can.why });
      return;
    }
    const gen = ++this._generation;
    this._stage = null;
    this._loadingSince = Date.now();
    this._setState({ kind: 'loading' });
    const rows: IComparisonRow[] = [];
    let last: IComparison | null = null;
    try {
      let total = Infinity;
      while (rows.length < total) {
        const page = await conn.request<'get_comparison'>({
          type: 'get_comparison',
          recording_id: sel.recordingId,
          step: sel.step,
          offset: rows.length,
          limit: MAX_PAGE_ROWS,
          // Only a kernel that lists `xla` gets the field (an older one would
          // ignore it and answer with the graph comparison).
          ...(mode === 'xla' ? { jit_compile: true } : {})
        });
        if (gen !== this._generation) {
          return;
        }
        total = page.total;
        last = page;
        if (page.rows.length === 0) {
          break;
        }
        rows.push(...page.rows);
      }
    } catch (e) {
      if (gen === this._generation) {
        this._setState({
          kind: 'error',
          message: e instanceof Error ? e.message : String(e)
        });
      }
      return;
    }
    const first = last?.first_divergence ?? null;
    this._data = new CompareRows(rows);
    this._firstDivergence = first;
    // A 1.3 kernel's first divergence is its first difference.
    this._firstDifference =
      last?.first_difference !== undefined ? last.first_difference : first;
    this._xlaLayer = last?.xla_layer ?? null;
    this._seconds = last?.seconds ?? null;
    this._invalidate();
    this._setState({ kind: 'loaded' });
    // Open where the trouble is: the first divergence, else the selected tensor.
    const start =
      first ??
      (this._main.selectedTensor !== null
        ? this._data.rowOfEager(this._main.selectedTensor)
        : undefined);
    if (start !== undefined && start !== null) {
      this.reveal(start);
    }
  }

  private _reset(): void {
    ++this._generation;
    this._data = new CompareRows();
    this._firstDivergence = null;
    this._firstDifference = null;
    this._xlaLayer = null;
    this._seconds = null;
    this._selected = null;
    this._invalidate();
    this._setState({ kind: 'off' });
    this._selectionChanged.emit(null);
  }

  private _onProgress(_: EagerLabModel, push: ICompareProgress): void {
    const sel = this._main.selection;
    if (
      this._state.kind !== 'loading' ||
      !sel ||
      push.recording_id !== sel.recordingId ||
      push.step !== sel.step ||
      push.mode !== this._mode
    ) {
      return;
    }
    this._stage = push.stage;
    this._changed.emit();
  }

  private _setState(state: ComparisonState): void {
    this._state = state;
    this._changed.emit();
  }

  private _invalidate(): void {
    this._viewDirty = true;
  }

  private _ensureView(): void {
    if (!this._viewDirty) {
      return;
    }
    this._viewDirty = false;
    this._view = this._data.view(
      this._filter.trim().toLowerCase(),
      this._showNoise
    );
  }

  private _changed = new Signal<this, void>(this);
  private _data = new CompareRows();
  private _filter = '';
  private _firstDifference: number | null = null;
  private _firstDivergence: number | null = null;
  private _generation = 0;
  private _main: EagerLabModel;
  private _mode: ComparisonMode = 'graph';
  private _revealRequested = new Signal<this, number>(this);
  private _seconds: number | null = null;
  private _stage: string | null = null;
  private _loadingSince = 0;
  private _selected: number | null = null;
  private _selectionChanged = new Signal<this, IComparisonRow | null>(this);
  private _showNoise = false;
  private _state: ComparisonState = { kind: 'off' };
  private _syncing = false;
  private _userOff: string | null = null;
  private _view: number[] | null = null;
  private _viewDirty = false;
  private _xlaLayer: IXlaLayer | null = null;
}
