/**
 * Benchmark, not a test: the sidebar with one step of 100,000 tensors in a real kernel and
 * a real browser. Run with
 *
 *   cd ui-tests && EAGER_LAB_BENCHMARK=1 ../.venv/bin/jlpm playwright test
 *
 * It records, in the kernel, a cell that runs 100,000 tiny eager ops (untraced: tracing a
 * 100,000-op Python loop would unroll it into a graph that large; the rows are given the
 * names the graph would give them, add:0 … add_99999:0), then measures in the browser:
 *
 * - first rows: from the kernel finishing the cell to the first row on screen (the
 *   frame after the row's DOM appears);
 * - all rows: until the panel has every row (the count says "100000 tensors");
 * - filter: typing "add_99999:0" until that single row shows;
 * - scrolling: the whole table top to bottom, 200 rows (one scroll step) per animation
 *   frame, with every frame's duration; then one viewport per frame for 10 s.
 *
 * Figures are printed and written to benchmark-results/sidebar-100k.json; nothing is
 * asserted about time (only that the right rows show).
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import {
  emptyState,
  filterBox,
  notebookWith,
  openSidebar,
  rowByName,
  runCell,
  sidebar
} from '../tests/helpers';

const N = 100_000;

// One line per statement: the editor auto-indents what galata types after a colon.
// The names are given inside run_cell, before the recording is announced to the panel (as
// naming does): given after it returned, the panel, which asks for rows as soon as the
// recording is announced, could get some before they had their names.
const RECORD = `import time
from eager_lab.notebook import cell as _cell
_name = _cell._name_ops
def _named(shell, recording, step, *rest): _name(shell, recording, step, *rest); [setattr(_t, "name", f"add_{_i}:0" if _i else "add:0") for _i, _t in enumerate(step.tensors)]
_cell._name_ops = _named
_src = "x = tf.constant(1.0)\\nfor _ in range(${N}):\\n    x = x + 1.0\\n"
print(f"kernel-start-ms {time.time() * 1000:.0f}")
_t0 = time.perf_counter()
_, _rec = _cell.run_cell(get_ipython(), _src, trace=False, max_ops=${N})
_cell._name_ops = _name
print(f"recorded {len(_rec.steps[0].tensors)} tensors in {time.perf_counter() - _t0:.2f} s")
print(f"kernel-done-ms {time.time() * 1000:.0f}")`;

test.setTimeout(15 * 60 * 1000);
test.use({ viewport: { width: 1400, height: 1000 } });

test('sidebar with 100,000 tensors', async ({ page }) => {
  await notebookWith(page, 'bench.ipynb', [
    '%load_ext eager_lab\nimport tensorflow as tf\ntf.constant(1.0) + 1.0'
  ]);
  await openSidebar(page);
  await page.sidebar.setWidth(700, 'right');
  await expect(emptyState(page, 'no_steps_yet')).toBeVisible();

  // Watch the sidebar from the browser: first row of the new step, then the full count.
  await page.evaluate(n => {
    const w = window as any;
    w.__bench = { firstRow: null, allRows: null };
    const root = document.getElementById('eager-lab-sidebar')!;
    const check = () => {
      const b = w.__bench;
      if (b.firstRow === null) {
        const names = root.querySelectorAll(
          '.jp-EagerLab-row .jp-EagerLab-col-name'
        );
        if (Array.from(names).some(e => e.textContent === 'add:0')) {
          // The frame after the DOM change: the rows have been painted.
          b.firstRow = -1;
          requestAnimationFrame(() =>
            setTimeout(() => (b.firstRow = Date.now()), 0)
          );
        }
      }
      const count = root.querySelector('.jp-EagerLab-count')?.textContent ?? '';
      if (
        b.allRows === null &&
        new RegExp(`^${n}\\b|^${n.toLocaleString('en-US')}\\b`).test(
          count.replace(/\s/g, ' ')
        )
      ) {
        b.allRows = Date.now();
      }
    };
    new MutationObserver(check).observe(root, {
      subtree: true,
      childList: true,
      characterData: true
    });
  }, N);

  await page.notebook.addCell('code', RECORD);
  const started = Date.now();
  await runCell(page, 1);
  const cellReturned = Date.now();
  const output = (await page.notebook.getCellTextOutput(1))!.join('');
  const kernelDone = Number(/kernel-done-ms (\d+)/.exec(output)![1]);
  const kernelStart = Number(/kernel-start-ms (\d+)/.exec(output)![1]);
  const recorded = /recorded .*/.exec(output)![0];

  await page.waitForFunction(() => (window as any).__bench.firstRow > 0, null, {
    timeout: 5 * 60 * 1000
  });
  await page.waitForFunction(
    () => (window as any).__bench.allRows !== null,
    null,
    {
      timeout: 10 * 60 * 1000
    }
  );
  const marks = await page.evaluate(() => (window as any).__bench);
  await expect(rowByName(page, 'add:0')).toBeVisible();

  // Scroll through the whole table (the tensor table's: the eager | graph table, hidden,
  // has a list of its own).
  const scroller = sidebar(page).locator(
    '.jp-EagerLab-tensorTable .jp-EagerLab-tableBody .jp-WindowedPanel-outer'
  );
  await expect(scroller).toBeVisible();
  const scrollAll = await scroller.evaluate(
    (el: HTMLElement, rowsPerFrame: number) =>
      new Promise<{
        frames: number[];
        height: number;
        ms: number;
        domRows: number;
      }>(resolve => {
        const frames: number[] = [];
        const step = rowsPerFrame * 24;
        let last = performance.now();
        const t0 = last;
        let domRows = 0;
        el.scrollTop = 0;
        const tick = (now: number) => {
          frames.push(now - last);
          last = now;
          domRows = Math.max(
            domRows,
            el.querySelectorAll('.jp-EagerLab-row').length
          );
          if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
            resolve({ frames, height: el.scrollHeight, ms: now - t0, domRows });
            return;
          }
          el.scrollTop += step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    200
  );
  await expect(rowByName(page, `add_${N - 1}:0`)).toBeVisible();

  const scrollViewport = await scroller.evaluate(
    (el: HTMLElement, seconds: number) =>
      new Promise<{ frames: number[]; rows: number }>(resolve => {
        const frames: number[] = [];
        let last = performance.now();
        const t0 = last;
        el.scrollTop = 0;
        const tick = (now: number) => {
          frames.push(now - last);
          last = now;
          if (now - t0 > seconds * 1000) {
            resolve({ frames, rows: Math.round(el.scrollTop / 24) });
            return;
          }
          el.scrollTop += el.clientHeight;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    10
  );

  // Filter down to one row of the 100,000.
  const t0 = Date.now();
  await filterBox(page).fill(`add_${N - 1}:0`);
  await expect(rowByName(page, `add_${N - 1}:0`)).toBeVisible();
  await expect(
    sidebar(page).locator('.jp-EagerLab-row[data-tensor-index]')
  ).toHaveCount(1);
  const filterMs = Date.now() - t0;

  const stats = (frames: number[]) => {
    const f = frames.slice(1).sort((a, b) => a - b);
    const q = (p: number) =>
      f[Math.min(f.length - 1, Math.floor(p * f.length))];
    return {
      frames: f.length,
      median_ms: +q(0.5).toFixed(1),
      p95_ms: +q(0.95).toFixed(1),
      max_ms: +f[f.length - 1].toFixed(1),
      over_50ms: f.filter(x => x > 50).length
    };
  };
  const result = {
    date: new Date().toISOString(),
    tensors: N,
    kernel: recorded,
    // galata's runCell returns once the kernel is idle again: after it has answered the
    // panel's row requests too.
    cell_started_after_run_ms: kernelStart - started,
    run_cell_s: +((cellReturned - started) / 1000).toFixed(1),
    run_cell_returned_after_kernel_ms: cellReturned - kernelDone,
    first_rows_after_kernel_ms: marks.firstRow - kernelDone,
    all_rows_after_kernel_ms: marks.allRows - kernelDone,
    filter_one_of_100k_ms: filterMs,
    scroll_whole_table: {
      rows_per_frame: 200,
      seconds: +(scrollAll.ms / 1000).toFixed(1),
      table_height_px: scrollAll.height,
      max_row_nodes_in_dom: scrollAll.domRows,
      ...stats(scrollAll.frames)
    },
    scroll_one_viewport_per_frame: {
      seconds: 10,
      rows_scrolled: scrollViewport.rows,
      ...stats(scrollViewport.frames)
    }
  };
  const out = path.resolve(__dirname, '..', 'benchmark-results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'sidebar-100k.json'),
    JSON.stringify(result, null, 2)
  );
  console.log(JSON.stringify(result, null, 2));
});
