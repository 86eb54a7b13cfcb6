/**
 * The selected tensor: summary, stats, histogram, a heatmap of a 2-D slice,
 * raw values page by page, and actions (copy name, insert code).
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { ComparisonModel } from '../comparison';
import type { Detail, EagerLabModel } from '../model';
import type { TrendsModel } from '../trends';
import type { IStats, ITensor, ITensorRow } from '../protocol';
import { MAX_VALUES } from '../protocol';
import type { IValuesPage } from '../tokens';
import { copyText } from './clipboard';
import { ValuesPager } from './pager';
import { CompareSection, GraphOnlyDetail } from './compareDetail';
import { formatNumber, formatSpread, formatValue, unravel } from './format';
import { shapeText, sourceText } from './table';
import { TrendChart } from './trendChart';

export { formatNumber, formatValue, unravel };

export const DETAIL_ID = 'eager-lab-detail';

/** Values per page of the raw list. */
export const RAW_PAGE = 100;

/** Show the line that made `row`; `code` is the line the kernel recorded. */
type RevealSource = (row: ITensorRow, code: string | null) => void;

type FetchValues = (
  prefix: number[],
  offset: number,
  count: number
) => Promise<IValuesPage | null>;

export class DetailView extends ReactWidget {
  constructor(options: DetailView.IOptions) {
    super();
    this._model = options.model;
    this._onInsertCode = options.onInsertCode;
    this._onRevealSource = options.onRevealSource ?? null;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab');
    this.id = DETAIL_ID;
    this.addClass('jp-EagerLab-detail');
    this.node.setAttribute('aria-label', this._trans.__('Tensor detail'));
    this.node.setAttribute('role', 'region');
    this._comparison = options.comparison ?? null;
    this._trends = options.trends ?? null;
    this._model.detailChanged.connect(() => this.update(), this);
    this._comparison?.selectionChanged.connect(() => this.update(), this);
    this._comparison?.changed.connect(() => this.update(), this);
    this._trends?.changed.connect(() => this.update(), this);
  }

  render(): JSX.Element {
    const detail = this._model.detail;
    const sel = this._model.selection;
    const key = sel
      ? `${sel.recordingId}/${sel.step}/${Private.indexOf(detail)}`
      : 'none';
    const cmp = this._comparison;
    const cmpRow = cmp?.active ? cmp.selected : null;
    const fetchGraph = (p: number[], o: number, c: number) =>
      cmp!.fetchGraphValues(cmpRow!.k, p, o, c);
    if (cmpRow && cmpRow.eager_index === null) {
      return (
        <GraphOnlyDetail
          key={`${key}/g${cmpRow.k}`}
          row={cmpRow}
          fetchGraph={fetchGraph}
          trans={this._trans}
        />
      );
    }
    const tensor = detail.kind === 'loaded' ? detail.tensor : null;
    const series = tensor ? this._trends?.series(tensor.row.name) : undefined;
    // The eager twin's values are fetched by its row index, from the first
    // render on: they never wait for (or go stale with) the detail's reload.
    const twin = cmpRow?.eager_index ?? null;
    const twinRow =
      twin === null
        ? undefined
        : (this._model.rows[twin] ??
          (tensor?.row.i === twin ? tensor.row : undefined));
    const noEager =
      twinRow && !twinRow.has_value ? whyNoValue(twinRow, this._trans) : null;
    return (
      <>
        {cmpRow && (
          <CompareSection
            key={`${key}/c${cmpRow.k}`}
            row={cmpRow}
            fetchEager={
              twin === null || noEager !== null
                ? null
                : (p, o, c) => this._model.fetchValues(twin, p, o, c)
            }
            noEager={noEager}
            fetchGraph={fetchGraph}
            trans={this._trans}
          />
        )}
        {this._renderBody(
          key,
          tensor && series && series.step.length >= 2 ? (
            <TrendChart
              name={tensor.row.name ?? ''}
              series={series}
              currentStep={sel?.step ?? null}
              trans={this._trans}
            />
          ) : null
        )}
      </>
    );
  }

  /** `trend`: the tensor's chart over the steps, shown below its statistics. */
  private _renderBody(key: string, trend: JSX.Element | null): JSX.Element {
    const detail = this._model.detail;
    const i = detail.kind === 'none' ? -1 : detail.index;
    return (
      <DetailBody
        key={key}
        detail={detail}
        trend={trend}
        trans={this._trans}
        fetchValues={(p, o, c) => this._model.fetchValues(i, p, o, c)}
        onInsertCode={this._onInsertCode}
        onRevealSource={this._onRevealSource}
        onReveal={i => this._model.revealRow(i)}
        rowLabel={i => {
          const row = this._model.rows[i];
          return row?.name ?? (row ? `<unnamed> ${row.op}` : `#${i}`);
        }}
      />
    );
  }

