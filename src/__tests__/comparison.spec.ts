/**
 * The eager | graph view: when it opens by itself, how it pages the kernel's
 * comparison, where it points (first divergence, the eager twin), filtering,
 * stale answers and the reasons it gives when a step cannot be compared; and
 * the table and detail that show it.
 */
import { Widget } from '@lumino/widgets';
import { ComparisonModel } from '../comparison';
import { EagerLabModel } from '../model';
import type { IComparison, IComparisonRow, IStepInfo } from '../protocol';
import { supports } from '../tokens';
import {
  COMPARE_ROW_CLASS,
  ComparisonTable,
  diffText
} from '../views/compareTable';
import {
  Deferred,
  FakeConnection,
  example,
  flush,
  makeRecording,
  makeRow,
  makeState,
  makeStep
} from './fakes';

const READY = {
  kind: 'ready' as const,
  kernelVersion: '0.1.0',
  protocolVersion: '1.1.0',
  capabilities: ['state', 'tensors', 'tensor', 'values', 'comparison', 'trends']
};

function cmpRow(k: number, over: Partial<IComparisonRow> = {}): IComparisonRow {
  return {
    k,
    name: `op_${k}:0`,
    graph: null,
    op: 'Mul',
    eager_index: k,
    graph_summary: `f32[] x=${k}`,
    max_abs_diff: 0,
    max_rel_diff: 0,
    diverges: false,
    only_in: null,
    why: null,
    ...over
  };
}

/** Rows: 0, 1 both; 2 graph-only; 3 diverges (first); 4 diverges; 5 eager-only. */
function comparisonRows(): IComparisonRow[] {
  return [
    cmpRow(0),
    cmpRow(1, { name: 'dense/MatMul:0', op: 'MatMul' }),
    cmpRow(2, {
      name: 'gradient_tape/Shape:0',
      op: 'Shape',
      eager_index: null,
      only_in: 'graph'
    }),
    cmpRow(3, {
      name: 'mul:0',
      eager_index: 2,
      max_abs_diff: 0.27,
      max_rel_diff: 0.21,
      diverges: true
    }),
    cmpRow(4, { eager_index: 3, max_abs_diff: 0.5, diverges: true }),
    cmpRow(5, {
      name: null,
      op: 'IdentityN',
      eager_index: 4,
      graph_summary: null,
      max_abs_diff: null,
      max_rel_diff: null,
      only_in: 'eager',
      why: 'no graph twin'
    })
  ];
}

/** A kernel that pages `rows` `pageSize` at a time. */
function serveComparison(
  conn: FakeConnection,
  rows: IComparisonRow[],
  first: number | null,
  pageSize = 4
): void {
  conn.handlers.set('get_comparison', async body => {
    const reply: IComparison = {
      type: 'comparison',
      request_id: 'r',
      recording_id: body.recording_id,
      step: body.step,
      first_divergence: first,
      offset: body.offset,
      total: rows.length,
      rows: rows.slice(body.offset, body.offset + pageSize)
    };
    return reply;
  });
}

async function setUp(
  step: Partial<IStepInfo> = {},
  state: FakeConnection['state'] = READY
): Promise<{
  model: EagerLabModel;
  cmp: ComparisonModel;
  conn: FakeConnection;
}> {
  const model = new EagerLabModel();
  const cmp = new ComparisonModel(model);
  const conn = new FakeConnection();
  conn.state = state;
  conn.stateReply = makeState([makeRecording(3, [makeStep(0, step)])]);
  conn.steps.set(
    '3:0',
    [0, 1, 2, 3, 4].map(i => makeRow(i, { name: `op_${i}:0` }))
  );
  serveComparison(conn, comparisonRows(), 3);
  model.followConnection(conn);
  await flush();
  await flush();
  return { model, cmp, conn };
}

