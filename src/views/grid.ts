/**
 * What the panel's tables share: a header row over JupyterLab's WindowedList of
 * fixed-height text rows, a grid for screen readers, a keyboard cursor, row
 * widgets reused in place and pruned far from view. Subclasses say what a row
 * shows, whether it is selected, and what Enter, Space, arrows and clicks do.
 * The cells they fill (name cells included) are cells.ts.
 */
import { WindowedList, WindowedListModel } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { BoxLayout, Widget } from '@lumino/widgets';
import { nameInset } from './cells';

/** Animation frames to wait for a shown list's layout before scrolling it. */
const SYNC_FRAMES = 10;

/** Row height in pixels; rows never wrap, so estimates are exact. */
export const ROW_HEIGHT = 24;

export const ROW_CLASS = 'jp-EagerLab-row';

export abstract class VirtualGrid extends Widget {
  constructor(options: VirtualGrid.IOptions) {
    super();
    this.node.setAttribute('role', 'grid');
    this.node.setAttribute('aria-label', options.label);
    this.node.setAttribute('aria-colcount', String(options.columns));
    const header = new Widget({ node: options.header });
    this.listModel = new FixedRowsListModel(k => this._renderRow(k));
    this.list = new WindowedList({ model: this.listModel });
    this.list.addClass('jp-EagerLab-tableBody');
    this.list.outerNode.setAttribute('role', 'presentation');
    this.list.viewportNode.setAttribute('role', 'rowgroup');
    const layout = new BoxLayout({ direction: 'top-to-bottom', spacing: 0 });
    BoxLayout.setStretch(header, 0);
    BoxLayout.setSizeBasis(header, ROW_HEIGHT);
    BoxLayout.setStretch(this.list, 1);
    layout.addWidget(header);
    layout.addWidget(this.list);
    this.layout = layout;
    // The rows' box: the panel resized, rows rendered for the first time.
    if (typeof ResizeObserver !== 'undefined') {
      this._resizer = new ResizeObserver(() => this._measureNames());
      this._resizer.observe(this.list.viewportNode);
    }
    // A web font arriving late changes the width of a character, not the box.
    this._onFonts = () => this._measureNames(true);
    document.fonts?.addEventListener?.('loadingdone', this._onFonts);
  }

  /** Scroll shown row `k` into view and make it the keyboard cursor. */
  async moveCursor(k: number, focus = true): Promise<void> {
    const count = this.listModel.widgetCount;
    if (count === 0) {
      return;
    }
    this.cursor = Math.max(0, Math.min(count - 1, k));
    this.refreshMarks();
    await this.list.scrollToItem(this.cursor, 'auto').catch(() => undefined);
    const w = this._rows.get(this.cursor);
    this.refreshMarks();
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

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizer?.disconnect();
    document.fonts?.removeEventListener?.('loadingdone', this._onFonts);
    this._rows.forEach(w => w.dispose());
    this._rows.clear();
    super.dispose();
  }

  /** Rows shown. */
  protected abstract get rowCount(): number;

  /** Write row `k`'s cells into `node` (reused: clear what a row may have set). */
  protected abstract fillRow(node: HTMLElement, k: number): void;

  protected abstract isSelected(k: number): boolean;

  /**
   * Enter, Space, ArrowLeft/Right (`key`) or a click (`'click'`) on row `k`;
   * returns whether it did something.
   */
  protected abstract activateRow(k: number, key: string, event: Event): boolean;

  /**
   * Re-fill the rendered rows in place and set the row count (`countOnly`:
   * rows were only added at the end, the rendered ones are unchanged).
   */
  protected refill(countOnly = false): void {
    const count = this.rowCount;
    if (!countOnly) {
      for (const [k, w] of this._rows) {
        if (k < count) {
          this._fill(w, k);
        } else {
          this._rows.delete(k);
          w.dispose();
        }
      }
    }
    this.cursor = Math.min(this.cursor, Math.max(0, count - 1));
    this.node.setAttribute('aria-rowcount', String(count + 1));
    if (this.listModel.widgetCount !== count) {
      this.listModel.widgetCount = count; // triggers an update
    } else if (!countOnly) {
      this.list.update();
    }
  }

  protected refreshMarks(): void {
    const count = this.rowCount;
    for (const [k, w] of this._rows) {
      if (k < count) {
        this._mark(w.node, k);
      }
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this);
    this.node.addEventListener('click', this);
  }