  private _comparison: ComparisonModel | null;
  private _model: EagerLabModel;
  private _onInsertCode: (code: string) => void;
  private _onRevealSource: RevealSource | null;
  private _trans: TranslationBundle;
  private _trends: TrendsModel | null;
}

export namespace DetailView {
  export interface IOptions {
    model: EagerLabModel;
    /** Insert a code cell below the active one with this code. */
    onInsertCode: (code: string) => void;
    /** Show the line that made the tensor (its Source field is a link). */
    onRevealSource?: RevealSource;
    /** The eager | graph view: the selected row's graph value beside the eager one. */
    comparison?: ComparisonModel;
    /** Trends over the recording's steps: a chart of the selected tensor. */
    trends?: TrendsModel;
    translator?: ITranslator;
  }
}

/** What the detail of a loaded tensor needs besides the tensor. */
interface ITensorDetailProps {
  /** The tensor's chart over the steps, shown below its statistics. */
  trend: JSX.Element | null;
  trans: TranslationBundle;
  fetchValues: FetchValues;
  onInsertCode: (code: string) => void;
  onRevealSource: RevealSource | null;
  /** Go to row `i` of the step (select it, scroll to it). */
  onReveal: (i: number) => void;
  rowLabel: (i: number) => string;
}

function DetailBody(
  props: { detail: Detail } & ITensorDetailProps
): JSX.Element {
  const { detail, trans } = props;
  switch (detail.kind) {
    case 'none':
      return (
        <p className="jp-EagerLab-detailHint">
          {trans.__('Select a row to see its values.')}
        </p>
      );
    case 'loading':
      return <p className="jp-EagerLab-detailHint">{trans.__('Loading…')}</p>;
    case 'error':
      return (
        <p className="jp-EagerLab-detailHint jp-mod-error">
          {trans.__(
            'Could not load tensor %1: %2',
            detail.index,
            detail.message
          )}
        </p>
      );
    case 'loaded':
      return <TensorDetail {...props} tensor={detail.tensor} />;
  }
}

function TensorDetail(
  props: { tensor: ITensor } & ITensorDetailProps
): JSX.Element {
  const { tensor, trans } = props;
  const row = tensor.row;
  const [copied, setCopied] = React.useState(false);
  const name = row.name ?? row.op_name ?? row.op;
  const code = `${variableName(row)} = ${tensor.fetch_code}`;
  const shape = row.shape;
  const known = shape !== null && shape.every(d => d !== null);
  return (
    <div className="jp-EagerLab-detailBody">
      <div className="jp-EagerLab-detailTitle">
        {row.name !== null ? (
          <span className="jp-EagerLab-detailName">{row.name}</span>
        ) : (
          <span
            className="jp-EagerLab-detailName jp-EagerLab-unnamed"
            title={row.reason ?? ''}
          >
            {trans.__('<unnamed>')}
          </span>
        )}
      </div>
      <div className="jp-EagerLab-actions">
        <button
          className="jp-mod-styled jp-EagerLab-copyName"
          title={trans.__('Copy %1', name)}
          onClick={() =>
            void copyText(name).then(ok => {
              setCopied(ok);
              window.setTimeout(() => setCopied(false), 1500);
            })
          }
        >
          {copied ? trans.__('Copied') : trans.__('Copy name')}
        </button>
        <button
          className="jp-mod-styled jp-EagerLab-insertCode"
          title={code}
          onClick={() => props.onInsertCode(code)}
        >
          {trans.__('Insert code')}
        </button>
      </div>
      <dl className="jp-EagerLab-fields">
        {row.name === null && (
          <Field label={trans.__('Unnamed')} value={row.reason ?? ''} />
        )}
        <Field label={trans.__('Op')} value={row.op} />
        {row.op_name !== null && (
          <Field label={trans.__('Op name')} value={row.op_name} />
        )}
        {row.scope !== null && (
          <Field label={trans.__('Scope')} value={row.scope || '—'} />
        )}
        {row.graph !== null && (
          <Field label={trans.__('Graph')} value={row.graph} />
        )}
        <Field
          label={trans.__('Tensor')}
          value={shapeText(row.dtype, row.shape)}
        />
        <Field label={trans.__('Summary')} value={row.summary} />
        {row.source && (
          <>
            <dt>{trans.__('Source')}</dt>
            <dd>
              {props.onRevealSource ? (
                <button
                  className="jp-EagerLab-noteLink jp-EagerLab-sourceLink"
                  title={trans.__(
                    '%1:%2 in %3 — show in the notebook',
                    row.source.file,
                    row.source.line,
                    row.source.function
                  )}
                  onClick={() => props.onRevealSource!(row, tensor.code)}
                >
                  {sourceText(row.source)}
                </button>
              ) : (
                sourceText(row.source)
              )}{' '}
              ({row.source.function})
            </dd>
          </>
        )}
        {!!tensor.code && (
          <Field label={trans.__('Code')} value={tensor.code} code />
        )}
        {row.error !== null && (
          <Field label={trans.__('Error')} value={row.error} error />
        )}
        {tensor.inputs && tensor.inputs.length > 0 && (
          <>
            <dt>{trans.__('Inputs')}</dt>
            <dd className="jp-EagerLab-inputs">
              {tensor.inputs.map(i => (
                <button
                  key={i}
                  className="jp-EagerLab-noteLink jp-EagerLab-inputLink"
                  title={trans.__('Go to row %1', i)}
                  onClick={() => props.onReveal(i)}
                >
                  {props.rowLabel(i)}
                </button>
              ))}
            </dd>
          </>
        )}
      </dl>
      {tensor.stats && <Stats stats={tensor.stats} trans={trans} />}
      {props.trend}
      {!row.has_value ? (
        <p className="jp-EagerLab-detailHint jp-EagerLab-noValue">
          {noValueText(row, trans)}
        </p>
      ) : known ? (
        <>
          {shape!.length >= 1 && (
            <Heatmap
              shape={shape as number[]}
              trans={trans}
              fetchValues={props.fetchValues}
            />
          )}
          <RawValues
            shape={shape as number[]}
            trans={trans}
            fetchValues={props.fetchValues}
          />
        </>
      ) : null}
    </div>
  );
}

