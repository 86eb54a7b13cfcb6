/**
 * What EagerConnection asks of a kernel before it opens a comm: is the kernel
 * running, and does eager_lab listen there?
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { COMM_TARGET } from '../protocol';

/**
 * Asked of the kernel (silently, as a user expression) before this frontend
 * opens a comm: is eager_lab's comm target registered there? ipykernel
 * answers a comm to an unknown target by closing it on IOPub, which every
 * other connection to that kernel (another tab, a console) logs as "Comm not
 * found"; asking first opens comms only where eager_lab listens.
 */
export const TARGET_PROBE = `'${COMM_TARGET}' in __import__('comm').get_comm_manager().targets`;

/**
 * Whether eager_lab's comm target is registered in the kernel (see
 * TARGET_PROBE); false for a kernel that cannot tell (not Python, no
 * `comm`: no eager_lab either), null when the question got no answer.
 */
export async function isListening(
  kernel: Kernel.IKernelConnection
): Promise<boolean | null> {
  try {
    const future = kernel.requestExecute(
      {
        code: '',
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false,
        user_expressions: { [COMM_TARGET]: TARGET_PROBE }
      },
      true
    );
    const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
    if (reply.content.status !== 'ok') {
      return null; // aborted after an error in a queued cell: no answer
    }
    const result = (
      reply.content.user_expressions as Record<string, any> | undefined
    )?.[COMM_TARGET];
    return result?.status === 'ok' && result.data?.['text/plain'] === 'True';
  } catch {
    return null;
  }
}

/**
 * Resolves once the kernel runs (idle or busy), so that a comm opened then
 * survives; or at the kernel's next status once `givenUp()` is true.
 */
export function whenLive(
  kernel: Kernel.IKernelConnection,
  givenUp: () => boolean
): Promise<void> {
  const live = (s: KernelMessage.Status) => s === 'idle' || s === 'busy';
  if (live(kernel.status)) {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const check = (_: unknown, status: KernelMessage.Status) => {
      if (live(status) || givenUp()) {
        kernel.statusChanged.disconnect(check);
        resolve();
      }
    };
    kernel.statusChanged.connect(check);
  });
}
