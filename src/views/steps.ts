/**
 * What the panel says about recorded steps: the step selector's options, each
 * naming its recording, and the shown step's notes (its failing op and first
 * NaN/Inf, as links to their rows). DOM only; the sidebar says when.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IStepRef } from '../model';
import type { IRecordingInfo, IStepInfo, ITensorRow } from '../protocol';

/**
 * Fill the step selector with every recorded step, newest recording first,
 * and choose `sel`. Returns false, the selector disabled, when there is none.
 */
export function renderStepOptions(
  select: HTMLSelectElement,
  recordings: readonly IRecordingInfo[],
  sel: IStepRef | null,
  trans: TranslationBundle
): boolean {
  select.textContent = '';
  if (!recordings.some(r => r.steps.length > 0)) {
    const option = document.createElement('option');
    option.textContent = trans.__('No recorded steps');
    option.value = '';
    select.appendChild(option);
    select.disabled = true;
    return false;
  }
  select.disabled = false;
  // Newest recording first: it is the one usually wanted.
  for (const rec of recordings.slice().reverse()) {
    const og = document.createElement('optgroup');
    const label = recordingLabel(rec, trans);
    og.label = label;
    for (const step of rec.steps) {
      const option = document.createElement('option');
      option.value = `${rec.id}:${step.index}`;
      // Each option names its recording: the closed select shows only the
      // chosen option, and every recording has a step 0.
      let text = trans.__(
        '%1 · step %2 · %3 tensors · %4 named',
        label,
        step.index,
        step.n_tensors,
        step.n_named
      );
      if (step.error) {
        text += ` · ${trans.__('error: %1', step.error.type)}`;
      } else if (step.first_nonfinite !== null) {
        text += ` · ${trans.__('NaN/Inf')}`;
      }
      option.textContent = text;
      og.appendChild(option);
    }
    select.appendChild(og);
  }
  select.value = sel ? `${sel.recordingId}:${sel.step}` : '';
  select.title = select.selectedOptions[0]?.textContent ?? '';
  return true;
}

/**
 * Write the step's failing op and first NaN/Inf into `notes`, as links to
 * their rows (`rows`: the rows loaded so far; `onReveal`: go to row `i`).
 */
export function renderStepNotes(
  notes: HTMLElement,
  step: IStepInfo | null,
  rows: readonly ITensorRow[],
  onReveal: (i: number) => void,
  trans: TranslationBundle
): void {
  notes.textContent = '';
  if (!step) {
    return;
  }
  const rowName = (i: number) => {
    const row = rows[i];
    return row
      ? (row.name ?? trans.__('<unnamed> %1', row.op))
      : trans.__('row %1', i);
  };
  const link = (label: string, i: number, cls: string) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `jp-EagerLab-noteLink ${cls}`;
    button.textContent = rowName(i);
    button.title = trans.__('Show row %1', i);
    button.addEventListener('click', () => onReveal(i));
    const note = document.createElement('span');
    note.className = 'jp-EagerLab-note';
    note.append(`${label} `, button);
    notes.appendChild(note);
  };
  if (step.error) {
    if (step.error.tensor !== null) {
      link(
        trans.__('%1 at', step.error.type),
        step.error.tensor,
        'jp-EagerLab-errorLink'
      );
    } else {
      const note = document.createElement('span');
      note.className = 'jp-EagerLab-note jp-mod-error';
      note.textContent = step.error.type;
      note.title = step.error.message;
      notes.appendChild(note);
    }
  }
  if (step.first_nonfinite !== null) {
    link(
      trans.__('first NaN/Inf:'),
      step.first_nonfinite,
      'jp-EagerLab-nonfiniteLink'
    );
  } else if (step.nonfinite_checked === false) {
    const note = document.createElement('span');
    note.className = 'jp-EagerLab-note jp-EagerLab-muted';
    note.textContent = trans.__('NaN/Inf not checked yet');
    notes.appendChild(note);
  }
}

/** `#3 fit (capturing)`: a recording as the selector names it. */
function recordingLabel(rec: IRecordingInfo, trans: TranslationBundle): string {
  const state = !rec.finished
    ? ` (${trans.__('capturing')})`
    : rec.kept
      ? ` (${trans.__('kept')})`
      : '';
  return `#${rec.id} ${rec.label}${state}`;
}
