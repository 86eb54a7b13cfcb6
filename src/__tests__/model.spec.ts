/**
 * The model: status transitions, recordings and step selection, paging
 * assembly, filter, the scope tree, stale kernels.
 */
import { EagerLabModel } from '../model';
import type { ViewChange, ViewItem } from '../model';
import type { IStatus, ITensorRow } from '../protocol';
import {
  Deferred,
  FakeConnection,
  example,
  flush,
  makeRecording,
  makeRow,
  makeState,
  makeStep,
  page
} from './fakes';

const READY = {
  kind: 'ready',
  kernelVersion: '0.1.0',
  protocolVersion: '1.0.0'
} as const;

function status(over: Partial<IStatus> = {}): IStatus {
  return {
    type: 'status',
    capturing: false,
    target: 'ConvNet',
    recording_id: 3,
    steps_recorded: 1,
    ...over
  };
}

function labels(model: EagerLabModel): string[] {
  const out: string[] = [];
  for (let k = 0; k < model.viewCount; k++) {
    const item: ViewItem = model.viewItem(k);
    const pad = '  '.repeat(item.depth);
    out.push(
      item.kind === 'group'
        ? `${pad}${item.expanded ? '-' : '+'} ${item.label} (${item.count})`
        : `${pad}${item.row.i} ${item.row.name ?? '<unnamed>'}`
    );
  }
  return out;
}

/** A model following a ready fake connection with one recording. */
async function readyModel(
  rows: ITensorRow[],
  steps = [makeStep(0, { n_tensors: rows.length })]
) {
  const model = new EagerLabModel();
  const conn = new FakeConnection();
  conn.state = READY;
  conn.stateReply = makeState([makeRecording(3, steps)]);
  conn.steps.set('3:0', rows);
  model.followConnection(conn);
  await flush();
  return { model, conn };
}

describe('status', () => {
  it('starts with no kernel widget, and follows the tracker', () => {
    const model = new EagerLabModel();
    expect(model.status).toEqual({ reason: 'no_kernel_widget' });
    model.followNoKernel();
    expect(model.status).toEqual({ reason: 'no_kernel' });
    model.followPending();
    expect(model.status).toEqual({ reason: 'connecting' });
    model.followNothing();
    expect(model.status).toEqual({ reason: 'no_kernel_widget' });
  });

  it('maps the connection state to a reason', () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    const seen: string[] = [];
    model.statusChanged.connect((_, s) => seen.push(s.reason));
    model.followConnection(conn);
    expect(model.status.reason).toBe('connecting');
    conn.setState({ kind: 'not_loaded' });
    expect(model.status).toEqual({ reason: 'not_loaded' });
    conn.setState({
      kind: 'version_mismatch',
      frontend: '1.0.0',
      kernel: '2.0.0'
    });
    expect(model.status).toEqual({
      reason: 'version_mismatch',
      frontend: '1.0.0',
      kernel: '2.0.0'
    });
    conn.setState({ kind: 'error', message: 'the kernel died' });
    expect(model.status).toEqual({
      reason: 'error',
      message: 'the kernel died'
    });
    expect(seen).toEqual([
      'connecting',
      'not_loaded',
      'version_mismatch',
      'error'
    ]);
  });

  it('asks for the state after welcome: no steps yet', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    model.followConnection(conn);
    conn.state = READY;
    conn.setState(READY);
    await flush();
    expect(conn.requests).toEqual(['request_state']);
    expect(model.status).toEqual({ reason: 'no_steps_yet' });
  });

  it('goes capturing → ready with pushes, then shows the new step', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.steps.set('3:0', [makeRow(0), makeRow(1)]);
    model.followConnection(conn);
    await flush();
    expect(model.status.reason).toBe('no_steps_yet');

    conn.push(status({ capturing: true, steps_recorded: 0 }));
    expect(model.status).toEqual({
      reason: 'capturing',
      target: 'ConvNet',
      stepsRecorded: 0
    });
    conn.push({ type: 'recording', recording: makeRecording(3, [], false) });
    conn.push(status({ capturing: true, steps_recorded: 1 }));
    conn.push({
      type: 'recording',
      recording: makeRecording(3, [makeStep(0)], false)
    });
    expect(model.status).toEqual({
      reason: 'capturing',
      target: 'ConvNet',
      stepsRecorded: 1
    });
    // A busy kernel answers after its cell: nothing is asked while it captures.
    expect(conn.requests).toEqual(['request_state']);

    conn.push(status({ capturing: false, steps_recorded: 1 }));
    conn.push({
      type: 'recording',
      recording: makeRecording(3, [makeStep(0)], true)
    });
    await flush();
    expect(model.status).toEqual({ reason: 'ready' });
    expect(model.selection).toEqual({ recordingId: 3, step: 0 });
    expect(model.rows.map(r => r.i)).toEqual([0, 1]);
  });

  it('reads the example state message', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = example('state');
    model.followConnection(conn);
    await flush();
    expect(model.status).toEqual({ reason: 'ready' });
    expect(model.recordings.map(r => r.id)).toEqual([3]);
    expect(model.selection).toEqual({ recordingId: 3, step: 0 });
  });

  it('says why when the state request fails', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateDeferred = new Deferred();
    model.followConnection(conn);
    conn.stateDeferred.reject(new Error('no reply in 10 s'));
    await flush();
    expect(model.status).toEqual({
      reason: 'error',
      message: 'no reply in 10 s'
    });
  });
});

