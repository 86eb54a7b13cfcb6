/**
 * Test doubles: a connection the model can follow, and a kernel for the
 * connection to talk to.
 */
import { Signal } from '@lumino/signaling';
import * as fs from 'fs';
import * as path from 'path';
import type {
  IRecordingInfo,
  IReplies,
  IRequestBodies,
  IState,
  IStepInfo,
  ITensor,
  ITensorRow,
  ITensors,
  Push
} from '../protocol';
import type { ConnectionState, IEagerConnection, IValuesPage } from '../tokens';

const EXAMPLES_DIR = path.resolve(__dirname, '../../docs/protocol-examples');

export function example<T = any>(name: string): T {
  return JSON.parse(
    fs.readFileSync(path.join(EXAMPLES_DIR, `${name}.json`), 'utf8')
  );
}

/** A promise with its resolve/reject exposed. */
export class Deferred<T> {
  promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let k = 0; k < 10; k++) {
    await Promise.resolve();
  }
}

/**
 * The buffers of docs/protocol-examples/columns/tensors.json, from
 * tensors.buffers.json, as JupyterLab hands them over: a DataView each.
 */
export function columnBuffers(): DataView[] {
  const b = example('columns/tensors.buffers');
  return [
    new DataView(new Int32Array(b.int32).buffer),
    new DataView(new Float64Array(b.float64).buffer),
    new DataView(new Float64Array(b.dims).buffer)
  ];
}

/** A row as plain data, its summary line read (made from numbers when first read). */
export function plainRow(row: ITensorRow): ITensorRow {
  return { ...row, summary: row.summary };
}

/** A row like the example's, with overrides. */
export function makeRow(i: number, over: Partial<ITensorRow> = {}): ITensorRow {
  const base = (example('tensors').rows as ITensorRow[])[0];
  return { ...base, i, source: null, ...over };
}

export function makeStep(
  index: number,
  over: Partial<IStepInfo> = {}
): IStepInfo {
  return {
    index,
    n_tensors: 10,
    n_named: 10,
    error: null,
    first_nonfinite: null,
    ...over
  };
}

export function makeRecording(
  id: number,
  steps: IStepInfo[],
  finished = true
): IRecordingInfo {
  return { id, label: 'ConvNet', finished, steps };
}

export function makeState(
  recordings: IRecordingInfo[],
  capturing = false
): IState {
  const last = recordings[recordings.length - 1];
  return {
    type: 'state',
    request_id: 'r1',
    status: {
      type: 'status',
      capturing,
      target: last ? last.label : null,
      recording_id: last ? last.id : null,
      steps_recorded: last ? last.steps.length : 0
    },
    recordings
  };
}

export function page(
  recordingId: number,
  step: number,
  offset: number,
  total: number,
  rows: ITensorRow[]
): ITensors {
  return {
    type: 'tensors',
    request_id: 'r',
    recording_id: recordingId,
    step,
    offset,
    total,
    rows
  };
}

/**
 * A connection whose replies the test controls: `request_state` answers
 * `stateReply` (or waits on `stateDeferred`), `fetchTensors` asks
 * `pageSource` for each page and hands it on as the real one does.
 */
export class FakeConnection implements IEagerConnection {
  constructor(kernelId = 'k1', generation = 0) {
    this.kernelId = kernelId;
    this.key = `${kernelId}#${generation}`;
  }

  readonly kernelId: string;
  readonly key: string;
  state: ConnectionState = { kind: 'connecting' };
  readonly stateChanged: Signal<IEagerConnection, ConnectionState> = new Signal<
    IEagerConnection,
    ConnectionState
  >(this);
  readonly pushReceived: Signal<IEagerConnection, Push> = new Signal<
    IEagerConnection,
    Push
  >(this);
  isDisposed = false;

  stateReply: IState = makeState([]);
  stateDeferred: Deferred<IState> | null = null;
  /** Rows of each `recording:step`. */
  steps = new Map<string, ITensorRow[]>();
  pageSize = 4;
  /** When set, each page waits for a `next()` call. */
  gate: Deferred<void> | null = null;
  requests: string[] = [];
  tensorReplies = new Map<number, Deferred<ITensor>>();
  /** Answers to other requests (`get_comparison`, `get_trends`), by type. */
  handlers = new Map<string, (body: any) => Promise<any>>();
  /** Every request body sent, in order. */
  bodies: any[] = [];
  /** `getValues` calls, and the answer to give them (rejects when unset). */
  valueCalls: Array<{ index: number; offset: number; source: string }> = [];
  valuesHandler:
    ((index: number, offset: number, source: string) => IValuesPage) | null =
    null;

  setState(state: ConnectionState): void {
    this.state = state;
    this.stateChanged.emit(state);
  }

  push(msg: Push): void {
    this.pushReceived.emit(msg);
  }

  request<K extends keyof IReplies>(
    body: IRequestBodies[K]
  ): Promise<IReplies[K]> {
    this.requests.push(body.type);
    this.bodies.push(body);
    const handler = this.handlers.get(body.type);
    if (handler) {
      return handler(body);
    }
    if (body.type === 'request_state') {
      const reply = this.stateDeferred
        ? this.stateDeferred.promise
        : Promise.resolve(this.stateReply);
      return reply as Promise<IReplies[K]>;
    }
    return Promise.reject(new Error(`unexpected ${body.type}`));
  }

  async fetchTensors(
    recordingId: number,
    step: number,
    onPage: (page: ITensors) => boolean
  ): Promise<void> {
    this.requests.push(`get_tensors ${recordingId}:${step}`);
    const rows = this.steps.get(`${recordingId}:${step}`) ?? [];
    for (
      let offset = 0;
      offset === 0 || offset < rows.length;
      offset += this.pageSize
    ) {
      if (this.gate) {
        await this.gate.promise;
      } else {
        await Promise.resolve();
      }
      const p = page(
        recordingId,
        step,
        offset,
        rows.length,
        rows.slice(offset, offset + this.pageSize)
      );
      if (!onPage(p) || p.rows.length === 0) {
        return;
      }
    }
  }

  getTensor(_r: number, _s: number, index: number): Promise<ITensor> {
    this.requests.push(`get_tensor ${index}`);
    const d = new Deferred<ITensor>();
    this.tensorReplies.set(index, d);
    return d.promise;
  }

  getValues(
    _r: number,
    _s: number,
    index: number,
    _prefix: number[],
    offset: number,
    _count: number,
    source = 'eager'
  ): Promise<IValuesPage> {
    this.valueCalls.push({ index, offset, source });
    if (!this.valuesHandler) {
      return Promise.reject(new Error('no values here'));
    }
    return Promise.resolve(this.valuesHandler(index, offset, source));
  }

  dispose(): void {
    this.isDisposed = true;
  }
}
