/**
 * The table's list model: fixed-height geometry that never renders rows it
 * does not show, and rows that render names as text.
 */
import { Widget } from '@lumino/widgets';
import { EagerLabModel } from '../model';
import type { ITensorRow } from '../protocol';
import {
  ROW_HEIGHT,
  TensorListModel,
  TensorTable,
  shapeText,
  sourceText
} from '../views/table';
import {
  FakeConnection,
  flush,
  makeRecording,
  makeRow,
  makeState,
  makeStep
} from './fakes';

describe('TensorListModel', () => {
  it('renders only the window, even at the end of 100,000 rows', () => {
    const rendered: number[] = [];
    const model = new TensorListModel(k => {
      rendered.push(k);
      return new Widget();
    });
    model.widgetCount = 100000;
    model.height = 480;
    model.scrollOffset = 100000 * ROW_HEIGHT - 480;
    const t0 = Date.now();
    const range = model.getRangeToRender()!;
    expect(Date.now() - t0).toBeLessThan(50);
    expect(range[1]).toBe(99999);
    expect(range[0]).toBe(100000 - 20 - 10);
    expect(rendered).toEqual([]); // geometry alone renders nothing
    expect(model.getEstimatedTotalSize()).toBe(100000 * ROW_HEIGHT);
    expect(model.getSpan(500, 509)).toEqual([
      500 * ROW_HEIGHT,
      10 * ROW_HEIGHT
    ]);
    expect(model.getOffsetForIndexAndAlignment(50000, 'start')).toBe(
      50000 * ROW_HEIGHT
    );
    expect(model.setWidgetSize([{ index: 3, size: 99 }])).toBe(false);
  });
});

describe('text helpers', () => {
  it('writes shape and dtype short', () => {
    expect(shapeText('float32', [64, 10])).toBe('f32[64,10]');
    expect(shapeText('int64', [])).toBe('i64[]');
    expect(shapeText('float32', [null, 3])).toBe('f32[?,3]');
    expect(shapeText('float32', null)).toBe('f32[…]');
    expect(shapeText(null, null)).toBe('—');
    expect(shapeText('resource', [])).toBe('resource[]');
  });

  it('names a cell or a file', () => {
    expect(
      sourceText({
        file: '/tmp/ipykernel_1/2.py',
        line: 12,
        function: 'f',
        cell: 3
      })
    ).toBe('cell 3:12');
    expect(
      sourceText({
        file: '/a/b/model.py',
        line: 7,
        function: 'call',
        cell: null
      })
    ).toBe('model.py:7');
  });
});

/** A model following a ready connection whose recording 3 has one step, `rows`. */
function readyWith(rows: ITensorRow[]): {
  model: EagerLabModel;
  conn: FakeConnection;
} {
  const model = new EagerLabModel();
  const conn = new FakeConnection();
  conn.state = {
    kind: 'ready',
    kernelVersion: '0.1.0',
    protocolVersion: '1.1.0'
  };
  conn.stateReply = makeState([makeRecording(3, [makeStep(0)])]);
  conn.steps.set('3:0', rows);
  return { model, conn };
}

describe('TensorTable rows', () => {
  it('shows names and sources as text, never as markup', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const { model, conn } = readyWith([
      makeRow(0, {
        name: `${evil}/x:0`,
        source: { file: `/tmp/${evil}.py`, line: 3, function: 'f', cell: null }
      }),
      makeRow(1, { name: null, reason: evil })
    ]);
    const table = new TensorTable({ model, onRevealSource: () => undefined });
    model.followConnection(conn);
    await flush();
    // Render the rows the list would show.
    const rows = [0, 1].map(
      k => (table as any)._renderRow(k).node as HTMLElement
    );
    expect(rows[0].querySelector('img')).toBeNull();
    expect(rows[0].querySelector('.jp-EagerLab-col-name')!.textContent).toBe(
      `${evil}/x:0`
    );
    expect(rows[0].querySelector('.jp-EagerLab-source')!.textContent).toBe(
      `${evil}.py:3`
    );
    expect(rows[1].querySelector('.jp-EagerLab-col-name')!.textContent).toBe(
      '<unnamed>'
    );
    expect(
      (rows[1].querySelector('.jp-EagerLab-col-name') as HTMLElement).title
    ).toBe(evil);
    expect(rows[0].getAttribute('role')).toBe('row');
    // name, op, shape, summary, trend, flags, source
    expect(rows[0].querySelectorAll('[role="gridcell"]')).toHaveLength(7);
    table.dispose();
  });
});

