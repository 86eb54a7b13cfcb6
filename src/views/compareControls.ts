/**
 * The panel's comparison controls: the view switch (Eager | Eager vs graph |
 * Eager vs XLA), the First divergence button, the optimisation-noise toggle,
 * the line that sums the comparison up and, against XLA, the layer XLA
 * changes first. They read and drive the ComparisonModel; the sidebar places
 * them and shows the matching table.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ComparisonModel } from '../comparison';
import { causeCounts, causeLabel } from './causeText';

export class CompareControls {
  constructor(comparison: ComparisonModel, trans: TranslationBundle) {
    this._cmp = comparison;
    this._t = trans;

    const views = document.createElement('div');
    views.className = 'jp-EagerLab-viewSwitch';
    views.setAttribute('role', 'group');
    views.setAttribute('aria-label', trans.__('View'));
    this._eagerView = button('jp-EagerLab-viewEager', trans.__('Eager'), () =>
      comparison.setActive(false)
    );
    this._eagerView.title = trans.__('The tensors of the eager step');
    this._graphView = button(
      'jp-EagerLab-viewCompare',
      trans.__('Eager vs graph'),
      () => comparison.setActive(true, 'graph')
    );
    this._xlaView = button(
      'jp-EagerLab-viewXla',
      trans.__('Eager vs XLA'),
      () => comparison.setActive(true, 'xla')
    );
    views.append(this._eagerView, this._graphView, this._xlaView);

    this._jump = button(
      'jp-EagerLab-firstDivergence',
      trans.__('First divergence'),
      () => comparison.jumpToFirstDivergence()
    );
    this._noise = button('jp-EagerLab-noiseToggle', '', () => {
      comparison.showNoise = !comparison.showNoise;
    });
    this._noise.title = trans.__(
      'Rows whose difference is explained by graph optimisation alone (fused or reordered arithmetic): listed, or hidden so that the list shows what needs fixing'
    );
    const actions = document.createElement('div');
    actions.className = 'jp-EagerLab-compareActions';
    actions.append(this._noise, this._jump);

    this.viewRow = document.createElement('div');
    this.viewRow.className = 'jp-EagerLab-controlRow jp-EagerLab-viewRow';
    this.viewRow.append(views, actions);

    this.info = document.createElement('div');
    this.info.className = 'jp-EagerLab-compareInfo';
    this.info.setAttribute('aria-live', 'polite');
    this.xlaLayer = document.createElement('div');
    this.xlaLayer.className = 'jp-EagerLab-xlaLayer';
    this.xlaLayer.hidden = true;
  }

  /** The view switch and the buttons that act on the comparison shown. */
  readonly viewRow: HTMLElement;
  /** The line that sums the comparison up (or says what is going on). */
  readonly info: HTMLElement;
  /** Against XLA: the first layer XLA changes, above the table. */
  readonly xlaLayer: HTMLElement;

  render(): void {
    const trans = this._t;
    const cmp = this._cmp;
    const active = cmp.active;
    const loaded = cmp.state.kind === 'loaded';
    for (const [b, on] of [
      [this._eagerView, !active],
      [this._graphView, active && cmp.mode === 'graph'],
      [this._xlaView, active && cmp.mode === 'xla']
    ] as const) {
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('jp-mod-active', on);
    }
    const graph = cmp.availability;
    this._graphView.disabled = !active && !graph.ok;
    this._graphView.title = graph.ok
      ? trans.__(
          'Run this step again as a graph from the same starting state and compare every tensor (seconds; the model is left as it was)'
        )
      : trans.__('Cannot compare: %1', graph.why);
    const xla = cmp.xlaAvailability;
    this._xlaView.disabled = !xla.ok && !(active && cmp.mode === 'xla');
    this._xlaView.title = xla.ok
      ? trans.__(
          'Run this step again compiled with XLA (jit_compile) from the same starting state and compare what XLA exposes: outputs and every variable after the update; names the first layer XLA changes'
        )
      : trans.__('Cannot compare with XLA: %1', xla.why);

    this._jump.hidden = !(loaded && cmp.firstDivergence !== null);
    this._jump.title = cmp.hasCauses
      ? trans.__(
          'Show the first real divergence, in graph execution order: the first tensor beyond tolerance whose difference is neither optimisation noise nor carried from an earlier tensor'
        )
      : trans.__(
          'Show the first tensor, in graph execution order, whose eager and graph values differ beyond tolerance'
        );
    const noise = cmp.counts.noise;
    this._noise.hidden = !(loaded && noise > 0);
    this._noise.textContent = trans.__('Show optimisation noise (%1)', noise);
    this._noise.setAttribute('aria-pressed', String(cmp.showNoise));
    this._noise.classList.toggle('jp-mod-active', cmp.showNoise);

    this._renderInfo();
    const layer = loaded ? cmp.xlaLayer : null;
    this.xlaLayer.textContent = layer?.text ?? '';
    this.xlaLayer.title = layer?.path
      ? `${layer.path} (${layer.class_name ?? '?'})`
      : '';
    this.xlaLayer.hidden = !layer;
  }

  /** While a comparison loads, re-render each second (seconds waited). */
  private _tick(on: boolean): void {
    if (on && this._timer === null) {
      this._timer = window.setInterval(() => this._renderInfo(), 1000);
    } else if (!on && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _renderInfo(): void {
    const trans = this._t;
    const cmp = this._cmp;
    const state = cmp.state;
    const info = this.info;
    if (state.kind !== 'loading') {
      this._tick(false);
    }
    info.classList.toggle('jp-mod-error', state.kind === 'error');
    switch (state.kind) {
      case 'off':
        info.textContent = '';
        break;
      case 'loading': {
        const text =
          cmp.mode === 'xla'
            ? trans.__(
                'Compiling the step with XLA and running it from its starting state…'
              )
            : trans.__('Running the step as a graph from its starting state…');
        info.textContent = loadingText(text, cmp.progress, trans);
        this._tick(true);
        break;
      }
      case 'error':
        // The kernel's reasons already say "cannot compare step N: …".
        info.textContent = /^cannot compare/i.test(state.message)
          ? state.message.charAt(0).toUpperCase() + state.message.slice(1)
          : trans.__('Could not compare: %1', state.message);
        break;
      case 'loaded':
        info.textContent = compareSummary(cmp, trans);
        break;
    }
    info.hidden = info.textContent === '';
  }

  private _cmp: ComparisonModel;
  private _eagerView: HTMLButtonElement;
  private _graphView: HTMLButtonElement;
  private _jump: HTMLButtonElement;
  private _noise: HTMLButtonElement;
  private _t: TranslationBundle;
  private _timer: number | null = null;
  private _xlaView: HTMLButtonElement;
}

/**
 * The line above a loaded comparison: what was compared, how many tensors
 * differ and why, and the first real divergence with its cause.
 */
/**
 * The loading line: what the kernel does, then (after 2 s) its stage and the
 * seconds waited, e.g. "… — naming the graph rewrite behind 10 differences (7 s)".
 */
export function loadingText(
  text: string,
  progress: { stage: string | null; since: number } | null,
  trans: TranslationBundle,
  now: number = Date.now()
): string {
  if (!progress) {
    return text;
  }
  const seconds = Math.floor((now - progress.since) / 1000);
  if (seconds < 2) {
    return text;
  }
  return progress.stage
    ? trans.__('%1 — %2 (%3 s)', text, progress.stage, seconds)
    : trans.__('%1 (%2 s)', text, seconds);
}

export function compareSummary(
  cmp: Pick<
    ComparisonModel,
    | 'rows'
    | 'counts'
    | 'firstDivergence'
    | 'hasCauses'
    | 'mode'
    | 'seconds'
    | 'showNoise'
  >,
  trans: TranslationBundle
): string {
  const { rows, counts } = cmp;
  const { graphOnly, eagerOnly, diverging, noise } = counts;
  const xla = cmp.mode === 'xla';
  const parts = [
    xla
      ? trans.__(
          '%1 tensors against XLA (%2 only in XLA)',
          rows.length - eagerOnly,
          graphOnly
        )
      : trans.__(
          '%1 graph tensors (%2 only in graph)',
          rows.length - eagerOnly,
          graphOnly
        )
  ];
  if (eagerOnly) {
    parts.push(trans.__('%1 only in eager', eagerOnly));
  }
  const first =
    cmp.firstDivergence !== null ? rows[cmp.firstDivergence] : undefined;
  if (diverging === 0) {
    parts.push(trans.__('no divergence beyond tolerance'));
  } else if (!cmp.hasCauses) {
    // A kernel before 1.4: differences without causes.
    parts.push(
      first
        ? trans.__('%1 diverge; first: %2', diverging, first.name ?? first.op)
        : trans.__('%1 diverge', diverging)
    );
  } else {
    let text = trans.__(
      '%1 diverge (%2)',
      diverging,
      causeCounts(counts.causes, trans)
    );
    if (first) {
      const cause = first.cause ? causeLabel(first.cause, trans) : null;
      text += cause
        ? trans.__('; first: %1 (%2)', first.name ?? first.op, cause)
        : trans.__('; first: %1', first.name ?? first.op);
    } else {
      text += trans.__('; no real divergence: optimisation noise only');
    }
    parts.push(text);
    if (noise > 0 && !cmp.showNoise) {
      parts.push(trans.__('%1 noise rows hidden', noise));
    }
  }
  if (cmp.seconds !== null) {
    parts.push(trans.__('%1 s', cmp.seconds.toFixed(1)));
  }
  return parts.join(' · ');
}

function button(
  className: string,
  text: string,
  onClick: () => unknown
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `jp-mod-styled ${className}`;
  b.textContent = text;
  b.addEventListener('click', () => void onClick());
  return b;
}
