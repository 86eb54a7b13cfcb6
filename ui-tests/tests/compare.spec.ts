/**
 * Eager vs graph in the browser, on the demo notebook and a real kernel: the
 * eager | graph | diff view of a `--compare` step, the first NaN/Inf found at graph
 * speed opened at its origin, and per-tensor trends over a recording's steps.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  DEMO_CELLS,
  compareRowByName,
  compareRows,
  detail,
  filterBox,
  notebookWith,
  openDemo,
  openSidebar,
  rowByName,
  rows,
  runCells,
  setPanelWidth,
  sidebar,
  stepSelect,
  table
} from './helpers';

test.describe('eager vs graph', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await openDemo(page, tmpPath);
    await openSidebar(page);
  });

  test('--compare: the eager | graph view opens at the first divergence', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.jittered,
      DEMO_CELLS.compare
    ]);
    const panel = sidebar(page);
    // The kernel compared the step: the panel switched views by itself.
    const grid = panel.getByRole('grid', { name: 'Eager and graph values' });
    await expect(grid).toBeVisible();
    await expect(table(page)).toBeHidden();
    await expect(panel.locator('.jp-EagerLab-viewCompare')).toHaveAttribute(
      'aria-pressed',
      'true'
    );
    const info = panel.locator('.jp-EagerLab-compareInfo');
    await expect(info).toContainText('only in graph');
    await expect(info).toContainText('first: mul:0');

    // Opened at mul:0, the op that consumes the frozen np.random value.
    const mul = compareRowByName(page, 'mul:0');
    await expect(mul).toBeInViewport();
    await expect(mul).toHaveAttribute('aria-selected', 'true');
    await expect(mul).toHaveClass(/jp-mod-diverges/);
    await expect(mul).toHaveClass(/jp-mod-firstDivergence/);
    // Rows before it agree; the graph-only constants are listed too.
    const before = compareRowByName(page, 'Mean:0');
    await expect(before).not.toHaveClass(/jp-mod-diverges/);
    await expect(before.locator('.jp-EagerLab-col-diff')).toHaveText('0');
    await expect(
      compareRows(page).filter({ hasText: 'only in graph' }).first()
    ).toBeVisible();

    // The detail: the verdict, and the values side by side.
    const view = detail(page);
    await expect(view.locator('.jp-EagerLab-verdict')).toHaveText(
      'diverges beyond tolerance'
    );
    const diff = view.locator('.jp-EagerLab-compare .jp-EagerLab-diffTable');
    await expect(diff.locator('tbody tr')).toHaveCount(1);
    await expect(diff.locator('tbody tr')).toHaveClass(/jp-mod-differs/);
    const [eager, graph] = await diff
      .locator('tbody td')
      .evaluateAll(tds => tds.slice(1, 3).map(td => Number(td.textContent)));
    // The eager value is there, a number (never "—" beside the graph's), and
    // it is the eager tensor's own value as its detail reads it.
    expect(Number.isFinite(eager)).toBe(true);
    expect(Number.isFinite(graph)).toBe(true);
    expect(eager).not.toBeCloseTo(graph, 3);
    await expect(view.locator('.jp-EagerLab-detailName')).toHaveText('mul:0');
    const raw = view.locator('.jp-EagerLab-raw .jp-EagerLab-value');
    await expect(raw).toHaveCount(1);
    expect(Number(await raw.textContent())).toBe(eager);
    // A scalar: "1 value", not "0–0 of 1", and no pager buttons.
    await expect(
      view.locator('.jp-EagerLab-compare .jp-EagerLab-pageInfo')
    ).toHaveText('1 value');
    await expect(
      view.locator('.jp-EagerLab-compare .jp-EagerLab-next')
    ).toHaveCount(0);
    // Clicking the row again (and again) while its values are on the way
    // keeps them: the eager column never falls back to "—".
    for (let k = 0; k < 3; k++) {
      await mul.locator('.jp-EagerLab-col-name').click();
    }
    await expect(diff.locator('tbody td').nth(1)).toHaveText(String(eager));
    await expect(view.locator('.jp-EagerLab-noValue')).toHaveCount(0);

    // Elsewhere and back: the filter narrows the rows, "First divergence" returns.
    await filterBox(page).fill('Square');
    await expect(compareRowByName(page, 'Square:0')).toBeVisible();
    await compareRowByName(page, 'Square:0')
      .locator('.jp-EagerLab-col-name')
      .click();
    await expect(view.locator('.jp-EagerLab-verdict')).toHaveText(
      'matches within tolerance'
    );
    await panel.locator('.jp-EagerLab-firstDivergence').click();
    await expect(filterBox(page)).toHaveValue('');
    await expect(mul).toHaveAttribute('aria-selected', 'true');
    await expect(mul).toBeInViewport();

    // "Eager" shows the eager step again; the comparison comes back at once.
    await panel.locator('.jp-EagerLab-viewEager').click();
    await expect(table(page)).toBeVisible();
    await expect(grid).toBeHidden();
    await expect(rowByName(page, 'mul:0')).toBeVisible();
    await panel.locator('.jp-EagerLab-viewCompare').click();
    await expect(compareRowByName(page, 'mul:0')).toHaveAttribute(
      'aria-selected',
      'true'
    );
  });

  test('a recorded step compared on demand, from the panel', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.fit
    ]);
    const panel = sidebar(page);
    await expect(stepSelect(page).locator('option:checked')).toContainText(
      'step 2'
    );
    const compare = panel.locator('.jp-EagerLab-viewCompare');
    await expect(compare).toBeEnabled();
    await compare.click();
    // The plain Regressor: eager and graph agree; no jump to offer.
    const info = panel.locator('.jp-EagerLab-compareInfo');
    await expect(info).toContainText('no divergence beyond tolerance');
    await expect(panel.locator('.jp-EagerLab-firstDivergence')).toBeHidden();
    await expect(compareRows(page).first()).toBeVisible();
    await expect(
      panel.locator('.jp-EagerLab-compareRow.jp-mod-diverges')
    ).toHaveCount(0);
  });

  test('first NaN at graph speed: the replayed step opens at its origin', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.graphSpeedNan
    ]);
    const output = await page.notebook.getCellTextOutput(
      DEMO_CELLS.graphSpeedNan
    );
    expect(output?.join('')).toContain('stopped at step 5: Log:0 (Log)');

    // Only the bad step was recorded; it is shown, at the origin, selected.
    await expect(stepSelect(page).locator('option:checked')).toContainText(
      /step 5 .*NaN\/Inf/
    );
    const log = rowByName(page, 'Log:0');
    await expect(log).toBeInViewport();
    await expect(log).toHaveAttribute('aria-selected', 'true');
    const view = detail(page);
    await expect(view.locator('.jp-EagerLab-detailName')).toHaveText('Log:0');
    await expect(
      view.getByRole('region', { name: 'Statistics' })
    ).toContainText('-Inf');

    // Its input is one click away, and holds no NaN/Inf: Log made the first one.
    const input = view.locator('.jp-EagerLab-inputLink');
    await expect(input).toHaveText('truediv:0');
    await input.click();
    const truediv = rowByName(page, 'truediv:0');
    await expect(truediv).toHaveAttribute('aria-selected', 'true');
    await expect(truediv.locator('.jp-EagerLab-badge')).toHaveCount(0);
    await expect(view.locator('.jp-EagerLab-detailName')).toHaveText(
      'truediv:0'
    );
  });

  test('trends: a sparkline per tensor and a chart of the selected one', async ({
    page
  }) => {
    await runCells(page, [
      DEMO_CELLS.load,
      DEMO_CELLS.modelClass,
      DEMO_CELLS.fit
    ]);
    await expect(stepSelect(page).locator('option')).toHaveCount(3);
    await expect(table(page)).toHaveClass(/jp-mod-trends/);
    const mean = rowByName(page, 'Mean:0');
    await filterBox(page).fill('Mean:0');
    const spark = mean.locator('.jp-EagerLab-col-trend');
    // A narrow panel keeps name and value, dropping the trend; a wider one shows it.
    await expect(mean.locator('.jp-EagerLab-col-summary')).toBeVisible();
    await expect(spark).toBeHidden();
    await page.sidebar.close('left');
    await setPanelWidth(page, 700);
    await expect(spark.locator('svg.jp-EagerLab-sparkline')).toBeVisible();
    await expect(spark).toHaveAttribute(
      'title',
      /^max \|x\| by step — 0: .*, 2: /
    );

    await mean.locator('.jp-EagerLab-col-name').click();
    const chart = detail(page).getByRole('region', {
      name: 'Trend over steps'
    });
    await expect(chart).toContainText('Over 3 steps');
    await expect(chart.getByRole('img')).toHaveAttribute(
      'aria-label',
      'max |x| of Mean:0 over steps 0 to 2'
    );
    // The numbers behind it are the loss of each step, as the kernel has them.
    await chart.locator('summary').click();
    const cells = chart.locator('tbody tr td:nth-child(2)');
    await expect(cells).toHaveCount(3);
    const kernel = await page.evaluate(async () => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      const kernel = w.sessionContext.session.kernel;
      const future = kernel.requestExecute({
        code: '[round(float(abs(s["Mean:0"].value)), 4) for s in rec.steps]',
        silent: false
      });
      let text = '';
      future.onIOPub = (msg: any) => {
        if (msg.header.msg_type === 'execute_result') {
          text = msg.content.data['text/plain'];
        }
      };
      await future.done;
      return JSON.parse(text);
    });
    const shown = (await cells.allTextContents()).map(Number);
    // Shown with 4 significant digits.
    shown.forEach((v, k) =>
      expect(Math.abs(v - kernel[k])).toBeLessThan(1e-3 * Math.abs(kernel[k]))
    );
    await chart.getByRole('button', { name: 'mean' }).click();
    await expect(chart.getByRole('img')).toHaveAttribute(
      'aria-label',
      'mean of Mean:0 over steps 0 to 2'
    );
    expect(await rows(page).count()).toBeGreaterThan(0);
  });
});

test('a step that runs eagerly but not as a graph: the panel says where', async ({
  page
}) => {
  await openSidebar(page);
  await notebookWith(page, 'tensor-as-bool.ipynb', [
    `%load_ext eager_lab
import numpy as np, tensorflow as tf, keras, eager_lab

class TensorAsBool(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(1)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.d(x) - y))
            if loss > 0.0:
                loss = loss * 0.5
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}

model = TensorAsBool()
model.compile(optimizer="sgd", run_eagerly=True)
x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
model.train_on_batch(x, y)
with eager_lab.capture(model):
    model.train_on_batch(x, y)`
  ]);
  const panel = sidebar(page);
  await expect(rows(page).first()).toBeVisible();
  await panel.locator('.jp-EagerLab-viewCompare').click();
  const info = panel.locator('.jp-EagerLab-compareInfo');
  await expect(info).toHaveClass(/jp-mod-error/);
  await expect(info).toContainText(
    'Cannot compare step 0: it runs eagerly but not as a graph'
  );
  await expect(info).toContainText('OperatorNotAllowedInGraphError');
  await expect(info).toContainText('in train_step: if loss > 0.0:');
  // Back to the eager step, which is all there is.
  await panel.locator('.jp-EagerLab-viewEager').click();
  await expect(info).toBeHidden();
  await expect(rows(page).first()).toBeVisible();
});
