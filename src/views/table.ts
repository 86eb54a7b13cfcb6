/**
 * The tensor table: virtualized DOM rows (JupyterLab's WindowedList), text
 * only, a grid for screen readers and keyboards.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { WindowedList, WindowedListModel } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { BoxLayout, Widget } from '@lumino/widgets';
import type { EagerLabModel, ViewChange, ViewItem } from '../model';
import type { ISource, ITensorRow, ITrendSeries } from '../protocol';
import type { TrendsModel } from '../trends';
import { createSparkline, sparklineTitle } from './sparkline';

/** Row height in pixels; rows never wrap, so estimates are exact. */
export const ROW_HEIGHT = 24;

export const TABLE_CLASS = 'jp-EagerLab-table';
export const ROW_CLASS = 'jp-EagerLab-row';
export const GROUP_CLASS = 'jp-EagerLab-group';
export const SOURCE_CLASS = 'jp-EagerLab-source';

const COLUMNS = [
  'name',
  'op',
  'shape',
  'summary',
  'trend',
  'flags',
  'source'
] as const;

/**
 * A table of the selected step's rows.
 *
 * Rows live in the model's arrays; the list renders only the rows in view,
 * and a page arriving only raises the item count.
 */
export class TensorTable extends Widget {
  constructor(options: TensorTable.IOptions) {
    super();
    this._model = options.model;
    this._trends = options.trends ?? null;
    this._onRevealSource = options.onRevealSource;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab');
    this.addClass(TABLE_CLASS);
    this.node.setAttribute('role', 'grid');
    this.node.setAttribute('aria-label', this._trans.__('Captured tensors'));
    this.node.setAttribute('aria-colcount', String(COLUMNS.length));

    this._header = new Widget({ node: Private.createHeader(this._trans) });
    this._listModel = new TensorListModel(k => this._renderRow(k));
    this._list = new WindowedList({ model: this._listModel });
    this._list.addClass('jp-EagerLab-tableBody');
    this._list.outerNode.setAttribute('role', 'presentation');
    this._list.viewportNode.setAttribute('role', 'rowgroup');

    const layout = new BoxLayout({ direction: 'top-to-bottom', spacing: 0 });
    BoxLayout.setStretch(this._header, 0);
    BoxLayout.setSizeBasis(this._header, ROW_HEIGHT);
    BoxLayout.setStretch(this._list, 1);
    layout.addWidget(this._header);
    layout.addWidget(this._list);
    this.layout = layout;

    this._model.viewChanged.connect(this._onViewChanged, this);
    this._model.detailChanged.connect(this._onSelectionChanged, this);
    this._model.revealRequested.connect(this._onReveal, this);
    this._trends?.changed.connect(this._onTrends, this);
    this._onViewChanged(this._model, { kind: 'reset' });
    this._onTrends();
  }