describe('TensorTable name cells', () => {
  const NAMES = [
    'regressor_1/hidden_1/Cast/ReadVariableOp:0',
    'regressor_1/hidden_1/MatMul:0',
    'regressor_1/out_1/Cast/ReadVariableOp:0',
    'regressor_1/out_1/MatMul:0',
    'Mean:0'
  ];

  /** A table of NAMES whose name cells are `chars` characters wide. */
  async function tableOf(chars: number) {
    const { model, conn } = readyWith(
      NAMES.map((name, i) =>
        makeRow(i, {
          name,
          scope: name.slice(0, Math.max(0, name.lastIndexOf('/'))),
          summary: 'x∈[-2.09, 2.07] μ=0.00153 σ=0.637'
        })
      )
    );
    const table = new TensorTable({ model, onRevealSource: () => undefined });
    (table as any).nameChars = (inset: number) => chars - inset / 8;
    model.followConnection(conn);
    await flush();
    const cell = (k: number, column = 'name') =>
      (table as any)
        ._renderRow(k)
        .node.querySelector(`.jp-EagerLab-col-${column}`) as HTMLElement;
    /** What the cell shows: its parts not visually hidden, `…/` for a gap. */
    const shown = (k: number) =>
      Array.from(cell(k).querySelectorAll('.jp-EagerLab-nameText > span'))
        .map(part =>
          part.classList.contains('jp-EagerLab-nameCut')
            ? ''
            : part.classList.contains('jp-EagerLab-nameGap')
              ? (part as HTMLElement).hidden
                ? ''
                : '…/'
              : part.textContent
        )
        .join('');
    return { model, table, cell, shown };
  }

  it('shows what tells the names apart, the whole name as the text', async () => {
    const { table, cell, shown } = await tableOf(27);
    expect(NAMES.map((_, k) => shown(k))).toEqual([
      'hidden_1/…/ReadVariableOp:0',
      'hidden_1/MatMul:0',
      'out_1/Cast/ReadVariableOp:0',
      'regressor_1/out_1/MatMul:0',
      'Mean:0'
    ]);
    NAMES.forEach((name, k) => {
      expect(cell(k).textContent).toBe(name);
      expect(cell(k).title).toBe(name);
    });
    // The `…/` is CSS, not read out.
    const gap = cell(0).querySelector('.jp-EagerLab-nameGap')!;
    expect(gap.getAttribute('aria-hidden')).toBe('true');
    expect(gap.textContent).toBe('');
    expect(cell(0).querySelector('.jp-EagerLab-nameCut')!.textContent).toBe(
      'regressor_1/'
    );
    table.dispose();
  });

  it('shows whole names where they fit, leaves only under scope groups', async () => {
    const wide = await tableOf(80);
    expect(NAMES.map((_, k) => wide.shown(k))).toEqual(NAMES);
    wide.table.dispose();

    const { model, table, shown } = await tableOf(80);
    model.grouped = true;
    for (const path of [
      'regressor_1',
      'regressor_1/hidden_1',
      'regressor_1/hidden_1/Cast'
    ]) {
      model.toggleGroup(path, true);
    }
    const k = model.viewIndexOfRow(0);
    expect(model.viewItem(k)).toMatchObject({ kind: 'row', depth: 3 });
    expect(shown(k)).toBe('ReadVariableOp:0');
    expect(shown(model.viewIndexOfRow(1))).toBe('MatMul:0');
    table.dispose();
  });

  it('keeps the unnamed row’s label', async () => {
    const { table, cell } = await tableOf(27);
    const model = (table as any)._model as EagerLabModel;
    model.appendPage({
      type: 'tensors',
      recording_id: 3,
      step: 0,
      offset: NAMES.length,
      total: NAMES.length + 1,
      rows: [makeRow(NAMES.length, { name: null, reason: 'no graph op' })]
    } as any);
    expect(cell(NAMES.length).textContent).toBe('<unnamed>');
    expect(cell(NAMES.length).title).toBe('no graph op');
    table.dispose();
  });

  it('splits the summary: the value range, then the rest', async () => {
    const { table, cell } = await tableOf(27);
    const summary = cell(0, 'summary');
    expect(summary.textContent).toBe('x∈[-2.09, 2.07] μ=0.00153 σ=0.637');
    expect(
      summary.querySelector('.jp-EagerLab-summaryRange')!.textContent
    ).toBe('x∈[-2.09, 2.07]');
    expect(summary.querySelector('.jp-EagerLab-summaryRest')!.textContent).toBe(
      ' μ=0.00153 σ=0.637'
    );
    table.dispose();
  });
});

