/**
 * Copy text: the async clipboard API where the page may use it, else the
 * copy command JupyterLab itself uses.
 */
import { Clipboard } from '@jupyterlab/apputils';

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission denied (e.g. an unfocused page): fall through.
  }
  try {
    Clipboard.copyToSystem(text);
    return true;
  } catch {
    return false;
  }
}
