/**
 * Names come from the kernel, which runs user code: the panel must render them as text.
 */
import { expect, test } from '@jupyterlab/galata';
import { detail, notebookWith, openSidebar, rows, sidebar } from './helpers';

const HOSTILE = '<img src=x onerror=alert(1)>';

test('a hostile tensor name is shown as text, never as markup', async ({
  page
}) => {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await openSidebar(page);
  // The recording is renamed in the same cell that makes it: the panel's requests are
  // answered only after the cell finishes, so it only ever sees the hostile name.
  await notebookWith(page, 'hostile.ipynb', [
    '%load_ext eager_lab',
    [
      'import tensorflow as tf, eager_lab',
      'get_ipython().run_cell_magic("eager_debug", "", "t = tf.constant(3)\\nt * t")',
      `eager_lab.last.steps[0].tensors[0].name = ${JSON.stringify(HOSTILE)}`
    ].join('\n')
  ]);

  const name = rows(page).first().locator('.jp-EagerLab-col-name');
  await expect(name).toHaveText(HOSTILE);
  await name.click();
  await expect(detail(page).locator('.jp-EagerLab-detailName')).toHaveText(
    HOSTILE
  );

  await expect(sidebar(page).locator('img')).toHaveCount(0);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
