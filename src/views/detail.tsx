/**
 * The selected tensor: summary, stats, histogram, a heatmap of a 2-D slice,
 * raw values page by page, and actions (copy name, insert code). The
 * statistics, heatmap and raw values are stats.tsx, heatmap.tsx and
 * rawValues.tsx; the eager | graph section is compareDetail.tsx.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { ComparisonModel } from '../comparison';
import type { Detail, EagerLabModel } from '../model';
import type { TrendsModel } from '../trends';
import type { IComparisonRow, ITensor, ITensorRow } from '../protocol';
import type { FetchValues } from '../tokens';
import { copyText } from './clipboard';
import type { IOrigin } from './compareDetail';
import { CompareSection, GraphOnlyDetail } from './compareDetail';
import { formatNumber, formatValue, unravel } from './format';
import { Heatmap } from './heatmap';
import { RawValues } from './rawValues';
import { Stats } from './stats';
import { shapeText, sourceText } from './table';
import { TrendChart } from './trendChart';

export { formatNumber, formatValue, unravel };
export { RAW_PAGE } from './rawValues';

export const DETAIL_ID = 'eager-lab-detail';

/** Show the line that made `row`; `code` is the line the kernel recorded. */
type RevealSource = (row: ITensorRow, code: string | null) => void;

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
    const mode = cmp?.mode;
    const origin = cmpRow ? this._origin(cmpRow) : null;
    if (cmpRow && cmpRow.eager_index === null) {
      // Graph-only, or an XLA row, whose eager value is no tensor of the step.
      return (
        <GraphOnlyDetail
          key={`${key}/g${cmpRow.k}`}
          row={cmpRow}
          fetchGraph={fetchGraph}
          fetchEager={
            cmpRow.only_in === null
              ? (p, o, c) => cmp!.fetchGraphValues(cmpRow.k, p, o, c, 'eager')
              : null
          }
          mode={mode}
          origin={origin}
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
            mode={mode}
            origin={origin}
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

  /** A propagated row's origin, as the detail links to it. */
  private _origin(row: IComparisonRow): IOrigin | null {
    const cmp = this._comparison!;
    const k = row.origin;
    const from = k === undefined || k === null ? undefined : cmp.rows[k];
    if (!from) {
      return null;
    }
    return {
      k: from.k,
      label: from.name ?? `<unnamed> ${from.op}`,
      reveal: () => cmp.revealOrigin(row.k)
    };
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
        {!!tensor.layer && (
          <Field label={trans.__('Layer')} value={tensor.layer} />
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