describe('ComparisonModel', () => {
  it('opens a step compared in the kernel at its first divergence', async () => {
    const { model, cmp, conn } = await setUp({ compare: 'done' });
    expect(cmp.active).toBe(true);
    expect(cmp.state).toEqual({ kind: 'loaded' });
    // Two pages of four: every row, in order.
    expect(conn.bodies.filter(b => b.type === 'get_comparison')).toEqual([
      expect.objectContaining({ offset: 0, limit: 5000, recording_id: 3 }),
      expect.objectContaining({ offset: 4 })
    ]);
    expect(cmp.rows.map(r => r.k)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cmp.firstDivergence).toBe(3);
    expect(cmp.counts).toEqual({
      graphOnly: 1,
      eagerOnly: 1,
      diverging: 2,
      noise: 0,
      causes: []
    });
    expect(cmp.selected?.name).toBe('mul:0');
    // The eager twin of the first divergence is the main model's selection.
    expect(model.selectedTensor).toBe(2);
    expect(cmp.rowOfEager(2)?.k).toBe(3);
    expect(cmp.rowOfEager(99)).toBeUndefined();
  });

  it('compares an available step only when asked', async () => {
    const { cmp, conn } = await setUp({ compare: 'available' });
    expect(cmp.active).toBe(false);
    expect(conn.requests).not.toContain('get_comparison');
    expect(cmp.availability).toEqual({ ok: true });
    const reveals: number[] = [];
    cmp.revealRequested.connect((_, k) => reveals.push(k));
    await cmp.setActive(true);
    expect(cmp.state.kind).toBe('loaded');
    expect(reveals).toEqual([3]);
    await cmp.setActive(false);
    expect(cmp.active).toBe(false);
    expect(cmp.rows).toEqual([]);
  });

  it('shows that the kernel is working, then its error', async () => {
    const { cmp, conn } = await setUp({ compare: 'available' });
    const answer = new Deferred<IComparison>();
    conn.handlers.set('get_comparison', () => answer.promise);
    const done = cmp.setActive(true);
    expect(cmp.state).toEqual({ kind: 'loading' });
    answer.reject(new Error('cannot compare step 0: state dropped'));
    await done;
    expect(cmp.state).toEqual({
      kind: 'error',
      message: 'cannot compare step 0: state dropped'
    });
    expect(cmp.active).toBe(true); // the view says why; "Eager" leaves it
  });

  it('says why a step cannot be compared, without asking the kernel', async () => {
    const { cmp, conn } = await setUp({ compare: 'unavailable' });
    const why = cmp.availability;
    expect(why.ok).toBe(false);
    expect(!why.ok && why.why).toMatch(/state before this step was not kept/);
    await cmp.setActive(true);
    expect(cmp.state.kind).toBe('error');
    expect(conn.requests).not.toContain('get_comparison');

    // A 1.2 kernel's own reason is said as it is.
    const dropped = await setUp({
      compare: 'unavailable',
      compare_why: 'the state before this step was dropped by the memory budget'
    });
    expect(dropped.cmp.availability).toEqual({
      ok: false,
      why: 'the state before this step was dropped by the memory budget'
    });

    const failed = await setUp({
      error: { type: 'ValueError', message: 'boom', tensor: 1 },
      compare: 'available'
    });
    const failedWhy = failed.cmp.availability;
    expect(!failedWhy.ok && failedWhy.why).toMatch(/step failed/);
  });

  it('needs a kernel that compares', async () => {
    const old = {
      kind: 'ready' as const,
      kernelVersion: '0.0.9',
      protocolVersion: '1.0.0'
    };
    expect(supports(old, 'comparison')).toBe(false);
    expect(supports({ ...old, protocolVersion: '1.1.0' }, 'comparison')).toBe(
      true
    );
    expect(supports({ ...READY, capabilities: ['state'] }, 'comparison')).toBe(
      false
    );
    expect(supports({ kind: 'connecting' }, 'comparison')).toBe(false);
    const { cmp } = await setUp({ compare: 'done' }, old);
    expect(cmp.active).toBe(false);
    const why = cmp.availability;
    expect(!why.ok && why.why).toMatch(/cannot compare/);
  });

  it('stays on the eager view the user chose until another step is picked', async () => {
    const { model, cmp, conn } = await setUp({ compare: 'done' });
    await model.selectStep(3, 0); // the user's pick: a push does not move it
    await flush();
    expect(cmp.active).toBe(true);
    await cmp.setActive(false);
    // The kernel pushes the recording again (another step compared): no reopen.
    conn.push({
      type: 'recording',
      recording: makeRecording(3, [
        makeStep(0, { compare: 'done' }),
        makeStep(1, { compare: 'done' })
      ])
    });
    await flush();
    expect(cmp.active).toBe(false);
    await model.selectStep(3, 1);
    await flush();
    expect(cmp.active).toBe(true);
  });

  it('opens when the kernel says the shown step was just compared', async () => {
    const { cmp, conn } = await setUp({ compare: 'available' });
    expect(cmp.active).toBe(false);
    conn.push({
      type: 'recording',
      recording: makeRecording(3, [makeStep(0, { compare: 'done' })])
    });
    await flush();
    await flush();
    expect(cmp.state.kind).toBe('loaded');
  });

  it('drops a comparison that arrives after another step was picked', async () => {
    const { model, cmp, conn } = await setUp({ compare: 'available' });
    conn.stateReply = makeState([
      makeRecording(3, [makeStep(0, { compare: 'available' }), makeStep(1)])
    ]);
    await model.refresh();
    const answer = new Deferred<IComparison>();
    conn.handlers.set('get_comparison', () => answer.promise);
    const done = cmp.setActive(true);
    await model.selectStep(3, 1);
    answer.resolve({
      type: 'comparison',
      request_id: 'r',
      recording_id: 3,
      step: 0,
      first_divergence: 0,
      offset: 0,
      total: 1,
      rows: [cmpRow(0, { diverges: true })]
    });
    await done;
    expect(cmp.active).toBe(false);
    expect(cmp.rows).toEqual([]);
  });

  it('filters with the panel filter, and a reveal clears a filter that hides its row', async () => {
    const { model, cmp } = await setUp({ compare: 'done' });
    model.filter = 'matmul';
    expect(cmp.viewCount).toBe(1);
    expect(cmp.viewRow(0).name).toBe('dense/MatMul:0');
    expect(cmp.viewIndexOf(3)).toBe(-1);
    expect(cmp.jumpToFirstDivergence()).toBe(true);
    expect(model.filter).toBe('');
    expect(cmp.viewCount).toBe(6);
    expect(cmp.selected?.k).toBe(3);
  });

  it('selects the eager twin, or nothing for a graph-only row', async () => {
    const { model, cmp, conn } = await setUp({ compare: 'done' });
    cmp.select(1);
    expect(model.selectedTensor).toBe(1);
    expect(conn.requests).toContain('get_tensor 1');
    cmp.select(2);
    expect(cmp.selected?.only_in).toBe('graph');
    expect(model.selectedTensor).toBeNull();
    cmp.select(99); // out of range: ignored
    expect(cmp.selected?.k).toBe(2);
  });

  it('"go to input" in the detail moves the comparison selection', async () => {
    const { model, cmp } = await setUp({ compare: 'done' });
    const reveals: number[] = [];
    cmp.revealRequested.connect((_, k) => reveals.push(k));
    model.revealRow(3); // eager row 3 is comparison row 4
    expect(cmp.selected?.k).toBe(4);
    expect(reveals).toEqual([4]);
  });

  it('pages a comparison row\'s graph values with source "graph"', async () => {
    const { cmp, conn } = await setUp({ compare: 'done' });
    conn.valuesHandler = (index, offset, source) => ({
      ...example('values'),
      index,
      offset,
      source: source as 'graph',
      data: new Float32Array([1, 2])
    });
    cmp.select(2);
    const page = await cmp.fetchGraphValues(2, [], 0, 100);
    expect(conn.valueCalls).toEqual([{ index: 2, offset: 0, source: 'graph' }]);
    expect(Array.from(page!.data as Float32Array)).toEqual([1, 2]);
    // Selecting the row again while its page is on the way keeps the page.
    const again = cmp.fetchGraphValues(2, [], 0, 100);
    cmp.select(2);
    expect((await again)?.index).toBe(2);
    // Leaving the view makes the answer stale.
    const left = cmp.fetchGraphValues(2, [], 0, 100);
    await cmp.setActive(false);
    expect(await left).toBeNull();
  });
});

