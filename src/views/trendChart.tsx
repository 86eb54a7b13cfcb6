/**
 * The selected tensor over the recording's steps: max |x|, mean, std or
 * NaN/Inf count per step, as a line chart (log scale when the values span
 * decades), with the numbers in a table below for readers and tests.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { ITrendSeries } from '../protocol';
import type { TrendMetric } from './sparkline';
import { formatShort, metricValues, scaleOf, trendSegments } from './sparkline';

const WIDTH = 240;
const HEIGHT = 72;

export function TrendChart(props: {
  name: string;
  series: ITrendSeries;
  currentStep: number | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { series, trans } = props;
  const [metric, setMetric] = React.useState<TrendMetric>('max_abs');
  const labels: Record<TrendMetric, string> = {
    max_abs: 'max |x|',
    mean: trans.__('mean'),
    std: trans.__('std'),
    nonfinite: 'NaN/Inf'
  };
  const values = metricValues(series, metric);
  const scale = scaleOf(values);
  const { segments, xs, ys } = trendSegments(values, WIDTH, HEIGHT, 7);
  const first = series.step[0];
  const last = series.step[series.step.length - 1];
  return (
    <section
      className="jp-EagerLab-trend"
      aria-label={trans.__('Trend over steps')}
    >
      <div className="jp-EagerLab-sectionTitle">
        {trans.__('Over %1 steps', series.step.length)}{' '}
        <span className="jp-EagerLab-trendMetrics" role="group">
          {(Object.keys(labels) as TrendMetric[]).map(m => (
            <button
              key={m}
              className={`jp-mod-styled jp-EagerLab-trendMetric${
                m === metric ? ' jp-mod-active' : ''
              }`}
              aria-pressed={m === metric}
              onClick={() => setMetric(m)}
            >
              {labels[m]}
            </button>
          ))}
        </span>
      </div>
      <svg
        className="jp-EagerLab-trendChart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={trans.__(
          '%1 of %2 over steps %3 to %4',
          labels[metric],
          props.name,
          first,
          last
        )}
      >
        {segments.map((points, k) => (
          <polyline key={k} className="jp-EagerLab-trendLine" points={points} />
        ))}
        {series.step.map((step, k) => {
          const bad = series.nan[k] + series.inf[k] > 0;
          const y = ys[k];
          if (y === null && !bad) {
            return null;
          }
          const current = step === props.currentStep;
          const at = {
            x1: xs[k],
            x2: xs[k],
            y1: y ?? HEIGHT / 2,
            y2: y ?? HEIGHT / 2
          };
          // Zero-length round-capped lines with non-scaling strokes stay round
          // in a chart stretched to the panel's width (circles would not).
          return (
            <g key={step}>
              <title>{`${trans.__('step %1', step)}: ${
                values[k] === null ? '—' : formatShort(values[k] as number)
              }`}</title>
              {current && <line {...at} className="jp-EagerLab-trendRing" />}
              <line
                {...at}
                className={
                  bad
                    ? 'jp-EagerLab-trendBad'
                    : current
                      ? 'jp-EagerLab-trendCurrent'
                      : 'jp-EagerLab-trendPoint'
                }
              />
            </g>
          );
        })}
      </svg>
      <div className="jp-EagerLab-axis">
        <span>{trans.__('step %1', first)}</span>
        <span className="jp-EagerLab-muted">
          {scale
            ? `${formatShort(scale.lo)} … ${formatShort(scale.hi)}${
                scale.log ? ` (${trans.__('log scale')})` : ''
              }`
            : trans.__('no finite values')}
        </span>
        <span>{trans.__('step %1', last)}</span>
      </div>
      <details className="jp-EagerLab-trendNumbers">
        <summary>{trans.__('Numbers')}</summary>
        <table className="jp-EagerLab-diffTable">
          <thead>
            <tr>
              <th scope="col">{trans.__('step')}</th>
              <th scope="col">max |x|</th>
              <th scope="col">{trans.__('mean')}</th>
              <th scope="col">{trans.__('std')}</th>
              <th scope="col">NaN</th>
              <th scope="col">Inf</th>
            </tr>
          </thead>
          <tbody>
            {series.step.map((step, k) => (
              <tr
                key={step}
                className={
                  series.nan[k] + series.inf[k] > 0
                    ? 'jp-mod-differs'
                    : undefined
                }
              >
                <td>{step}</td>
                <td>{cell(series.max_abs[k])}</td>
                <td>{cell(series.mean[k])}</td>
                <td>{cell(series.std[k])}</td>
                <td>{series.nan[k]}</td>
                <td>{series.inf[k]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

function cell(v: number | null): string {
  return v === null ? '—' : formatShort(v);
}