function Field(props: {
  label: string;
  value: string;
  code?: boolean;
  error?: boolean;
}): JSX.Element {
  return (
    <>
      <dt>{props.label}</dt>
      <dd className={props.error ? 'jp-mod-error' : undefined}>
        {props.code ? <code>{props.value}</code> : props.value}
      </dd>
    </>
  );
}

function Stat(props: {
  label: string;
  value: string;
  error?: boolean;
}): JSX.Element {
  return (
    <div className={`jp-EagerLab-stat${props.error ? ' jp-mod-error' : ''}`}>
      <span className="jp-EagerLab-statLabel">{props.label}</span>{' '}
      <span className="jp-EagerLab-statValue">{props.value}</span>
    </div>
  );
}

function Stats(props: {
  stats: IStats;
  trans: TranslationBundle;
}): JSX.Element {
  const { stats, trans } = props;
  // min, max and mean share a precision that shows their spread; std and the
  // histogram's edges are read on their own scale.
  const [min, max, mean] = formatSpread([stats.min, stats.max, stats.mean]);
  const std = stats.std === null ? '—' : formatNumber(stats.std);
  const tallest = Math.max(1, ...stats.histogram);
  const edges = stats.bin_edges;
  const edgeText = formatSpread(edges).map(t => (t === '—' ? '?' : t));
  return (
    <section className="jp-EagerLab-stats" aria-label={trans.__('Statistics')}>
      <div className="jp-EagerLab-statsGrid">
        <Stat label={trans.__('size')} value={String(stats.size)} />
        <Stat label="min" value={min} />
        <Stat label="max" value={max} />
        <Stat label="mean" value={mean} />
        <Stat label="std" value={std} />
        <Stat label={trans.__('zeros')} value={String(stats.zeros)} />
        <Stat label="NaN" value={String(stats.nan)} error={stats.nan > 0} />
        <Stat
          label="+Inf"
          value={String(stats.pos_inf)}
          error={stats.pos_inf > 0}
        />
        <Stat
          label="-Inf"
          value={String(stats.neg_inf)}
          error={stats.neg_inf > 0}
        />
      </div>
      {stats.histogram.length > 0 && (
        <div
          className="jp-EagerLab-histogram"
          role="img"
          aria-label={trans.__('Histogram')}
        >
          <div className="jp-EagerLab-bars">
            {stats.histogram.map((n, k) => (
              <div
                key={k}
                className="jp-EagerLab-bar"
                style={{ height: `${(100 * n) / tallest}%` }}
                title={
                  edges.length > k + 1
                    ? `[${edgeText[k]}, ${edgeText[k + 1]}): ${n}`
                    : String(n)
                }
              />
            ))}
          </div>
          {edges.length >= 2 && (
            <div className="jp-EagerLab-axis">
              <span>{edgeText[0]}</span>
              <span>{edgeText[edges.length - 1]}</span>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** A 2-D slice as a canvas; leading indices chosen with number inputs. */
function Heatmap(props: {
  shape: number[];
  trans: TranslationBundle;
  fetchValues: FetchValues;
}): JSX.Element | null {
  const { shape, trans } = props;
  const lead = shape.slice(0, Math.max(0, shape.length - 2));
  const [index, setIndex] = React.useState<number[]>(() => lead.map(() => 0));
  const [state, setState] = React.useState<
    | { kind: 'loading' }
    | { kind: 'ok'; h: number; w: number }
    | { kind: 'error'; message: string }
  >({ kind: 'loading' });
  const canvas = React.useRef<HTMLCanvasElement>(null);
  const h = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const w = shape[shape.length - 1];
  const empty = h * w === 0;

  React.useEffect(() => {
    if (empty) {
      return;
    }
    let live = true;
    const count = Math.min(h * w, MAX_VALUES);
    setState({ kind: 'loading' });
    props.fetchValues(index, 0, count).then(
      page => {
        if (!live || !page) {
          return;
        }
        const rows = Math.floor(page.count / w);
        if (canvas.current) {
          drawHeatmap(canvas.current, page, rows, w);
        }
        setState({ kind: 'ok', h: rows, w });
      },
      e => live && setState({ kind: 'error', message: (e as Error).message })
    );
    return () => {
      live = false;
    };
  }, [index.join(',')]);

  if (empty) {
    return null;
  }
  return (
    <section className="jp-EagerLab-heatmap" aria-label={trans.__('Heatmap')}>
      <div className="jp-EagerLab-sectionTitle">
        {trans.__('Heatmap')}{' '}
        {lead.length > 0 && (
          <span className="jp-EagerLab-slice">
            [
            {lead.map((dim, d) => (
              <input
                key={d}
                type="number"
                className="jp-EagerLab-sliceIndex"
                min={0}
                max={dim - 1}
                value={index[d]}
                aria-label={trans.__(
                  'Index along dimension %1 (0 to %2)',
                  d,
                  dim - 1
                )}
                onChange={e => {
                  const v = Math.max(
                    0,
                    Math.min(dim - 1, Number(e.target.value) || 0)
                  );
                  const next = index.slice();
                  next[d] = v;
                  setIndex(next);
                }}
              />
            ))}
            , :, :]
          </span>
        )}
        {state.kind === 'ok' && (
          <span className="jp-EagerLab-muted">
            {' '}
            {state.h}×{state.w}
          </span>
        )}
      </div>
      {state.kind === 'error' && (
        <p className="jp-EagerLab-detailHint jp-mod-error">{state.message}</p>
      )}
      <canvas
        ref={canvas}
        className="jp-EagerLab-heatmapCanvas"
        role="img"
        aria-label={trans.__('Heatmap of a %1×%2 slice', h, w)}
      />
    </section>
  );
}

/** Raw values, RAW_PAGE per page, as text. */
function RawValues(props: {
  shape: number[];
  trans: TranslationBundle;
  fetchValues: FetchValues;
}): JSX.Element {
  const { shape, trans } = props;
  const total = shape.reduce((a, b) => a * b, 1);
  const [page, setPage] = React.useState(0);
  const [values, setValues] = React.useState<
    | { kind: 'loading' }
    | { kind: 'ok'; page: IValuesPage }
    | { kind: 'error'; message: string }
  >({ kind: 'loading' });

  React.useEffect(() => {
    let live = true;
    const offset = page * RAW_PAGE;
    const count = Math.min(RAW_PAGE, total - offset);
    if (count <= 0) {
      return;
    }
    setValues({ kind: 'loading' });
    props.fetchValues([], offset, count).then(
      p => live && p && setValues({ kind: 'ok', page: p }),
      e => live && setValues({ kind: 'error', message: (e as Error).message })
    );
    return () => {
      live = false;
    };
  }, [page]);

  return (
    <section className="jp-EagerLab-raw" aria-label={trans.__('Values')}>
      <ValuesPager
        total={total}
        size={RAW_PAGE}
        page={page}
        setPage={setPage}
        trans={trans}
      />
      {values.kind === 'error' && (
        <p className="jp-EagerLab-detailHint jp-mod-error">{values.message}</p>
      )}
      {values.kind === 'ok' && (
        <ol className="jp-EagerLab-values" start={values.page.offset}>
          {Array.from({ length: values.page.count }, (_, k) => {
            const flat = values.page.offset + k;
            const v = values.page.data[k];
            return (
              <li key={flat}>
                <span className="jp-EagerLab-valueIndex">
                  [{unravel(flat, shape).join(', ')}]
                </span>{' '}
                <span className="jp-EagerLab-value">
                  {formatValue(v, values.page.dtype)}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

// ------------------------------------------------------------- helpers

/**
 * Why a row has no values to show: the kernel's own sentence (1.2), else what
 * a 1.0/1.1 kernel could only mean by it.
 */
export function whyNoValue(row: ITensorRow, trans: TranslationBundle): string {
  if (row.why_no_value) {
    return row.why_no_value.replace(/\.$/, '');
  }
  if (row.error !== null && row.dtype === null) {
    return trans.__('the op raised before producing this output');
  }
  return trans.__(
    'the value is no longer held in the kernel; the summary is kept'
  );
}

/** The detail's line for a row without values. */
export function noValueText(row: ITensorRow, trans: TranslationBundle): string {
  return trans.__('No values: %1.', whyNoValue(row, trans));
}

/** A Python identifier for a tensor: `Mean:0` → `mean_0`. */
export function variableName(row: ITensorRow): string {
  const base = row.name
    ? (row.name.split('/').pop() ?? row.name)
    : `tensor_${row.i}`;
  let id = base
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/_+/g, '_');
  id = id.replace(/^_+|_+$/g, '');
  if (!id || /^[0-9]/.test(id)) {
    id = `t_${id}`;
  }
  return Private.PY_KEYWORDS.has(id) ? `${id}_` : id;
}

/** Sequential colour map (viridis stops). */
const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37]
];

function colour(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const k = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - k;
  const a = STOPS[k];
  const b = STOPS[k + 1];
  return [
    Math.round(a[0] + f * (b[0] - a[0])),
    Math.round(a[1] + f * (b[1] - a[1])),
    Math.round(a[2] + f * (b[2] - a[2]))
  ];
}

function cssColour(
  el: Element,
  name: string,
  fallback: [number, number, number]
) {
  const probe = document.createElement('span');
  probe.style.color = `var(${name})`;
  probe.style.display = 'none';
  el.appendChild(probe);
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(
    getComputedStyle(probe).color
  );
  probe.remove();
  return m
    ? ([Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number])
    : fallback;
}

function drawHeatmap(
  canvas: HTMLCanvasElement,
  page: IValuesPage,
  h: number,
  w: number
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx || h === 0 || w === 0) {
    return;
  }
  const n = h * w;
  const data = page.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = Number(data[k]);
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const parent = canvas.parentElement ?? canvas;
  const nan = cssColour(parent, '--jp-warn-color0', [255, 160, 0]);
  const inf = cssColour(parent, '--jp-error-color0', [210, 47, 47]);
  canvas.width = w;
  canvas.height = h;
  // A strip (a 1-D tensor, or a long thin slice) is stretched to stay visible.
  const strip = h * 24 < w || w * 24 < h;
  canvas.style.objectFit = strip ? 'fill' : '';
  canvas.style.height = h * 24 < w ? '24px' : '';
  canvas.style.width = w * 24 < h ? '24px' : '';
  const image = ctx.createImageData(w, h);
  const px = image.data;
  for (let k = 0; k < n; k++) {
    const v = Number(data[k]);
    const c = Number.isNaN(v)
      ? nan
      : !Number.isFinite(v)
        ? inf
        : colour((v - lo) / span);
    px[4 * k] = c[0];
    px[4 * k + 1] = c[1];
    px[4 * k + 2] = c[2];
    px[4 * k + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  const [loText, hiText] = formatSpread([lo, hi]);
  canvas.title = `min ${loText} · max ${hiText}`;
}

namespace Private {
  export function indexOf(detail: Detail): string {
    return detail.kind === 'none' ? '' : String(detail.index);
  }

  export const PY_KEYWORDS = new Set([
    'and',
    'as',
    'assert',
    'async',
    'await',
    'break',
    'class',
    'continue',
    'def',
    'del',
    'elif',
    'else',
    'except',
    'false',
    'finally',
    'for',
    'from',
    'global',
    'if',
    'import',
    'in',
    'is',
    'lambda',
    'none',
    'nonlocal',
    'not',
    'or',
    'pass',
    'raise',
    'return',
    'true',
    'try',
    'while',
    'with',
    'yield'
  ]);
}