describe('ComparisonTable', () => {
  it('marks diverging, first, graph-only and eager-only rows; text only', async () => {
    const { model, cmp, conn } = await setUp({ compare: 'available' });
    const evil = '<img src=x onerror=alert(1)>';
    const rows = comparisonRows();
    rows[1] = { ...rows[1], name: `${evil}/y:0` };
    serveComparison(conn, rows, 3);
    const table = new ComparisonTable({ model, comparison: cmp });
    await cmp.setActive(true);
    const nodes = [0, 1, 2, 3, 4, 5].map(
      k => (table as any)._renderRow(k).node as HTMLElement
    );
    expect(nodes.every(n => n.classList.contains(COMPARE_ROW_CLASS))).toBe(
      true
    );
    expect(nodes.map(n => n.classList.contains('jp-mod-diverges'))).toEqual([
      false,
      false,
      false,
      true,
      true,
      false
    ]);
    expect(nodes[3].classList.contains('jp-mod-firstDivergence')).toBe(true);
    expect(nodes[4].classList.contains('jp-mod-firstDivergence')).toBe(false);
    expect(nodes[2].classList.contains('jp-mod-graphOnly')).toBe(true);
    expect(nodes[2].dataset.tensorIndex).toBeUndefined();
    expect(nodes[2].querySelector('.jp-EagerLab-col-eager')!.textContent).toBe(
      'only in graph'
    );
    expect(nodes[5].querySelector('.jp-EagerLab-col-graph')!.textContent).toBe(
      'only in eager'
    );
    // Eager summaries come from the step's rows; graph ones from the kernel.
    expect(nodes[3].querySelector('.jp-EagerLab-col-eager')!.textContent).toBe(
      model.rows[2].summary
    );
    expect(nodes[3].querySelector('.jp-EagerLab-col-graph')!.textContent).toBe(
      'f32[] x=3'
    );
    expect(nodes[3].querySelector('.jp-EagerLab-col-diff')!.textContent).toBe(
      '0.27'
    );
    expect(nodes[3].getAttribute('aria-selected')).toBe('true');
    expect(nodes[1].querySelector('img')).toBeNull();
    expect(nodes[1].querySelector('.jp-EagerLab-col-name')!.textContent).toBe(
      `${evil}/y:0`
    );
    table.dispose();
  });

  it('moves with the keyboard; Enter selects the row and its eager twin', async () => {
    const { model, cmp } = await setUp({ compare: 'done' });
    const table = new ComparisonTable({ model, comparison: cmp });
    Widget.attach(table, document.body);
    const key = (k: string) =>
      table.node.dispatchEvent(
        new KeyboardEvent('keydown', {
          key: k,
          bubbles: true,
          cancelable: true
        })
      );
    key('Home');
    key('ArrowDown');
    await flush();
    key('Enter');
    expect(cmp.selected?.k).toBe(1);
    expect(model.selectedTensor).toBe(1);
    key('End');
    await flush();
    key(' ');
    expect(cmp.selected?.k).toBe(5);
    table.dispose();
  });

  it('writes the difference short', () => {
    expect(diffText(cmpRow(0))).toBe('0');
    expect(diffText(cmpRow(0, { max_abs_diff: 3.2e-7 }))).toBe('3.20e-7');
    expect(diffText(cmpRow(0, { max_abs_diff: 0.27 }))).toBe('0.27');
    expect(diffText(cmpRow(0, { only_in: 'graph' }))).toBe('—');
  });
});
