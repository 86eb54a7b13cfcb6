/**
 * Why a comparison row differs, in the panel's words: the kernel's causes
 * (docs/protocol.md, 1.4) as short labels for the Cause column and the
 * counts of the line above the table. Pure text.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IComparisonRow } from '../protocol';

const OPTIMIZATION = 'graph-optimization';

/** A cause's short label: `python value`, `optimizer: arithmetic`, `xla`… */
export function causeLabel(cause: string, trans: TranslationBundle): string {
  switch (cause) {
    case 'python-value':
      return trans.__('python value');
    case 'stateful':
      return trans.__('stateful op');
    case 'control-flow':
      return trans.__('control flow');
    case OPTIMIZATION:
      return trans.__('optimizer');
    case 'xla':
      return trans.__('xla');
    case 'propagated':
      return trans.__('propagated');
    case 'unknown':
      return trans.__('unknown');
  }
  if (cause.startsWith(`${OPTIMIZATION}:`)) {
    return trans.__('optimizer: %1', cause.slice(OPTIMIZATION.length + 1));
  }
  // A cause a later kernel adds: said as it is, without its dashes.
  return cause.replace(/-/g, ' ');
}

/**
 * The Cause cell of a row: empty where the row agrees or the kernel sends no
 * causes (before 1.4); `unknown` where a 1.4 kernel could not tell.
 */
export function rowCauseLabel(
  row: IComparisonRow,
  trans: TranslationBundle
): string {
  if (row.cause === undefined || !row.diverges) {
    return '';
  }
  return row.cause === null
    ? trans.__('unknown')
    : causeLabel(row.cause, trans);
}

/** The tooltip of a row's Cause cell: the kernel's sentence. */
export function rowCauseTitle(
  row: IComparisonRow,
  trans: TranslationBundle
): string {
  if (row.cause === undefined || !row.diverges) {
    return '';
  }
  return (
    row.cause_text ??
    trans.__('The kernel could not tell why this tensor differs')
  );
}

/** `27 optimizer: arithmetic, 12 propagated, 1 python value`. */
export function causeCounts(
  causes: ReadonlyArray<readonly [string, number]>,
  trans: TranslationBundle
): string {
  return causes.map(([c, n]) => `${n} ${causeLabel(c, trans)}`).join(', ');
}