describe('step selection', () => {
  it('opens the failing step first, and reveals the failing row', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => makeRow(i));
    const steps = [
      makeStep(0),
      makeStep(1, {
        error: { type: 'InvalidArgumentError', message: 'x', tensor: 6 }
      }),
      makeStep(2)
    ];
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = makeState([makeRecording(3, steps)]);
    conn.steps.set('3:1', rows);
    const revealed: number[] = [];
    model.revealRequested.connect((_, i) => revealed.push(i));
    model.followConnection(conn);
    await flush();
    expect(model.selection).toEqual({ recordingId: 3, step: 1 });
    expect(revealed).toEqual([6]);
    expect(model.selectedTensor).toBe(6);
    expect(conn.requests).toContain('get_tensor 6');
  });

  it('prefers a step with NaN/Inf over the last one', async () => {
    const steps = [
      makeStep(0),
      makeStep(1, { first_nonfinite: 2 }),
      makeStep(2)
    ];
    const { model } = await readyModel([makeRow(0)], steps);
    expect(model.selection).toEqual({ recordingId: 3, step: 1 });
  });

  it('goes to the first NaN once the kernel has checked the shown step', async () => {
    // While capturing, steps are pushed unchecked; the check comes with the end.
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.steps.set(
      '4:0',
      [0, 1, 2, 3].map(i => makeRow(i))
    );
    const unchecked = makeStep(0, { nonfinite_checked: false });
    conn.push({ type: 'recording', recording: makeRecording(4, [unchecked]) });
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 0 });
    expect(model.rows).toHaveLength(4);
    expect(model.selectedTensor).toBeNull();
    const revealed: number[] = [];
    model.revealRequested.connect((_, i) => revealed.push(i));
    const checked = makeStep(0, {
      first_nonfinite: 2,
      nonfinite_checked: true
    });
    conn.push({ type: 'recording', recording: makeRecording(4, [checked]) });
    await flush();
    expect(revealed).toEqual([2]);
    expect(model.selectedTensor).toBe(2);
    // Once: a row the user picks afterwards stays picked on later pushes.
    void model.selectTensor(0);
    conn.push({ type: 'recording', recording: makeRecording(4, [checked]) });
    await flush();
    expect(revealed).toEqual([2]);
    expect(model.selectedTensor).toBe(0);
  });

  it('goes to the first NaN of a step picked before it was checked', async () => {
    // The kernel's order at the end of a capture: status (not capturing), then the
    // recording with its steps checked; the step's rows come after both.
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.steps.set(
      '4:5',
      [0, 1, 2, 3].map(i => makeRow(i))
    );
    const gate = new Deferred<void>();
    conn.gate = gate;
    conn.push(status({ capturing: true, recording_id: 4, steps_recorded: 1 }));
    const unchecked = makeStep(5, { nonfinite_checked: false });
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [unchecked], false)
    });
    conn.push(status({ capturing: false, recording_id: 4, steps_recorded: 1 }));
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 5 });
    const checked = makeStep(5, {
      first_nonfinite: 3,
      nonfinite_checked: true
    });
    conn.push({ type: 'recording', recording: makeRecording(4, [checked]) });
    conn.gate = null;
    gate.resolve();
    await flush();
    await flush();
    expect(model.rows).toHaveLength(4);
    expect(model.selectedTensor).toBe(3);
  });

  it('follows a new recording when it ends', async () => {
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.steps.set('4:0', [makeRow(0), makeRow(1), makeRow(2)]);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0)], true)
    });
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 0 });
    expect(model.rows).toHaveLength(3);
  });

  it('moves an automatic pick to the last step when the capture ends', async () => {
    // The first push of a capture can beat the kernel's capturing status.
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0)], false)
    });
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 0 });
    conn.push(status({ capturing: true, recording_id: 4, steps_recorded: 2 }));
    conn.push({
      type: 'recording',
      recording: makeRecording(
        4,
        [makeStep(0), makeStep(1), makeStep(2)],
        false
      )
    });
    conn.push(status({ capturing: false, recording_id: 4, steps_recorded: 3 }));
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0), makeStep(1), makeStep(2)], true)
    });
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 2 });
  });

  it('keeps a step the user picked when the capture ends', async () => {
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0), makeStep(1)], false)
    });
    await flush();
    await model.selectStep(4, 0);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0), makeStep(1), makeStep(2)], true)
    });
    await flush();
    expect(model.selection).toEqual({ recordingId: 4, step: 0 });
  });

  it('stays on an older recording the user chose', async () => {
    const { model, conn } = await readyModel([makeRow(0)]);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0)], true)
    });
    await flush();
    await model.selectStep(3, 0);
    conn.push({
      type: 'recording',
      recording: makeRecording(4, [makeStep(0), makeStep(1)], true)
    });
    await flush();
    expect(model.selection).toEqual({ recordingId: 3, step: 0 });
  });
});

