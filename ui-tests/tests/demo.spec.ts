/**
 * The demo notebook, run cell by cell in a real kernel: the sidebar shows each recording
 * with graph names and summaries, filters, opens a tensor's detail, jumps to the source
 * line, and points at the first NaN. The notebook is a fresh copy (helpers.freshDemo):
 * outputs an earlier session autosaved into examples/demo.ipynb do not matter.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  DEMO_CELLS,
  activeCellAndLine,
  detail,
  filterBox,
  nameCells,
  openDemo,
  openSidebar,
  rowByName,
  rows,
  runCell,
  runCells,
  sidebar,
  stepSelect
} from './helpers';

test.describe('demo notebook', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await openDemo(page, tmpPath);
    await openSidebar(page);
  });

  test('cell ops: mul:0 and mul_1:0 with their values', async ({ page }) => {
    await runCell(page, DEMO_CELLS.load);
    await runCell(page, DEMO_CELLS.eagerDebug);

    const mul = rowByName(page, 'mul:0');
    await expect(mul).toBeVisible();
    await expect(mul.locator('.jp-EagerLab-col-op')).toHaveText('Mul');
    await expect(mul.locator('.jp-EagerLab-col-shape')).toHaveText('i32[]');
    await expect(mul.locator('.jp-EagerLab-col-summary')).toContainText(
      'x∈[9, 9]'
    );
    const mul1 = rowByName(page, 'mul_1:0');
    await expect(mul1.locator('.jp-EagerLab-col-summary')).toContainText(
      'x∈[27, 27]'
    );
    await expect(mul1.locator('.jp-EagerLab-source')).toHaveText(
      /^cell \d+:4$/
    );
    await expect(rows(page)).toHaveCount(2);
    await expect(sidebar(page).locator('.jp-EagerLab-count')).toHaveText(
      '2 tensors'
    );
  });

  test('a train step: gradient names, filter, detail, source link', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.fit
    ]);
    // Three steps of the Regressor; look at the last one.
    await expect(stepSelect(page).locator('option')).toHaveCount(3);
    const last = await stepSelect(page)
      .locator('option')
      .last()
      .getAttribute('value');
    await stepSelect(page).selectOption(last!);
    await expect(stepSelect(page).locator('option:checked')).toContainText(
      'step 2'
    );
    await expect(nameCells(page).first()).toBeVisible();

    // Filter down to the gradients.
    await filterBox(page).fill('gradient_tape/');
    await expect(sidebar(page).locator('.jp-EagerLab-count')).toContainText(
      'match'
    );
    const names = nameCells(page);
    await expect(names.first()).toHaveText(/^gradient_tape\//);
    for (const text of await names.allTextContents()) {
      expect(text).toContain('gradient_tape/');
    }

    // Filter to the loss and open its detail: statistics and a histogram.
    await filterBox(page).fill('Mean:0');
    const mean = rowByName(page, 'Mean:0');
    await expect(mean).toBeVisible();
    await mean.locator('.jp-EagerLab-col-name').click();
    await expect(mean).toHaveAttribute('aria-selected', 'true');
    const view = detail(page);
    await expect(view.locator('.jp-EagerLab-detailName')).toHaveText('Mean:0');
    const stats = view.getByRole('region', { name: 'Statistics' });
    await expect(stats).toContainText('mean');
    await expect(stats.getByRole('img', { name: 'Histogram' })).toBeVisible();
    await expect(view.locator('code').first()).toContainText('tf.reduce_mean');

    // The detail's source link jumps to the cell and line that made it (the
    // table's source column is dropped at the panel's default width).
    await view.locator('.jp-EagerLab-sourceLink').click();
    await expect
      .poll(() => activeCellAndLine(page))
      .toEqual({
        name: 'demo.ipynb',
        cell: DEMO_CELLS.modelClass,
        line: 14,
        text: '            loss = tf.reduce_mean(tf.square(pred - y))'
      });
  });

  test('when a capture ends, the panel shows its last step', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.fit
    ]);
    await expect(stepSelect(page).locator('option')).toHaveCount(3);
    // No step failed or went NaN, so the step worth showing is the last one.
    await expect(stepSelect(page).locator('option:checked')).toContainText(
      'step 2'
    );
  });

  test('a step that goes NaN: header link and badge point at the first NaN', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.nan
    ]);
    // What the kernel says: first_nonfinite() is Log:0.
    const output = await page.notebook.getCellTextOutput(DEMO_CELLS.nan);
    expect(output?.join('')).toContain('Log:0 Log');

    await expect(stepSelect(page).locator('option:checked')).toContainText(
      'NaN/Inf'
    );
    const header = sidebar(page).locator('.jp-EagerLab-nonfiniteLink');
    await expect(header).toHaveText('Log:0');
    await expect(header.locator('xpath=..')).toContainText('first NaN/Inf:');

    // The row is scrolled to and carries the NaN badge; no row before it has one.
    const log = rowByName(page, 'Log:0');
    await expect(log).toBeVisible();
    await expect(log.locator('.jp-EagerLab-badge')).toHaveText('NaN');
    const firstBadged = rows(page)
      .filter({ has: page.locator('.jp-EagerLab-badge') })
      .first();
    await expect(firstBadged.locator('.jp-EagerLab-col-name')).toHaveText(
      'Log:0'
    );

    // Scroll away with a filter, clear it, and follow the header link back to the row.
    await filterBox(page).fill('gradient_tape/');
    await expect(log).toHaveCount(0);
    await filterBox(page).fill('');
    await header.click();
    await expect(log).toBeVisible();
    await expect(log).toBeInViewport();
  });

  test('run all: every cell runs and the panel ends on the NaN step', async ({
    page
  }) => {
    await page.notebook.run();
    const output = await page.notebook.getCellTextOutput(DEMO_CELLS.nan);
    expect(output?.join('')).toContain('Log:0');
    await expect(rowByName(page, 'Log:0')).toBeVisible();
    // Earlier recordings stay selectable: pick the cell recording and see mul:0 again.
    const options = stepSelect(page).locator('option');
    const values = await options.evaluateAll(els =>
      els.map(e => ({
        value: (e as HTMLOptionElement).value,
        group: (e.parentElement as HTMLOptGroupElement).label
      }))
    );
    const cell = values.find(v => /cell/i.test(v.group));
    expect(cell).toBeTruthy();
    await stepSelect(page).selectOption(cell!.value);
    await expect(rowByName(page, 'mul:0')).toBeVisible();
    await expect(rowByName(page, 'mul_1:0')).toBeVisible();
  });
});
