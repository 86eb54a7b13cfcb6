/**
 * Whether a step can be compared, and why not in words: with the graph (a
 * kernel that compares, a step that ran and whose starting state was kept),
 * and (1.4) with XLA (the same, from a kernel that lists `xla`). Pure.
 */
import type { ComparisonMode, IStepInfo } from '../protocol';
import type { ConnectionState } from '../tokens';
import { supports } from '../tokens';

export type Availability = { ok: true } | { ok: false; why: string };

export function availability(
  state: ConnectionState | null,
  step: IStepInfo | null,
  mode: ComparisonMode = 'graph'
): Availability {
  if (!state || !step) {
    return { ok: false, why: 'no step selected' };
  }
  if (!supports(state, 'comparison')) {
    return {
      ok: false,
      why: 'this kernel’s eager_lab cannot compare (upgrade it to 0.1 or later)'
    };
  }
  if (step.error) {
    return {
      ok: false,
      why: 'the step failed, so there is nothing to compare'
    };
  }
  if (step.compare === 'unavailable') {
    // The kernel says why (1.2); an older kernel could only mean this.
    return {
      ok: false,
      why:
        step.compare_why ??
        'the state before this step was not kept (capture(..., keep_state=True) keeps it within memory_budget)'
    };
  }
  if (mode === 'xla' && !supports(state, 'xla')) {
    return {
      ok: false,
      why: 'this kernel’s eager_lab is too old to compare with XLA (it needs protocol 1.4: upgrade eager_lab where the kernel runs)'
    };
  }
  return { ok: true };
}
