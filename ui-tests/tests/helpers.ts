/**
 * Selectors and steps shared by the eager-lab UI tests. Selectors follow the
 * sidebar's DOM contract (src/views/*.ts): ids, jp-EagerLab-* classes, roles and
 * aria labels. Everything else goes through galata's helpers and the real UI.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
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

/** Upload examples/demo.ipynb into the test's folder and open it (its kernel starts). */
export async function openDemo(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name = 'demo.ipynb'
): Promise<void> {
  await page.contents.uploadFile(DEMO, `${tmpPath}/${name}`);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
  await waitForKernelIdle(page);
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
