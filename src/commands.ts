/**
 * Command ids and the actions behind the panel's buttons that reach into
 * notebooks (reveal a source line, insert a code cell).
 */
import { Notification } from '@jupyterlab/apputils';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { ConsolePanel } from '@jupyterlab/console';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ISource } from './protocol';
import type { IKernelWidget } from './tracker';

export namespace CommandIDs {
  /** Show and activate the Eager tensors sidebar (idempotent). */
  export const showPanel = 'eager-lab:show-panel';
  /** Show the sidebar, or collapse the right area when it is shown. */
  export const togglePanel = 'eager-lab:toggle-panel';
}

function isNotebookPanel(
  w: IKernelWidget | null
): w is NotebookPanel & IKernelWidget {
  return (
    !!w &&
    'content' in w &&
    !!(w as unknown as NotebookPanel).content?.widgets &&
    'activeCellIndex' in (w as unknown as NotebookPanel).content
  );
}

function isConsolePanel(
  w: IKernelWidget | null
): w is ConsolePanel & IKernelWidget {
  return !!w && 'console' in w;
}

/**
 * Scroll the notebook to the cell that ran as execution `source.cell`, make it
 * active and select the line. Returns false (and says why) when not found.
 */
export async function revealSource(
  widget: IKernelWidget | null,
  source: ISource,
  activate: (id: string) => void,
  trans: TranslationBundle
): Promise<boolean> {
  if (source.cell === null || source.cell === undefined) {
    Notification.info(
      trans.__(
        '%1, line %2 (a file, not a notebook cell)',
        source.file,
        source.line
      ),
      { autoClose: 5000 }
    );
    return false;
  }
  if (!isNotebookPanel(widget)) {
    Notification.info(
      trans.__(
        'Cell %1 is not in a notebook (line %2).',
        source.cell,
        source.line
      ),
      { autoClose: 5000 }
    );
    return false;
  }
  const notebook = widget.content;
  const index = notebook.widgets.findIndex(
    c =>
      c.model.type === 'code' &&
      (c.model as ICodeCellModel).executionCount === source.cell
  );
  if (index < 0) {
    Notification.warning(
      trans.__(
        'No cell ran as [%1] in this notebook any more (re-run or deleted since).',
        source.cell
      ),
      { autoClose: 5000 }
    );
    return false;
  }
  activate(widget.id);
  notebook.activeCellIndex = index;
  const cell = notebook.widgets[index];
  await notebook.scrollToItem(index, 'smart').catch(() => undefined);
  await cell.ready;
  const editor = cell.editor;
  if (editor) {
    const line = Math.max(0, Math.min(editor.lineCount - 1, source.line - 1));
    const text = editor.getLine(line) ?? '';
    editor.setSelection({
      start: { line, column: 0 },
      end: { line, column: text.length }
    });
    editor.revealPosition({ line, column: 0 });
  }
  cell.node.focus();
  return true;
}

/**
 * Put `code` in a new code cell below the active cell of the notebook (or in
 * the console's prompt).
 */
export function insertCode(
  widget: IKernelWidget | null,
  code: string,
  activate: (id: string) => void,
  trans: TranslationBundle
): boolean {
  if (isNotebookPanel(widget)) {
    const notebook = widget.content;
    NotebookActions.insertBelow(notebook);
    notebook.activeCell?.model.sharedModel.setSource(code);
    activate(widget.id);
    return true;
  }
  if (isConsolePanel(widget)) {
    widget.console.promptCell?.model.sharedModel.setSource(code);
    activate(widget.id);
    return true;
  }
  Notification.info(trans.__('Open a notebook to insert: %1', code), {
    autoClose: 5000
  });
  return false;
}
