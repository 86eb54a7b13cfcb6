/**
 * (1.4) Why rows differ, in the eager | graph view: the noise filter, the
 * first real divergence, counts per cause, a propagated row's origin, the
 * comparison against XLA, and what an older kernel (no causes, no XLA) gets;
 * then the Cause column, the controls above the table and the detail's cause.
 */
import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import { ComparisonModel } from '../comparison';
import { EagerLabModel } from '../model';
import { CompareRows, UNKNOWN_CAUSE } from '../model/compareRows';
import type { IComparison, IComparisonRow } from '../protocol';
import { supports } from '../tokens';
import { causeLabel, rowCauseLabel, rowCauseTitle } from '../views/causeText';
import {
  CompareControls,
  compareSummary,
  loadingText
} from '../views/compareControls';
import { decodeMessage, isCompareProgress } from '../protocol/guards';
import { CompareSection } from '../views/compareDetail';
import { ComparisonTable } from '../views/compareTable';
import {
  FakeConnection,
  example,
  flush,
  makeRecording,
  makeRow,
  makeState,
  makeStep
} from './fakes';

const trans = nullTranslator.load('jupyterlab');

// This checkout has no @types/react-dom; createRoot is all the tests need.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { createRoot } = require('react-dom/client') as {
  createRoot: (node: Element) => {
    render: (element: JSX.Element) => void;
    unmount: () => void;
  };
};

const CAPABILITIES = ['state', 'tensors', 'tensor', 'values', 'comparison'];
const READY_14 = {
  kind: 'ready' as const,
  kernelVersion: '0.1.0',
  protocolVersion: '1.4.0',
  capabilities: [...CAPABILITIES, 'trends', 'xla']
};
const READY_13 = {
  ...READY_14,
  protocolVersion: '1.3.0',
  capabilities: [...CAPABILITIES, 'trends']
};

function row(k: number, over: Partial<IComparisonRow> = {}): IComparisonRow {
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
    cause: null,
    cause_text: null,
    noise: false,
    origin: null,
    layer: null,
    ...over
  };
}

function differs(
  k: number,
  cause: string,
  over: Partial<IComparisonRow> = {}
): IComparisonRow {
  return row(k, {
    diverges: true,
    max_abs_diff: 1e-6,
    max_rel_diff: 1e-7,
    cause,
    cause_text: `because of ${cause}`,
    ...over
  });
}

const PYTHON_TEXT =
  'np.random.rand() in train_step (cell 3, line 9) was frozen into the graph when it was traced; make it a tensor';

/**
 * 0 agrees; 1, 2 optimisation noise (before the bug); 3 the real divergence;
 * 4 carries it on (origin 3); 5 agrees; 6 noise again.
 */
function causedRows(): IComparisonRow[] {
  return [
    row(0),
    differs(1, 'graph-optimization:arithmetic', {
      name: 'conv/BiasAdd:0',
      noise: true,
      layer: 'seq/conv (Conv2D)'
    }),
    differs(2, 'graph-optimization:onednn', { noise: true }),
    differs(3, 'python-value', {
      name: 'mul:0',
      max_abs_diff: 0.27,
      cause_text: PYTHON_TEXT
    }),
    differs(4, 'propagated', {
      name: 'add:0',
      origin: 3,
      layer: 'seq/dense (Dense)'
    }),
    row(5),
    differs(6, 'graph-optimization:arithmetic', { noise: true })
  ];
}

/**
 * An XLA comparison: what the step exposes, its eager side a value of an
 * eager replay (no tensor of the step: `eager_index` null, a summary given).
 */
function xlaRows(): IComparisonRow[] {
  const replayed = (k: number, name: string, op: string) => ({
    name,
    op,
    eager_index: null,
    eager_summary: `f32[] eager ${k}`
  });
  return [
    row(0, replayed(0, 'loss', 'output')),
    differs(1, 'xla', {
      ...replayed(1, 'gradient/seq/dense/kernel', 'gradient'),
      layer: 'seq/dense (Dense)'
    }),
    row(2, replayed(2, 'seq/dense/bias', 'variable')),
    differs(3, 'xla', replayed(3, 'seq/dense/kernel', 'variable'))
  ];
}

