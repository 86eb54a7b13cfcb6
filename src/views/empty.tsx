/**
 * One message per status reason: why there is no table, and what to do.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { EagerLabModel, Status } from '../model';
import { copyText } from './clipboard';

/** The line that loads eager_lab in a kernel. */
export const LOAD_LINE = '%load_ext eager_lab';

/** The cell magic that records a model's train steps. */
const MAGIC_LINE = '%%eager_debug model';

export const EMPTY_CLASS = 'jp-EagerLab-empty';
export const BANNER_CLASS = 'jp-EagerLab-banner';

/** Reasons shown instead of the table. */
export function isEmptyReason(status: Status): boolean {
  return status.reason !== 'ready' && status.reason !== 'capturing';
}

/**
 * The empty state (or, while capturing, a banner above the table).
 * Reads the model; re-renders on its status.
 */
export class EmptyView extends ReactWidget {
  constructor(options: EmptyView.IOptions) {
    super();
    this._model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab');
    this.addClass('jp-EagerLab-status');
    this.node.setAttribute('aria-live', 'polite');
    this._model.statusChanged.connect(() => this.update(), this);
  }

  render(): JSX.Element {
    return (
      <StatusMessage
        status={this._model.status}
        trans={this._trans}
        onRetry={() => void this._model.refresh()}
      />
    );
  }

  private _model: EagerLabModel;
  private _trans: TranslationBundle;
}

export namespace EmptyView {
  export interface IOptions {
    model: EagerLabModel;
    translator?: ITranslator;
  }
}

export function StatusMessage(props: {
  status: Status;
  trans: TranslationBundle;
  onRetry: () => void;
}): JSX.Element | null {
  const { status, trans } = props;
  const box = (children: React.ReactNode, extra = '') => (
    <div
      className={`${EMPTY_CLASS} ${extra}`}
      data-reason={status.reason}
      role="status"
    >
      {children}
    </div>
  );
  switch (status.reason) {
    case 'ready':
      return null;
    case 'no_kernel_widget':
      return box(
        <p>
          {trans.__('Open a notebook or console to see its captured tensors.')}
        </p>
      );
    case 'no_kernel':
      return box(
        <p>
          {trans.__(
            'This notebook has no kernel. Start one to capture tensors.'
          )}
        </p>
      );
    case 'connecting':
      return box(<p>{trans.__('Connecting to the kernel…')}</p>);
    case 'not_loaded':
      return box(
        <>
          <p>{trans.__('eager_lab is not loaded in this kernel. Run:')}</p>
          <CopyLine text={LOAD_LINE} trans={trans} />
          <p className="jp-EagerLab-hint">
            {trans.__('then capture a train step, for example with')}{' '}
            <code>{MAGIC_LINE}</code>
          </p>
        </>
      );
    case 'version_mismatch':
      return box(
        <>
          <p>
            {trans.__(
              'This panel speaks eager_lab protocol %1; the kernel speaks %2.',
              status.frontend,
              status.kernel
            )}
          </p>
          <p className="jp-EagerLab-hint">
            {trans.__(
              'Install the same eager-lab version in the kernel and in JupyterLab, then restart the kernel.'
            )}
          </p>
        </>,
        'jp-mod-warning'
      );
    case 'no_steps_yet':
      return box(
        <>
          <p>
            {trans.__(
              'eager_lab is loaded. No train step has been captured yet.'
            )}
          </p>
          <p className="jp-EagerLab-hint">
            {trans.__('Run a cell with')} <code>{MAGIC_LINE}</code>{' '}
            {trans.__('or use')} <code>eager_lab.capture(model)</code>
          </p>
        </>
      );
    case 'capturing':
      return (
        <div className={BANNER_CLASS} data-reason="capturing" role="status">
          {status.target
            ? trans._n(
                'Capturing %2… %1 step recorded so far',
                'Capturing %2… %1 steps recorded so far',
                status.stepsRecorded,
                status.target
              )
            : trans._n(
                'Capturing… %1 step recorded so far',
                'Capturing… %1 steps recorded so far',
                status.stepsRecorded
              )}
        </div>
      );
    case 'error':
      return box(
        <>
          <p>{trans.__('eager_lab: %1', status.message)}</p>
          <button
            className="jp-mod-styled jp-mod-accept"
            onClick={props.onRetry}
          >
            {trans.__('Retry')}
          </button>
        </>,
        'jp-mod-error'
      );
  }
}

/** A code line with a copy button. */
export function CopyLine(props: {
  text: string;
  trans: TranslationBundle;
}): JSX.Element {
  const [copied, setCopied] = React.useState(false);
  return (
    <div className="jp-EagerLab-copyLine">
      <code>{props.text}</code>
      <button
        className="jp-mod-styled jp-EagerLab-copy"
        aria-label={props.trans.__('Copy %1', props.text)}
        title={props.trans.__('Copy to the clipboard')}
        onClick={() =>
          void copyText(props.text).then(ok => {
            setCopied(ok);
            window.setTimeout(() => setCopied(false), 1500);
          })
        }
      >
        {copied ? props.trans.__('Copied') : props.trans.__('Copy')}
      </button>
    </div>
  );
}
