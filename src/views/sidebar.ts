/**
 * The "Eager tensors" side panel: step selector, filter, grouping, the
 * table and the detail of the selected tensor. Views read the model; only
 * the model talks to the kernel. What the step selector and the step's notes
 * say is steps.ts.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { LabIcon, SidePanel, refreshIcon } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Panel, SplitPanel, Widget } from '@lumino/widgets';
import { ComparisonModel } from '../comparison';
import type { EagerLabModel } from '../model';
import { TrendsModel } from '../trends';
import type { ISource, ITensorRow } from '../protocol';
import { CompareControls } from './compareControls';
import { ComparisonTable } from './compareTable';
import { DetailView } from './detail';
import { EmptyView, isEmptyReason } from './empty';
import { renderStepNotes, renderStepOptions } from './steps';
import { TensorTable } from './table';

export const SIDEBAR_ID = 'eager-lab-sidebar';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18v3H3zM3 10.5h11v3H3zM3 17h7v3H3z"/>
    <path d="M17 11l4 4.5-4 4.5-1.4-1.4 2.6-3.1-2.6-3.1z"/>
  </g>
</svg>`;

export const eagerLabIcon = new LabIcon({
  name: 'eager-lab:tensors',
  svgstr: ICON_SVG
});

/** How long typing in the filter waits before filtering (ms). */
const FILTER_DELAY = 120;

export class EagerLabSidebar extends SidePanel {
  constructor(options: EagerLabSidebar.IOptions) {
    const translator = options.translator ?? nullTranslator;
    // A CSS flex column: the controls and status take their natural height,
    // the split (table over detail) the rest.
    const content = new Panel();
    content.addClass('jp-EagerLab-content');
    super({ content, translator });
    const trans = translator.load('jupyterlab');
    this._t = trans;
    this._model = options.model;
    this.id = SIDEBAR_ID;
    this.addClass('jp-EagerLab-sidebar');
    this.title.icon = eagerLabIcon;
    this.title.caption = trans.__('Eager tensors');
    this.node.setAttribute('aria-label', trans.__('Eager tensors'));

    const heading = new Widget();
    heading.addClass('jp-EagerLab-heading');
    const h2 = document.createElement('h2');
    h2.textContent = trans.__('Eager tensors');
    heading.node.appendChild(h2);
    this.header.addWidget(heading);

    this._comparison = new ComparisonModel(this._model);
    this._compareControls = new CompareControls(this._comparison, trans);
    this._trends = new TrendsModel(this._model);
    this._controls = new Widget({ node: this._createControls() });
    this._controls.addClass('jp-EagerLab-controls');
    this._status = new EmptyView({ model: this._model, translator });
    this._onRevealSource = options.onRevealSource;
    this._table = new TensorTable({
      model: this._model,
      onRevealSource: (source, row) => void this._revealSource(source, row),
      trends: this._trends,
      translator
    });
    this._compareTable = new ComparisonTable({
      model: this._model,
      comparison: this._comparison,
      translator
    });
    this._detail = new DetailView({
      model: this._model,
      onInsertCode: options.onInsertCode,
      onRevealSource: (row, code) =>
        row.source && void this._revealSource(row.source, row, code),
      comparison: this._comparison,
      trends: this._trends,
      translator
    });
    this._split = new SplitPanel({ orientation: 'vertical', spacing: 2 });
    this._split.addClass('jp-EagerLab-split');
    this._split.addWidget(this._table);
    this._split.addWidget(this._compareTable);
    this._split.addWidget(this._detail);
    this._split.setRelativeSizes([3, 3, 2]);
    this._compareTable.hide();

    content.addWidget(this._controls);
    content.addWidget(this._status);
    content.addWidget(this._split);
    // The split lays out its children on resize messages; its height also
    // changes when the controls or the status above it do.
    this._resizeObserver = new ResizeObserver(() => {
      if (this._split.isVisible) {
        MessageLoop.sendMessage(this._split, Widget.ResizeMessage.UnknownSize);
      }
    });
    this._resizeObserver.observe(this._split.node);

    this._model.statusChanged.connect(this._onStatus, this);
    this._model.recordingsChanged.connect(this._renderSteps, this);
    this._model.selectionChanged.connect(this._renderSteps, this);
    this._model.selectionChanged.connect(() => this._setNotice(null), this);
    this._model.recordingsChanged.connect(this._renderNotes, this);
    this._model.loadChanged.connect(this._renderCount, this);
    this._model.viewChanged.connect(this._renderCount, this);
    this._model.selectionChanged.connect(this._renderCompare, this);
    this._model.recordingsChanged.connect(this._renderCompare, this);
    this._comparison.changed.connect(this._renderCompare, this);
    this._comparison.changed.connect(this._renderCount, this);
    this._onStatus();
    this._renderCompare();
    this._renderSteps();
    this._renderCount();
  }