  /**
   * A row revealed while the panel was hidden (the first NaN of a step that
   * arrived with the sidebar closed) scrolled the list's model but not the
   * DOM, which cannot scroll while not displayed: the rows were drawn for the
   * model's offset below an unscrolled viewport, blank on top until the user
   * scrolled. Bring the DOM to the model's offset when shown.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncScroll(SYNC_FRAMES);
  }

  /**
   * Scroll again to the cursor (the row revealed while hidden) once the list
   * is laid out: right after a show it has no height to scroll in, and the
   * offset computed while hidden was for a zero-height viewport. Tries for
   * `frames` animation frames.
   */
  private _syncScroll(frames: number): void {
    const outer = this.list.outerNode;
    if (
      this.isDisposed ||
      Math.abs(outer.scrollTop - this.listModel.scrollOffset) <= 1
    ) {
      return;
    }
    if (outer.scrollHeight > outer.clientHeight) {
      this.listModel.height = outer.clientHeight;
      void this.list
        .scrollToItem(Math.min(this.cursor, this.rowCount - 1), 'smart')
        .catch(() => undefined);
    } else if (frames > 0) {
      requestAnimationFrame(() => this._syncScroll(frames - 1));
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('keydown', this);
    this.node.removeEventListener('click', this);
    super.onBeforeDetach(msg);
  }

  /**
   * Characters a name cell shows (monospace) with `inset` pixels of left
   * padding (`nameInset`): measured on a rendered row whenever the rows' box
   * changes; Infinity before that (and where nothing is laid out).
   */
  protected nameChars(inset = 0): number {
    const m = this._nameMetrics;
    if (m === null) {
      return Infinity;
    }
    return Math.max(1, Math.floor((m.width - inset) / m.ch + 0.001));
  }

  protected cursor = 0;
  protected readonly list: WindowedList;
  protected readonly listModel: FixedRowsListModel;

  /**
   * Measure the name column on a rendered row: its width and the width of a
   * character of its font (again when `fontsLoaded`). Rows are re-filled when
   * a name cell holds a character more or less.
   */
  private _measureNames(fontsLoaded = false): void {
    const cell = this.list.viewportNode.querySelector<HTMLElement>(
      `.${ROW_CLASS} > .jp-EagerLab-col-name`
    );
    if (!cell || cell.clientWidth === 0) {
      return; // nothing laid out: keep what was measured
    }
    const style = getComputedStyle(cell);
    // Without the left padding a row's depth gives it (see nameInset).
    const width =
      cell.clientWidth -
      parseFloat(style.paddingRight) -
      (cell.style.paddingLeft ? 0 : parseFloat(style.paddingLeft));
    const font = `${style.fontSize} ${style.fontFamily}`;
    // A character's width is measured again for another font, or a new one.
    let ch =
      !fontsLoaded && this._nameMetrics?.font === font
        ? this._nameMetrics.ch
        : 0;
    if (!ch) {
      const probe = document.createElement('span');
      probe.style.position = 'absolute';
      probe.style.visibility = 'hidden';
      probe.style.whiteSpace = 'pre';
      probe.textContent = '0'.repeat(50);
      cell.appendChild(probe);
      ch = probe.getBoundingClientRect().width / 50;
      probe.remove();
      if (!ch) {
        return;
      }
    }
    // Re-fill when a row shows a character more or less (a few depths).
    const fits = () =>
      [0, 1, 2, 3, 4].map(d => this.nameChars(nameInset(d))).join();
    const before = fits();
    this._nameMetrics = { width, ch, font };
    if (fits() !== before) {
      this.refill();
    }
  }

  /** The list's factory: reuse the widget already made for position `k`. */
  private _renderRow(k: number): Widget {
    let w = this._rows.get(k);
    if (!w) {
      w = new Widget({ node: document.createElement('div') });
      w.node.setAttribute('role', 'row');
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
    const node = w.node;
    this.fillRow(node, k);
    node.dataset.viewIndex = String(k);
    node.setAttribute('aria-rowindex', String(k + 2));
    this._mark(node, k);
  }

  private _mark(node: HTMLElement, k: number): void {
    const selected = this.isSelected(k);
    node.classList.toggle('jp-mod-selected', selected);
    node.setAttribute('aria-selected', String(selected));
    const active = k === this.cursor;
    node.classList.toggle('jp-mod-active', active);
    node.tabIndex = active ? 0 : -1;
  }

  private _onKeyDown(event: KeyboardEvent): void {
    if (
      (event.target as HTMLElement).closest('button') &&
      event.key === 'Enter'
    ) {
      return; // a button in a row handles its own Enter
    }
    const page = Math.max(
      1,
      Math.floor(this.list.node.clientHeight / ROW_HEIGHT) - 1
    );
    const moves: Record<string, number> = {
      ArrowDown: this.cursor + 1,
      ArrowUp: this.cursor - 1,
      PageDown: this.cursor + page,
      PageUp: this.cursor - page,
      Home: 0,
      End: this.rowCount - 1
    };
    if (event.key in moves) {
      void this.moveCursor(moves[event.key]);
    } else if (
      !['ArrowRight', 'ArrowLeft', 'Enter', ' '].includes(event.key) ||
      this.cursor >= this.rowCount ||
      !this.activateRow(this.cursor, event.key, event)
    ) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private _onClick(event: MouseEvent): void {
    const rowNode = (event.target as HTMLElement).closest(
      `.${ROW_CLASS}`
    ) as HTMLElement | null;
    if (!rowNode || !this.node.contains(rowNode)) {
      return;
    }
    const k = Number(rowNode.dataset.viewIndex);
    if (!Number.isInteger(k) || k >= this.rowCount) {
      return;
    }
    // Selecting text in a row must not count as a click on it.
    if (window.getSelection()?.toString()) {
      return;
    }
    const cursor = this.cursor;
    this.cursor = k;
    if (!this.activateRow(k, 'click', event)) {
      this.cursor = cursor; // an inner button took the click
      return;
    }
    this.refreshMarks();
    rowNode.focus({ preventScroll: true });
  }

  private _nameMetrics: { width: number; ch: number; font: string } | null =
    null;
  private _onFonts: () => void;
  private _resizer: ResizeObserver | null = null;
  private _rows = new Map<number, Widget>();
}

export namespace VirtualGrid {
  export interface IOptions {
    /** The grid's accessible name. */
    label: string;
    header: HTMLElement;
    columns: number;
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
export class FixedRowsListModel extends WindowedListModel {
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
