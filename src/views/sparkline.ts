/**
 * Trend geometry shared by the table's sparklines and the detail's chart:
 * values to points, a log scale when they span decades (exploding or
 * vanishing gradients are visible at a glance), gaps where a step has no
 * finite value.
 */
import type { ITrendSeries } from '../protocol';

export type TrendMetric = 'max_abs' | 'mean' | 'std' | 'nonfinite';

/** The values of `metric` per step (`nonfinite`: NaN count plus Inf count). */
export function metricValues(
  series: ITrendSeries,
  metric: TrendMetric
): Array<number | null> {
  if (metric === 'nonfinite') {
    return series.nan.map((n, k) => n + series.inf[k]);
  }
  return series[metric];
}

export interface IScale {
  log: boolean;
  lo: number;
  hi: number;
}

/**
 * The y scale of `values`: logarithmic when every value is positive and the
 * largest is at least 100 times the smallest.
 */
export function scaleOf(values: Array<number | null>): IScale | null {
  const finite = values.filter(
    (v): v is number => v !== null && Number.isFinite(v)
  );
  if (finite.length === 0) {
    return null;
  }
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const log = lo > 0 && hi / lo >= 100;
  return { log, lo, hi };
}

/**
 * Polyline segments (`x,y x,y …`) of `values` in a `width`×`height` box, y
 * growing downwards; a null value breaks the line. `xs[k]` is the x of step k.
 */
export function trendSegments(
  values: Array<number | null>,
  width: number,
  height: number,
  pad = 1
): { segments: string[]; xs: number[]; ys: Array<number | null> } {
  const n = values.length;
  const scale = scaleOf(values);
  const xs = values.map((_, k) =>
    n <= 1 ? width / 2 : pad + (k * (width - 2 * pad)) / (n - 1)
  );
  const ys: Array<number | null> = values.map(v => {
    if (scale === null || v === null || !Number.isFinite(v)) {
      return null;
    }
    const f = scale.log ? Math.log10 : (x: number) => x;
    const span = f(scale.hi) - f(scale.lo);
    const t = span > 0 ? (f(v) - f(scale.lo)) / span : 0.5;
    return height - pad - t * (height - 2 * pad);
  });
  const segments: string[] = [];
  let current: string[] = [];
  ys.forEach((y, k) => {
    if (y === null) {
      if (current.length) {
        segments.push(current.join(' '));
      }
      current = [];
    } else {
      current.push(`${round(xs[k])},${round(y)}`);
    }
  });
  if (current.length) {
    segments.push(current.join(' '));
  }
  return { segments, xs, ys };
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * A table cell's sparkline: max |x| per step, red marks on steps holding
 * NaN/Inf, a ring on the step shown. Decorative: the cell's title and the
 * detail's chart carry the numbers.
 */
export function createSparkline(
  series: ITrendSeries,
  currentStep: number | null,
  width = 56,
  height = 16
): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'jp-EagerLab-sparkline');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('aria-hidden', 'true');
  const { segments, xs, ys } = trendSegments(
    metricValues(series, 'max_abs'),
    width,
    height,
    2
  );
  for (const points of segments) {
    const line = document.createElementNS(SVG_NS, 'polyline');
    line.setAttribute('points', points);
    line.setAttribute('class', 'jp-EagerLab-sparkLine');
    svg.appendChild(line);
  }
  series.step.forEach((step, k) => {
    const bad = series.nan[k] + series.inf[k] > 0;
    if (!bad && step !== currentStep) {
      return;
    }
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('cx', String(round(xs[k])));
    dot.setAttribute('cy', String(round(ys[k] ?? height / 2)));
    dot.setAttribute('r', bad ? '2' : '1.8');
    dot.setAttribute(
      'class',
      bad ? 'jp-EagerLab-sparkBad' : 'jp-EagerLab-sparkCurrent'
    );
    svg.appendChild(dot);
  });
  return svg;
}

/** One line of text for a sparkline's title: the numbers it draws. */
export function sparklineTitle(series: ITrendSeries): string {
  const parts = series.step.map((step, k) => {
    const v = series.max_abs[k];
    const bad = series.nan[k] + series.inf[k];
    const text = v === null ? '—' : formatShort(v);
    return bad > 0 ? `${step}: ${text} (${bad} NaN/Inf)` : `${step}: ${text}`;
  });
  return `max |x| by step — ${parts.join(', ')}`;
}

export function formatShort(v: number): string {
  if (!Number.isFinite(v)) {
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  }
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) {
    return v.toExponential(2);
  }
  return String(Number(v.toPrecision(4)));
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
