/**
 * The eager | graph | diff | cause table of a compared step: one row per
 * graph tensor in graph execution order (graph-only tensors included), then
 * the eager-only ones; diverging rows highlighted, optimisation noise and
 * propagated differences toned down. Virtualized text DOM, like the tensor
 * table.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import type { ComparisonModel } from '../comparison';
import type { EagerLabModel } from '../model';
import type { INameFit } from '../names';
import { DistinctNames, fitName } from '../names';
import type { IComparisonRow } from '../protocol';
import { rowCauseLabel, rowCauseTitle } from './causeText';
import { formatShort } from './sparkline';
import { gridCell, gridHeader, setNameCell } from './cells';
import { ROW_CLASS, VirtualGrid } from './grid';

export const COMPARE_TABLE_CLASS = 'jp-EagerLab-compareTable';
export const COMPARE_ROW_CLASS = 'jp-EagerLab-compareRow';

const COLUMNS = ['name', 'op', 'eager', 'graph', 'diff', 'cause'] as const;

export class ComparisonTable extends VirtualGrid {
  constructor(options: ComparisonTable.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('jupyterlab');
    super({
      label: trans.__('Eager and graph values'),
      header: Private.createHeader(trans),
      columns: COLUMNS.length
    });
    this._trans = trans;
    this._main = options.model;
    this._cmp = options.comparison;
    this.addClass('jp-EagerLab-table');
    this.addClass(COMPARE_TABLE_CLASS);

    this._cmp.changed.connect(this._refill, this);
    this._cmp.selectionChanged.connect(this.refreshMarks, this);
    this._cmp.revealRequested.connect(this._onReveal, this);
    // Eager summaries arrive with the step's rows.
    this._main.loadChanged.connect(this._refill, this);
    this._refill();
  }

  protected get rowCount(): number {
    return this._cmp.viewCount;
  }

  protected isSelected(k: number): boolean {
    return this._cmp.selected?.k === this._cmp.viewRow(k).k;
  }

  protected fillRow(node: HTMLElement, k: number): void {
    const row = this._cmp.viewRow(k);
    const eager =
      row.eager_index !== null ? this._main.rows[row.eager_index] : undefined;
    Private.fillRow(
      node,
      row,
      // An XLA row's eager side is no tensor of the step: its summary comes with it.
      eager?.summary ?? row.eager_summary ?? null,
      row.k === this._cmp.firstDivergence,
      this._cmp.mode === 'xla',
      this._trans,
      row.name === null
        ? undefined
        : fitName(row.name, this.nameChars(), this._names().hint(row.k))
    );
  }

  /** What tells the comparison's names apart (rows come all at once). */
  private _names(): DistinctNames {
    const rows = this._cmp.rows;
    if (this._namesOf !== rows) {
      this._namesOf = rows;
      this._distinct = new DistinctNames();
      this._distinct.add(rows.map(r => r.name));
    }
    return this._distinct;
  }

  protected activateRow(k: number, key: string): boolean {
    if (key === 'Enter' || key === ' ' || key === 'click') {
      this._cmp.select(this._cmp.viewRow(k).k);
      return true;
    }
    return false;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._refill();
  }

  private _refill(): void {
    // The Cause column takes room only when the kernel sends causes (1.4).
    this.toggleClass('jp-mod-causes', this._cmp.hasCauses);
    const graph = this.node.querySelector(
      '.jp-EagerLab-headerRow .jp-EagerLab-col-graph'
    );
    if (graph) {
      graph.textContent =
        this._cmp.mode === 'xla'
          ? this._trans.__('XLA')
          : this._trans.__('Graph');
    }
    if (!this.isHidden) {
      this.refill(); // else the eager table is shown: refilled when this one is
    }
  }

  private _onReveal(_: ComparisonModel, k: number): void {
    const position = this._cmp.viewIndexOf(k);
    if (position >= 0) {
      this._refill(); // the filter may just have been cleared
      void this.moveCursor(position, false);
    }
  }

  private _cmp: ComparisonModel;
  private _distinct = new DistinctNames();
  private _main: EagerLabModel;
  private _namesOf: readonly IComparisonRow[] | null = null;
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
  const cell = gridCell;

  export function createHeader(trans: TranslationBundle): HTMLElement {
    const titles: Record<(typeof COLUMNS)[number], [string, string]> = {
      name: [trans.__('Graph name'), trans.__('Graph name')],
      op: [trans.__('Op'), trans.__('Op')],
      eager: [trans.__('Eager'), trans.__('The eager value (run_eagerly)')],
      graph: [trans.__('Graph'), trans.__('The same tensor in the graph run')],
      diff: [trans.__('max |Δ|'), trans.__('Largest |graph − eager|')],
      cause: [trans.__('Cause'), trans.__('Why the values differ')]
    };
    return gridHeader(COLUMNS.map(c => [c, ...titles[c]] as const));
  }

  export function fillRow(
    node: HTMLElement,
    row: IComparisonRow,
    eagerSummary: string | null,
    first: boolean,
    xla: boolean,
    trans: TranslationBundle,
    nameFit?: INameFit
  ): void {
    node.textContent = '';
    node.setAttribute('role', 'row');
    node.className = `${ROW_CLASS} ${COMPARE_ROW_CLASS}`;
    node.classList.toggle('jp-mod-diverges', row.diverges);
    node.classList.toggle('jp-mod-noise', row.diverges && row.noise === true);
    node.classList.toggle(
      'jp-mod-propagated',
      row.diverges && row.cause === 'propagated'
    );
    node.classList.toggle('jp-mod-firstDivergence', first);
    node.classList.toggle('jp-mod-graphOnly', row.only_in === 'graph');
    node.classList.toggle('jp-mod-eagerOnly', row.only_in === 'eager');
    node.dataset.compareIndex = String(row.k);
    if (row.eager_index !== null) {
      node.dataset.tensorIndex = String(row.eager_index);
    } else {
      delete node.dataset.tensorIndex;
    }

    const [name, op, eager, graph, diff, cause] = COLUMNS.map(c => {
      const el = cell('gridcell', c);
      node.appendChild(el);
      return el;
    });
    if (row.name !== null) {
      setNameCell(
        name,
        row.name,
        row.graph ? `${row.name} (in ${row.graph})` : row.name,
        nameFit
      );
    } else {
      name.textContent = trans.__('<unnamed>');
      name.classList.add('jp-EagerLab-unnamed');
    }
    op.textContent = row.op;
    op.title = row.op;

    if (row.only_in === 'graph') {
      eager.textContent = xla
        ? trans.__('only in XLA')
        : trans.__('only in graph');
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
    cause.textContent = rowCauseLabel(row, trans);
    cause.title = rowCauseTitle(row, trans);
    if (row.diverges && row.cause) {
      cause.dataset.cause = row.cause;
    }
  }
}