describe('keyboard and mouse on the grid', () => {
  async function attachedTable() {
    const { model, conn } = readyWith(
      [0, 1, 2, 3].map(i =>
        makeRow(i, {
          name: i < 2 ? `a/t${i}:0` : `b/t${i}:0`,
          scope: i < 2 ? 'a' : 'b',
          source: { file: '/m.py', line: 10 + i, function: 'f', cell: null }
        })
      )
    );
    const revealed: number[] = [];
    const table = new TensorTable({
      model,
      onRevealSource: (_, row) => revealed.push(row.i)
    });
    Widget.attach(table, document.body);
    model.followConnection(conn);
    await flush();
    const node = (k: number) =>
      (table as any)._renderRow(k).node as HTMLElement;
    const key = (k: string, target: HTMLElement = table.node) =>
      target.dispatchEvent(
        new KeyboardEvent('keydown', {
          key: k,
          bubbles: true,
          cancelable: true
        })
      );
    return { model, table, node, key, revealed };
  }

  it('moves the cursor with arrows, Home and End; Enter selects', async () => {
    const { model, table, node, key } = await attachedTable();
    [0, 1, 2, 3].forEach(node);
    key('ArrowDown');
    key('ArrowDown');
    await flush();
    expect((table as any).cursor).toBe(2);
    expect(node(2).classList.contains('jp-mod-active')).toBe(true);
    expect(node(2).tabIndex).toBe(0);
    expect(node(0).tabIndex).toBe(-1);
    key('Enter');
    expect(model.selectedTensor).toBe(2);
    expect(node(2).getAttribute('aria-selected')).toBe('true');
    key('End');
    await flush();
    expect((table as any).cursor).toBe(3);
    key('Home');
    key('ArrowUp'); // stays in range
    await flush();
    expect((table as any).cursor).toBe(0);
    table.dispose();
  });

  it('opens and closes scope groups with the arrows', async () => {
    const { model, table, node, key } = await attachedTable();
    model.grouped = true;
    expect(model.viewItem(0)).toMatchObject({ kind: 'group', path: 'a' });
    expect(model.viewCount).toBe(2); // both groups closed
    node(0);
    key('ArrowRight');
    expect(model.isExpanded('a')).toBe(true);
    expect(model.viewCount).toBe(4);
    key('ArrowLeft');
    expect(model.isExpanded('a')).toBe(false);
    table.dispose();
  });

  it('a click selects the row; its source button reveals the source instead', async () => {
    const { model, table, node, revealed } = await attachedTable();
    // The list renders nothing in jsdom (no layout): put the rows in the grid.
    table.node.append(node(1), node(3));
    node(1)
      .querySelector('.jp-EagerLab-col-op')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(model.selectedTensor).toBe(1);
    (node(3).querySelector('.jp-EagerLab-source') as HTMLElement).click();
    expect(revealed).toEqual([3]);
    expect(model.selectedTensor).toBe(1);
    expect((table as any).cursor).toBe(1);
    table.dispose();
  });
});