describe('paging', () => {
  it('assembles pages in order and reports them as appends', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => makeRow(i));
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = makeState([
      makeRecording(3, [makeStep(0, { n_tensors: 10 })])
    ]);
    conn.steps.set('3:0', rows);
    conn.gate = new Deferred();
    const changes: ViewChange[] = [];
    const loads: Array<[number, number | null]> = [];
    model.viewChanged.connect((_, c) => changes.push(c));
    model.loadChanged.connect((_, l) => loads.push([l.loaded, l.total]));
    model.followConnection(conn);
    await flush();
    expect(model.selection).toEqual({ recordingId: 3, step: 0 });
    expect(model.rows).toHaveLength(0);

    changes.length = 0;
    conn.gate.resolve();
    await flush();
    expect(model.rows.map(r => r.i)).toEqual(rows.map(r => r.i));
    expect(model.load).toEqual({ loaded: 10, total: 10, error: null });
    expect(changes).toEqual([
      { kind: 'append', from: 0 },
      { kind: 'append', from: 4 },
      { kind: 'append', from: 8 }
    ]);
    expect(loads.slice(-3)).toEqual([
      [4, 10],
      [8, 10],
      [10, 10]
    ]);
    expect(model.viewCount).toBe(10);
  });

  it('drops a page out of order, or for another step', async () => {
    const { model } = await readyModel([makeRow(0), makeRow(1)]);
    expect(model.rows).toHaveLength(2);
    expect(model.appendPage(page(3, 0, 5, 10, [makeRow(5)]))).toBe(false);
    expect(model.appendPage(page(3, 1, 2, 10, [makeRow(2)]))).toBe(false);
    expect(model.appendPage(page(9, 0, 2, 10, [makeRow(2)]))).toBe(false);
    expect(model.rows).toHaveLength(2);
    expect(model.appendPage(page(3, 0, 2, 4, [makeRow(2)]))).toBe(true);
    expect(model.rows).toHaveLength(3);
  });

  it('drops the pages of a step left before they arrived', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = makeState([makeRecording(3, [makeStep(0), makeStep(1)])]);
    conn.steps.set(
      '3:0',
      Array.from({ length: 8 }, (_, i) => makeRow(i, { name: `a${i}` }))
    );
    conn.steps.set('3:1', [makeRow(0, { name: 'b0' })]);
    conn.gate = new Deferred();
    model.followConnection(conn);
    await flush();
    const first = model.selectStep(3, 0);
    const second = model.selectStep(3, 1);
    conn.gate.resolve();
    await Promise.all([first, second]);
    expect(model.selection).toEqual({ recordingId: 3, step: 1 });
    expect(model.rows.map(r => r.name)).toEqual(['b0']);
  });

  it('says so when a page fails', async () => {
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = makeState([makeRecording(3, [makeStep(0)])]);
    conn.fetchTensors = () => Promise.reject(new Error('no reply in 10 s'));
    model.followConnection(conn);
    await flush();
    expect(model.load.error).toBe('no reply in 10 s');
  });

  it('paints a step of 100,000 rows as appends without rebuilding', async () => {
    const n = 100000;
    const rows = Array.from({ length: n }, (_, i) =>
      makeRow(i, { name: `t${i}:0`, scope: `s${i % 7}/d${i % 3}` })
    );
    const model = new EagerLabModel();
    const conn = new FakeConnection();
    conn.pageSize = 5000;
    conn.state = READY;
    conn.stateReply = makeState([
      makeRecording(3, [makeStep(0, { n_tensors: n })])
    ]);
    conn.steps.set('3:0', rows);
    const changes: ViewChange[] = [];
    model.viewChanged.connect((_, c) => {
      if (model.rows.length > 0) {
        changes.push(c);
      }
    });
    const t0 = Date.now();
    model.followConnection(conn);
    for (let k = 0; k < 100 && model.rows.length < n; k++) {
      await flush();
    }
    expect(model.rows).toHaveLength(n);
    expect(model.viewCount).toBe(n);
    // Once rows arrive, each page is an append: the list only grows.
    expect(changes).toHaveLength(20);
    expect(changes.every(c => c.kind === 'append')).toBe(true);
    expect(changes[1]).toEqual({ kind: 'append', from: 5000 });
    model.filter = 'T99';
    expect(model.viewCount).toBe(1111);
    model.grouped = true;
    expect(model.viewCount).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('filter', () => {
  const rows = [
    makeRow(0, { name: 'dense/MatMul:0', op: 'MatMul', scope: 'dense' }),
    makeRow(1, {
      name: null,
      reason: 'ambiguous',
      op: 'Relu',
      scope: null,
      op_name: null
    }),
    makeRow(2, {
      name: 'gradient_tape/dense/MatMul_grad/MatMul:0',
      op: 'MatMul',
      scope: 'gradient_tape/dense/MatMul_grad'
    }),
    makeRow(3, { name: 'adam/mul:0', op: 'Mul', scope: 'adam' })
  ];

  it('matches name, op and scope, ignoring case', async () => {
    const { model } = await readyModel(rows);
    model.filter = 'matmul';
    expect(labels(model)).toEqual([
      '0 dense/MatMul:0',
      '2 gradient_tape/dense/MatMul_grad/MatMul:0'
    ]);
    model.filter = 'RELU';
    expect(labels(model)).toEqual(['1 <unnamed>']);
    model.filter = 'ADAM';
    expect(labels(model)).toEqual(['3 adam/mul:0']);
    model.filter = '  ';
    expect(model.viewCount).toBe(4);
  });

  it('extends the matches as pages arrive', async () => {
    const { model } = await readyModel([]);
    await model.selectStep(3, 0); // empty step
    model.filter = 'mul';
    expect(model.viewCount).toBe(0);
    const changes: ViewChange[] = [];
    model.viewChanged.connect((_, c) => changes.push(c));
    model.appendPage(page(3, 0, 0, 4, rows));
    expect(labels(model)).toEqual([
      '0 dense/MatMul:0',
      '2 gradient_tape/dense/MatMul_grad/MatMul:0',
      '3 adam/mul:0'
    ]);
    expect(changes).toEqual([{ kind: 'append', from: 0 }]);
  });

  it('re-fills shown rows when a page changes what tells earlier names apart', async () => {
    const { model } = await readyModel([]);
    await model.selectStep(3, 0); // empty step
    const changes: ViewChange[] = [];
    model.viewChanged.connect((_, c) => changes.push(c));
    const named = (i: number, name: string) => makeRow(i, { name });
    model.appendPage(
      page(3, 0, 0, 4, [named(0, 'a/hidden_1/MatMul:0'), named(1, 'a/Relu:0')])
    );
    expect(model.names.hint(0).first).toBe(2); // MatMul:0 alone
    // out_1/MatMul:0 ends with MatMul:0 too: row 0 shows hidden_1/MatMul:0.
    model.appendPage(page(3, 0, 2, 4, [named(2, 'a/out_1/MatMul:0')]));
    expect(model.names.hint(0).first).toBe(1);
    // Neither earlier name's run changes, nor the shared start.
    model.appendPage(page(3, 0, 3, 4, [named(3, 'a/out_1/Add:0')]));
    expect(changes).toEqual([
      { kind: 'append', from: 0 },
      { kind: 'reset' },
      { kind: 'append', from: 3 }
    ]);
    expect(model.viewCount).toBe(4);
    // A new step starts anew.
    await model.selectStep(3, 0);
    expect(model.names.size).toBe(model.rows.length);
  });

  it('renders markup in names as text: the model keeps strings as they are', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const { model } = await readyModel([
      makeRow(0, { name: evil, scope: evil })
    ]);
    model.filter = '<img';
    const item = model.viewItem(0);
    expect(item.kind === 'row' && item.row.name).toBe(evil);
  });
});

describe('grouping by scope', () => {
  const rows = [
    makeRow(0, {
      name: 'sequential/dense/MatMul:0',
      scope: 'sequential/dense'
    }),
    makeRow(1, {
      name: 'sequential/dense/BiasAdd:0',
      scope: 'sequential/dense'
    }),
    makeRow(2, { name: 'Mean:0', scope: '' }),
    makeRow(3, {
      name: 'gradient_tape/sequential/dense/MatMul:0',
      scope: 'gradient_tape/sequential/dense'
    }),
    makeRow(4, { name: null, scope: null, op_name: null, nan: 2 }),
    makeRow(5, { name: 'adam/mul:0', scope: 'adam', error: 'boom' }),
    makeRow(6, {
      name: 'sequential/dense_1/MatMul:0',
      scope: 'sequential/dense_1'
    })
  ];

  it('shows top-level scopes collapsed, in order of first appearance', async () => {
    const { model } = await readyModel(rows);
    model.grouped = true;
    expect(labels(model)).toEqual([
      '+ sequential (3)',
      '2 Mean:0',
      '+ gradient_tape/sequential/dense (1)',
      '+ <unnamed> (1)',
      '+ adam (1)'
    ]);
    const adam = model.viewItem(4);
    expect(adam.kind === 'group' && adam.errors).toBe(1);
    const unnamed = model.viewItem(3);
    expect(unnamed.kind === 'group' && unnamed.nonfinite).toBe(1);
  });

  it('expands and collapses a group', async () => {
    const { model } = await readyModel(rows);
    model.grouped = true;
    model.toggleGroup('sequential');
    expect(labels(model).slice(0, 4)).toEqual([
      '- sequential (3)',
      '  + dense (2)',
      '  + dense_1 (1)',
      '2 Mean:0'
    ]);
    model.toggleGroup('sequential/dense');
    expect(labels(model).slice(0, 5)).toEqual([
      '- sequential (3)',
      '  - dense (2)',
      '    0 sequential/dense/MatMul:0',
      '    1 sequential/dense/BiasAdd:0',
      '  + dense_1 (1)'
    ]);
    expect(model.viewIndexOfRow(1)).toBe(3);
    model.toggleGroup('sequential');
    expect(labels(model)[0]).toBe('+ sequential (3)');
    expect(model.viewIndexOfRow(1)).toBe(-1);
  });

  it('opens every group holding a match while filtering, with match counts', async () => {
    const { model } = await readyModel(rows);
    model.grouped = true;
    model.filter = 'matmul';
    expect(labels(model)).toEqual([
      '- sequential (2)',
      '  - dense (1)',
      '    0 sequential/dense/MatMul:0',
      '  - dense_1 (1)',
      '    6 sequential/dense_1/MatMul:0',
      '- gradient_tape/sequential/dense (1)',
      '  3 gradient_tape/sequential/dense/MatMul:0'
    ]);
  });

  it('rebuilds the tree as pages arrive', async () => {
    const { model } = await readyModel([]);
    await model.selectStep(3, 0);
    model.grouped = true;
    model.appendPage(page(3, 0, 0, 7, rows.slice(0, 2)));
    expect(labels(model)).toEqual(['+ sequential/dense (2)']);
    model.appendPage(page(3, 0, 2, 7, rows.slice(2)));
    expect(labels(model)[0]).toBe('+ sequential (3)');
  });
});

describe('stale kernels', () => {
  it('drops pushes and state changes from a connection no longer followed', async () => {
    const { model, conn: old } = await readyModel([makeRow(0)]);
    const fresh = new FakeConnection('k2');
    model.followConnection(fresh);
    expect(model.status.reason).toBe('connecting');
    old.push(status({ capturing: true }));
    old.push({ type: 'recording', recording: makeRecording(9, [makeStep(0)]) });
    old.setState({ kind: 'not_loaded' });
    expect(model.status.reason).toBe('connecting');
    expect(model.recordings).toHaveLength(0);
  });

  it('drops a late state reply from the previous kernel', async () => {
    const model = new EagerLabModel();
    const old = new FakeConnection('k1');
    old.state = READY;
    old.stateDeferred = new Deferred();
    model.followConnection(old);
    const fresh = new FakeConnection('k2');
    model.followConnection(fresh);
    old.stateDeferred.resolve(makeState([makeRecording(3, [makeStep(0)])]));
    await flush();
    expect(model.recordings).toHaveLength(0);
    expect(model.status.reason).toBe('connecting');
  });

  it('drops pages and tensor details that arrive after a kernel change', async () => {
    const model = new EagerLabModel();
    const old = new FakeConnection('k1');
    old.state = READY;
    old.stateReply = makeState([makeRecording(3, [makeStep(0)])]);
    old.steps.set('3:0', [makeRow(0), makeRow(1)]);
    old.gate = new Deferred();
    model.followConnection(old);
    await flush();
    const detail = model.selectTensor(0);
    model.followConnection(new FakeConnection('k2'));
    old.gate.resolve();
    old.tensorReplies.get(0)!.resolve(example('tensor'));
    await detail;
    await flush();
    expect(model.rows).toHaveLength(0);
    expect(model.detail).toEqual({ kind: 'none' });
  });

  it('takes the restarted kernel connection and forgets the old state', async () => {
    const { model } = await readyModel([makeRow(0)]);
    const restarted = new FakeConnection('k1', 1);
    model.followConnection(restarted);
    expect(model.recordings).toHaveLength(0);
    expect(model.rows).toHaveLength(0);
    restarted.setState({ kind: 'not_loaded' });
    expect(model.status.reason).toBe('not_loaded');
  });

  it('shows a loaded step at once when its kernel is followed again', async () => {
    const { model, conn } = await readyModel([
      makeRow(0),
      makeRow(1),
      makeRow(2)
    ]);
    void model.selectTensor(1);
    const other = new FakeConnection('k2');
    model.followConnection(other);
    expect(model.rows).toHaveLength(0);
    conn.requests.length = 0;
    model.followConnection(conn);
    expect(model.rows.map(r => r.i)).toEqual([0, 1, 2]);
    expect(model.selection).toEqual({ recordingId: 3, step: 0 });
    expect(model.status).toEqual({ reason: 'ready' });
    expect(model.viewCount).toBe(3);
    await flush();
    // Caught up with request_state; the rows were not fetched again.
    expect(conn.requests).toEqual(['get_tensor 1', 'request_state']);
  });

  it('does not keep the step of a restarted kernel', async () => {
    const { model } = await readyModel([makeRow(0)]);
    const restarted = new FakeConnection('k1', 1);
    restarted.state = READY;
    model.followConnection(restarted);
    await flush();
    expect(model.rows).toHaveLength(0);
  });

  it('keeps filter and grouping per kernel', async () => {
    const { model, conn } = await readyModel([makeRow(0)]);
    model.filter = 'dense';
    model.grouped = true;
    model.followConnection(new FakeConnection('k2'));
    expect(model.filter).toBe('');
    expect(model.grouped).toBe(false);
    model.followConnection(conn);
    expect(model.filter).toBe('dense');
    expect(model.grouped).toBe(true);
  });
});

describe('tensor detail', () => {
  it('loads the selected tensor and ignores an older answer', async () => {
    const { model, conn } = await readyModel([makeRow(0), makeRow(1)]);
    const a = model.selectTensor(0);
    const b = model.selectTensor(1);
    expect(model.detail).toEqual({ kind: 'loading', index: 1 });
    conn.tensorReplies.get(1)!.resolve(example('tensor'));
    conn.tensorReplies.get(0)!.resolve(example('tensor'));
    await Promise.all([a, b]);
    expect(model.detail.kind).toBe('loaded');
    expect(model.detail.kind === 'loaded' && model.detail.index).toBe(1);
  });

  it('reports a failed detail request', async () => {
    const { model, conn } = await readyModel([makeRow(0)]);
    const a = model.selectTensor(0);
    conn.tensorReplies.get(0)!.reject(new Error('tensor 0 is not in step 0'));
    await a;
    expect(model.detail).toEqual({
      kind: 'error',
      index: 0,
      message: 'tensor 0 is not in step 0'
    });
  });

  it('delivers a values page of a tensor selected again meanwhile', async () => {
    // The compare view's eager column showed "—" when a row was selected
    // again (a second click) while its values were on the way: the page was
    // dropped as stale though it was the same tensor's.
    const { model, conn } = await readyModel([makeRow(0), makeRow(1)]);
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    const values = { ...example('values'), data: new Float32Array([7]) };
    conn.getValues = async (_r, _s, index) => {
      await gate;
      return { ...values, index };
    };
    void model.selectTensor(1);
    const pending = model.fetchValues(1, [], 0, 1);
    void model.selectTensor(1);
    release();
    const got = await pending;
    expect(got?.index).toBe(1);
    expect(Array.from(got!.data as Float32Array)).toEqual([7]);
  });

  it('drops a values page once another step is shown', async () => {
    const { model, conn } = await readyModel(
      [makeRow(0)],
      [makeStep(0, { n_tensors: 1 }), makeStep(1, { n_tensors: 1 })]
    );
    conn.steps.set('3:1', [makeRow(0)]);
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    conn.getValues = async () => {
      await gate;
      return { ...example('values'), data: new Float32Array([1]) };
    };
    await model.selectStep(3, 0);
    const pending = model.fetchValues(0, [], 0, 1);
    await model.selectStep(3, 1);
    release();
    expect(await pending).toBeNull();
  });

  it('finds the recorded source line of a row for the source link', async () => {
    const { model, conn } = await readyModel([makeRow(0), makeRow(1)]);
    const code = model.sourceCode(1);
    await flush();
    conn.tensorReplies.get(1)!.resolve(example('tensor'));
    expect(await code).toBe(example('tensor').code);
    // The loaded detail answers without asking the kernel again.
    const shown = model.selectTensor(1);
    conn.tensorReplies.get(1)!.resolve(example('tensor'));
    await shown;
    const asked = conn.requests.length;
    expect(await model.sourceCode(1)).toBe(example('tensor').code);
    expect(conn.requests.length).toBe(asked);
  });
});
