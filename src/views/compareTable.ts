/**
 * The eager | graph | diff table of a compared step: one row per graph
 * tensor in graph execution order (graph-only tensors included), then the
 * eager-only ones; diverging rows highlighted. Virtualized text DOM, like
 * the tensor table.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { WindowedList } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { BoxLayout, Widget } from '@lumino/widgets';
import type { ComparisonModel } from '../comparison';
import type { EagerLabModel } from '../model';
import type { IComparisonRow } from '../protocol';
import { formatShort } from './sparkline';
import { ROW_CLASS, ROW_HEIGHT, TensorListModel } from './table';

export const COMPARE_TABLE_CLASS = 'jp-EagerLab-compareTable';
export const COMPARE_ROW_CLASS = 'jp-EagerLab-compareRow';

const COLUMNS = ['name', 'op', 'eager', 'graph', 'diff'] as const;

export class ComparisonTable extends Widget {
  constructor(options: ComparisonTable.IOptions) {
    super();
    this._main = options.model;
    this._cmp = options.comparison;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab');
    this.addClass('jp-EagerLab-table');
    this.addClass(COMPARE_TABLE_CLASS);
    this.node.setAttribute('role', 'grid');
    this.node.setAttribute(
      'aria-label',
      this._trans.__('Eager and graph values')
    );
    this.node.setAttribute('aria-colcount', String(COLUMNS.length));

    const header = new Widget({ node: Private.createHeader(this._trans) });
    this._listModel = new TensorListModel(k => this._renderRow(k));
    this._list = new WindowedList({ model: this._listModel });
    this._list.addClass('jp-EagerLab-tableBody');
    this._list.outerNode.setAttribute('role', 'presentation');
    this._list.viewportNode.setAttribute('role', 'rowgroup');
    const layout = new BoxLayout({ direction: 'top-to-bottom', spacing: 0 });
    BoxLayout.setStretch(header, 0);
    BoxLayout.setSizeBasis(header, ROW_HEIGHT);
    BoxLayout.setStretch(this._list, 1);
    layout.addWidget(header);
    layout.addWidget(this._list);
    this.layout = layout;

    this._cmp.changed.connect(this._refill, this);
    this._cmp.selectionChanged.connect(this._refreshMarks, this);
    this._cmp.revealRequested.connect(this._onReveal, this);
    // Eager summaries arrive with the step's rows.
    this._main.loadChanged.connect(this._refill, this);
    this._refill();
  }

  handleEvent(event: Event): void {
    if (event.type === 'keydown') {
      this._onKeyDown(event as KeyboardEvent);
    } else if (event.type === 'click') {
      this._onClick(event as MouseEvent);
    }
  }

  /** Scroll shown row `position` into view and make it the cursor. */
  async moveCursor(position: number, focus = true): Promise<void> {
    const count = this._cmp.viewCount;
    if (count === 0) {
      return;
    }
    this._cursor = Math.max(0, Math.min(count - 1, position));
    this._refreshMarks();
    await this._list
      .scrollToItem(this._cursor, 'center')
      .catch(() => undefined);
    const w = this._rows.get(this._cursor);
    this._refreshMarks();
    if (focus && w?.isAttached) {
      w.node.focus({ preventScroll: true });
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this);
    this.node.addEventListener('click', this);
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('keydown', this);
    this.node.removeEventListener('click', this);
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._rows.forEach(w => w.dispose());
    this._rows.clear();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._refill();
  }

  private _refill(): void {
    if (this.isHidden) {
      return; // the eager table is shown: rows are refilled when this one is
    }
    const count = this._cmp.viewCount;
    for (const [k, w] of this._rows) {
      if (k < count) {
        this._fill(w, k);
      } else {
        this._rows.delete(k);
        w.dispose();
      }
    }
    this._cursor = Math.min(this._cursor, Math.max(0, count - 1));
    this.node.setAttribute('aria-rowcount', String(count + 1));
    if (this._listModel.widgetCount !== count) {
      this._listModel.widgetCount = count;
    } else {
      this._list.update();
    }
  }

  private _onReveal(_: ComparisonModel, k: number): void {
    const position = this._cmp.viewIndexOf(k);
    if (position >= 0) {
      this._refill(); // the filter may just have been cleared
      void this.moveCursor(position, false);
    }
  }

  private _renderRow(k: number): Widget {
    let w = this._rows.get(k);
    if (!w) {
      w = new Widget({ node: document.createElement('div') });
      this._rows.set(k, w);
      this._fill(w, k);
      if (this._rows.size > 400) {
        for (const [j, old] of this._rows) {
          if (Math.abs(j - k) > 200 && !old.isAttached) {
            this._rows.delete(j);
            old.dispose();
          }
        }
      }
    }
    return w;
  }

  private _fill(w: Widget, position: number): void {
    const row = this._cmp.viewRow(position);
    const eager =
      row.eager_index !== null ? this._main.rows[row.eager_index] : undefined;
    Private.fillRow(
      w.node,
      row,
      eager?.summary ?? null,
      row.k === this._cmp.firstDivergence,
      this._trans
    );
    w.node.dataset.viewIndex = String(position);
    w.node.setAttribute('aria-rowindex', String(position + 2));
    this._mark(w.node, position, row);
  }

  private _refreshMarks(): void {
    const count = this._cmp.viewCount;
    for (const [k, w] of this._rows) {
      if (k < count) {
        this._mark(w.node, k, this._cmp.viewRow(k));
      }
    }
  }

  private _mark(
    node: HTMLElement,
    position: number,
    row: IComparisonRow
  ): void {
    const selected = this._cmp.selected?.k === row.k;
    node.classList.toggle('jp-mod-selected', selected);
    node.setAttribute('aria-selected', String(selected));
    const active = position === this._cursor;
    node.classList.toggle('jp-mod-active', active);
    node.tabIndex = active ? 0 : -1;
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const page = Math.max(
      1,
      Math.floor(this._list.node.clientHeight / ROW_HEIGHT) - 1
    );
    const moves: Record<string, number> = {
      ArrowDown: this._cursor + 1,
      ArrowUp: this._cursor - 1,
      PageDown: this._cursor + page,
      PageUp: this._cursor - page,
      Home: 0,
      End: this._cmp.viewCount - 1
    };
    if (event.key in moves) {
      void this.moveCursor(moves[event.key]);
    } else if (
      (event.key === 'Enter' || event.key === ' ') &&
      this._cursor < this._cmp.viewCount
    ) {
      this._cmp.select(this._cmp.viewRow(this._cursor).k);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private _onClick(event: MouseEvent): void {
    const node = (event.target as HTMLElement).closest(
      `.${COMPARE_ROW_CLASS}`
    ) as HTMLElement | null;
    if (
      !node ||
      !this.node.contains(node) ||
      window.getSelection()?.toString()
    ) {
      return;
    }
    const position = Number(node.dataset.viewIndex);
    if (!Number.isInteger(position) || position >= this._cmp.viewCount) {
      return;
    }
    this._cursor = position;
    this._cmp.select(this._cmp.viewRow(position).k);
    node.focus({ preventScroll: true });
  }

  private _cmp: ComparisonModel;
  private _cursor = 0;
  private _list: WindowedList;
  private _listModel: TensorListModel;
  private _main: EagerLabModel;
  private _rows = new Map<number, Widget>();
  private _trans: TranslationBundle;
}

export namespace ComparisonTable {
  export interface IOptions {
    model: EagerLabModel;
    comparison: ComparisonModel;
    translator?: ITranslator;
  }
}

/** `3.2e-07` or `0.27`: max |graph − eager|, for the diff column. */
export function diffText(row: IComparisonRow): string {
  if (row.only_in !== null || row.max_abs_diff === null) {
    return '—';
  }
  return row.max_abs_diff === 0 ? '0' : formatShort(row.max_abs_diff);
}

namespace Private {
  function cell(role: string, column: string): HTMLElement {
    const el = document.createElement('div');
    el.setAttribute('role', role);
    el.className = `jp-EagerLab-cell jp-EagerLab-col-${column}`;
    return el;
  }

  export function createHeader(trans: TranslationBundle): HTMLElement {
    const row = document.createElement('div');
    row.className = 'jp-EagerLab-headerRow';
    row.setAttribute('role', 'row');
    row.setAttribute('aria-rowindex', '1');
    const titles: Record<(typeof COLUMNS)[number], [string, string]> = {
      name: [trans.__('Graph name'), trans.__('Graph name')],
      op: [trans.__('Op'), trans.__('Op')],
      eager: [trans.__('Eager'), trans.__('The eager value (run_eagerly)')],
      graph: [trans.__('Graph'), trans.__('The same tensor in the graph run')],
      diff: [trans.__('max |Δ|'), trans.__('Largest |graph − eager|')]
    };
    for (const c of COLUMNS) {
      const el = cell('columnheader', c);
      el.textContent = titles[c][0];
      el.title = titles[c][1];
      row.appendChild(el);
    }
    return row;
  }

  export function fillRow(
    node: HTMLElement,
    row: IComparisonRow,
    eagerSummary: string | null,
    first: boolean,
    trans: TranslationBundle
  ): void {
    node.textContent = '';
    node.setAttribute('role', 'row');
    node.className = `${ROW_CLASS} ${COMPARE_ROW_CLASS}`;
    node.classList.toggle('jp-mod-diverges', row.diverges);
    node.classList.toggle('jp-mod-firstDivergence', first);
    node.classList.toggle('jp-mod-graphOnly', row.only_in === 'graph');
    node.classList.toggle('jp-mod-eagerOnly', row.only_in === 'eager');
    node.dataset.compareIndex = String(row.k);
    if (row.eager_index !== null) {
      node.dataset.tensorIndex = String(row.eager_index);
    } else {
      delete node.dataset.tensorIndex;
    }

    const [name, op, eager, graph, diff] = COLUMNS.map(c => {
      const el = cell('gridcell', c);
      node.appendChild(el);
      return el;
    });
    if (row.name !== null) {
      const cut = row.name.lastIndexOf('/') + 1;
      const scope = document.createElement('span');
      scope.className = 'jp-EagerLab-nameScope';
      scope.textContent = row.name.slice(0, cut);
      const leaf = document.createElement('span');
      leaf.className = 'jp-EagerLab-nameLeaf';
      leaf.textContent = row.name.slice(cut);
      name.append(scope, leaf);
      name.title = row.graph ? `${row.name} (in ${row.graph})` : row.name;
    } else {
      name.textContent = trans.__('<unnamed>');
      name.classList.add('jp-EagerLab-unnamed');
    }
    op.textContent = row.op;
    op.title = row.op;

    if (row.only_in === 'graph') {
      eager.textContent = trans.__('only in graph');
      eager.classList.add('jp-EagerLab-muted');
      eager.title = trans.__(
        'Eager execution never makes this tensor (shape arithmetic of gradients, control flow)'
      );
    } else {
      eager.textContent = eagerSummary ?? '…';
      eager.title = eagerSummary ?? '';
    }
    if (row.only_in === 'eager') {
      graph.textContent = trans.__('only in eager');
      graph.classList.add('jp-EagerLab-muted');
      graph.title = row.why ?? trans.__('No graph tensor matches this one');
    } else {
      graph.textContent = row.graph_summary ?? '—';
      graph.title = row.graph_summary ?? '';
    }
    diff.textContent = diffText(row);
    diff.title = row.why
      ? row.why
      : row.max_rel_diff !== null
        ? trans.__(
            'max |Δ| %1 · max relative %2%3',
            row.max_abs_diff ?? '—',
            row.max_rel_diff,
            row.diverges ? ` · ${trans.__('beyond tolerance')}` : ''
          )
        : '';
    if (row.diverges) {
      diff.classList.add('jp-EagerLab-badge');
    }
  }
}