/** The same rows as a 1.3 kernel sends them: no cause fields. */
function oldRows(): IComparisonRow[] {
  return causedRows().map(r => {
    const { cause, cause_text, noise, origin, layer, ...old } = r;
    return old;
  });
}

function reply(
  body: any,
  rows: IComparisonRow[],
  extra: Partial<IComparison>
): IComparison {
  return {
    type: 'comparison',
    request_id: 'r',
    recording_id: body.recording_id,
    step: body.step,
    first_divergence: null,
    offset: body.offset,
    total: rows.length,
    rows: rows.slice(body.offset, body.offset + 3),
    ...extra
  };
}

/** A 1.4 kernel: graph and XLA comparisons, three rows a page. */
function serve(conn: FakeConnection, rows = causedRows()): void {
  conn.handlers.set('get_comparison', async body =>
    body.jit_compile
      ? reply(body, xlaRows(), {
          first_divergence: 1,
          first_difference: 1,
          mode: 'xla',
          xla_layer: {
            path: 'seq/dense',
            class_name: 'Dense',
            max_abs_diff: 0.02,
            text: 'XLA first changes seq/dense (Dense): max |Δ| 0.02 in its forward'
          },
          seconds: 4.25
        })
      : reply(body, rows, {
          first_divergence: 3,
          first_difference: 1,
          mode: 'graph',
          xla_layer: null,
          seconds: 1.5
        })
  );
}

/** A 1.3 kernel: no causes, and `jit_compile` would be ignored. */
function serveOld(conn: FakeConnection): void {
  conn.handlers.set('get_comparison', async body =>
    reply(body, oldRows(), { first_divergence: 1 })
  );
}

async function setUp(
  state: FakeConnection['state'] = READY_14,
  kernel: (conn: FakeConnection) => void = serve
): Promise<{
  model: EagerLabModel;
  cmp: ComparisonModel;
  conn: FakeConnection;
}> {
  const model = new EagerLabModel();
  const cmp = new ComparisonModel(model);
  const conn = new FakeConnection();
  conn.state = state;
  conn.stateReply = makeState([
    makeRecording(3, [makeStep(0, { compare: 'available' }), makeStep(1)])
  ]);
  for (const step of ['3:0', '3:1']) {
    conn.steps.set(
      step,
      [0, 1, 2, 3, 4, 5, 6].map(i => makeRow(i, { name: `op_${i}:0` }))
    );
  }
  kernel(conn);
  model.followConnection(conn);
  await flush();
  await flush();
  await model.selectStep(3, 0);
  await flush();
  return { model, cmp, conn };
}

const shown = (cmp: ComparisonModel) =>
  Array.from({ length: cmp.viewCount }, (_, p) => cmp.viewRow(p).k);

describe('CompareRows', () => {
  it('counts diverging rows per cause, most frequent first', () => {
    const rows = new CompareRows(causedRows());
    expect(rows.hasCauses).toBe(true);
    expect(rows.counts).toEqual({
      graphOnly: 0,
      eagerOnly: 0,
      diverging: 5,
      noise: 3,
      causes: [
        ['graph-optimization:arithmetic', 2],
        ['graph-optimization:onednn', 1],
        ['python-value', 1],
        ['propagated', 1]
      ]
    });
  });

  it('counts a diverging row without a cause as unknown', () => {
    const rows = new CompareRows([row(0, { diverges: true })]);
    expect(rows.counts.causes).toEqual([[UNKNOWN_CAUSE, 1]]);
  });

  it('hides noise when asked, with the filter or without', () => {
    const rows = new CompareRows(causedRows());
    expect(rows.view('', true)).toBeNull();
    expect(rows.view('', false)).toEqual([0, 3, 4, 5]);
    expect(rows.view('biasadd', true)).toEqual([1]);
    expect(rows.view('biasadd', false)).toEqual([]);
    expect(rows.view('mul:0', false)).toEqual([3]);
    expect(rows.view('mul', false)).toEqual([0, 3, 4, 5]); // every op is a Mul
  });

  it('hides nothing of an older kernel’s comparison', () => {
    const rows = new CompareRows(oldRows());
    expect(rows.hasCauses).toBe(false);
    expect(rows.counts.noise).toBe(0);
    expect(rows.counts.causes).toEqual([]);
    expect(rows.counts.diverging).toBe(5);
    expect(rows.view('', false)).toBeNull();
  });
});