  get table(): TensorTable {
    return this._table;
  }

  get comparison(): ComparisonModel {
    return this._comparison;
  }

  /**
   * Show the line that made a tensor; say so in the panel when it cannot be
   * shown (a file, a deleted cell, a line changed since it ran).
   */
  private async _revealSource(
    source: ISource,
    row: ITensorRow,
    code?: string | null
  ): Promise<void> {
    const recorded =
      code !== undefined ? code : await this._model.sourceCode(row.i);
    this._setNotice(await this._onRevealSource(source, row, recorded));
  }

  private _setNotice(text: string | null): void {
    this._notice.textContent = text ?? '';
    this._notice.hidden = !text;
  }

  dispose(): void {
    this._resizeObserver.disconnect();
    this._comparison.dispose();
    this._trends.dispose();
    super.dispose();
  }

  private _createControls(): HTMLElement {
    const trans = this._t;
    const node = document.createElement('div');

    const stepRow = document.createElement('div');
    stepRow.className = 'jp-EagerLab-controlRow';
    const select = document.createElement('select');
    select.className = 'jp-mod-styled jp-EagerLab-stepSelect';
    select.setAttribute('aria-label', trans.__('Recorded step'));
    select.title = trans.__('Recorded step');
    select.addEventListener('change', () => {
      const [rec, step] = select.value.split(':').map(Number);
      if (Number.isInteger(rec) && Number.isInteger(step)) {
        void this._model.selectStep(rec, step);
      }
    });
    const refresh = document.createElement('button');
    refresh.className = 'jp-mod-styled jp-EagerLab-refresh';
    refresh.title = trans.__('Ask the kernel again');
    refresh.setAttribute('aria-label', trans.__('Refresh'));
    refresh.type = 'button';
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.addEventListener('click', () => void this._model.refresh());
    stepRow.append(select, refresh);

    const filterRow = document.createElement('div');
    filterRow.className = 'jp-EagerLab-controlRow';
    const filter = document.createElement('input');
    filter.type = 'search';
    filter.className = 'jp-mod-styled jp-EagerLab-filter';
    filter.placeholder = trans.__('Filter by name, op or scope');
    filter.setAttribute('aria-label', trans.__('Filter tensors'));
    filter.spellcheck = false;
    filter.addEventListener('input', () => {
      window.clearTimeout(this._filterTimer);
      this._filterTimer = window.setTimeout(() => {
        this._filterTimer = 0;
        this._model.filter = filter.value;
      }, FILTER_DELAY);
    });
    filter.addEventListener('keydown', event => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        void (
          this._comparison.active ? this._compareTable : this._table
        ).moveCursor(0);
      }
    });
    const group = document.createElement('button');
    group.type = 'button';
    group.className = 'jp-mod-styled jp-EagerLab-groupToggle';
    group.textContent = trans.__('Group by scope');
    group.setAttribute('aria-pressed', 'false');
    group.addEventListener('click', () => {
      this._model.grouped = !this._model.grouped;
      this._renderToggle();
    });
    filterRow.append(filter, group);

    const info = document.createElement('div');
    info.className = 'jp-EagerLab-info';
    const count = document.createElement('span');
    count.className = 'jp-EagerLab-count';
    count.setAttribute('aria-live', 'polite');
    const notes = document.createElement('span');
    notes.className = 'jp-EagerLab-notes';
    info.append(count, notes);

    const notice = document.createElement('div');
    notice.className = 'jp-EagerLab-sourceNotice';
    notice.setAttribute('role', 'status');
    notice.hidden = true;
    this._notice = notice;

    const compare = this._compareControls;
    node.append(
      stepRow,
      filterRow,
      compare.viewRow,
      compare.info,
      compare.xlaLayer,
      info,
      notice
    );
    this._notes = notes;
    this._select = select;
    this._filter = filter;
    this._groupToggle = group;
    this._count = count;
    return node;
  }

  private _onStatus(): void {
    const empty = isEmptyReason(this._model.status);
    this._controls.setHidden(empty);
    this._split.setHidden(empty);
    this._status.setHidden(this._model.status.reason === 'ready');
    // The model keeps filter and grouping per kernel: show the current ones.
    if (this._filter.value !== this._model.filter) {
      this._filter.value = this._model.filter;
    }
    this._renderToggle();
  }

  private _renderToggle(): void {
    const on = this._model.grouped;
    this._groupToggle.setAttribute('aria-pressed', String(on));
    this._groupToggle.classList.toggle('jp-mod-active', on);
  }

  /** The view switch, the compare status line and which table is shown. */
  private _renderCompare(): void {
    const trans = this._t;
    const active = this._comparison.active;
    this._table.setHidden(active);
    this._compareTable.setHidden(!active);
    this._groupToggle.disabled = active;
    this._groupToggle.title = active
      ? trans.__(
          'The eager | graph view lists tensors in graph execution order'
        )
      : '';
    this._compareControls.render();
  }

  private _renderSteps(): void {
    const { recordings, selection } = this._model;
    if (renderStepOptions(this._select, recordings, selection, this._t)) {
      this._renderToggle();
    }
  }

  private _renderCount(): void {
    const trans = this._t;
    // "First divergence" and "go to input" clear a filter that hides their row; text
    // being typed (not yet applied) is left alone.
    if (!this._filterTimer && this._filter.value !== this._model.filter) {
      this._filter.value = this._model.filter;
    }
    const load = this._model.load;
    let text: string;
    if (load.error) {
      text = trans.__('Could not load the rows: %1', load.error);
    } else if (load.total === null) {
      text = this._model.selection ? trans.__('Loading…') : '';
    } else if (load.loaded < load.total) {
      text = trans.__('Loading %1 of %2 tensors…', load.loaded, load.total);
    } else {
      text = trans.__('%1 tensors', load.total);
    }
    if (this._model.filter.trim() && load.total !== null) {
      if (this._comparison.active) {
        text += ` · ${trans.__('%1 match', this._comparison.viewCount)}`;
      } else if (!this._model.grouped) {
        text += ` · ${trans.__('%1 match', this._model.viewCount)}`;
      }
    }
    this._count.textContent = text;
    this._count.classList.toggle('jp-mod-error', load.error !== null);
    this._renderNotes();
  }

  /** The step's failing op and first NaN/Inf, as links to their rows. */
  private _renderNotes(): void {
    renderStepNotes(
      this._notes,
      this._model.step,
      this._model.rows,
      i => this._model.revealRow(i),
      this._t
    );
  }

  private _comparison: ComparisonModel;
  private _compareControls: CompareControls;
  private _compareTable: ComparisonTable;
  private _trends: TrendsModel;
  private _controls: Widget;
  private _count!: HTMLElement;
  private _notes!: HTMLElement;
  private _notice!: HTMLElement;
  private _onRevealSource: EagerLabSidebar.IOptions['onRevealSource'];
  private _detail: DetailView;
  private _filter!: HTMLInputElement;
  private _filterTimer = 0;
  private _groupToggle!: HTMLButtonElement;
  private _model: EagerLabModel;
  private _resizeObserver: ResizeObserver;
  private _select!: HTMLSelectElement;
  private _split: SplitPanel;
  private _status: EmptyView;
  private _table: TensorTable;
  private _t: TranslationBundle;
}

export namespace EagerLabSidebar {
  export interface IOptions {
    model: EagerLabModel;
    /**
     * Show the line that made `row` (`code`: the line the kernel recorded,
     * null when unknown); resolves to null when shown, else what to say.
     */
    onRevealSource: (
      source: ISource,
      row: ITensorRow,
      code: string | null
    ) => Promise<string | null>;
    onInsertCode: (code: string) => void;
    translator?: ITranslator;
  }
}
