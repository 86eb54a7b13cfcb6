/** "Values ‹ 0–99 of 1792 ›": the title and pager of a paged list of values. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

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
        <button
          className="jp-mod-styled jp-EagerLab-prev"
          disabled={page === 0}
          onClick={() => setPage(page - 1)}
          aria-label={trans.__('Previous values')}
        >
          ‹
        </button>
        <span className="jp-EagerLab-pageInfo">
          {total === 0
            ? trans.__('empty')
            : trans.__(
                '%1–%2 of %3',
                page * size,
                Math.min(total, (page + 1) * size) - 1,
                total
              )}
        </span>
        <button
          className="jp-mod-styled jp-EagerLab-next"
          disabled={page >= pages - 1}
          onClick={() => setPage(page + 1)}
          aria-label={trans.__('Next values')}
        >
          ›
        </button>
      </span>
    </div>
  );
}
