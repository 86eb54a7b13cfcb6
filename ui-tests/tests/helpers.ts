/**
 * Selectors and steps shared by the eager-lab UI tests. Selectors follow the
 * sidebar's DOM contract (src/views/*.ts): ids, jp-EagerLab-* classes, roles and
 * aria labels. Everything else goes through galata's helpers and the real UI.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const SIDEBAR_ID = 'eager-lab-sidebar';
export const SIDEBAR = `#${SIDEBAR_ID}`;
export const SHOW_COMMAND = 'eager-lab:show-panel';
export const TOGGLE_COMMAND = 'eager-lab:toggle-panel';
export const PLUGIN_ID = 'eager-lab:sidebar';

/** The demo notebook shipped in examples/. */
export const DEMO = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  'demo.ipynb'
);

/** Code cells of examples/demo.ipynb, by index in the notebook. */
export const DEMO_CELLS = {
  load: 1,
  eagerDebug: 3,
  modelClass: 5,
  fit: 6,
  value: 8,
  nan: 10,
  jittered: 12,
  compare: 13,
  graphSpeedNan: 15
};

export function sidebar(page: IJupyterLabPageFixture): Locator {
  return page.locator(SIDEBAR);
}

/** The sidebar's tab in the right sidebar's tab bar (its icon). */
export function sidebarTab(page: IJupyterLabPageFixture): Locator {
  return page.locator(
    `.jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id="${SIDEBAR_ID}"]`
  );
}

/** Open the sidebar by clicking its icon, as a user would. */
export async function openSidebar(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  const panel = sidebar(page);
  if (!(await panel.isVisible())) {
    await sidebarTab(page).click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/** The empty-state box for `reason` (no_kernel_widget, not_loaded, no_steps_yet…). */
export function emptyState(
  page: IJupyterLabPageFixture,
  reason: string
): Locator {
  return sidebar(page).locator(`.jp-EagerLab-empty[data-reason="${reason}"]`);
}

export function table(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).getByRole('grid', { name: 'Captured tensors' });
}

/** Tensor rows (not scope groups) currently rendered by the virtualized table. */
export function rows(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).locator('.jp-EagerLab-row[data-tensor-index]');
}

/** The rendered row whose graph name is exactly `name`. */
export function rowByName(page: IJupyterLabPageFixture, name: string): Locator {
  return rows(page).filter({
    has: page.locator('.jp-EagerLab-col-name', { hasText: exactText(name) })
  });
}

/** Rows of the eager | graph table currently rendered. */
export function compareRows(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).locator('.jp-EagerLab-compareRow');
}

export function compareRowByName(
  page: IJupyterLabPageFixture,
  name: string
): Locator {
  return compareRows(page).filter({
    has: page.locator('.jp-EagerLab-col-name', { hasText: exactText(name) })
  });
}

export function nameCells(page: IJupyterLabPageFixture): Locator {
  return rows(page).locator('.jp-EagerLab-col-name');
}

export function filterBox(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).getByLabel('Filter tensors');
}

export function stepSelect(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).getByLabel('Recorded step');
}

export function detail(page: IJupyterLabPageFixture): Locator {
  return sidebar(page).locator('#eager-lab-detail');
}

export function exactText(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/**
 * examples/demo.ipynb as a fresh copy: outputs and execution counts cleared
 * (a clone where the demo was opened and autosaved carries an earlier
 * session's), every cell with an id (nbformat 4.5). `edit` may change it.
 */
export function freshDemo(edit?: (nb: any) => void): string {
  const nb = JSON.parse(fs.readFileSync(DEMO, 'utf8'));
  nb.nbformat_minor = Math.max(nb.nbformat_minor ?? 0, 5);
  nb.cells.forEach((cell: any, k: number) => {
    cell.id = cell.id ?? `demo-cell-${k}`;
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  });
  edit?.(nb);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eager-lab-ui-'));
  const file = path.join(dir, 'demo.ipynb');
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

/** Upload a fresh copy of examples/demo.ipynb into the test's folder and open it. */
export async function openDemo(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name = 'demo.ipynb',
  edit?: (nb: any) => void
): Promise<void> {
  await page.contents.uploadFile(freshDemo(edit), `${tmpPath}/${name}`);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
  await waitForKernelIdle(page);
}

/**
 * Console errors and page errors of `page` from now on (the list grows).
 * Playwright reports console.error as type 'error'.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', msg => {
    if (msg.type() === 'error') {
      errors.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', err => errors.push(`page: ${err.message}`));
  return errors;
}

/** Make the right sidebar `width` px wide and wait until the panel is. */
export async function setPanelWidth(
  page: IJupyterLabPageFixture,
  width: number
): Promise<void> {
  await page.sidebar.setWidth(width, 'right');
  await expect
    .poll(async () => {
      const w = await sidebar(page).evaluate(
        e => e.getBoundingClientRect().width
      );
      return Math.abs(w - width) <= 3;
    })
    .toBe(true);
}

/** Run one cell and wait for it to finish (its execution count appears). */
export async function runCell(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  await page.notebook.runCell(index, true);
}

/** Run cells one after another, each to its end. */
export async function runCells(
  page: IJupyterLabPageFixture,
  indices: number[]
): Promise<void> {
  for (const index of indices) {
    await runCell(page, index);
  }
}

/** Wait until the active notebook's kernel is idle. */
export async function waitForKernelIdle(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.waitForFunction(() => {
    const w = (window as any).jupyterapp.shell.currentWidget;
    const kernel = w?.sessionContext?.session?.kernel;
    return !!kernel && kernel.status === 'idle';
  });
}

/** A new notebook named `name` (python3 kernel) whose cells are `sources`, all run. */
export async function notebookWith(
  page: IJupyterLabPageFixture,
  name: string,
  sources: string[]
): Promise<void> {
  await page.notebook.createNew(name);
  await waitForKernelIdle(page);
  for (let i = 0; i < sources.length; i++) {
    if (i === 0) {
      await page.notebook.setCell(0, 'code', sources[0]);
    } else {
      await page.notebook.addCell('code', sources[i]);
    }
  }
  // Typing into the editor re-indents Python blocks: set each source exactly.
  await page.evaluate(texts => {
    const nb = (window as any).jupyterapp.shell.currentWidget.content;
    texts.forEach((text: string, i: number) =>
      nb.model.cells.get(i).sharedModel.setSource(text)
    );
  }, sources);
  for (let i = 0; i < sources.length; i++) {
    await runCell(page, i);
  }
}

/** The active notebook's active cell index and the editor's selected line (0-based). */
export async function activeCellAndLine(
  page: IJupyterLabPageFixture
): Promise<{ name: string; cell: number; line: number; text: string }> {
  return page.evaluate(() => {
    const w = (window as any).jupyterapp.shell.currentWidget;
    const nb = w.content;
    const cell = nb.activeCell;
    const sel = cell.editor.getSelection();
    return {
      name: w.context.path.split('/').pop(),
      cell: nb.activeCellIndex,
      line: sel.start.line,
      text: cell.editor.getLine(sel.start.line)
    };
  });
}

/** Restart the active notebook's kernel through the toolbar and its dialog. */
export async function restartKernel(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.notebook.clickToolbarItem('restart');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  await waitForKernelIdle(page);
}
