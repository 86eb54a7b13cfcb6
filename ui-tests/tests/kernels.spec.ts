/**
 * The sidebar follows kernels: it recovers after a restart and follows the active
 * notebook when several notebooks with their own kernels are open.
 */
import { expect, test } from '@jupyterlab/galata';
import {
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
