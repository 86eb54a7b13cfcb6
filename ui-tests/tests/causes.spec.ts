/**
 * Why eager and graph differ, in the browser, on a real kernel: a small
 * Conv + BatchNorm model trained with Adam, with a planted bug (its gradients
 * scaled by `np.random.rand()`, which the graph freezes when it is traced),
 * compared bit for bit. Most differing rows are optimisation noise or carry
 * the bug's difference on; the panel must show each row's cause, open at the
 * real first divergence, hide the noise until asked, explain the selected row
 * and compare the same step with XLA. Every expectation is checked against
 * what the kernel's Comparison says.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from '@jupyterlab/galata';
import {
  compareRowByName,
  compareRows,
  detail,
  filterBox,
  notebookWith,
  openSidebar,
  setPanelWidth,
  sidebar
} from './helpers';

const PLANTED = `%load_ext eager_lab
import json
import numpy as np, tensorflow as tf, keras, eager_lab

class Planted(keras.Sequential):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        grads = [g * np.random.rand() for g in grads]   # the planted bug
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}

L = keras.layers
model = Planted([keras.Input((8, 8, 3)), L.DepthwiseConv2D(3, padding="same"),
                 L.BatchNormalization(), L.ReLU(), L.Conv2D(4, 1),
                 L.BatchNormalization(), L.GlobalAveragePooling2D(), L.Dense(3)])
model.compile(optimizer="adam", loss="mse", run_eagerly=True)
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
y = rng.normal(size=(16, 3)).astype("float32")
with eager_lab.capture(model) as rec:
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
cmp = rec.steps[0].compare(tolerances={"float32": (0.0, 0.0)})`;

/** What the kernel's Comparison says, for the panel to be checked against. */
const TRUTH = `def _truth(cmp):
    rows = cmp.rows
    first = cmp.first_divergence
    noise = next(r for r in rows if r.diverges and r.noise)
    spread = next(r for r in rows if r.cause == "propagated" and r.origin is not None
                  and not r.noise and r.name)
    return json.dumps({
        "total": len(rows), "noise": cmp.noise_count,
        "first": rows.index(first), "first_name": first.name,
        "first_cause": first.cause, "first_text": first.cause_text,
        "noise_k": rows.index(noise), "noise_name": noise.name,
        "spread_k": rows.index(spread), "spread_name": spread.name,
        "origin": spread.origin, "origin_name": rows[spread.origin].name})
print(_truth(cmp))`;

interface ITruth {
  total: number;
  noise: number;
  first: number;
  first_name: string;
  first_cause: string;
  first_text: string;
  noise_k: number;
  noise_name: string;
  spread_k: number;
  spread_name: string;
  origin: number;
  origin_name: string;
}

/** What `code` prints in the active notebook's kernel (its stdout). */
async function kernelPrint(
  page: IJupyterLabPageFixture,
  code: string
): Promise<string> {
  return page.evaluate(async code => {
    const w = (window as any).jupyterapp.shell.currentWidget;
    const kernel = w.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code, silent: false });
    let text = '';
    future.onIOPub = (msg: any) => {
      if (msg.header.msg_type === 'stream') {
        text += msg.content.text;
      } else if (msg.header.msg_type === 'error') {
        text += `error: ${msg.content.ename}: ${msg.content.evalue}`;
      }
    };
    await future.done;
    return text.replace(/\n$/, '');
  }, code);
}

/** The compare table's rows listed (rendered or not): its aria-rowcount less the header. */
async function listed(page: IJupyterLabPageFixture): Promise<number> {
  const grid = sidebar(page).getByRole('grid', {
    name: 'Eager and graph values'
  });
  return Number(await grid.getAttribute('aria-rowcount')) - 1;
}

function rowK(page: IJupyterLabPageFixture, k: number) {
  return sidebar(page).locator(
    `.jp-EagerLab-compareRow[data-compare-index="${k}"]`
  );
}

