/**
 * The extension in a real JupyterLab: it loads cleanly, the sidebar opens from its icon
 * and its command, and it says why there is no table (no kernel, eager_lab not loaded,
 * nothing captured yet).
 */
import { expect, test } from '@jupyterlab/galata';
import {
  PLUGIN_ID,
  TOGGLE_COMMAND,
  emptyState,
  notebookWith,
  openSidebar,
  runCell,
  sidebar,
  sidebarTab,
  table
} from './helpers';

test('the extension loads without errors', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', msg => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      problems.push(msg.text());
    }
  });
  page.on('pageerror', err => problems.push(err.message));
  await page.reload();

  const activated = await page.evaluate(
    id => (window as any).jupyterapp.isPluginActivated(id),
    PLUGIN_ID
  );
  expect(activated).toBe(true);
  await expect(sidebarTab(page)).toBeVisible();
  expect(problems.filter(text => /eager/i.test(text))).toEqual([]);
});

test('the icon and the command open the sidebar; empty without a notebook', async ({
  page
}) => {
  await openSidebar(page);
  await expect(
    sidebar(page).getByRole('heading', { name: 'Eager tensors' })
  ).toBeVisible();
  await expect(emptyState(page, 'no_kernel_widget')).toContainText(
    'Open a notebook or console'
  );
  await expect(table(page)).toBeHidden();

  // The toggle command hides it; the palette's "Show Eager tensors" brings it back.
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute(id),
    TOGGLE_COMMAND
  );
  await expect(sidebar(page)).toBeHidden();
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#command-palette');
  await palette.locator('.lm-CommandPalette-input').fill('Show Eager tensors');
  await palette
    .locator('.lm-CommandPalette-item', { hasText: 'Show Eager tensors' })
    .first()
    .click();
  await expect(sidebar(page)).toBeVisible();
});

test('a kernel without eager_lab says how to load it, then follows the load', async ({
  page
}) => {
  await notebookWith(page, 'plain.ipynb', ['1 + 1']);
  await openSidebar(page);
  const notLoaded = emptyState(page, 'not_loaded');
  await expect(notLoaded).toContainText(
    'eager_lab is not loaded in this kernel'
  );
  await expect(notLoaded.locator('code').first()).toHaveText(
    '%load_ext eager_lab'
  );

  // Loading it in the kernel is noticed without any click in the panel.
  await page.notebook.addCell('code', '%load_ext eager_lab');
  await runCell(page, 1);
  await expect(emptyState(page, 'no_steps_yet')).toContainText(
    'No train step has been captured yet'
  );
});
