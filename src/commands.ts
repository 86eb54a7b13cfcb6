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
import type { ICellInfo } from './sourceLink';
import { matchCell } from './sourceLink';
import type { IKernelWidget } from './tracker';

/** The palette's name for showing the panel (the README names it too). */
export const SHOW_PANEL_LABEL = 'Show Eager tensors';

export namespace CommandIDs {
  /** Show and activate the Eager tensors sidebar (idempotent). */
  export const showPanel = 'eager-lab:show-panel';
  /** Show the sidebar, or collapse the right area when it is shown. */
  export const togglePanel = 'eager-lab:toggle-panel';
}

export function isNotebookPanel(
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

/** The lookup's view of a notebook's cells (see sourceLink.ts). */
function cellsOf(panel: NotebookPanel): ICellInfo[] {
  const cells: ICellInfo[] = [];
  const list = panel.content.model?.cells;
  for (let k = 0; k < (list?.length ?? 0); k++) {
    const cell = list!.get(k);
    cells.push({
      id: cell.id,
      type: cell.type,
      executionCount:
        cell.type === 'code'
          ? ((cell as ICodeCellModel).executionCount ?? null)
          : null,
      source: cell.sharedModel.getSource()
    });
  }
  return cells;
}

/**
 * Show the line that made a tensor: find its cell by id (by execution count
 * only when the kernel sent no id) in `notebooks` (the followed notebook
 * first, then the others on its kernel), scroll to it, make it active and
 * select the line. Returns null when shown, else what to tell the user: a
 * file, a console, a cell that is gone, or a line that changed since it ran
 * (stale: the cell is shown when its id is certain, never a wrong line).
 */
export async function revealSource(
  notebooks: readonly NotebookPanel[],
  source: ISource,
  code: string | null,
  activate: (id: string) => void,
  trans: TranslationBundle
): Promise<string | null> {
  if (source.cell === null || source.cell === undefined) {
    return trans.__(
      '%1, line %2: a file, not a notebook cell.',
      source.file,
      source.line
    );
  }
  if (notebooks.length === 0) {
    return trans.__(
      'Cell [%1] did not run in an open notebook (line %2).',
      source.cell,
      source.line
    );
  }
  const byId = !!source.cell_id;
  let stale: { panel: NotebookPanel; index: number; now: string } | null = null;
  for (const panel of notebooks) {
    const match = matchCell(cellsOf(panel), source, code);
    if (match.kind === 'found') {
      await showCell(panel, match.index, source.line, activate);
      return null;
    }
    if (match.kind === 'stale' && !stale) {
      stale = { panel, index: match.index, now: match.now };
    }
  }
  if (stale) {
    if (byId) {
      await showCell(stale.panel, stale.index, null, activate);
    }
    return trans.__(
      'Stale source: line %1 of the cell that made this tensor has changed since it ran (it was: %2).',
      source.line,
      code ?? ''
    );
  }
  return byId
    ? trans.__(
        'Stale source: the cell that made this tensor is no longer in the notebook (line %1 was: %2).',
        source.line,
        code || '?'
      )
    : trans.__(
        'Stale source: no cell ran as [%1] in this notebook any more (re-run or deleted since).',
        source.cell
      );
}

/** Scroll to cell `index`, make it active and select 1-based `line` (if any). */
async function showCell(
  panel: NotebookPanel,
  index: number,
  line: number | null,
  activate: (id: string) => void
): Promise<void> {
  const notebook = panel.content;
  activate(panel.id);
  notebook.activeCellIndex = index;
  const cell = notebook.widgets[index];
  await notebook.scrollToItem(index, 'smart').catch(() => undefined);
  await cell.ready;
  const editor = cell.editor;
  if (editor && line !== null) {
    const k = Math.max(0, Math.min(editor.lineCount - 1, line - 1));
    const text = editor.getLine(k) ?? '';
    editor.setSelection({
      start: { line: k, column: 0 },
      end: { line: k, column: text.length }
    });
    editor.revealPosition({ line: k, column: 0 });
  }
  cell.node.focus();
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
