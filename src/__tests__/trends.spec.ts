/**
 * Trends over a recording's steps: when they are fetched, the sparkline's
 * geometry (log scale, gaps, NaN marks) and the table's trend column.
 */
import { EagerLabModel } from '../model';
import type { ITrendSeries, ITrends } from '../protocol';
import { TrendsModel } from '../trends';
import {
  createSparkline,
  metricValues,
  scaleOf,
  sparklineTitle,
  trendSegments
} from '../views/sparkline';
import { TensorTable } from '../views/table';
import {
  FakeConnection,
  flush,
  makeRecording,
  makeRow,
  makeState,
  makeStep
} from './fakes';

const READY = {
  kind: 'ready' as const,
  kernelVersion: '0.1.0',
  protocolVersion: '1.1.0'
};

function series(maxAbs: Array<number | null>, nan?: number[]): ITrendSeries {
  return {
    step: maxAbs.map((_, k) => k),
    mean: maxAbs.map(v => (v === null ? null : v / 2)),
    std: maxAbs.map(() => 0.1),
    max_abs: maxAbs,
    nan: nan ?? maxAbs.map(() => 0),
    inf: maxAbs.map(() => 0)
  };
}

/** A kernel with `names` named tensors over three steps, two per page. */
function serveTrends(conn: FakeConnection, names: string[]): void {
  conn.handlers.set('get_trends', async body => {
    const page = names.slice(body.offset, body.offset + 2);
    const reply: ITrends = {
      type: 'trends',
      request_id: 'r',
      recording_id: body.recording_id,
      steps: [0, 1, 2],
      offset: body.offset,
      total: names.length,
      series: Object.fromEntries(
        page.map((n, k) => [n, series([1, 10 * (k + 1), 1000])])
      )
    };
    return reply;
  });
}

async function setUp(steps: number, finished = true) {
  const model = new EagerLabModel();
  const trends = new TrendsModel(model);
  const conn = new FakeConnection();
  conn.state = READY;
  const infos = Array.from({ length: steps }, (_, k) => makeStep(k));
  conn.stateReply = makeState([makeRecording(3, infos, finished)]);
  for (let k = 0; k < steps; k++) {
    conn.steps.set(
      `3:${k}`,
      ['a:0', 'b:0', 'c:0'].map((name, i) => makeRow(i, { name }))
    );
  }
  serveTrends(conn, ['a:0', 'b:0', 'c:0']);
  model.followConnection(conn);
  await flush();
  await flush();
  return { model, trends, conn };
}

describe('TrendsModel', () => {
  it('fetches every page once a recording of several steps has finished', async () => {
    const { trends, conn } = await setUp(3);
    expect(
      conn.bodies.filter(b => b.type === 'get_trends').map(b => b.offset)
    ).toEqual([0, 2]);
    expect(trends.hasSeries).toBe(true);
    expect(trends.steps).toEqual([0, 1, 2]);
    expect(trends.series('c:0')?.max_abs).toEqual([1, 10, 1000]);
    expect(trends.series(null)).toBeUndefined();
    expect(trends.series('nope:0')).toBeUndefined();
  });

  it('does not ask for one step, nor while capturing', async () => {
    const one = await setUp(1);
    expect(one.conn.requests).not.toContain('get_trends');
    expect(one.trends.hasSeries).toBe(false);
    const capturing = await setUp(3, false);
    expect(capturing.conn.requests).not.toContain('get_trends');
  });

  it('asks again when the recording grew, and not when another step is picked', async () => {
    const { model, conn } = await setUp(3);
    const asked = () => conn.bodies.filter(b => b.type === 'get_trends').length;
    expect(asked()).toBe(2);
    await model.selectStep(3, 0);
    await flush();
    expect(asked()).toBe(2);
    conn.push({
      type: 'recording',
      recording: makeRecording(
        3,
        [0, 1, 2, 3].map(k => makeStep(k))
      )
    });
    await flush();
    expect(asked()).toBe(4);
  });

  it('keeps the error when the kernel fails', async () => {
    const model = new EagerLabModel();
    const trends = new TrendsModel(model);
    const conn = new FakeConnection();
    conn.state = READY;
    conn.stateReply = makeState([makeRecording(3, [makeStep(0), makeStep(1)])]);
    conn.handlers.set('get_trends', () =>
      Promise.reject(new Error('recording 3 is not kept'))
    );
    model.followConnection(conn);
    await flush();
    await flush();
    expect(trends.hasSeries).toBe(false);
    expect(trends.error).toBe('recording 3 is not kept');
  });
});

describe('sparkline geometry', () => {
  it('switches to a log scale when values span decades', () => {
    expect(scaleOf([1, 10, 1000])).toEqual({ log: true, lo: 1, hi: 1000 });
    expect(scaleOf([1, 2, 3])).toEqual({ log: false, lo: 1, hi: 3 });
    expect(scaleOf([-1, 1000])?.log).toBe(false); // not all positive
    expect(scaleOf([null, null])).toBeNull();
    // Log scale: 10 sits a third of the way up from 1 to 1000.
    const { ys } = trendSegments([1, 10, 1000], 100, 31, 0);
    expect(ys[0]).toBeCloseTo(31);
    expect(ys[1]).toBeCloseTo(31 - 31 / 3);
    expect(ys[2]).toBeCloseTo(0);
  });

  it('breaks the line where a step has no finite value', () => {
    const { segments, xs } = trendSegments([1, 2, null, 4, 5], 40, 10, 0);
    expect(segments).toHaveLength(2);
    expect(segments[0].split(' ')).toHaveLength(2);
    expect(xs).toEqual([0, 10, 20, 30, 40]);
    expect(metricValues(series([1, 2], [0, 3]), 'nonfinite')).toEqual([0, 3]);
  });

  it('marks NaN steps and the shown step; the title has the numbers', () => {
    const s = series([1, null, 3], [0, 5, 0]);
    const svg = createSparkline(s, 2);
    expect(svg.querySelectorAll('.jp-EagerLab-sparkBad')).toHaveLength(1);
    expect(svg.querySelectorAll('.jp-EagerLab-sparkCurrent')).toHaveLength(1);
    expect(svg.getAttribute('aria-hidden')).toBe('true');
    expect(sparklineTitle(s)).toBe(
      'max |x| by step — 0: 1, 1: — (5 NaN/Inf), 2: 3'
    );
  });
});

describe('TensorTable trend column', () => {
  it('draws a sparkline for named rows once trends arrive', async () => {
    const { model, trends } = await setUp(3);
    const table = new TensorTable({
      model,
      trends,
      onRevealSource: () => undefined
    });
    expect(table.hasClass('jp-mod-trends')).toBe(true);
    const node = (table as any)._renderRow(2).node as HTMLElement;
    const cell = node.querySelector('.jp-EagerLab-col-trend') as HTMLElement;
    expect(cell.querySelector('svg.jp-EagerLab-sparkline')).not.toBeNull();
    expect(cell.title).toMatch(/^max \|x\| by step — 0: 1, 1: 10, 2: 1000$/);
    table.dispose();

    const one = await setUp(1);
    const plain = new TensorTable({
      model: one.model,
      trends: one.trends,
      onRevealSource: () => undefined
    });
    expect(plain.hasClass('jp-mod-trends')).toBe(false);
    const row = (plain as any)._renderRow(0).node as HTMLElement;
    expect(row.querySelector('svg')).toBeNull();
    plain.dispose();
  });
});
