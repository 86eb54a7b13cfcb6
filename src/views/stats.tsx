/**
 * A tensor's statistics as the kernel computed them: size, min/max/mean/std,
 * zeros and NaN/Inf counts, and its histogram with the bins' edges.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IStats } from '../protocol';
import { formatNumber, formatSpread } from './format';

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

export function Stats(props: {
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
