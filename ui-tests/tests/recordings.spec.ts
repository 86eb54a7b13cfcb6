/**
 * The step selector names each step's recording, and marks the kept ones; the detail
 * says why a tensor has no values in the kernel's own words.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  detail,
  notebookWith,
  openSidebar,
  rowByName,
  runCell,
  sidebar,
  stepSelect
} from './helpers';

const SQUARE =
  '%%eager_debug\nimport tensorflow as tf\nt = tf.constant(3.0)\nt * t';
const ADD =
  '%%eager_debug\nimport tensorflow as tf\ntf.constant([1.0, 2.0]) + 1.0';

test('steps are labelled by recording; released values are said so', async ({
  page
}) => {
  await openSidebar(page);
  await notebookWith(page, 'recordings.ipynb', [
    '%load_ext eager_lab\nimport eager_lab',
    SQUARE,
    ADD
  ]);
  await expect(rowByName(page, 'add:0')).toBeVisible();

  // Two recordings, each with a step 0: every option says which recording it is.
  const options = stepSelect(page).locator('option');
  await expect(options).toHaveCount(2);
  const texts = await options.allTextContents();
  expect(texts[0]).toMatch(/^#2 cell \d+ · step 0 · 1 tensors/);
  expect(texts[1]).toMatch(/^#1 cell \d+ · step 0 · 1 tensors/);
  // The closed select shows the chosen option: it names its recording too.
  await expect(stepSelect(page).locator('option:checked')).toHaveText(/^#2 /);

  // rec.keep() is shown once the panel asks again.
  await page.notebook.addCell('code', 'eager_lab.recordings[1].keep(); None');
  await runCell(page, 3);
  await sidebar(page).locator('.jp-EagerLab-refresh').click();
  await expect(options.nth(1)).toHaveText(/^#1 cell \d+ \(kept\) · step 0/);
  await expect(options.nth(0)).not.toContainText('kept');

  // Values released by the user: the detail gives the kernel's reason.
  await page.notebook.addCell('code', 'eager_lab.recordings[2].release()');
  await runCell(page, 4);
  await sidebar(page).locator('.jp-EagerLab-refresh').click();
  await rowByName(page, 'add:0').locator('.jp-EagerLab-col-name').click();
  const hint = detail(page).locator('.jp-EagerLab-noValue');
  await expect(hint).toContainText('released by rec.release()');
  await expect(hint).not.toContainText('memory budget');
  await expect(detail(page).locator('.jp-EagerLab-raw')).toHaveCount(0);
});
