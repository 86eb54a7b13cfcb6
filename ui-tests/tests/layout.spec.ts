/**
 * Values next to names at every width: the panel at its default 360 px and at 620 px keeps
 * each row's graph name and its value summary, dropping op, shape, trend and source first;
 * at 360 px what the name cells show (what tells a name apart from the step's others, its
 * middle or start left out) differs from row to row; and a panel opened after a row was
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
  /** What the summary cell shows (see installShown), when installed. */
  summaryShown: string;
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
          summaryShown: (window as any).eagerLabShown?.(summary) ?? '',
          shown: Array.from(r.children)
            .filter(c => getComputedStyle(c).display !== 'none')
            .map(c => /jp-EagerLab-col-(\w+)/.exec(c.className)![1])
        };
      });
    });
}

/**
 * Give the page `window.eagerLabShown(cell)`: what a cell shows, its drawn
 * characters in order. A character counts when it is drawn, wholly inside the
 * cell's padding box, and not under the cell's ellipsis; text from CSS
 * (`::before`, `::after`) counts where its element is drawn; an elided cell
 * gets `…` where it cuts (at its start when it runs right to left).
 */
async function installShown(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const ellipsisWidth = (cell: HTMLElement) => {
      const probe = document.createElement('span');
      probe.textContent = '…';
      probe.style.position = 'absolute';
      probe.style.visibility = 'hidden';
      cell.appendChild(probe);
      const w = probe.getBoundingClientRect().width;
      probe.remove();
      return w;
    };
    (window as any).eagerLabShown = (cell: HTMLElement): string => {
      const style = getComputedStyle(cell);
      const box = cell.getBoundingClientRect();
      let left = box.left + parseFloat(style.paddingLeft);
      let right = box.right - parseFloat(style.paddingRight);
      const elided = cell.scrollWidth > cell.clientWidth + 0.5;
      const rtl = style.direction === 'rtl';
      if (elided) {
        if (rtl) {
          left += ellipsisWidth(cell);
        } else {
          right -= ellipsisWidth(cell);
        }
      }
      const within = (b: DOMRect, l: number, r: number) =>
        b.width > 0 && b.left >= l - 0.5 && b.right <= r + 0.5;
      // Drawn inside the cell and inside every box between that clips.
      const inside = (b: DOMRect, from: Node) => {
        if (!within(b, left, right)) {
          return false;
        }
        for (
          let el = from.parentElement;
          el && el !== cell;
          el = el.parentElement
        ) {
          if (getComputedStyle(el).overflow !== 'visible') {
            const c = el.getBoundingClientRect();
            if (!within(b, c.left, c.right)) {
              return false;
            }
          }
        }
        return true;
      };
      const range = document.createRange();
      let text = '';
      const pseudo = (el: Element, which: '::before' | '::after') => {
        const content = getComputedStyle(el, which).content;
        const m = /^"(.*)"$/.exec(content);
        return m && inside(el.getBoundingClientRect(), el) ? m[1] : '';
      };
      const walk = (node: Node) => {
        if (node.nodeType === Node.TEXT_NODE) {
          const value = node.nodeValue ?? '';
          for (let k = 0; k < value.length; k++) {
            range.setStart(node, k);
            range.setEnd(node, k + 1);
            if (inside(range.getBoundingClientRect(), node)) {
              text += value[k];
            }
          }
          return;
        }
        if (node.nodeType !== Node.ELEMENT_NODE) {
          return;
        }
        const el = node as Element;
        if (getComputedStyle(el).display === 'none') {
          return;
        }
        text += pseudo(el, '::before');
        el.childNodes.forEach(walk);
        text += pseudo(el, '::after');
      };
      walk(cell);
      return elided ? (rtl ? `…${text}` : `${text}…`) : text;
    };
  });
}

interface IShownName {
  /** The row's graph name (the name cell's text; `<unnamed>` without one). */
  name: string;
  /** What the name cell shows (see installShown). */
  shown: string;
}

/** What every row's name cell shows, scrolling the table from top to end. */
async function shownNames(page: IJupyterLabPageFixture): Promise<IShownName[]> {
  await installShown(page);
  return sidebar(page)
    .locator('.jp-EagerLab-tensorTable .jp-WindowedPanel-outer')
    .evaluate(async outer => {
      const shown = (window as any).eagerLabShown as (e: HTMLElement) => string;
      const frame = () =>
        new Promise<void>(resolve =>
          requestAnimationFrame(() => setTimeout(resolve, 0))
        );
      const found = new Map<string, IShownName>();
      outer.scrollTop = 0;
      for (;;) {
        await frame();
        await frame();
        const view = outer.getBoundingClientRect();
        for (const row of Array.from(
          outer.querySelectorAll<HTMLElement>(
            '.jp-EagerLab-row[data-tensor-index]'
          )
        )) {
          const b = row.getBoundingClientRect();
          if (b.top < view.top - 1 || b.bottom > view.bottom + 1) {
            continue;
          }
          const cell = row.querySelector<HTMLElement>('.jp-EagerLab-col-name')!;
          found.set(row.dataset.tensorIndex!, {
            name: cell.textContent ?? '',
            shown: shown(cell)
          });
        }
        if (outer.scrollTop + outer.clientHeight >= outer.scrollHeight - 1) {
          break;
        }
        outer.scrollTop += outer.clientHeight - 24;
      }
      outer.scrollTop = 0;
      await frame();
      return Array.from(found.values());
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

  test('at 360 px rows with different names show different text', async ({
    page,
    tmpPath
  }) => {
    await runFit(page, tmpPath);
    await setPanelWidth(page, 360);
    const names = await shownNames(page);
    // Every row of the step was seen (138 in the demo's train step).
    expect(names.length).toBeGreaterThan(100);
    const named = names.filter(n => n.name !== '<unnamed>');
    const byShown = new Map<string, Set<string>>();
    for (const n of named) {
      const same = byShown.get(n.shown) ?? new Set<string>();
      same.add(n.name);
      byShown.set(n.shown, same);
    }
    const clashes = Array.from(byShown)
      .filter(([, same]) => same.size > 1)
      .map(([shown, same]) => `${shown} ← ${Array.from(same).join(' | ')}`);
    expect(clashes).toEqual([]);
    // What a cell shows is the name's own characters (an ellipsis for what
    // is left out), ending with the name's end.
    for (const n of named) {
      expect(n.shown.length, n.name).toBeGreaterThan(4);
      expect(n.name.endsWith(n.shown.split('…').pop()!), n.name).toBe(true);
    }
    // The rows the issue named: the layer shows beside the op.
    const shownOf = (name: string) => named.find(n => n.name === name)?.shown;
    expect(shownOf('regressor_1/hidden_1/Cast/ReadVariableOp:0')).toMatch(
      /hidden_1\/.*ReadVariableOp:0$/
    );
    expect(shownOf('regressor_1/out_1/Cast/ReadVariableOp:0')).toMatch(
      /out_1\/.*ReadVariableOp:0$/
    );
    expect(shownOf('regressor_1/hidden_1/MatMul:0')).toMatch(
      /hidden_1\/MatMul:0$/
    );
    // And the value still shows beside every name.
    const rows = await visibleRows(page);
    for (const row of rows) {
      if (row.summaryText) {
        expect(row.summaryShown, `row ${row.name}`).toMatch(/^x∈\[/);
      }
    }
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