describe('ComparisonModel with causes', () => {
  it('opens at the first real divergence, past the noise before it', async () => {
    const { cmp } = await setUp();
    await cmp.setActive(true);
    expect(cmp.state.kind).toBe('loaded');
    expect(cmp.firstDifference).toBe(1);
    expect(cmp.firstDivergence).toBe(3);
    expect(cmp.selected?.name).toBe('mul:0');
    expect(cmp.seconds).toBe(1.5);
    expect(cmp.xlaLayer).toBeNull();
    cmp.select(0);
    expect(cmp.jumpToFirstDivergence()).toBe(true);
    expect(cmp.selected?.k).toBe(3);
    expect(cmp.selected?.cause).toBe('python-value');
  });

  it('hides noise by default; the toggle lists it, and stays for the panel', async () => {
    const { model, cmp } = await setUp();
    await cmp.setActive(true);
    expect(cmp.showNoise).toBe(false);
    expect(shown(cmp)).toEqual([0, 3, 4, 5]);
    let changes = 0;
    cmp.changed.connect(() => changes++);
    cmp.showNoise = true;
    expect(changes).toBe(1);
    expect(shown(cmp)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    cmp.showNoise = true; // no change, no signal
    expect(changes).toBe(1);
    // Another step, and back: the choice is the panel's, not the step's.
    await model.selectStep(3, 1);
    await model.selectStep(3, 0);
    await cmp.setActive(true);
    expect(cmp.showNoise).toBe(true);
    expect(cmp.viewCount).toBe(7);
  });

  it('shows a hidden noise row it is asked to reveal', async () => {
    const { model, cmp } = await setUp();
    await cmp.setActive(true);
    model.revealRow(1); // "go to input" from the detail: eager row 1 is row 1
    expect(cmp.showNoise).toBe(true);
    expect(cmp.selected?.k).toBe(1);
    expect(cmp.viewIndexOf(1)).toBe(1);
  });

  it('goes from a propagated row to its origin', async () => {
    const { cmp } = await setUp();
    await cmp.setActive(true);
    cmp.select(4);
    expect(cmp.revealOrigin(4)).toBe(true);
    expect(cmp.selected?.k).toBe(3);
    expect(cmp.revealOrigin(3)).toBe(false); // the real one has no origin
  });

  it('compares with XLA on request, and pages its values as xla', async () => {
    const { model, cmp, conn } = await setUp();
    await cmp.setActive(true);
    const graphAsks = conn.bodies.filter(b => b.type === 'get_comparison');
    expect(graphAsks.length).toBe(3); // 7 rows, 3 a page
    expect(graphAsks.every(b => !('jit_compile' in b))).toBe(true);
    const before = conn.bodies.length;
    await cmp.setActive(true, 'xla');
    expect(cmp.mode).toBe('xla');
    expect(cmp.state.kind).toBe('loaded');
    const asked = conn.bodies.slice(before);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every(b => b.jit_compile === true)).toBe(true);
    expect(cmp.rows.length).toBe(4);
    expect(cmp.xlaLayer?.path).toBe('seq/dense');
    expect(cmp.seconds).toBe(4.25);
    conn.valuesHandler = (index, offset, source) => ({
      ...example('values'),
      index,
      offset,
      source: source as 'xla',
      data: new Float32Array([1])
    });
    await cmp.fetchGraphValues(3, [], 0, 100);
    await cmp.fetchGraphValues(3, [], 0, 100, 'eager');
    expect(conn.valueCalls).toEqual([
      { index: 3, offset: 0, source: 'xla' },
      { index: 3, offset: 0, source: 'xla_eager' }
    ]);
    // Its rows' eager sides come with their summaries (no tensor of the step).
    const table = new ComparisonTable({ model, comparison: cmp });
    const first = (table as any)._renderRow(1).node as HTMLElement;
    expect(first.querySelector('.jp-EagerLab-col-eager')!.textContent).toBe(
      'f32[] eager 1'
    );
    expect(first.querySelector('.jp-EagerLab-col-cause')!.textContent).toBe(
      'xla'
    );
    expect(
      table.node.querySelector('.jp-EagerLab-headerRow .jp-EagerLab-col-graph')!
        .textContent
    ).toBe('XLA');
    table.dispose();
    // Back to the graph: asked again, without jit_compile.
    await cmp.setActive(true, 'graph');
    expect(cmp.mode).toBe('graph');
    expect(cmp.rows.length).toBe(7);
    expect(conn.bodies[conn.bodies.length - 1].jit_compile).toBeUndefined();
  });
});

