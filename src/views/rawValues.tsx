/**
 * A tensor's values as text, RAW_PAGE at a time, each with its index.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { FetchValues, IValuesPage } from '../tokens';
import { formatValue, unravel } from './format';
import { ValuesPager } from './pager';

/** Values per page of the raw list. */
export const RAW_PAGE = 100;

/** Raw values, RAW_PAGE per page, as text. */
export function RawValues(props: {
  shape: number[];
  trans: TranslationBundle;
  fetchValues: FetchValues;
}): JSX.Element {
  const { shape, trans } = props;
  const total = shape.reduce((a, b) => a * b, 1);
  const [page, setPage] = React.useState(0);
  const [values, setValues] = React.useState<
    | { kind: 'loading' }
    | { kind: 'ok'; page: IValuesPage }
    | { kind: 'error'; message: string }
  >({ kind: 'loading' });

  React.useEffect(() => {
    let live = true;
    const offset = page * RAW_PAGE;
    const count = Math.min(RAW_PAGE, total - offset);
    if (count <= 0) {
      return;
    }
    setValues({ kind: 'loading' });
    props.fetchValues([], offset, count).then(
      p => live && p && setValues({ kind: 'ok', page: p }),
      e => live && setValues({ kind: 'error', message: (e as Error).message })
    );
    return () => {
      live = false;
    };
  }, [page]);

  return (
    <section className="jp-EagerLab-raw" aria-label={trans.__('Values')}>
      <ValuesPager
        total={total}
        size={RAW_PAGE}
        page={page}
        setPage={setPage}
        trans={trans}
      />
      {values.kind === 'error' && (
        <p className="jp-EagerLab-detailHint jp-mod-error">{values.message}</p>
      )}
      {values.kind === 'ok' && (
        <ol className="jp-EagerLab-values" start={values.page.offset}>
          {Array.from({ length: values.page.count }, (_, k) => {
            const flat = values.page.offset + k;
            const v = values.page.data[k];
            return (
              <li key={flat}>
                <span className="jp-EagerLab-valueIndex">
                  [{unravel(flat, shape).join(', ')}]
                </span>{' '}
                <span className="jp-EagerLab-value">
                  {formatValue(v, values.page.dtype)}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