  /** Scroll visible item `k` into view and make it the keyboard cursor. */
  async moveCursor(k: number, focus = true): Promise<void> {
    const count = this._listModel.widgetCount;
    if (count === 0) {
      return;
    }
    k = Math.max(0, Math.min(count - 1, k));
    this._cursor = k;
    this._refreshMarks();
    await this._list.scrollToItem(k, 'auto').catch(() => undefined);
    const w = this._rows.get(k);
    this._refreshMarks();
    if (focus && w && w.isAttached) {
      w.node.focus({ preventScroll: true });
    }
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
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

  private _onViewChanged(_: EagerLabModel, change: ViewChange): void {
    const count = this._model.viewCount;
    if (change.kind === 'reset') {
      // Re-fill the row widgets in place: same positions, new contents.
      for (const [k, w] of this._rows) {
        if (k < count) {
          this._fill(w, k);
        } else {
          this._rows.delete(k);
          w.dispose();
        }
      }
      if (this._cursor >= count) {
        this._cursor = Math.max(0, count - 1);
      }
    }
    this.node.setAttribute('aria-rowcount', String(count + 1));
    if (this._listModel.widgetCount !== count) {
      this._listModel.widgetCount = count; // triggers an update
    } else if (change.kind === 'reset') {
      this._list.update();
    }
  }

  /** Trends arrived or went: show or hide the trend column, redraw rows. */
  private _onTrends(): void {
    this.toggleClass('jp-mod-trends', this._trends?.hasSeries ?? false);
    this._onViewChanged(this._model, { kind: 'reset' });
  }

  private _onSelectionChanged(): void {
    this._refreshMarks();
  }

  private _onReveal(_: EagerLabModel, i: number): void {
    const k = this._model.viewIndexOfRow(i);
    if (k >= 0) {
      void this.moveCursor(k, false);
    }
  }

  /** The list's factory: reuse the widget already made for position `k`. */
  private _renderRow(k: number): Widget {
    let w = this._rows.get(k);
    if (!w) {
      w = new Widget({ node: Private.createRow() });
      this._rows.set(k, w);
      this._fill(w, k);
      this._prune(k);
    }
    return w;
  }

  /**
   * Drop widgets far from the rendered window. Only ones not attached and far
   * from `k` go: the list asks for the whole window before it attaches any.
   */
  private _prune(k: number): void {
    if (this._rows.size < 400) {
      return;
    }
    for (const [j, w] of this._rows) {
      if (Math.abs(j - k) > 200 && !w.isAttached) {
        this._rows.delete(j);
        w.dispose();
      }
    }
  }

  private _fill(w: Widget, k: number): void {
    const item = this._model.viewItem(k);
    const node = w.node;
    node.dataset.viewIndex = String(k);
    node.setAttribute('aria-rowindex', String(k + 2));
    if (item.kind === 'group') {
      Private.fillGroup(node, item, this._trans);
    } else {
      Private.fillRow(
        node,
        item.row,
        item.depth,
        this._isFailing(item.row),
        this._trans,
        this._trends?.series(item.row.name),
        this._model.selection?.step ?? null
      );
    }
    this._mark(node, k, item);
  }

  private _isFailing(row: ITensorRow): boolean {
    return row.error !== null || this._model.step?.error?.tensor === row.i;
  }

  private _refreshMarks(): void {
    for (const [k, w] of this._rows) {
      if (k < this._model.viewCount) {
        this._mark(w.node, k, this._model.viewItem(k));
      }
    }
  }

  private _mark(node: HTMLElement, k: number, item: ViewItem): void {
    const selected =
      item.kind === 'row' && item.row.i === this._model.selectedTensor;
    node.classList.toggle('jp-mod-selected', selected);
    node.setAttribute('aria-selected', String(selected));
    const active = k === this._cursor;
    node.classList.toggle('jp-mod-active', active);
    node.tabIndex = active ? 0 : -1;
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    if (target.closest(`.${SOURCE_CLASS}`) && event.key === 'Enter') {
      return; // the source button handles its own Enter
    }
    const page = Math.max(
      1,
      Math.floor(this._list.node.clientHeight / ROW_HEIGHT) - 1
    );
    const count = this._model.viewCount;
    let next: number | null = null;
    switch (event.key) {
      case 'ArrowDown':
        next = this._cursor + 1;
        break;
      case 'ArrowUp':
        next = this._cursor - 1;
        break;
      case 'PageDown':
        next = this._cursor + page;
        break;
      case 'PageUp':
        next = this._cursor - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = count - 1;
        break;
      case 'ArrowRight':
      case 'ArrowLeft':
      case 'Enter':
      case ' ':
        if (this._activate(this._cursor, event.key)) {
          break;
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (next !== null) {
      void this.moveCursor(next);
    }
  }

  /** Enter/Space/arrows on the cursor item. Returns whether it was handled. */
  private _activate(k: number, key: string): boolean {
    if (k >= this._model.viewCount) {
      return false;
    }
    const item = this._model.viewItem(k);
    if (item.kind === 'group') {
      const open =
        key === 'ArrowRight' ? true : key === 'ArrowLeft' ? false : undefined;
      this._model.toggleGroup(item.path, open);
      void this.moveCursor(k);
      return true;
    }
    if (key === 'Enter' || key === ' ') {
      void this._model.selectTensor(item.row.i);
      return true;
    }
    return false;
  }

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const rowNode = target.closest(`.${ROW_CLASS}`) as HTMLElement | null;
    if (!rowNode || !this.node.contains(rowNode)) {
      return;
    }
    const k = Number(rowNode.dataset.viewIndex);
    if (!Number.isInteger(k) || k >= this._model.viewCount) {
      return;
    }
    const item = this._model.viewItem(k);
    const source = target.closest(`.${SOURCE_CLASS}`);
    if (source && item.kind === 'row' && item.row.source) {
      event.stopPropagation();
      this._onRevealSource(item.row.source, item.row);
      return;
    }
    // Selecting text in a row must not count as a click on it.
    if (window.getSelection()?.toString()) {
      return;
    }
    this._cursor = k;
    if (item.kind === 'group') {
      this._model.toggleGroup(item.path);
    } else {
      void this._model.selectTensor(item.row.i);
    }
    this._refreshMarks();
    rowNode.focus({ preventScroll: true });
  }

  private _cursor = 0;
  private _header: Widget;
  private _list: WindowedList;
  private _listModel: TensorListModel;
  private _model: EagerLabModel;
  private _onRevealSource: (source: ISource, row: ITensorRow) => void;
  private _rows = new Map<number, Widget>();
  private _trans: TranslationBundle;
  private _trends: TrendsModel | null;
}

export namespace TensorTable {
  export interface IOptions {
    model: EagerLabModel;
    /** The source button was pressed. */
    onRevealSource: (source: ISource, row: ITensorRow) => void;
    /** Per-tensor trends over the recording's steps (the sparkline column). */
    trends?: TrendsModel;
    translator?: ITranslator;
  }
}

/**
 * The list model: every row is ROW_HEIGHT tall, so geometry is arithmetic.
 *
 * WindowedListModel measures rows it has not seen by rendering them: its
 * private `_getItemMetadata(i)` asks the renderer for every row up to `i`,
 * and checks every offset up to the last measured row on each call. A jump
 * to the end of 100,000 rows would create 100,000 row widgets, and each
 * frame would walk every offset. Rows here never change height, so the
 * offset of row `i` is `i * ROW_HEIGHT`: the geometry is replaced by O(1)
 * arithmetic (the private methods when they exist; the public ones always).
 */
export class TensorListModel extends WindowedListModel {
  constructor(render: (k: number) => Widget) {
    super({ count: 0, overscanCount: 10 });
    this.widgetRenderer = render;
    const self = this as unknown as Record<string, unknown>;
    if (typeof self._getItemMetadata === 'function') {
      self._getItemMetadata = (index: number): WindowedList.ItemMetadata => ({
        offset: index * ROW_HEIGHT,
        size: ROW_HEIGHT,
        measured: true
      });
    }
    if (typeof self._findNearestItem === 'function') {
      self._findNearestItem = (offset: number): number =>
        Math.max(
          0,
          Math.min(this.widgetCount - 1, Math.floor(offset / ROW_HEIGHT))
        );
    }
  }

  estimateWidgetSize = (_index: number): number => ROW_HEIGHT;

  widgetRenderer: (index: number) => Widget;

  getEstimatedTotalSize(): number {
    return this.widgetCount * ROW_HEIGHT;
  }

  /** Rows are never resized: nothing to record (and no per-row sizers). */
  setWidgetSize(_sizes: { index: number; size: number }[]): boolean {
    return false;
  }
}

/** `f32[64,10]`: short dtype and shape (`?` for an unknown dimension). */
export function shapeText(
  dtype: string | null,
  shape: Array<number | null> | null
): string {
  if (dtype === null) {
    return '—'; // the op raised before producing outputs
  }
  const short = Private.SHORT_DTYPES[dtype] ?? dtype;
  if (shape === null) {
    return `${short}[…]`; // unknown rank
  }
  return `${short}[${shape.map(d => (d === null ? '?' : String(d))).join(',')}]`;
}

/** `cell 3:12` for a notebook cell, `file.py:12` for a file. */
export function sourceText(source: ISource): string {
  if (source.cell !== null && source.cell !== undefined) {
    return `cell ${source.cell}:${source.line}`;
  }
  const base = source.file.split(/[\\/]/).pop() || source.file;
  return `${base}:${source.line}`;
}

namespace Private {
  export const SHORT_DTYPES: Record<string, string> = {
    float16: 'f16',
    bfloat16: 'bf16',
    float32: 'f32',
    float64: 'f64',
    int8: 'i8',
    int16: 'i16',
    int32: 'i32',
    int64: 'i64',
    uint8: 'u8',
    uint16: 'u16',
    uint32: 'u32',
    uint64: 'u64',
    complex64: 'c64',
    complex128: 'c128',
    bool: 'bool',
    string: 'str'
  };

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
    const titles: Record<(typeof COLUMNS)[number], string> = {
      name: trans.__('Graph name'),
      op: trans.__('Op'),
      shape: trans.__('Shape'),
      summary: trans.__('Summary'),
      trend: trans.__('Trend of max |x| over the recorded steps'),
      flags: trans.__('NaN/Inf'),
      source: trans.__('Source')
    };
    for (const c of COLUMNS) {
      const el = cell('columnheader', c);
      el.textContent =
        c === 'flags' ? '!' : c === 'trend' ? trans.__('Trend') : titles[c];
      el.title = titles[c];
      row.appendChild(el);
    }
    return row;
  }

  /** Two spans in a name cell: scope prefix and leaf. */
  export function splitCell(cell: HTMLElement): [HTMLElement, HTMLElement] {
    cell.textContent = '';
    const scope = document.createElement('span');
    scope.className = 'jp-EagerLab-nameScope';
    const leaf = document.createElement('span');
    leaf.className = 'jp-EagerLab-nameLeaf';
    cell.append(scope, leaf);
    return [scope, leaf];
  }

  export function createRow(): HTMLElement {
    const row = document.createElement('div');
    row.setAttribute('role', 'row');
    return row;
  }

  /** Cells of a tensor row: rebuilt only when the row turns from a group. */
  function ensureCells(node: HTMLElement): HTMLElement[] {
    if (node.dataset.kind !== 'row') {
      node.textContent = '';
      for (const c of COLUMNS) {
        const role = 'gridcell';
        if (c === 'source') {
          const td = cell(role, c);
          const button = document.createElement('button');
          button.className = SOURCE_CLASS;
          button.type = 'button';
          button.tabIndex = -1;
          td.appendChild(button);
          node.appendChild(td);
        } else {
          node.appendChild(cell(role, c));
        }
      }
      node.dataset.kind = 'row';
    }
    return Array.from(node.children) as HTMLElement[];
  }

  export function fillRow(
    node: HTMLElement,
    row: ITensorRow,
    depth: number,
    failing: boolean,
    trans: TranslationBundle,
    series?: ITrendSeries,
    currentStep: number | null = null
  ): void {
    const [name, op, shape, summary, trend, flags, source] = ensureCells(node);
    node.className = ROW_CLASS;
    node.classList.toggle('jp-mod-error', failing);
    node.removeAttribute('aria-expanded');
    node.removeAttribute('aria-level');
    node.dataset.tensorIndex = String(row.i);
    delete node.dataset.scope;
    node.title = row.error ?? '';

    if (row.name !== null) {
      // The scope shrinks first (with an ellipsis): the leaf tells rows apart.
      const cut = row.name.lastIndexOf('/') + 1;
      const [scope, leaf] =
        name.children.length === 2
          ? (Array.from(name.children) as HTMLElement[])
          : Private.splitCell(name);
      scope.textContent = row.name.slice(0, cut);
      leaf.textContent = row.name.slice(cut);
      name.title = row.graph ? `${row.name} (in ${row.graph})` : row.name;
      name.classList.remove('jp-EagerLab-unnamed');
    } else {
      name.textContent = trans.__('<unnamed>');
      name.title = row.reason ?? trans.__('no graph name');
      name.classList.add('jp-EagerLab-unnamed');
    }
    name.style.paddingLeft = depth > 0 ? `${depth * 12 + 4}px` : '';

    op.textContent = row.op;
    op.title = row.op_name ?? row.op;

    const st = shapeText(row.dtype, row.shape);
    shape.textContent = st;
    shape.title = st;

    summary.textContent = row.summary;
    summary.title = row.has_value
      ? row.summary
      : `${row.summary} (${trans.__('value dropped')})`;

    trend.textContent = '';
    if (series && series.step.length >= 2) {
      trend.appendChild(createSparkline(series, currentStep));
      trend.title = sparklineTitle(series);
    } else {
      trend.title = '';
    }

    const parts: string[] = [];
    if (row.nan > 0) {
      parts.push('NaN');
    }
    if (row.inf > 0) {
      parts.push('Inf');
    }
    flags.textContent = parts.join(' ');
    flags.title = parts.length
      ? trans.__('%1 NaN, %2 Inf', row.nan, row.inf)
      : '';
    flags.classList.toggle('jp-EagerLab-badge', parts.length > 0);

    const button = source.firstElementChild as HTMLButtonElement;
    if (row.source) {
      button.textContent = sourceText(row.source);
      button.title = trans.__(
        '%1:%2 in %3 — show in the notebook',
        row.source.file,
        row.source.line,
        row.source.function
      );
      button.hidden = false;
    } else {
      button.textContent = '';
      button.hidden = true;
    }
  }

  export function fillGroup(
    node: HTMLElement,
    item: Extract<ViewItem, { kind: 'group' }>,
    trans: TranslationBundle
  ): void {
    node.textContent = '';
    node.dataset.kind = 'group';
    node.className = `${ROW_CLASS} ${GROUP_CLASS}`;
    node.classList.toggle('jp-mod-error', item.errors > 0);
    node.setAttribute('aria-expanded', String(item.expanded));
    node.setAttribute('aria-level', String(item.depth + 1));
    delete node.dataset.tensorIndex;
    node.dataset.scope = item.path;
    node.title = item.path;

    const td = cell('gridcell', 'group');
    td.setAttribute('aria-colspan', String(COLUMNS.length));
    td.style.paddingLeft = `${item.depth * 12 + 4}px`;
    const caret = document.createElement('span');
    caret.className = 'jp-EagerLab-caret';
    caret.textContent = item.expanded ? '▾' : '▸';
    caret.setAttribute('aria-hidden', 'true');
    const label = document.createElement('span');
    label.className = 'jp-EagerLab-groupLabel';
    label.textContent = item.label || trans.__('(no scope)');
    const count = document.createElement('span');
    count.className = 'jp-EagerLab-groupCount';
    count.textContent = String(item.count);
    td.append(caret, label, count);
    if (item.nonfinite > 0) {
      const badge = document.createElement('span');
      badge.className = 'jp-EagerLab-badge';
      badge.textContent = 'NaN/Inf';
      badge.title = trans.__('%1 tensors with NaN or Inf', item.nonfinite);
      td.appendChild(badge);
    }
    node.appendChild(td);
  }
}
