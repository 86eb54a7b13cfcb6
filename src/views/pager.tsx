/** "Values ‹ 1–100 of 1792 ›": the title and pager of a paged list of values. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/**
 * Which values a page shows, counted from 1 as people count them (the list
 * beside it gives each value's index): `1–100 of 1792`, `1 value`, `empty`.
 */
export function pageText(
  total: number,
  size: number,
  page: number,
  trans: TranslationBundle
): string {
  if (total === 0) {
    return trans.__('empty');
  }
  if (total === 1) {
    return trans.__('1 value');
  }
  const first = page * size + 1;
  const last = Math.min(total, (page + 1) * size);
  return first === last
    ? trans.__('%1 of %2', first, total)
    : trans.__('%1–%2 of %3', first, last, total);
}

export function ValuesPager(props: {
  /** Elements in all. */
  total: number;
  /** Elements per page. */
  size: number;
  page: number;
  setPage: (page: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { total, size, page, setPage, trans } = props;
  const pages = Math.max(1, Math.ceil(total / size));
  return (
    <div className="jp-EagerLab-sectionTitle">
      {trans.__('Values')}
      <span className="jp-EagerLab-pager">
        {pages > 1 && (
          <button
            className="jp-mod-styled jp-EagerLab-prev"
            disabled={page === 0}
            onClick={() => setPage(page - 1)}
            aria-label={trans.__('Previous values')}
          >
            ‹
          </button>
        )}
        <span className="jp-EagerLab-pageInfo">
          {pageText(total, size, page, trans)}
        </span>
        {pages > 1 && (
          <button
            className="jp-mod-styled jp-EagerLab-next"
            disabled={page >= pages - 1}
            onClick={() => setPage(page + 1)}
            aria-label={trans.__('Next values')}
          >
            ›
          </button>
        )}
      </span>
    </div>
  );
}
