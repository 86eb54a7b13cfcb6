/**
 * Requests in flight on a kernel's comms: their ids, the reply type each
 * expects, timeouts that pause while the kernel is busy, and the error a
 * failed request rejects with. EagerConnection decides which comm a request
 * goes on and when a comm may close; this file only keeps the books.
 */
import type { Kernel } from '@jupyterlab/services';
import type { JSONObject, JSONValue } from '@lumino/coreutils';
import type { ErrorCode, IReplies, Message } from '../protocol';

/** Why a request failed: a protocol error code or a local reason. */
export type RequestErrorCode =
  ErrorCode | 'timeout' | 'closed' | 'bad_reply' | 'not_ready';

export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A reply as it came: the message (checked) and its binary buffers. */
export interface IRawReply {
  msg: unknown;
  buffers: (ArrayBuffer | ArrayBufferView)[];
}

/** A running timer; `id` changes each time it re-arms. */
export interface ITimer {
  id: number;
}

/** How often a busy-aware timer looks at the kernel's status. */
const TIMER_SLICE_MS = 250;

/**
 * A timer that fires after `ms` of a kernel that is not busy, in one stretch:
 * a busy kernel (a training cell) handles comm messages when the cell ends,
 * and that is not a failure. Looking only when `ms` is up would fire in the
 * moment of idle between two cells of "Run All" (seen on a loaded machine:
 * the handshake given up while the demo's cells ran), so the status is looked
 * at every slice and a busy one starts the count again. `kernel.busy` says
 * whether any request is running (BusyTracker, busy.ts: the kernel's last
 * status alone can be the "idle" of a short request answered during a cell).
 * It never fires once `stopped()` is true; `window.clearTimeout(timer.id)`
 * stops it.
 */
export function startBusyAwareTimer(
  kernel: { readonly busy: boolean },
  ms: number,
  stopped: () => boolean,
  fire: () => void
): ITimer {
  const handle: ITimer = { id: 0 };
  const slice = Math.max(1, Math.min(ms, TIMER_SLICE_MS));
  let quiet = 0;
  const tick = (): void => {
    handle.id = window.setTimeout(() => {
      if (stopped()) {
        return;
      }
      quiet = kernel.busy ? 0 : quiet + slice;
      if (quiet >= ms) {
        fire();
      } else {
        tick();
      }
    }, slice);
  };
  tick();
  return handle;
}

/** The reply each request type expects. */
const REPLY_TYPE: { [K in keyof IReplies]: IReplies[K]['type'] } = {
  request_state: 'state',
  get_tensors: 'tensors',
  get_tensor: 'tensor',
  get_values: 'values',
  get_comparison: 'comparison',
  get_trends: 'trends'
};

export class PendingRequests {
  constructor(options: PendingRequests.IOptions) {
    this._timeoutMs = options.timeoutMs;
    this._startTimer = options.startTimer;
    this._onSettled = options.onSettled;
  }

  /**
   * Send `body` on `comm` with a fresh request id; resolves with the reply,
   * rejects with a RequestError (error reply, wrong reply type, timeout).
   */
  send(
    comm: Kernel.IComm,
    body: { type: keyof IReplies } & JSONObject
  ): Promise<IRawReply> {
    const id = `r${++this._counter}`;
    return new Promise((resolve, reject) => {
      const timer = this._startTimer(() =>
        this.settle(
          id,
          null,
          [],
          `no reply in ${this._timeoutMs / 1000} s`,
          'timeout'
        )
      );
      this._pending.set(id, {
        expect: REPLY_TYPE[body.type],
        comm,
        timer,
        resolve,
        reject
      });
      comm.send({ ...body, request_id: id } as JSONValue);
    });
  }

  /** Request `id` awaits its reply. */
  has(id: string): boolean {
    return this._pending.has(id);
  }

  /** Some request awaits its reply on `comm` (which must stay open). */
  isWaitingOn(comm: Kernel.IComm): boolean {
    return [...this._pending.values()].some(p => p.comm === comm);
  }

  /**
   * End request `id`: with `msg` (null when none came), or with `failure`
   * (rejected with `code`). Then tells the owner that `comm` has one request
   * less to wait for.
   */
  settle(
    id: string,
    msg: Message | null,
    buffers: (ArrayBuffer | ArrayBufferView)[],
    failure: string | null,
    code: RequestErrorCode = 'bad_reply'
  ): void {
    const p = this._pending.get(id);
    if (!p) {
      return;
    }
    this._pending.delete(id);
    window.clearTimeout(p.timer.id);
    if (failure !== null || !msg) {
      p.reject(new RequestError(code, failure ?? 'no reply'));
    } else if (msg.type === 'error') {
      p.reject(new RequestError(msg.code, msg.message));
    } else if (msg.type !== p.expect) {
      p.reject(
        new RequestError('bad_reply', `expected ${p.expect}, got ${msg.type}`)
      );
    } else {
      p.resolve({ msg, buffers });
    }
    this._onSettled(p.comm);
  }

  /** Fail every request sent on `comm` (it closed) with `failure`. */
  failAllOn(comm: Kernel.IComm, failure: string): void {
    for (const [id, p] of this._pending) {
      if (p.comm === comm) {
        this.settle(id, null, [], failure);
      }
    }
  }

  /** The connection ends: every request fails as `closed`, quietly. */
  closeAll(): void {
    for (const [id, pending] of this._pending) {
      window.clearTimeout(pending.timer.id);
      pending.reject(new RequestError('closed', 'connection closed'));
      this._pending.delete(id);
    }
  }

  private _counter = 0;
  private _onSettled: (comm: Kernel.IComm) => void;
  private _pending = new Map<string, Private.IPending>();
  private _startTimer: (fire: () => void) => ITimer;
  private _timeoutMs: number;
}

export namespace PendingRequests {
  export interface IOptions {
    /** Said in the timeout's message. */
    timeoutMs: number;
    /** Starts each request's timeout. */
    startTimer: (fire: () => void) => ITimer;
    /** A request sent on `comm` has ended. */
    onSettled: (comm: Kernel.IComm) => void;
  }
}

namespace Private {
  export interface IPending {
    expect: string;
    comm: Kernel.IComm;
    timer: ITimer;
    resolve: (r: IRawReply) => void;
    reject: (e: RequestError) => void;
  }
}
