/**
 * Values next to names at every width: the panel at its default 360 px and at 620 px keeps
 * each row's graph name (elided at its start, so its distinctive end shows) and its value
 * summary, dropping op, shape, trend and source first; and a panel opened after a row was
 * revealed while it was closed shows rows from the top, the revealed one in view.
 */
import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  DEMO_CELLS,
  openDemo,
  openSidebar,
  rowByName,
  runCells,
  setPanelWidth,
  sidebar
} from './helpers';

interface IRowGeometry {
  name: string;
  title: string;
  /** The name cell's box, and where its last character is drawn. */
  cell: { left: number; right: number };
  lastChar: { left: number; right: number };
  /** The summary cell's width, and whether its first character is inside it. */
  summaryWidth: number;
  summaryText: string;
  summaryStartsInside: boolean;
  /** Columns shown (display is not none), by name. */
  shown: string[];
}

/** Geometry of every tensor row inside the table's viewport. */
function visibleRows(page: IJupyterLabPageFixture): Promise<IRowGeometry[]> {
  return sidebar(page)
    .locator('.jp-EagerLab-tensorTable')
    .evaluate(table => {
      const body = table
        .querySelector('.jp-WindowedPanel-outer')!
        .getBoundingClientRect();
      const rows = Array.from(
        table.querySelectorAll<HTMLElement>(
          '.jp-EagerLab-row[data-tensor-index]'
        )
      ).filter(r => {
        const b = r.getBoundingClientRect();
        return b.top >= body.top - 1 && b.bottom <= body.bottom + 1;
      });
      const charBox = (node: Node | null, at: 'first' | 'last') => {
        const range = document.createRange();
        let text: Node | null = node;
        while (text && text.nodeType !== Node.TEXT_NODE) {
          text = at === 'last' ? text.lastChild : text.firstChild;
        }
        const length = text?.textContent?.length ?? 0;
        if (!text || length === 0) {
          return { left: 0, right: 0 };
        }
        const k = at === 'last' ? length - 1 : 0;
        range.setStart(text, k);
        range.setEnd(text, k + 1);
        const b = range.getBoundingClientRect();
        return { left: b.left, right: b.right };
      };
      return rows.map(r => {
        const name = r.querySelector<HTMLElement>('.jp-EagerLab-col-name')!;
        const summary = r.querySelector<HTMLElement>(
          '.jp-EagerLab-col-summary'
        )!;
        const nb = name.getBoundingClientRect();
        const sb = summary.getBoundingClientRect();
        const first = charBox(summary, 'first');
        return {
          name: name.textContent ?? '',
          title: name.title,
          cell: { left: nb.left, right: nb.right },
          lastChar: charBox(name, 'last'),
          summaryWidth: sb.width,
          summaryText: summary.textContent ?? '',
          summaryStartsInside:
            first.left >= sb.left - 0.5 && first.right <= sb.right + 0.5,
          shown: Array.from(r.children)
            .filter(c => getComputedStyle(c).display !== 'none')
            .map(c => /jp-EagerLab-col-(\w+)/.exec(c.className)![1])
        };
      });
    });
}

async function runFit(page: IJupyterLabPageFixture, tmpPath: string) {
  await openDemo(page, tmpPath);
  await runCells(page, [
    DEMO_CELLS.load,
    DEMO_CELLS.modelClass,
    DEMO_CELLS.fit
  ]);
  await openSidebar(page);
  await expect(rowByName(page, 'Mean:0')).toHaveCount(1);
}

test.describe('values next to names', () => {
  test('at 360 px every visible row shows its name’s end and its value', async ({
    page,
    tmpPath
  }) => {
    await runFit(page, tmpPath);
    await setPanelWidth(page, 360);
    const rows = await visibleRows(page);
    expect(rows.length).toBeGreaterThan(5);
    // Long scoped names are among them (regressor_1/hidden_1/...).
    expect(rows.some(r => r.name.length > 30)).toBe(true);
    for (const row of rows) {
      const where = `row ${row.name}`;
      // Name and value only, plus the narrow NaN/Inf flag.
      expect(row.shown, where).toEqual(['name', 'summary', 'flags']);
      // The distinctive end is drawn inside the cell, not cut off at its right.
      expect(row.lastChar.right, where).toBeLessThanOrEqual(
        row.cell.right + 0.5
      );
      expect(row.lastChar.left, where).toBeGreaterThanOrEqual(
        row.cell.left - 0.5
      );
      // The whole name is the cell's text and its title (an unnamed row's
      // title says why it has no name).
      if (row.name !== '<unnamed>') {
        expect(row.title.startsWith(row.name), where).toBe(true);
      }
      if (row.summaryText) {
        expect(row.summaryWidth, where).toBeGreaterThanOrEqual(110);
        expect(row.summaryStartsInside, where).toBe(true);
      }
    }
    // Names stay selectable text.
    const cell = rowByName(page, 'regressor_1/hidden_1/MatMul:0').locator(
      '.jp-EagerLab-col-name'
    );
    await expect(cell).toHaveCSS('user-select', 'text');
  });

  test('at 620 px the value has the most room', async ({ page, tmpPath }) => {
    await runFit(page, tmpPath);
    await setPanelWidth(page, 620);
    const rows = await visibleRows(page);
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      const where = `row ${row.name}`;
      expect(row.shown, where).toEqual(['name', 'shape', 'summary', 'flags']);
      expect(row.summaryWidth, where).toBeGreaterThanOrEqual(240);
      expect(row.summaryWidth, where).toBeGreaterThan(
        row.cell.right - row.cell.left
      );
      expect(row.lastChar.right, where).toBeLessThanOrEqual(
        row.cell.right + 0.5
      );
    }
  });
});

test('a panel opened after a row was revealed shows rows from its top, that row in view', async ({
  page,
  tmpPath
}) => {
  // The NaN step arrives (and its first NaN is revealed) while the panel is closed.
  await openDemo(page, tmpPath);
  await runCells(page, [
    DEMO_CELLS.load,
    DEMO_CELLS.modelClass,
    DEMO_CELLS.nan
  ]);
  await openSidebar(page);
  const log = rowByName(page, 'Log:0');
  await expect(log).toBeInViewport();
  await expect(log).toHaveAttribute('aria-selected', 'true');
  // No blank band: a row covers the top of the table's viewport.
  const gap = await sidebar(page)
    .locator('.jp-EagerLab-tensorTable')
    .evaluate(table => {
      const top = table
        .querySelector('.jp-WindowedPanel-outer')!
        .getBoundingClientRect().top;
      const rows = Array.from(table.querySelectorAll('.jp-EagerLab-row')).map(
        r => r.getBoundingClientRect()
      );
      return rows.some(b => b.top <= top + 0.5 && b.bottom > top + 0.5)
        ? 0
        : Math.min(...rows.map(b => b.top)) - top;
    });
  expect(gap).toBe(0);
});