test('a planted bug: each difference with its cause, noise hidden, the real first divergence', async ({
  page
}) => {
  test.setTimeout(300 * 1000);
  await openSidebar(page);
  await page.sidebar.close('left');
  await notebookWith(page, 'planted.ipynb', [PLANTED]);
  await setPanelWidth(page, 700);
  const panel = sidebar(page);

  // Compared in the kernel: the panel opens the comparison by itself.
  await expect(panel.locator('.jp-EagerLab-viewCompare')).toHaveAttribute(
    'aria-pressed',
    'true'
  );
  const truth: ITruth = JSON.parse(await kernelPrint(page, TRUTH));
  expect(truth.first_cause).toBe('python-value');
  expect(truth.noise).toBeGreaterThan(0);
  // Optimisation noise comes first in graph order: the first difference is not the bug.
  expect(truth.noise_k).toBeLessThan(truth.first);

  // The line above the table names the real first divergence and its cause.
  const info = panel.locator('.jp-EagerLab-compareInfo');
  await expect(info).toContainText(`first: ${truth.first_name} (python value)`);
  await expect(info).toContainText(`${truth.noise} noise rows hidden`);
  await expect(info).toContainText(/diverge \(.*python value.*\)/);

  // Opened at it: selected, its cause in the Cause column, not noise.
  const first = rowK(page, truth.first);
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(first).toBeInViewport();
  await expect(first).toHaveClass(/jp-mod-firstDivergence/);
  await expect(first).not.toHaveClass(/jp-mod-noise/);
  const firstCause = first.locator('.jp-EagerLab-col-cause');
  await expect(firstCause).toHaveText('python value');
  await expect(firstCause).toHaveAttribute('title', truth.first_text);
  await expect(
    panel.locator('.jp-EagerLab-headerRow .jp-EagerLab-col-cause')
  ).toHaveText('Cause');
  // The detail says what happened, where, and the fix.
  const view = detail(page);
  await expect(view.locator('.jp-EagerLab-causeLabel')).toHaveText(
    'python value'
  );
  await expect(view.locator('.jp-EagerLab-causeText')).toHaveText(
    truth.first_text
  );

  // Noise: hidden (with its count), listed on demand, hidden again.
  const toggle = panel.locator('.jp-EagerLab-noiseToggle');
  await expect(toggle).toHaveText(`Show optimisation noise (${truth.noise})`);
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(await listed(page)).toBe(truth.total - truth.noise);
  await filterBox(page).fill(truth.noise_name);
  // Filtered (a few rows, all rendered), and the noise row is not among them.
  await expect.poll(() => listed(page)).toBeLessThan(truth.total - truth.noise);
  await expect(rowK(page, truth.noise_k)).toHaveCount(0);
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const noisy = rowK(page, truth.noise_k);
  await expect(noisy).toBeVisible();
  await expect(noisy).toHaveClass(/jp-mod-noise/);
  await expect(noisy.locator('.jp-EagerLab-col-cause')).not.toHaveText('');
  await filterBox(page).fill('');
  await expect.poll(() => listed(page)).toBe(truth.total);
  await expect(info).not.toContainText('hidden');
  await toggle.click();
  await expect.poll(() => listed(page)).toBe(truth.total - truth.noise);

  // Elsewhere, then "First divergence": back at the bug, not at the first noise.
  const other = Number(
    await compareRows(page).first().getAttribute('data-compare-index')
  );
  expect(other).not.toBe(truth.first);
  await rowK(page, other).locator('.jp-EagerLab-col-name').click();
  await expect(rowK(page, other)).toHaveAttribute('aria-selected', 'true');
  await panel.locator('.jp-EagerLab-firstDivergence').click();
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(first).toBeInViewport();
  await expect(view.locator('.jp-EagerLab-causeText')).toHaveText(
    truth.first_text
  );

  // A propagated row links to the row its difference came from.
  await filterBox(page).fill(truth.spread_name);
  const spread = rowK(page, truth.spread_k);
  await spread.locator('.jp-EagerLab-col-name').click();
  await expect(spread).toHaveAttribute('aria-selected', 'true');
  await expect(view.locator('.jp-EagerLab-causeLabel')).toHaveText(
    'propagated'
  );
  const link = view.locator('.jp-EagerLab-originLink');
  await expect(link).toHaveText(truth.origin_name);
  await link.click();
  if (!truth.origin_name.includes(truth.spread_name)) {
    await expect(filterBox(page)).toHaveValue(''); // the filter hid the origin
  }
  await expect(rowK(page, truth.origin)).toHaveAttribute(
    'aria-selected',
    'true'
  );

  // Eager vs XLA: the same step compiled with XLA, shown the same way.
  const xlaView = panel.locator('.jp-EagerLab-viewXla');
  await expect(xlaView).toBeEnabled();
  await xlaView.click();
  await expect(xlaView).toHaveAttribute('aria-pressed', 'true');
  await expect(info).toContainText('against XLA', { timeout: 120 * 1000 });
  // The planted multiply differs as a plain graph too: not XLA's doing, so
  // those XLA rows carry the graph's cause; XLA's own differences say xla.
  const xlaTruth = JSON.parse(
    await kernelPrint(
      page,
      'import json; c = rec.steps[0].xla_comparison; f = c.first_divergence; ' +
        'g = next(r for r in c.rows if r.diverges and r.cause == "python-value"); ' +
        'print(json.dumps({"layer": c.xla_layer.text if c.xla_layer else None, ' +
        '"cause": f.cause, "text": f.cause_text, "graph_name": g.name, ' +
        '"graph_text": g.cause_text}))'
    )
  );
  expect(xlaTruth.graph_text).toContain("not XLA's doing");
  const xlaLayer = panel.locator('.jp-EagerLab-xlaLayer');
  if (xlaTruth.layer) {
    await expect(xlaLayer).toHaveText(xlaTruth.layer);
  } else {
    await expect(xlaLayer).toBeHidden();
  }
  await expect(
    panel.locator('.jp-EagerLab-headerRow .jp-EagerLab-col-graph')
  ).toHaveText('XLA');
  // Its eager side is a value of an eager replay: summary and values are there.
  await expect(compareRowByName(page, 'loss')).toBeVisible();
  await expect(
    compareRowByName(page, 'loss').locator('.jp-EagerLab-col-eager')
  ).toHaveText(/^f32\[\] /);
  await panel.locator('.jp-EagerLab-firstDivergence').click();
  const selected = panel.locator(
    '.jp-EagerLab-compareRow[aria-selected="true"]'
  );
  await expect(selected.locator('.jp-EagerLab-col-cause')).toHaveAttribute(
    'title',
    xlaTruth.text
  );
  await expect(selected.locator('.jp-EagerLab-col-cause')).toHaveText(
    xlaTruth.cause === 'xla' ? 'xla' : 'python value'
  );
  const fromGraph = compareRowByName(page, xlaTruth.graph_name);
  await fromGraph.scrollIntoViewIfNeeded();
  await expect(fromGraph.locator('.jp-EagerLab-col-cause')).toHaveText(
    'python value'
  );
  await expect(
    view.getByRole('region', { name: 'Eager and XLA' })
  ).toContainText('Eager vs XLA');
  const eagerCell = view.locator(
    '.jp-EagerLab-diffTable tbody tr:first-child .jp-EagerLab-eagerValue'
  );
  await expect(eagerCell).toHaveText(/^-?\d/);

  // Back to the graph (kept: no second run), in a narrow panel: every control
  // stays inside it, and the Cause column keeps the first divergence's cause.
  await setPanelWidth(page, 360);
  await panel.locator('.jp-EagerLab-viewCompare').click();
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(first.locator('.jp-EagerLab-col-cause')).toHaveText(
    'python value'
  );
  await expect(first.locator('.jp-EagerLab-col-cause')).toBeVisible();
  const edge = (await panel.boundingBox())!;
  for (const control of [
    '.jp-EagerLab-viewEager',
    '.jp-EagerLab-viewCompare',
    '.jp-EagerLab-viewXla',
    '.jp-EagerLab-noiseToggle',
    '.jp-EagerLab-firstDivergence'
  ]) {
    const box = (await panel.locator(control).boundingBox())!;
    expect({
      control,
      inside: box.x + box.width <= edge.x + edge.width
    }).toEqual({ control, inside: true });
  }
  await page.screenshot({ path: test.info().outputPath('narrow.png') });
});
