/**
 * A 2-D slice of a tensor as a canvas (a 1-D tensor as a strip), in a
 * sequential colour map, NaN and Inf in the theme's warning and error
 * colours; the leading indices of a tensor of rank 3 or more are chosen with
 * number inputs.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { MAX_VALUES } from '../protocol';
import type { FetchValues, IValuesPage } from '../tokens';
import { formatSpread } from './format';

/** A 2-D slice as a canvas; leading indices chosen with number inputs. */
export function Heatmap(props: {
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
