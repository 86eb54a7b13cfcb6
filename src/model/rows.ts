/**
 * The selected step's rows, and the list the table shows of them: rows as
 * their pages arrive, the names that tell them apart, the filter, grouping by
 * scope with its open groups, and the flat list of visible items built from
 * all that. The list is rebuilt lazily, when next read after a change, so that
 * typing in the filter or pages arriving by the thousand cost one rebuild.
 *
 * It has no signals of its own: it tells its owner how the list changed, and
 * EagerLabModel emits that as its `viewChanged`, with itself as sender.
 */
import { DistinctNames } from '../names';
import type { ITensorRow } from '../protocol';
import type { IScopeNode } from './scopes';
import { ScopeTree, scopePaths } from './scopes';

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

/** Rows of the selected step as they arrive. */
export interface ILoadState {
  loaded: number;
  total: number | null;
  error: string | null;
}

export class RowsView {
  /** `onViewChange` hears every change of the visible list. */
  constructor(onViewChange: (change: ViewChange) => void) {
    this._onViewChange = onViewChange;
  }

  /** Rows in execution order (`rows[k].i === k`); the array itself, kept. */
  get rows(): ITensorRow[] {
    return this._rows;
  }

  /** What tells the rows' names apart, kept as rows arrive. */
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

  /** Every row of the step is here. */
  get isComplete(): boolean {
    return this._total !== null && this._rows.length === this._total;
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
    this.invalidate();
  }

  get grouped(): boolean {
    return this._grouped;
  }
  set grouped(on: boolean) {
    if (on === this._grouped) {
      return;
    }
    this._grouped = on;
    this.invalidate();
  }

  /**
   * Take a kernel's view preferences, without telling: the caller resets
   * the view next. `expanded` is used, not copied, so that opening and
   * closing groups updates the kernel's own set.
   */
  usePrefs(filter: string, grouped: boolean, expanded: Set<string>): void {
    this._filter = filter;
    this._needle = filter.trim().toLowerCase();
    this._grouped = grouped;
    this._expanded = expanded;
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
    this.invalidate();
  }

  /** Open the groups that hold row `i`, when grouped, so that it shows. */
  expandTo(i: number): void {
    if (!this._grouped) {
      return;
    }
    let changed = false;
    for (const p of scopePaths(this._rows[i].scope)) {
      if (p && !this._expanded.has(p)) {
        this._expanded.add(p);
        changed = true;
      }
    }
    if (changed) {
      this.invalidate();
    }
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

  /** Forget the rows (another step, or none), without telling. */
  clear(): void {
    this._rows = [];
    this._names = new DistinctNames();
    this._total = null;
    this._loadError = null;
    this._hay = [];
    this._tree = new ScopeTree();
    this._matches = [];
  }

  /**
   * Take the next page's rows, without telling; returns the index of the
   * first one, for `grow` once the owner has announced the new load state.
   */
  push(rows: readonly ITensorRow[], total: number): number {
    const from = this._rows.length;
    this._total = total;
    for (const row of rows) {
      this._rows.push(row);
    }
    return from;
  }

  /** Show a step's complete rows again (kept while another kernel was followed). */
  restore(rows: ITensorRow[]): void {
    this._rows = rows;
    this._total = rows.length;
    this.grow(0);
    this.invalidate();
  }

  /** Loading the rows failed. */
  fail(message: string): void {
    this._loadError = message;
  }

  /** Rows from `from` on arrived: grow the tree and matches, tell the table. */
  grow(from: number): void {
    const names: Array<string | null> = [];
    for (let k = from; k < this._rows.length; k++) {
      this._tree.add(k, this._rows[k]);
      names.push(this._rows[k].name);
    }
    if (from === 0) {
      this._names = new DistinctNames();
    }
    // New names can change what tells earlier ones apart: shown rows re-filled.
    const renamed = this._names.add(names);
    if (!this._grouped && !this._needle) {
      // Every row is shown in order: the new ones go at the end.
      this._onViewChange(
        renamed ? { kind: 'reset' } : { kind: 'append', from }
      );
    } else if (this._viewDirty) {
      this._onViewChange({ kind: 'reset' }); // rebuilt when next read
    } else if (this._grouped) {
      // New rows land inside groups, so positions shift: rebuilt lazily.
      this.invalidate();
    } else {
      const before = this._matches.length;
      for (let k = from; k < this._rows.length; k++) {
        if (this._matchesRow(k)) {
          this._matches.push(k);
        }
      }
      if (renamed) {
        this._onViewChange({ kind: 'reset' });
      } else if (this._matches.length > before) {
        this._onViewChange({ kind: 'append', from: before });
      }
    }
  }

  /** The list is stale: rebuilt when next read; the table re-reads it. */
  invalidate(): void {
    this._viewDirty = true;
    this._onViewChange({ kind: 'reset' });
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
        const node = this._tree.nodeOf(this._rows[k].scope);
        for (let n = node ?? null; n; n = n.parent) {
          this._matchCounts.set(n, (this._matchCounts.get(n) ?? 0) + 1);
        }
      }
    }
    const flat: Array<number | Private.IFlatGroup> = [];
    const depths: number[] = [];
    this._flatten(this._tree.root, 0, flat, depths);
    this._flat = flat;
    this._flatDepth = depths;
  }

  private _flatten(
    node: IScopeNode,
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
        group = group.items[0] as IScopeNode;
        label += '/' + group.label;
      }
      flat.push({ node: group, label });
      depths.push(depth);
      if (this.isExpanded(group.path)) {
        this._flatten(group, depth + 1, flat, depths);
      }
    }
  }

  private _expanded = new Set<string>();
  private _filter = '';
  /** Visible items: row indices and group headers; null when every row shows. */
  private _flat: Array<number | Private.IFlatGroup> | null = null;
  private _flatDepth: number[] = [];
  private _grouped = false;
  /** Each row's searchable text, made when first searched. */
  private _hay: string[] = [];
  private _loadError: string | null = null;
  private _matchCounts = new Map<IScopeNode, number>();
  private _matches: number[] = [];
  private _names = new DistinctNames();
  /** The filter as matched: trimmed, lower case. */
  private _needle = '';
  private _onViewChange: (change: ViewChange) => void;
  private _rows: ITensorRow[] = [];
  private _total: number | null = null;
  private _tree = new ScopeTree();
  private _viewDirty = true;
}

namespace Private {
  export interface IFlatGroup {
    node: IScopeNode;
    label: string;
  }
}
