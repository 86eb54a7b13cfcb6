/**
 * Public interfaces and tokens. No logic.
 */
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import type {
  IReplies,
  ITensor,
  ITensors,
  IValues,
  Push,
  IRequestBodies,
  ValueArray,
  ValueSource
} from './protocol';

/**
 * Where the conversation with one kernel stands.
 *
 * - `connecting`: waiting for the kernel to be idle, or for `welcome`;
 * - `ready`: handshake done, requests allowed;
 * - `not_loaded`: the kernel closed our comm before `welcome` (no target);
 * - `version_mismatch`: the other side speaks another major version;
 * - `error`: the kernel died or answered nonsense;
 * - `disposed`: this connection is no longer followed.
 */
export type ConnectionState =
  | { kind: 'connecting' }
  | {
      kind: 'ready';
      kernelVersion: string;
      protocolVersion: string;
      /** What the kernel answers (`welcome.capabilities`, e.g. `comparison`). */
      capabilities?: string[];
    }
  | { kind: 'not_loaded' }
  | { kind: 'version_mismatch'; frontend: string; kernel: string }
  | { kind: 'error'; message: string }
  | { kind: 'disposed' };

/** The protocol minor version (major 1) that brought a capability; 1.1 by default. */
const SINCE_MINOR: Record<string, number> = { xla: 4 };

/**
 * Whether a ready kernel answers a capability's requests (`comparison`,
 * `trends`, `xla`): its `welcome` list, else its protocol version (1.1 has
 * the first two, 1.4 `xla`).
 */
export function supports(state: ConnectionState, capability: string): boolean {
  if (state.kind !== 'ready') {
    return false;
  }
  if (state.capabilities) {
    return state.capabilities.includes(capability);
  }
  const [major, minor] = state.protocolVersion.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= (SINCE_MINOR[capability] ?? 1));
}

/** A `values` reply with its buffer decoded. */
export interface IValuesPage extends IValues {
  data: ValueArray;
}

/**
 * How a view asks for a page of one tensor's values: `count` elements from
 * `offset` within the slice at `prefix` (leading indices); null when the
 * answer came too late (another step or kernel is shown by then).
 */
export type FetchValues = (
  prefix: number[],
  offset: number,
  count: number
) => Promise<IValuesPage | null>;

/**
 * The eager_lab channel to one kernel (one per kernel connection and restart).
 */
export interface IEagerConnection extends IDisposable {
  /** The kernel id this connection talks to. */
  readonly kernelId: string;
  /**
   * Identity of this conversation: kernel id plus a restart generation. A
   * message or reply carrying another key is stale and dropped.
   */
  readonly key: string;
  readonly state: ConnectionState;
  readonly stateChanged: ISignal<IEagerConnection, ConnectionState>;
  /** `status` and `recording` pushes, already validated. */
  readonly pushReceived: ISignal<IEagerConnection, Push>;

  /** One request and its reply; rejects with a `RequestError`. */
  request<K extends keyof IReplies>(
    body: IRequestBodies[K]
  ): Promise<IReplies[K]>;

  /**
   * All rows of one step: the first page at once (first paint), then the
   * rest, each handed to `onPage` in order. `onPage` returning false stops.
   */
  fetchTensors(
    recordingId: number,
    step: number,
    onPage: (page: ITensors) => boolean
  ): Promise<void>;

  getTensor(recordingId: number, step: number, index: number): Promise<ITensor>;

  getValues(
    recordingId: number,
    step: number,
    index: number,
    prefix: number[],
    offset: number,
    count: number,
    source?: ValueSource
  ): Promise<IValuesPage>;
}

/** The sidebar plugin's public face. */
export interface IEagerLab {
  /** The sidebar widget (id `eager-lab-sidebar`). */
  readonly sidebar: Widget;
}

export const IEagerLab = new Token<IEagerLab>(
  'eager-lab:IEagerLab',
  'The eager_lab sidebar: captured eager tensors beside their graph names.'
);
