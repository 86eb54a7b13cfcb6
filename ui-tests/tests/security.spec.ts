/**
 * Names come from the kernel, which runs user code: the panel must render them as text.
 * Hostile tensor, scope and recording names are shown literally in the table, its scope
 * groups, the detail, the eager | graph view (a row's cause, its sentence and layer too)
 * and the step selector, and no script runs.
 */
import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  DEMO_CELLS,
  compareRowByName,
  detail,
  openDemo,
  openSidebar,
  rowByName,
  runCell,
  runCells,
  sidebar,
  stepSelect
} from './helpers';

const HOSTILE = '<img src=x onerror=window.__pwned=1>';
const SCOPE = '<b onmouseover=window.__pwned=2>scope</b>';

test('hostile names are shown as text, never as markup', async ({
  page,
  tmpPath
}) => {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await openDemo(page, tmpPath);
  await openSidebar(page);
  // A step compared with its graph (the demo's --compare cell).
  await runCells(page, [
    DEMO_CELLS.load,
    DEMO_CELLS.modelClass,
    DEMO_CELLS.jittered,
    DEMO_CELLS.compare
  ]);
  await expect(compareRowByName(page, 'mul:0')).toBeVisible();

  // One cell renames the compared row and records a function whose name, tensor name
  // and scope are markup. The panel's requests are answered only after the cell, so
  // it only ever sees the hostile names.
  const cells = await page.notebook.getCellCount();
  await page.notebook.addCell('code', '# hostile');
  await setSource(
    page,
    cells,
    [
      'import tensorflow as tf, eager_lab',
      `H, S = ${JSON.stringify(HOSTILE)}, ${JSON.stringify(SCOPE)}`,
      'compared = eager_lab.last.steps[-1].comparison',
      'r = next(r for r in compared.rows if r.name == "mul:0")',
      // (1.4) its cause, the sentence and the layer come from the kernel too
      'r.name, r.cause, r.cause_text, r.layer = H, S, H, S',
      'def f(x):',
      '    return x * x',
      'f.__name__ = H',
      'with eager_lab.capture(f) as rec:',
      '    rec(tf.constant(3.0))',
      't = rec.steps[0].tensors[0]',
      't.name, t.op_name = H, S + "/mul"'
    ].join('\n')
  );
  await runCell(page, cells);

  // The new recording: its step option, its row, its scope group, its detail.
  await expect(stepSelect(page).locator('option:checked')).toHaveText(
    new RegExp(`^#\\d+ ${escape(HOSTILE)} · step 0`)
  );
  await expect(stepSelect(page).locator('optgroup').first()).toHaveAttribute(
    'label',
    new RegExp(`^#\\d+ ${escape(HOSTILE)}$`)
  );
  const row = rowByName(page, HOSTILE);
  await expect(row).toBeVisible();
  await row.locator('.jp-EagerLab-col-name').click();
  await expect(detail(page).locator('.jp-EagerLab-detailName')).toHaveText(
    HOSTILE
  );
  await expect(detail(page).locator('.jp-EagerLab-fields')).toContainText(
    SCOPE
  );
  await sidebar(page).locator('.jp-EagerLab-groupToggle').click();
  const group = sidebar(page).locator('.jp-EagerLab-groupLabel', {
    hasText: SCOPE
  });
  await expect(group).toHaveText(SCOPE);
  await group.hover();
  await sidebar(page).locator('.jp-EagerLab-groupToggle').click();

  // The compared step, with the renamed row, in the eager | graph view.
  const compared = await stepSelect(page)
    .locator('option', { hasText: 'Jittered' })
    .first()
    .getAttribute('value');
  await stepSelect(page).selectOption(compared!);
  const hostileRow = compareRowByName(page, HOSTILE);
  await expect(hostileRow).toBeVisible();
  await hostileRow.locator('.jp-EagerLab-col-name').hover();
  await hostileRow.locator('.jp-EagerLab-col-name').click();
  await expect(detail(page).locator('.jp-EagerLab-verdict')).toBeVisible();
  await expect(hostileRow.locator('.jp-EagerLab-col-cause')).toHaveText(SCOPE);
  await expect(detail(page).locator('.jp-EagerLab-causeText')).toHaveText(
    HOSTILE
  );
  await expect(detail(page).locator('.jp-EagerLab-layer')).toHaveText(SCOPE);

  // Nothing was parsed as markup, nothing ran.
  await expect(sidebar(page).locator('img')).toHaveCount(0);
  await expect(sidebar(page).locator('b')).toHaveCount(0);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

/** Set cell `index`'s source exactly (typing into the editor would re-indent it). */
async function setSource(
  page: IJupyterLabPageFixture,
  index: number,
  source: string
): Promise<void> {
  await page.evaluate(
    ([k, text]) => {
      const nb = (window as any).jupyterapp.shell.currentWidget.content;
      nb.model.cells.get(k).sharedModel.setSource(text);
    },
    [index, source] as const
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
