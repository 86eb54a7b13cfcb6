/**
 * The eager | graph view of the selected step: the kernel runs the step again
 * as a graph from its saved starting state (`get_comparison`), and this model
 * keeps the rows (graph execution order, graph-only tensors included), the
 * first divergence, the filter and the selected row. Signals, no DOM.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { EagerLabModel } from './model';
import type { IComparisonRow } from './protocol';
import { MAX_PAGE_ROWS } from './protocol';
import type { IValuesPage } from './tokens';
import { supports } from './tokens';

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
  }

  /** Whether the selected step can be compared (and why not, when not). */
  get availability(): { ok: true } | { ok: false; why: string } {
    const conn = this._main.connection;
    const step = this._main.step;
    if (!conn || !step) {
      return { ok: false, why: 'no step selected' };
    }
    if (!supports(conn.state, 'comparison')) {
      return {
        ok: false,
        why: 'this kernel’s eager_lab cannot compare (upgrade it to 0.1 or later)'
      };
    }
    if (step.error) {
      return {
        ok: false,
        why: 'the step failed, so there is nothing to compare'
      };
    }
    if (step.compare === 'unavailable') {
      // The kernel says why (1.2); an older kernel could only mean this.
      return {
        ok: false,
        why:
          step.compare_why ??
          'the state before this step was not kept (capture(..., keep_state=True) keeps it within memory_budget)'
      };
    }
    return { ok: true };
  }

  /** Whether the eager | graph view is shown (it may still be loading). */
  get active(): boolean {
    return this._state.kind !== 'off';
  }

  /** Show (compare in the kernel on first use) or leave the eager | graph view. */
  async setActive(on: boolean): Promise<void> {
    const key = this._stepKey();
    if (!on) {
      this._userOff = key;
      this._reset();
      return;
    }
    this._userOff = null;
    if (this.active) {
      return;
    }
    await this._load();
  }

  get state(): ComparisonState {
    return this._state;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** All rows: graph execution order, then eager-only tensors. */
  get rows(): readonly IComparisonRow[] {
    return this._rows;
  }

  /** How many rows are only in the graph, only in eager, or diverge. */
  get counts(): { graphOnly: number; eagerOnly: number; diverging: number } {
    return this._counts;
  }

  /** Row `k` of the first tensor whose values differ beyond tolerance. */
  get firstDivergence(): number | null {
    return this._firstDivergence;
  }

  /** The comparison row of eager row `i`, if it has one. */
  rowOfEager(i: number): IComparisonRow | undefined {
    const k = this._byEager.get(i);
    return k === undefined ? undefined : this._rows[k];
  }

  // ---------------------------------------------------------- visible rows

  /** Rows shown: all, or those matching the panel's filter. */
  get viewCount(): number {
    this._ensureView();
    return this._view === null ? this._rows.length : this._view.length;
  }

  viewRow(position: number): IComparisonRow {
    this._ensureView();
    return this._rows[this._view === null ? position : this._view[position]];
  }

  /** Position of row `k` among the shown rows, or -1. */
  viewIndexOf(k: number): number {
    this._ensureView();
    return this._view === null
      ? k < this._rows.length
        ? k
        : -1
      : this._view.indexOf(k);
  }

  // ---------------------------------------------------------- selection

  get selected(): IComparisonRow | null {
    return this._selected === null
      ? null
      : (this._rows[this._selected] ?? null);
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
    if (k !== null && (k < 0 || k >= this._rows.length)) {
      return;
    }
    this._selected = k;
    const row = k === null ? null : this._rows[k];
    this._syncing = true;
    try {
      void this._main.selectTensor(row?.eager_index ?? null);
    } finally {
      this._syncing = false;
    }
    this._selectionChanged.emit(row);
  }

  /** Select and show row `k` (the filter is cleared when it hides the row). */
  reveal(k: number): void {
    if (k < 0 || k >= this._rows.length) {
      return;
    }
    if (this.viewIndexOf(k) < 0) {
      this._main.filter = '';
    }
    this.select(k);
    this._revealRequested.emit(k);
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
   * A page of comparison row `k`'s graph value; null when the comparison was
   * left or run again by the time it arrives (the row is another one then).
   */
  async fetchGraphValues(
    k: number,
    prefix: number[],
    offset: number,
    count: number
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
      'graph'
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
      void this._load();
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
    const k = this._byEager.get(i);
    if (k !== undefined) {
      if (this.viewIndexOf(k) < 0) {
        this._main.filter = '';
      }
      this._selected = k;
      this._selectionChanged.emit(this._rows[k]);
      this._revealRequested.emit(k);
    }
  }

  private async _load(): Promise<void> {
    const conn = this._main.connection;
    const sel = this._main.selection;
    if (!conn || !sel) {
      return;
    }
    const availability = this.availability;
    if (!availability.ok) {
      this._setState({ kind: 'error', message: availability.why });
      return;
    }
    const gen = ++this._generation;
    this._setState({ kind: 'loading' });
    const rows: IComparisonRow[] = [];
    let first: number | null = null;
    try {
      let total = Infinity;
      while (rows.length < total) {
        const page = await conn.request<'get_comparison'>({
          type: 'get_comparison',
          recording_id: sel.recordingId,
          step: sel.step,
          offset: rows.length,
          limit: MAX_PAGE_ROWS
        });
        if (gen !== this._generation) {
          return;
        }
        total = page.total;
        first = page.first_divergence;
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
    this._rows = rows;
    this._firstDivergence = first;
    this._byEager = new Map();
    const counts = { graphOnly: 0, eagerOnly: 0, diverging: 0 };
    rows.forEach((r, k) => {
      if (r.eager_index !== null && !this._byEager.has(r.eager_index)) {
        this._byEager.set(r.eager_index, k);
      }
      counts.graphOnly += r.only_in === 'graph' ? 1 : 0;
      counts.eagerOnly += r.only_in === 'eager' ? 1 : 0;
      counts.diverging += r.diverges ? 1 : 0;
    });
    this._counts = counts;
    this._invalidate();
    this._setState({ kind: 'loaded' });
    // Open where the trouble is: the first divergence, else the selected tensor.
    const start =
      first ??
      (this._main.selectedTensor !== null
        ? this._byEager.get(this._main.selectedTensor)
        : undefined);
    if (start !== undefined && start !== null) {
      this.reveal(start);
    }
  }

  private _reset(): void {
    ++this._generation;
    this._rows = [];
    this._byEager = new Map();
    this._counts = { graphOnly: 0, eagerOnly: 0, diverging: 0 };
    this._firstDivergence = null;
    this._selected = null;
    this._invalidate();
    this._setState({ kind: 'off' });
    this._selectionChanged.emit(null);
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
    const needle = this._filter.trim().toLowerCase();
    if (!needle) {
      this._view = null;
      return;
    }
    const view: number[] = [];
    this._rows.forEach((r, k) => {
      const hay = `${r.name ?? ''}\n${r.op}\n${r.graph ?? ''}`.toLowerCase();
      if (hay.includes(needle)) {
        view.push(k);
      }
    });
    this._view = view;
  }

  private _byEager = new Map<number, number>();
  private _changed = new Signal<this, void>(this);
  private _counts = { graphOnly: 0, eagerOnly: 0, diverging: 0 };
  private _filter = '';
  private _firstDivergence: number | null = null;
  private _generation = 0;
  private _main: EagerLabModel;
  private _revealRequested = new Signal<this, number>(this);
  private _rows: IComparisonRow[] = [];
  private _selected: number | null = null;
  private _selectionChanged = new Signal<this, IComparisonRow | null>(this);
  private _state: ComparisonState = { kind: 'off' };
  private _syncing = false;
  private _userOff: string | null = null;
  private _view: number[] | null = null;
  private _viewDirty = false;
}