describe('an older kernel', () => {
  it('supports xla from its capabilities, else from protocol 1.4', () => {
    expect(supports(READY_14, 'xla')).toBe(true);
    expect(supports(READY_13, 'xla')).toBe(false);
    const { capabilities, ...noList } = READY_13;
    expect(supports(noList, 'xla')).toBe(false);
    expect(supports(noList, 'comparison')).toBe(true);
    expect(supports({ ...noList, protocolVersion: '1.4.0' }, 'xla')).toBe(true);
  });

  it('shows its comparison without causes, and never asks it for XLA', async () => {
    const { cmp, conn } = await setUp(READY_13, serveOld);
    await cmp.setActive(true);
    expect(cmp.hasCauses).toBe(false);
    expect(cmp.viewCount).toBe(7); // nothing hidden
    expect(cmp.firstDivergence).toBe(1);
    expect(cmp.firstDifference).toBe(1);
    const why = cmp.xlaAvailability;
    expect(!why.ok && why.why).toMatch(/too old to compare with XLA/);
    expect(cmp.availability.ok).toBe(true);
    const before = conn.bodies.length;
    await cmp.setActive(true, 'xla');
    expect(cmp.state.kind).toBe('error');
    expect(conn.bodies.length).toBe(before);
  });
});

describe('cause labels', () => {
  it('are short, and say an unknown cause as it is', () => {
    expect(causeLabel('python-value', trans)).toBe('python value');
    expect(causeLabel('graph-optimization:arithmetic', trans)).toBe(
      'optimizer: arithmetic'
    );
    expect(causeLabel('graph-optimization', trans)).toBe('optimizer');
    expect(causeLabel('propagated', trans)).toBe('propagated');
    expect(causeLabel('xla', trans)).toBe('xla');
    expect(causeLabel('control-flow', trans)).toBe('control flow');
    expect(causeLabel('data-race', trans)).toBe('data race');
  });

  it('leave agreeing rows and older kernels’ rows empty', () => {
    const [agree, noise, , real] = causedRows();
    expect(rowCauseLabel(agree, trans)).toBe('');
    expect(rowCauseLabel(noise, trans)).toBe('optimizer: arithmetic');
    expect(rowCauseTitle(real, trans)).toBe(PYTHON_TEXT);
    expect(rowCauseLabel(oldRows()[3], trans)).toBe('');
    expect(rowCauseTitle(oldRows()[3], trans)).toBe('');
    const unknown = row(0, { diverges: true });
    expect(rowCauseLabel(unknown, trans)).toBe('unknown');
    expect(rowCauseTitle(unknown, trans)).toMatch(/could not tell/);
  });
});

describe('the Cause column', () => {
  it('shows each row’s cause, its sentence as tooltip, noise toned down', async () => {
    const { model, cmp } = await setUp();
    cmp.showNoise = true;
    await cmp.setActive(true);
    const table = new ComparisonTable({ model, comparison: cmp });
    const node = (k: number) =>
      (table as any)._renderRow(k).node as HTMLElement;
    const cause = (k: number) =>
      node(k).querySelector('.jp-EagerLab-col-cause') as HTMLElement;
    expect(table.hasClass('jp-mod-causes')).toBe(true);
    expect([0, 1, 2, 3, 4, 5, 6].map(k => cause(k).textContent)).toEqual([
      '',
      'optimizer: arithmetic',
      'optimizer: onednn',
      'python value',
      'propagated',
      '',
      'optimizer: arithmetic'
    ]);
    expect(cause(3).title).toBe(PYTHON_TEXT);
    expect(node(1).classList.contains('jp-mod-noise')).toBe(true);
    expect(node(3).classList.contains('jp-mod-noise')).toBe(false);
    expect(node(3).classList.contains('jp-mod-firstDivergence')).toBe(true);
    expect(node(1).classList.contains('jp-mod-firstDivergence')).toBe(false);
    expect(node(4).classList.contains('jp-mod-propagated')).toBe(true);
    table.dispose();
  });

  it('takes no room for an older kernel', async () => {
    const { model, cmp } = await setUp(READY_13, serveOld);
    await cmp.setActive(true);
    const table = new ComparisonTable({ model, comparison: cmp });
    expect(table.hasClass('jp-mod-causes')).toBe(false);
    const cell = (table as any)
      ._renderRow(1)
      .node.querySelector('.jp-EagerLab-col-cause') as HTMLElement;
    expect(cell.textContent).toBe('');
    table.dispose();
  });
});

