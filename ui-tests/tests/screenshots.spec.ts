/**
 * The sidebar on the demo's NaN step, a tensor selected, in the light and dark themes,
 * its eager | graph view of the demo's --compare step, and the panel alone at 360 px (its
 * default width) and 620 px on a train step. Pictures go to test-results/; with
 * EAGER_LAB_SCREENSHOTS=docs they also replace docs/sidebar-light.png,
 * docs/sidebar-dark.png (the README's pictures), docs/compare-view.png,
 * docs/panel-360.png and docs/panel-620.png.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';
import {
  DEMO_CELLS,
  compareRowByName,
  detail,
  openDemo,
  openSidebar,
  rowByName,
  runCells,
  setPanelWidth,
  sidebar
} from './helpers';

const DOCS = path.resolve(__dirname, '..', '..', 'docs');

test.use({ viewport: { width: 1400, height: 1000 } });

test('sidebar in the light and dark themes', async ({
  page,
  tmpPath
}, testInfo) => {
  await openDemo(page, tmpPath);
  await page.sidebar.close('left');
  await openSidebar(page);
  await page.sidebar.setWidth(760, 'right');
  await page.notebook.run();

  const log = rowByName(page, 'Log:0');
  await expect(log).toBeVisible();
  await log.locator('.jp-EagerLab-col-name').click();
  await expect(
    detail(page).getByRole('img', { name: 'Histogram' })
  ).toBeVisible();

  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    // Show the NaN cell and its output beside the panel.
    await (await page.notebook.getCellLocator(
      DEMO_CELLS.graphSpeedNan
    ))!.scrollIntoViewIfNeeded();
    // Let the theme's CSS apply and the heatmap canvas repaint.
    await page.waitForTimeout(500);
    const file = testInfo.outputPath(`sidebar-${theme}.png`);
    await page.locator('#jp-main-content-panel').screenshot({ path: file });
    if (process.env.EAGER_LAB_SCREENSHOTS === 'docs') {
      await page
        .locator('#jp-main-content-panel')
        .screenshot({ path: path.join(DOCS, `sidebar-${theme}.png`) });
    }
  }
});

test('the eager | graph view', async ({ page, tmpPath }, testInfo) => {
  await openDemo(page, tmpPath);
  await page.sidebar.close('left');
  await openSidebar(page);
  await page.sidebar.setWidth(760, 'right');
  await runCells(page, [
    DEMO_CELLS.load,
    DEMO_CELLS.modelClass,
    DEMO_CELLS.jittered,
    DEMO_CELLS.compare
  ]);
  await expect(compareRowByName(page, 'mul:0')).toHaveAttribute(
    'aria-selected',
    'true'
  );
  await expect(detail(page).locator('.jp-EagerLab-diffTable')).toBeVisible();
  await (await page.notebook.getCellLocator(
    DEMO_CELLS.jittered
  ))!.scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const file = testInfo.outputPath('compare-view.png');
  await page.locator('#jp-main-content-panel').screenshot({ path: file });
  if (process.env.EAGER_LAB_SCREENSHOTS === 'docs') {
    await page
      .locator('#jp-main-content-panel')
      .screenshot({ path: path.join(DOCS, 'compare-view.png') });
  }
});

test('the panel at 360 and 620 px', async ({ page, tmpPath }, testInfo) => {
  await openDemo(page, tmpPath);
  await page.sidebar.close('left');
  await runCells(page, [
    DEMO_CELLS.load,
    DEMO_CELLS.modelClass,
    DEMO_CELLS.fit
  ]);
  await openSidebar(page);
  const matmul = rowByName(page, 'regressor_1/hidden_1/MatMul:0');
  await expect(matmul).toBeVisible();
  await matmul.locator('.jp-EagerLab-col-name').click();
  await expect(
    detail(page).getByRole('img', { name: 'Histogram' })
  ).toBeVisible();
  for (const width of [360, 620]) {
    await setPanelWidth(page, width);
    await page.waitForTimeout(300);
    const name = `panel-${width}.png`;
    await sidebar(page).screenshot({ path: testInfo.outputPath(name) });
    if (process.env.EAGER_LAB_SCREENSHOTS === 'docs') {
      await sidebar(page).screenshot({ path: path.join(DOCS, name) });
    }
  }
});
