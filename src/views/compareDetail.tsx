/**
 * The selected row of a compared step in the detail pane: the verdict
 * (diverges, matches, only in one mode), (1.4) why it differs, in which
 * layer, and where a propagated difference came from, the graph value's
 * summary and the values side by side, eager | graph | Δ, page by page.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { ComparisonMode, IComparisonRow } from '../protocol';
import { rowCauseLabel } from './causeText';
import type { IValuesPage } from '../tokens';
import { formatNumber, formatValue, unravel } from './format';
import { ValuesPager } from './pager';

/** Elements per page of the side-by-side values. */
export const DIFF_PAGE = 100;

type Fetch = (
  prefix: number[],
  offset: number,
  count: number
) => Promise<IValuesPage | null>;

/** A propagated row's origin: its row and how to name it. */
export interface IOrigin {
  k: number;
  label: string;
  /** Select and show the origin row. */
  reveal: () => void;
}

export function CompareSection(props: {
  row: IComparisonRow;
  /** The eager twin's value (null: graph-only, or its value is gone). */
  fetchEager: Fetch | null;
  /** Why the eager twin has no value to show beside the graph's, if so. */
  noEager?: string | null;
  fetchGraph: Fetch;
  /** What the comparison is against (graph by default). */
  mode?: ComparisonMode;
  /** A propagated row: the row its difference came from. */
  origin?: IOrigin | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { row, trans } = props;
  const xla = props.mode === 'xla';
  return (
    <section
      className="jp-EagerLab-compare"
      aria-label={xla ? trans.__('Eager and XLA') : trans.__('Eager and graph')}
    >
      <div className="jp-EagerLab-sectionTitle">
        {xla ? trans.__('Eager vs XLA') : trans.__('Eager vs graph')}{' '}
        <Verdict row={row} trans={trans} />
      </div>
      <Cause row={row} origin={props.origin ?? null} trans={trans} />
      <dl className="jp-EagerLab-fields">
        {row.eager_summary && (
          <>
            <dt>{trans.__('Eager')}</dt>
            <dd className="jp-EagerLab-eagerSummary">{row.eager_summary}</dd>
          </>
        )}
        {row.graph_summary !== null && (
          <>
            <dt>{xla ? trans.__('XLA') : trans.__('Graph')}</dt>
            <dd className="jp-EagerLab-graphSummary">{row.graph_summary}</dd>
          </>
        )}
        {row.max_abs_diff !== null && (
          <>
            <dt>{trans.__('max |Δ|')}</dt>
            <dd className="jp-EagerLab-maxDiff">
              {formatNumber(row.max_abs_diff)}
              {row.max_rel_diff !== null &&
                ` (${trans.__('relative %1', formatNumber(row.max_rel_diff))})`}
            </dd>
          </>
        )}
        {row.why !== null && (
          <>
            <dt>{trans.__('Not compared')}</dt>
            <dd>{row.why}</dd>
          </>
        )}
      </dl>
      {row.only_in !== 'eager' && (
        <SideBySide
          key={row.k}
          fetchEager={props.fetchEager}
          noEager={props.noEager ?? null}
          fetchGraph={props.fetchGraph}
          xla={xla}
          trans={trans}
        />
      )}
    </section>
  );
}

/**
 * (1.4) Why the row differs (the kernel's sentence under its short label),
 * the Keras layer it belongs to, and for a propagated difference a link to
 * the row it came from. Nothing from an older kernel.
 */
function Cause(props: {
  row: IComparisonRow;
  origin: IOrigin | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { row, origin, trans } = props;
  const label = rowCauseLabel(row, trans);
  if (!label && !row.layer) {
    return null;
  }
  return (
    <dl className="jp-EagerLab-fields jp-EagerLab-cause">
      {label && (
        <>
          <dt>{trans.__('Cause')}</dt>
          <dd>
            <span
              className={`jp-EagerLab-causeLabel${row.noise ? ' jp-mod-noise' : ''}`}
            >
              {label}
              {row.noise ? ` (${trans.__('optimisation noise')})` : ''}
            </span>
            {row.cause_text && (
              <div className="jp-EagerLab-causeText">{row.cause_text}</div>
            )}
          </dd>
        </>
      )}
      {origin && (
        <>
          <dt>{trans.__('From')}</dt>
          <dd>
            <button
              type="button"
              className="jp-EagerLab-noteLink jp-EagerLab-originLink"
              title={trans.__('Show the row this difference came from')}
              onClick={origin.reveal}
            >
              {origin.label}
            </button>
          </dd>
        </>
      )}
      {row.layer && (
        <>
          <dt>{trans.__('Layer')}</dt>
          <dd className="jp-EagerLab-layer">{row.layer}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * A row without an eager tensor of the step: graph-only (nothing to show
 * beside its value), or a row of an XLA comparison, whose eager value comes
 * from an eager replay of the step (`fetchEager`).
 */
export function GraphOnlyDetail(props: {
  row: IComparisonRow;
  fetchGraph: Fetch;
  fetchEager?: Fetch | null;
  mode?: ComparisonMode;
  origin?: IOrigin | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { row, trans } = props;
  return (
    <div className="jp-EagerLab-detailBody">
      <div className="jp-EagerLab-detailTitle">
        <span className="jp-EagerLab-detailName">
          {row.name ?? trans.__('<unnamed>')}
        </span>
      </div>
      <dl className="jp-EagerLab-fields">
        <dt>{trans.__('Op')}</dt>
        <dd>{row.op}</dd>
        {row.graph !== null && (
          <>
            <dt>{trans.__('Graph')}</dt>
            <dd>{row.graph}</dd>
          </>
        )}
      </dl>
      <p className="jp-EagerLab-detailHint">
        {row.only_in !== 'graph'
          ? trans.__(
              'Against XLA the step is compared by what it exposes (outputs, gradients, variables after the update): this eager value comes from an eager run of the step, not from one of its recorded tensors.'
            )
          : props.mode === 'xla'
            ? trans.__(
                'Only in the XLA run: no eager value is paired with this one, so it is shown alone.'
              )
            : trans.__(
                'Only in the graph: eager execution never makes this tensor (gradient shape arithmetic, control-flow bookkeeping), so it has no eager twin.'
              )}
      </p>
      <CompareSection
        row={row}
        fetchEager={props.fetchEager ?? null}
        fetchGraph={props.fetchGraph}
        mode={props.mode}
        origin={props.origin}
        trans={trans}
      />
    </div>
  );
}

function Verdict(props: {
  row: IComparisonRow;
  trans: TranslationBundle;
}): JSX.Element {
  const { row, trans } = props;
  const [text, cls] =
    row.only_in === 'graph'
      ? [trans.__('only in graph'), 'jp-EagerLab-muted']
      : row.only_in === 'eager'
        ? [trans.__('only in eager'), 'jp-EagerLab-muted']
        : row.diverges
          ? [trans.__('diverges beyond tolerance'), 'jp-mod-error']
          : [trans.__('matches within tolerance'), 'jp-EagerLab-ok'];
  return <span className={`jp-EagerLab-verdict ${cls}`}>{text}</span>;
}

type Pages =
  | { kind: 'loading' }
  | {
      kind: 'ok';
      graph: IValuesPage;
      eager: IValuesPage | null;
      /** Why the eager values are missing from this page, if they are. */
      eagerError: string | null;
    }
  | { kind: 'error'; message: string };

/** Values of both modes, element by element, with their difference. */
function SideBySide(props: {
  fetchEager: Fetch | null;
  noEager: string | null;
  fetchGraph: Fetch;
  /** The other side is XLA's run, not the graph's. */
  xla: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [page, setPage] = React.useState(0);
  const [pages, setPages] = React.useState<Pages>({ kind: 'loading' });

  React.useEffect(() => {
    let live = true;
    setPages({ kind: 'loading' });
    const offset = page * DIFF_PAGE;
    // An eager page that fails is said so beside the graph values, never
    // shown as a column of dashes.
    const eager: Promise<{ page: IValuesPage | null; error: string | null }> =
      props.fetchEager
        ? props.fetchEager([], offset, DIFF_PAGE).then(
            p => ({ page: p, error: p ? null : trans.__('not loaded') }),
            (e: Error) => ({ page: null, error: e.message })
          )
        : Promise.resolve({ page: null, error: null });
    Promise.all([props.fetchGraph([], offset, DIFF_PAGE), eager]).then(
      ([g, e]) =>
        live &&
        g &&
        setPages({
          kind: 'ok',
          graph: g,
          eager: e.page,
          eagerError: e.error
        }),
      err =>
        live && setPages({ kind: 'error', message: (err as Error).message })
    );
    return () => {
      live = false;
    };
  }, [page]);

  if (pages.kind === 'error') {
    return (
      <p className="jp-EagerLab-detailHint jp-mod-error">{pages.message}</p>
    );
  }
  if (pages.kind === 'loading') {
    return <p className="jp-EagerLab-detailHint">{trans.__('Loading…')}</p>;
  }
  const { graph, eager, eagerError } = pages;
  const total = graph.total;
  const eagerNote = props.noEager
    ? trans.__('No eager values: %1.', props.noEager)
    : eagerError
      ? trans.__('Eager values could not be loaded: %1', eagerError)
      : null;
  return (
    <div className="jp-EagerLab-sideBySide">
      <ValuesPager
        total={total}
        size={DIFF_PAGE}
        page={page}
        setPage={setPage}
        trans={trans}
      />
      {eagerNote && (
        <p className="jp-EagerLab-detailHint jp-EagerLab-noValue">
          {eagerNote}
        </p>
      )}
      <table className="jp-EagerLab-diffTable">
        <thead>
          <tr>
            <th scope="col">{trans.__('index')}</th>
            <th scope="col">{trans.__('eager')}</th>
            <th scope="col">
              {props.xla ? trans.__('XLA') : trans.__('graph')}
            </th>
            <th scope="col">Δ</th>
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: graph.count }, (_, k) => {
            const g = graph.data[k];
            const e = eager && k < eager.count ? eager.data[k] : null;
            const d = e === null ? null : Number(g) - Number(e);
            const differs =
              d !== null &&
              !(d === 0 || (isNaN(Number(g)) && isNaN(Number(e))));
            return (
              <tr
                key={graph.offset + k}
                className={differs ? 'jp-mod-differs' : undefined}
              >
                <td className="jp-EagerLab-valueIndex">
                  [{unravel(graph.offset + k, graph.shape).join(', ')}]
                </td>
                <td className="jp-EagerLab-eagerValue">
                  {e === null ? '—' : formatValue(e, eager!.dtype)}
                </td>
                <td className="jp-EagerLab-graphValue">
                  {formatValue(g, graph.dtype)}
                </td>
                <td>{d === null ? '—' : differs ? formatNumber(d) : '0'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