describe('the controls above the table', () => {
  it('sum up causes and name the first real divergence', async () => {
    const { cmp } = await setUp();
    await cmp.setActive(true);
    const text = compareSummary(cmp, trans);
    expect(text).toContain(
      '5 diverge (2 optimizer: arithmetic, 1 optimizer: onednn, 1 python value, 1 propagated)'
    );
    expect(text).toContain('first: mul:0 (python value)');
    expect(text).toContain('3 noise rows hidden');
    expect(text).toContain('1.5 s');
    cmp.showNoise = true;
    expect(compareSummary(cmp, trans)).not.toContain('hidden');
  });

  it('say when every difference is noise', () => {
    const rows = causedRows().filter(r => !r.diverges || r.noise);
    const data = new CompareRows(rows);
    const text = compareSummary(
      {
        rows,
        counts: data.counts,
        firstDivergence: null,
        hasCauses: true,
        mode: 'graph',
        seconds: null,
        showNoise: false
      },
      trans
    );
    expect(text).toContain('no real divergence: optimisation noise only');
  });

  it('say what an older kernel said', async () => {
    const { cmp } = await setUp(READY_13, serveOld);
    await cmp.setActive(true);
    expect(compareSummary(cmp, trans)).toBe(
      '7 graph tensors (0 only in graph) · 5 diverge; first: conv/BiasAdd:0'
    );
  });

  it('toggle noise with its count, and offer XLA only to a 1.4 kernel', async () => {
    const { cmp } = await setUp();
    const controls = new CompareControls(cmp, trans);
    const q = (sel: string) =>
      controls.viewRow.querySelector(sel) as HTMLButtonElement;
    controls.render();
    expect(q('.jp-EagerLab-viewXla').disabled).toBe(false);
    expect(q('.jp-EagerLab-noiseToggle').hidden).toBe(true); // nothing loaded
    await cmp.setActive(true);
    controls.render();
    const toggle = q('.jp-EagerLab-noiseToggle');
    expect(toggle.hidden).toBe(false);
    expect(toggle.textContent).toBe('Show optimisation noise (3)');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    toggle.click();
    expect(cmp.showNoise).toBe(true);
    controls.render();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(q('.jp-EagerLab-viewCompare').getAttribute('aria-pressed')).toBe(
      'true'
    );
    expect(controls.xlaLayer.hidden).toBe(true);

    q('.jp-EagerLab-viewXla').click();
    await flush();
    await flush();
    controls.render();
    expect(cmp.mode).toBe('xla');
    expect(q('.jp-EagerLab-viewXla').getAttribute('aria-pressed')).toBe('true');
    expect(controls.xlaLayer.hidden).toBe(false);
    expect(controls.xlaLayer.textContent).toMatch(
      /^XLA first changes seq\/dense/
    );
    expect(controls.info.textContent).toMatch(/^4 tensors against XLA/);

    const old = await setUp(READY_13, serveOld);
    const oldControls = new CompareControls(old.cmp, trans);
    oldControls.render();
    const xla = oldControls.viewRow.querySelector(
      '.jp-EagerLab-viewXla'
    ) as HTMLButtonElement;
    expect(xla.disabled).toBe(true);
    expect(xla.title).toMatch(
      /^Cannot compare with XLA: this kernel’s eager_lab is too old/
    );
  });
});

