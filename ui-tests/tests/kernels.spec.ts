/**
 * The sidebar follows kernels: it recovers after a restart and follows the active
 * notebook when several notebooks with their own kernels are open.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import {
  collectErrors,
  emptyState,
  notebookWith,
  openSidebar,
  restartKernel,
  rowByName,
  rows,
  runCell
} from './helpers';

const SQUARE =
  '%%eager_debug\nimport tensorflow as tf\nt = tf.constant(3)\nt * t';
const ADD =
  '%%eager_debug\nimport tensorflow as tf\ntf.constant([1.0, 2.0]) + 1.0';

test.describe('restart', () => {
  // galata's default `kernels` fixture proxies the kernels API to track the test's kernels,
  // and a restarted kernel's connection never comes back through it: use the real API and
  // shut the kernels down at the end instead.
  test.use({ kernels: null });
  test.afterEach(async ({ page }) => {
    await page.kernel.shutdownAll();
  });

  test('a kernel restart: the panel says so, then shows new recordings', async ({
    page
  }) => {
    await notebookWith(page, 'restart.ipynb', ['%load_ext eager_lab', SQUARE]);
    await openSidebar(page);
    await expect(rowByName(page, 'mul:0')).toBeVisible();

    await restartKernel(page);
    // A fresh kernel has not loaded eager_lab: the old rows are gone.
    await expect(emptyState(page, 'not_loaded')).toBeVisible();
    await expect(rows(page)).toHaveCount(0);

    await runCell(page, 0);
    await runCell(page, 1);
    await expect(rowByName(page, 'mul:0')).toBeVisible();
    await expect(
      rowByName(page, 'mul:0').locator('.jp-EagerLab-col-summary')
    ).toContainText('x∈[9, 9]');
  });
});

test('two notebooks, two kernels: the panel follows the active one', async ({
  page
}) => {
  await notebookWith(page, 'square.ipynb', ['%load_ext eager_lab', SQUARE]);
  await notebookWith(page, 'add.ipynb', ['%load_ext eager_lab', ADD]);
  await notebookWith(page, 'plain.ipynb', ['1 + 1']);
  await openSidebar(page);

  await expect(emptyState(page, 'not_loaded')).toBeVisible();

  await page.notebook.activate('square.ipynb');
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  await expect(rowByName(page, 'add:0')).toHaveCount(0);

  await page.notebook.activate('add.ipynb');
  await expect(rowByName(page, 'add:0')).toBeVisible();
  await expect(
    rowByName(page, 'add:0').locator('.jp-EagerLab-col-summary')
  ).toContainText('x∈[2, 3]');
  await expect(rowByName(page, 'mul:0')).toHaveCount(0);

  await page.notebook.activate('square.ipynb');
  await expect(rowByName(page, 'mul:0')).toBeVisible();

  await page.notebook.activate('plain.ipynb');
  await expect(emptyState(page, 'not_loaded')).toBeVisible();
});

test('extra tabs on one kernel come and go without "Comm not found" errors', async ({
  page,
  context
}) => {
  const errors = collectErrors(page);
  const ours = new Set<string>();
  recordEagerComms(page, ours);
  await page.reload({ waitForIsReady: false }); // so that its websockets are seen
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0);
  await openSidebar(page);
  await notebookWith(page, 'tabs.ipynb', ['1 + 1']);
  await expect(emptyState(page, 'not_loaded')).toBeVisible();

  // A second tab on the same notebook and kernel, while eager_lab is not loaded there:
  // its panel must not open a comm the kernel closes in front of every other tab.
  const second = await context.newPage();
  const secondErrors = collectErrors(second);
  recordEagerComms(second, ours);
  await second.goto(page.url());
  await expect(second.locator('.jp-NotebookPanel')).toBeVisible();
  await expect(
    second.locator(
      '#eager-lab-sidebar .jp-EagerLab-empty[data-reason="not_loaded"]'
    )
  ).toBeAttached();

  await page.notebook.addCell('code', '%load_ext eager_lab');
  await runCell(page, 1);
  await page.notebook.addCell('code', SQUARE);
  await runCell(page, 2);
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  await expect(
    second.locator('#eager-lab-sidebar .jp-EagerLab-row', { hasText: 'mul:0' })
  ).toBeAttached();

  // The extra tab goes; the first one captures again, then reloads.
  await second.close();
  await runCell(page, 2);
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  await page.notebook.save();
  await page.reload({ waitForIsReady: false });
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  await page.notebook.activate('tabs.ipynb');
  await runCell(page, 2);
  await expect(rowByName(page, 'mul:0')).toBeVisible();

  // Other extensions' comms (ipywidgets opens one to a kernel without ipywidgets) may
  // be reported; none of eager_lab's may.
  expect(ours.size).toBeGreaterThan(0);
  const commErrors = [...errors, ...secondErrors].filter(
    e =>
      /exception opening new comm/i.test(e) ||
      [...ours].some(id => e.includes(`Comm not found for comm id ${id}`))
  );
  expect(commErrors).toEqual([]);
});

/**
 * Record the ids of eager_lab comms opened on `page`'s kernel websockets, by either side
 * (JupyterLab's websocket frames carry the message JSON as text).
 */
function recordEagerComms(page: Page, ids: Set<string>): void {
  page.on('websocket', ws => {
    const look = (frame: { payload: string | Buffer }) => {
      const text =
        typeof frame.payload === 'string'
          ? frame.payload
          : frame.payload.toString('latin1');
      if (
        !/"comm_open"/.test(text) ||
        !/"target_name":\s*"eager_lab"/.test(text)
      ) {
        return;
      }
      const id = /"comm_id":\s*"([^"]+)"/.exec(text);
      if (id) {
        ids.add(id[1]);
      }
    };
    ws.on('framesent', look);
    ws.on('framereceived', look);
  });
}
