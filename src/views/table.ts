/**
 * The tensor table: virtualized DOM rows (JupyterLab's WindowedList), text
 * only, a grid for screen readers and keyboards.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import type { EagerLabModel, ViewChange, ViewItem } from '../model';
import type { ISource, ITensorRow, ITrendSeries } from '../protocol';
import type { INameFit } from '../names';
import { fitName } from '../names';
import type { TrendsModel } from '../trends';
import { gridCell, gridHeader, nameInset, setNameCell } from './cells';
import { FixedRowsListModel, ROW_CLASS, ROW_HEIGHT, VirtualGrid } from './grid';
import { createSparkline, sparklineTitle } from './sparkline';

export { ROW_CLASS, ROW_HEIGHT };

export const TABLE_CLASS = 'jp-EagerLab-table';
/** The tensor table (the compare table shares TABLE_CLASS, not this). */
export const TENSOR_TABLE_CLASS = 'jp-EagerLab-tensorTable';
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
export class TensorTable extends VirtualGrid {
  constructor(options: TensorTable.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyterlab');
    super({
      label: trans.__('Captured tensors'),
      header: Private.createHeader(trans),
      columns: COLUMNS.length
    });
    this._trans = trans;
    this._model = options.model;
    this._trends = options.trends ?? null;
    this._onRevealSource = options.onRevealSource;
    this.addClass(TABLE_CLASS);
    this.addClass(TENSOR_TABLE_CLASS);

    this._model.viewChanged.connect(this._onViewChanged, this);
    this._model.detailChanged.connect(this.refreshMarks, this);
    this._model.revealRequested.connect(this._onReveal, this);
    this._trends?.changed.connect(this._onTrends, this);
    this._onViewChanged(this._model, { kind: 'reset' });
    this._onTrends();
  }

  protected get rowCount(): number {
    return this._model.viewCount;
  }

  protected isSelected(k: number): boolean {
    const item = this._model.viewItem(k);
    return item.kind === 'row' && item.row.i === this._model.selectedTensor;
  }

  protected fillRow(node: HTMLElement, k: number): void {
    const item = this._model.viewItem(k);
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
        this._model.selection?.step ?? null,
        this._nameFit(item.row, item.depth)
      );
    }
  }

  protected activateRow(k: number, key: string, event: Event): boolean {
    const item = this._model.viewItem(k);
    if (key === 'click') {
      const source = (event.target as HTMLElement).closest(`.${SOURCE_CLASS}`);
      if (source && item.kind === 'row' && item.row.source) {
        event.stopPropagation();
        this._onRevealSource(item.row.source, item.row);
        return false;
      }
    }
    if (item.kind === 'group') {
      const open =
        key === 'ArrowRight' ? true : key === 'ArrowLeft' ? false : undefined;
      this._model.toggleGroup(item.path, open);
      if (key !== 'click') {
        void this.moveCursor(k);
      }
      return true;
    }
    if (key === 'Enter' || key === ' ' || key === 'click') {
      void this._model.selectTensor(item.row.i);
      return true;
    }
    return false;
  }

  private _onViewChanged(_: EagerLabModel, change: ViewChange): void {
    // A reset re-fills the row widgets in place (same positions, new contents);
    // an append only raises the count.
    this.refill(change.kind === 'append');
  }

  /** Trends arrived or went: show or hide the trend column, redraw rows. */
  private _onTrends(): void {
    this.toggleClass('jp-mod-trends', this._trends?.hasSeries ?? false);
    this.refill();
  }

  private _onReveal(_: EagerLabModel, i: number): void {
    const k = this._model.viewIndexOfRow(i);
    if (k >= 0) {
      void this.moveCursor(k, false);
    }
  }

  /**
   * What the row's name cell shows of its name: what tells it apart from the
   * step's other names, in the characters its cell has. Under a scope header
   * (grouped), the scope is left out: the header shows it.
   */
  private _nameFit(row: ITensorRow, depth: number): INameFit | undefined {
    if (row.name === null) {
      return undefined;
    }
    const hint = this._model.names.hint(row.i);
    const scope = row.scope;
    if (this._model.grouped && scope && row.name.startsWith(`${scope}/`)) {
      hint.floor = scope.split('/').length;
    }
    return fitName(row.name, this.nameChars(nameInset(depth)), hint);
  }

  private _isFailing(row: ITensorRow): boolean {
    return row.error !== null || this._model.step?.error?.tensor === row.i;
  }

  private _model: EagerLabModel;
  private _onRevealSource: (source: ISource, row: ITensorRow) => void;
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

/** The fixed-height list model of the panel's tables (see grid.ts). */
export const TensorListModel = FixedRowsListModel;

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

  const cell = gridCell;

  export function createHeader(trans: TranslationBundle): HTMLElement {
    const titles: Record<(typeof COLUMNS)[number], string> = {
      name: trans.__('Graph name'),
      op: trans.__('Op'),
      shape: trans.__('Shape'),
      summary: trans.__('Summary'),
      trend: trans.__('Trend of max |x| over the recorded steps'),
      flags: trans.__('NaN/Inf'),
      source: trans.__('Source')
    };
    const text = (c: (typeof COLUMNS)[number]) =>
      c === 'flags' ? '!' : c === 'trend' ? trans.__('Trend') : titles[c];
    return gridHeader(COLUMNS.map(c => [c, text(c), titles[c]] as const));
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
    currentStep: number | null = null,
    nameFit?: INameFit
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
      setNameCell(
        name,
        row.name,
        row.graph ? `${row.name} (in ${row.graph})` : row.name,
        nameFit
      );
    } else {
      name.textContent = trans.__('<unnamed>');
      name.title = row.reason ?? trans.__('no graph name');
      name.classList.add('jp-EagerLab-unnamed');
    }
    name.style.paddingLeft = depth > 0 ? `${nameInset(depth)}px` : '';

    op.textContent = row.op;
    op.title = row.op_name ?? row.op;

    const st = shapeText(row.dtype, row.shape);
    shape.textContent = st;
    shape.title = st;

    setSummary(summary, row.summary);
    summary.title = row.has_value
      ? row.summary
      : `${row.summary} (${row.why_no_value ?? trans.__('value dropped')})`;

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
    node.classList.toggle('jp-mod-nonfinite', parts.length > 0);

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

  /**
   * The summary in two parts: the value range (`x∈[-2.09, 2.07]`), then the
   * rest (` μ=0.00153 σ=0.637`), which a narrow cell elides first.
   */
  function setSummary(cell: HTMLElement, text: string): void {
    let range = cell.firstElementChild as HTMLElement | null;
    if (!range) {
      range = document.createElement('span');
      range.className = 'jp-EagerLab-summaryRange';
      const rest = document.createElement('span');
      rest.className = 'jp-EagerLab-summaryRest';
      cell.append(range, rest);
    }
    const m = /^\S*∈\[[^\]]*\]/.exec(text);
    const cut = m ? m[0].length : text.length;
    range.textContent = text.slice(0, cut);
    (range.nextElementSibling as HTMLElement).textContent = text.slice(cut);
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