describe('the detail of a row', () => {
  let host: HTMLElement;
  beforeAll(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
  });
  beforeEach(() => {
    host = document.createElement('div');
    document.body.appendChild(host);
  });
  afterEach(() => host.remove());

  async function render(element: JSX.Element): Promise<() => Promise<void>> {
    const root = createRoot(host);
    await React.act(async () => root.render(element));
    return () => React.act(async () => root.unmount());
  }

  const never = () => new Promise<null>(() => undefined);

  it('says the cause, the layer, and links a propagated row to its origin', async () => {
    const revealed: number[] = [];
    const rows = causedRows();
    const unmount = await render(
      <CompareSection
        row={rows[4]}
        fetchEager={null}
        fetchGraph={never}
        origin={{ k: 3, label: 'mul:0', reveal: () => revealed.push(3) }}
        trans={trans}
      />
    );
    const text = host.textContent ?? '';
    expect(text).toContain('Cause');
    expect(text).toContain('propagated');
    expect(text).toContain('because of propagated');
    expect(text).toContain('seq/dense (Dense)');
    const link = host.querySelector('.jp-EagerLab-originLink') as HTMLElement;
    expect(link.textContent).toBe('mul:0');
    link.click();
    expect(revealed).toEqual([3]);
    await unmount();
  });

  it('marks noise as such, and shows no cause from an older kernel', async () => {
    const rows = causedRows();
    let unmount = await render(
      <CompareSection
        row={rows[1]}
        fetchEager={null}
        fetchGraph={never}
        trans={trans}
      />
    );
    expect(host.querySelector('.jp-EagerLab-causeLabel')?.textContent).toBe(
      'optimizer: arithmetic (optimisation noise)'
    );
    expect(host.querySelector('.jp-EagerLab-originLink')).toBeNull();
    await unmount();
    unmount = await render(
      <CompareSection
        row={oldRows()[3]}
        fetchEager={null}
        fetchGraph={never}
        trans={trans}
      />
    );
    expect(host.querySelector('.jp-EagerLab-cause')).toBeNull();
    expect(host.textContent).toContain('diverges beyond tolerance');
    await unmount();
  });
});

describe('comparison progress (1.4)', () => {
  it('accepts compare_progress pushes and rejects malformed ones', () => {
    const ok = {
      type: 'compare_progress',
      recording_id: 3,
      step: 0,
      mode: 'graph',
      stage: 'comparing values',
      elapsed: 4.5
    };
    expect(isCompareProgress(ok)).toBe(true);
    expect(decodeMessage(ok)).not.toBeNull();
    expect(isCompareProgress({ ...ok, stage: null })).toBe(true);
    expect(isCompareProgress({ ...ok, mode: 'tpu' })).toBe(false);
    expect(isCompareProgress({ ...ok, elapsed: Infinity })).toBe(false);
    expect(isCompareProgress({ ...ok, step: -1 })).toBe(false);
  });

  it('shows the stage and the seconds waited once a load passes 2 s', () => {
    const since = 1_000_000;
    const text = 'Running the step as a graph…';
    expect(loadingText(text, { stage: 'x', since }, trans, since + 1500)).toBe(
      text
    );
    expect(
      loadingText(
        text,
        { stage: 'comparing values', since },
        trans,
        since + 7200
      )
    ).toBe(`${text} — comparing values (7 s)`);
    expect(loadingText(text, { stage: null, since }, trans, since + 3000)).toBe(
      `${text} (3 s)`
    );
    expect(loadingText(text, null, trans, since)).toBe(text);
  });

  it('keeps the stage pushed for the step being compared, ignores others', async () => {
    const { cmp, conn } = await setUp(READY_14, c => {
      // The reply waits: the comparison stays loading while pushes arrive.
      c.handlers.set('get_comparison', () => new Promise(() => undefined));
    });
    void cmp.setActive(true);
    await flush();
    expect(cmp.state.kind).toBe('loading');
    expect(cmp.progress?.stage).toBeNull();
    const push = (over: object) =>
      conn.push({
        type: 'compare_progress',
        recording_id: 3,
        step: 0,
        mode: 'graph',
        stage: 'running the step as a graph',
        elapsed: 1,
        ...over
      } as any);
    push({ step: 1, stage: 'another step' });
    push({ mode: 'xla', stage: 'another mode' });
    expect(cmp.progress?.stage).toBeNull();
    push({});
    expect(cmp.progress?.stage).toBe('running the step as a graph');
  });
});
