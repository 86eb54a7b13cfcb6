/**
 * Source links find the cell by its id. The notebook here was saved with an earlier
 * session's outputs: a decoy cell still shows [2], the execution count the cell that
 * makes the tensors gets in this session. The link must go to the cell that ran, survive
 * a page reload, and say "stale" (never jump to a wrong line) once that cell's line is
 * edited or the cell deleted.
 */
import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  activeCellAndLine,
  detail,
  openSidebar,
  rowByName,
  runCell,
  setPanelWidth,
  sidebar,
  waitForKernelIdle
} from './helpers';

const MAKER = [
  '%%eager_debug',
  'import tensorflow as tf',
  't = tf.constant(3.0)',
  'u = t * t'
].join('\n');

function codeCell(
  id: string,
  source: string,
  count: number | null,
  outputs: any[] = []
) {
  return {
    id,
    cell_type: 'code',
    metadata: {},
    execution_count: count,
    outputs,
    source
  };
}

/** A notebook as an earlier session left it: outputs and counts that collide. */
function staleNotebook(): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    cells: [
      codeCell('load-cell', '%load_ext eager_lab', 9),
      codeCell(
        'decoy-cell',
        "# an earlier session's cell\nu = 2.0 * 2.0\nu",
        2,
        [
          {
            output_type: 'execute_result',
            execution_count: 2,
            data: { 'text/plain': '4.0' },
            metadata: {}
          }
        ]
      ),
      codeCell('maker-cell', MAKER, 5, [
        { output_type: 'stream', name: 'stdout', text: 'from before\n' }
      ])
    ]
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eager-lab-ui-'));
  const file = path.join(dir, 'sources.ipynb');
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

async function executionCounts(
  page: IJupyterLabPageFixture
): Promise<Array<number | null>> {
  return page.evaluate(() => {
    const cells = (window as any).jupyterapp.shell.currentWidget.content.model
      .cells;
    const out: Array<number | null> = [];
    for (let k = 0; k < cells.length; k++) {
      out.push(cells.get(k).executionCount ?? null);
    }
    return out;
  });
}

/** Select `mul:0` and follow the Source link of its detail. */
async function followSource(page: IJupyterLabPageFixture): Promise<void> {
  const mul = rowByName(page, 'mul:0');
  await mul.locator('.jp-EagerLab-col-name').click();
  const link = detail(page).locator('.jp-EagerLab-sourceLink');
  await expect(link).toHaveText(/^cell \d+:4$/);
  await link.click();
}

test('source links go to the cell that ran, by its id, and say when it is stale', async ({
  page,
  tmpPath
}) => {
  await page.contents.uploadFile(staleNotebook(), `${tmpPath}/sources.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/sources.ipynb`);
  await page.notebook.activate('sources.ipynb');
  await waitForKernelIdle(page);
  await openSidebar(page);
  await runCell(page, 0);
  await runCell(page, 2);
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  // The collision this test is about: the decoy still shows the count the maker got.
  const counts = await executionCounts(page);
  expect(counts[2]).toBe(counts[1]);

  // Away from the maker, then the link: the maker's line 4, not the decoy.
  await page.notebook.selectCells(0);
  await followSource(page);
  await expect
    .poll(() => activeCellAndLine(page))
    .toEqual({ name: 'sources.ipynb', cell: 2, line: 3, text: 'u = t * t' });
  await expect(sidebar(page).locator('.jp-EagerLab-sourceNotice')).toBeHidden();

  // The table's own link, where the panel is wide enough to show the source column.
  await page.sidebar.close('left');
  await setPanelWidth(page, 700);
  await page.notebook.selectCells(0);
  await rowByName(page, 'mul:0')
    .locator('.jp-EagerLab-source')
    .click({ position: { x: 8, y: 8 } });
  await expect
    .poll(() => activeCellAndLine(page))
    .toMatchObject({ cell: 2, line: 3 });

  // After a page reload (the kernel and its recording stay), the same cell by its id.
  await page.notebook.save();
  // The restored layout has no Launcher, which galata's readiness check waits for.
  await page.reload({ waitForIsReady: false });
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.notebook.activate('sources.ipynb');
  await waitForKernelIdle(page);
  await openSidebar(page);
  await expect(rowByName(page, 'mul:0')).toBeVisible();
  await page.notebook.selectCells(0);
  await followSource(page);
  await expect
    .poll(() => activeCellAndLine(page))
    .toEqual({ name: 'sources.ipynb', cell: 2, line: 3, text: 'u = t * t' });

  // The line changed since it ran: said, not jumped to as if it were the same.
  await page.evaluate(() => {
    const nb = (window as any).jupyterapp.shell.currentWidget.content;
    nb.model.cells
      .get(2)
      .sharedModel.setSource(
        '%%eager_debug\nimport tensorflow as tf\nt = tf.constant(3.0)\nu = t + t'
      );
  });
  await followSource(page);
  const notice = sidebar(page).locator('.jp-EagerLab-sourceNotice');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Stale source');
  await expect(notice).toContainText('has changed since it ran');
  await expect(notice).toContainText('u = t * t');

  // The cell is gone.
  await page.evaluate(() => {
    const nb = (window as any).jupyterapp.shell.currentWidget.content;
    nb.model.sharedModel.deleteCell(2);
  });
  await page.notebook.selectCells(0);
  await followSource(page);
  await expect(notice).toContainText('no longer in the notebook');
  // No jump at all: not to the decoy that shows the same count.
  expect((await activeCellAndLine(page)).cell).toBe(0);
});
