/**
 * The cells of the panel's grids: a cell element, a header row, and the name
 * cell, which shows what tells a graph name apart while its text stays the
 * whole name. No state; the grids (grid.ts) lay the rows out.
 */
import type { INameFit } from '../names';
import { fitName } from '../names';

/** One cell of a grid row: `jp-EagerLab-col-<column>`. */
export function gridCell(role: string, column: string): HTMLElement {
  const el = document.createElement('div');
  el.setAttribute('role', role);
  el.className = `jp-EagerLab-cell jp-EagerLab-col-${column}`;
  return el;
}

/**
 * Write a graph name into a name cell, showing what `fit` says of it (see
 * names.ts): the scope dimmed, then the leaf; `…/` (CSS, hidden from screen
 * readers) for components left out in the middle. Left-out components stay in
 * the DOM, visually hidden: the cell's text is the whole name (selectable,
 * searchable, copied, read by screen readers), and so is its title. Past what
 * `fit` leaves out, the cell's CSS elides what is left at its start, so the
 * distinctive end stays in view.
 */
export function setNameCell(
  cell: HTMLElement,
  name: string,
  title: string = name,
  fit: INameFit = fitName(name, Infinity)
): void {
  let text = cell.firstElementChild as HTMLElement | null;
  if (!text || !text.classList.contains(NAME_TEXT_CLASS)) {
    cell.textContent = '';
    text = document.createElement('span');
    text.className = NAME_TEXT_CLASS;
    for (const c of [
      NAME_CUT_CLASS, // the start left out
      'jp-EagerLab-nameScope',
      NAME_CUT_CLASS, // the middle left out
      NAME_GAP_CLASS,
      'jp-EagerLab-nameScope',
      'jp-EagerLab-nameLeaf'
    ]) {
      const part = document.createElement('span');
      part.className = c;
      text.appendChild(part);
    }
    text.children[3].setAttribute('aria-hidden', 'true');
    cell.appendChild(text);
  }
  const [start, head, middle, gap, tail, leaf] = Array.from(
    text.children
  ) as HTMLElement[];
  start.textContent = name.slice(0, fit.start);
  head.textContent = name.slice(fit.start, fit.gapFrom);
  middle.textContent = name.slice(fit.gapFrom, fit.gapTo);
  gap.hidden = fit.gapFrom >= fit.gapTo;
  tail.textContent = name.slice(fit.gapTo, fit.leaf);
  leaf.textContent = name.slice(fit.leaf);
  cell.title = title;
  cell.classList.remove('jp-EagerLab-unnamed');
}

/** The span inside a name cell that holds the name (see setNameCell). */
export const NAME_TEXT_CLASS = 'jp-EagerLab-nameText';
/** Parts of a name left out of view (in the DOM, visually hidden). */
export const NAME_CUT_CLASS = 'jp-EagerLab-nameCut';
/** Where a name's middle is left out: `…/` from CSS. */
export const NAME_GAP_CLASS = 'jp-EagerLab-nameGap';

/** Left padding of a name cell `depth` scope groups deep, in pixels. */
export function nameInset(depth: number): number {
  return depth > 0 ? depth * 12 + 4 : 0;
}

/** A header row of `columns`: `[text, tooltip]` each. */
export function gridHeader(
  columns: ReadonlyArray<readonly [string, string, string]>
): HTMLElement {
  const row = document.createElement('div');
  row.className = 'jp-EagerLab-headerRow';
  row.setAttribute('role', 'row');
  row.setAttribute('aria-rowindex', '1');
  for (const [column, text, title] of columns) {
    const el = gridCell('columnheader', column);
    el.textContent = text;
    el.title = title;
    row.appendChild(el);
  }
  return row;
}
