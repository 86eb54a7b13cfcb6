/**
 * eager-lab: JupyterLab plugins. Wiring only; the parts live in their modules.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILabShell, ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandIDs,
  SHOW_PANEL_LABEL,
  insertCode,
  isNotebookPanel,
  revealSource
} from './commands';
import { ConnectionRegistry } from './registry';
import { KernelFollower } from './follower';
import { EagerLabModel } from './model';
import { IEagerLab } from './tokens';
import { KernelWidgetTracker } from './tracker';
import { PACKAGE_VERSION } from './version';
import { EagerLabSidebar, eagerLabIcon } from './views/sidebar';

const sidebarPlugin: JupyterFrontEndPlugin<IEagerLab> = {
  id: 'eager-lab:sidebar',
  description:
    'A right sidebar "Eager tensors": every tensor of a captured eager train step beside its graph name.',
  autoStart: true,
  provides: IEagerLab,
  optional: [
    ILabShell,
    INotebookTracker,
    IConsoleTracker,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    notebookTracker: INotebookTracker | null,
    consoleTracker: IConsoleTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): IEagerLab => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyterlab');
    const model = new EagerLabModel();
    const registry = new ConnectionRegistry({ version: PACKAGE_VERSION });
    const tracker = new KernelWidgetTracker({
      labShell,
      notebookTracker,
      consoleTracker
    });
    const follower = new KernelFollower({ model, registry, tracker });
    const activate = (id: string) => app.shell.activateById(id);
    // Where the followed kernel's cells may be: its notebook first, then any
    // other notebook on the same kernel.
    const notebooksOnKernel = (): NotebookPanel[] => {
      const followed = follower.widget;
      const kernelId = followed?.sessionContext.session?.kernel?.id;
      const others =
        notebookTracker && kernelId
          ? notebookTracker.filter(
              p =>
                p !== followed &&
                p.sessionContext.session?.kernel?.id === kernelId
            )
          : [];
      return isNotebookPanel(followed) ? [followed, ...others] : others;
    };

    const sidebar = new EagerLabSidebar({
      model,
      translator,
      onRevealSource: (source, _row, code) =>
        revealSource(notebooksOnKernel(), source, code, activate, trans),
      onInsertCode: code =>
        insertCode(
          follower.widget ?? notebookTracker?.currentWidget ?? null,
          code,
          activate,
          trans
        )
    });
    app.shell.add(sidebar, 'right', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.showPanel, {
      label: trans.__(SHOW_PANEL_LABEL),
      caption: trans.__(
        'Show the captured eager tensors of the current kernel'
      ),
      icon: args => (args.isPalette ? undefined : eagerLabIcon),
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.togglePanel, {
      label: trans.__('Eager tensors panel'),
      caption: trans.__('Show or hide the captured eager tensors'),
      isToggled: () => sidebar.isVisible,
      execute: () => {
        // Both JupyterLab's and Notebook 7's shells can collapse their right
        // area; neither is required here.
        const shell = app.shell as { collapseRight?: () => void };
        if (sidebar.isVisible && shell.collapseRight) {
          shell.collapseRight();
        } else {
          app.shell.activateById(sidebar.id);
        }
      }
    });
    for (const command of [CommandIDs.showPanel, CommandIDs.togglePanel]) {
      palette?.addItem({ command, category: trans.__('Eager Lab') });
    }

    return { sidebar };
  }
};

export default [sidebarPlugin];
