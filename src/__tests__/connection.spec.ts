/**
 * The connection against a fake kernel: handshake both ways, not loaded,
 * version mismatch, requests, timeouts, pushes, stale kernels, restarts.
 */
import { Signal } from '@lumino/signaling';
import { EagerConnection, RequestError, TARGET_PROBE } from '../connection';
import { MAX_COLUMN_ROWS, MAX_PAGE_ROWS, PROTOCOL_VERSION } from '../protocol';
import type { ITensors } from '../protocol';
import { ConnectionRegistry } from '../registry';
import type { IEagerConnection } from '../tokens';
import { columnBuffers, example, flush, makeRow, plainRow } from './fakes';

class FakeComm {
  constructor(
    readonly targetName: string,
    readonly commId: string
  ) {}
  isDisposed = false;
  /** Whether we told the kernel (comm_close), not just dropped it here. */
  closed = false;
  opened: any = undefined;
  sent: any[] = [];
  onMsg: ((msg: any) => void) | null = null;
  onClose: ((msg: any) => void) | null = null;

  open(data: any): any {
    this.opened = data;
    return {};
  }
  send(data: any): any {
    this.sent.push(data);
    return {};
  }
  /** As JupyterLab's CommHandler: closing calls onClose, then disposes. */
  close(): void {
    if (this.isDisposed) {
      return;
    }
    this.closed = true;
    this.onClose?.({ content: { comm_id: this.commId, data: {} } });
    this.isDisposed = true;
  }
  /** As CommHandler.dispose: forgotten here, nothing sent to the kernel. */
  dispose(): void {
    this.isDisposed = true;
  }

  // The kernel's side.
  reply(data: any, buffers: any[] = []): void {
    this.onMsg?.({ content: { comm_id: this.commId, data }, buffers });
  }
  kernelCloses(data: any = {}): void {
    this.onClose?.({ content: { comm_id: this.commId, data } });
    this.isDisposed = true;
  }
  lastSent(): any {
    return this.sent[this.sent.length - 1];
  }
}

class FakeKernel {
  id = 'k1';
  status = 'idle';
  isDisposed = false;
  statusChanged = new Signal<any, string>(this);
  iopubMessage = new Signal<any, any>(this);
  connectionStatusChanged = new Signal<any, string>(this);
  disposed = new Signal<any, void>(this);
  targets = new Map<string, (comm: any, msg: any) => void>();
  comms: FakeComm[] = [];
  /** Whether eager_lab's target is registered kernel-side (the probe's answer). */
  listening: boolean | 'no answer' = true;
  executes: any[] = [];
  private _n = 0;

  requestExecute(content: any): { done: Promise<any> } {
    this.executes.push(content);
    if (this.listening === 'no answer') {
      return { done: Promise.reject(new Error('aborted')) };
    }
    const text = this.listening ? 'True' : 'False';
    return {
      done: Promise.resolve({
        content: {
          status: 'ok',
          user_expressions: {
            eager_lab: { status: 'ok', data: { 'text/plain': text } }
          }
        }
      })
    };
  }

  registerCommTarget(name: string, cb: (comm: any, msg: any) => void): void {
    this.targets.set(name, cb);
  }
  removeCommTarget(name: string, cb: unknown): void {
    if (this.targets.get(name) === cb) {
      this.targets.delete(name);
    }
  }
  createComm(target: string): FakeComm {
    const comm = new FakeComm(target, `c${++this._n}`);
    this.comms.push(comm);
    return comm;
  }
  setStatus(status: string): void {
    this.status = status;
    this.statusChanged.emit(status);
  }
  /** An IOPub status about request `parent`, as the kernel publishes it. */
  statusOf(parent: string, state: 'busy' | 'idle'): void {
    this.iopubMessage.emit({
      header: { msg_type: 'status' },
      parent_header: { msg_id: parent },
      content: { execution_state: state }
    });
    this.setStatus(state);
  }
  /** The kernel opens a comm (eager_lab was loaded there). */
  open(data: any): FakeComm {
    const comm = new FakeComm('eager_lab', `k${++this._n}`);
    this.comms.push(comm);
    this.targets.get('eager_lab')!(comm, {
      content: { comm_id: comm.commId, target_name: 'eager_lab', data }
    });
    return comm;
  }
}

// Malformed messages are dropped with a console warning; keep the output quiet.
beforeEach(() => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.restoreAllMocks();
});

const KERNEL_HELLO = {
  type: 'hello',
  protocol_version: PROTOCOL_VERSION,
  side: 'kernel',
  version: '0.1.0'
};

function connect(kernel = new FakeKernel(), timeoutMs = 10000) {
  const conn = new EagerConnection({
    kernel: kernel as any,
    version: '0.1.0',
    timeoutMs
  });
  const states: string[] = [];
  conn.stateChanged.connect((_, s) => states.push(s.kind));
  return { kernel, conn, states };
}

async function ready() {
  const c = connect();
  await flush();
  const comm = c.kernel.comms[0];
  comm.reply(example('welcome'));
  return { ...c, comm };
}

describe('handshake', () => {
  it('registers the comm target and opens a comm with hello', async () => {
    const { kernel, conn } = connect();
    expect(kernel.targets.has('eager_lab')).toBe(true);
    await flush();
    expect(kernel.comms).toHaveLength(1);
    expect(kernel.comms[0].targetName).toBe('eager_lab');
    expect(kernel.comms[0].opened).toEqual({
      type: 'hello',
      protocol_version: PROTOCOL_VERSION,
      side: 'frontend',
      version: '0.1.0'
    });
    expect(conn.state.kind).toBe('connecting');
    conn.dispose();
    expect(kernel.targets.has('eager_lab')).toBe(false);
  });

  it('waits for a starting kernel before opening', async () => {
    const kernel = new FakeKernel();
    kernel.status = 'starting';
    connect(kernel);
    await flush();
    expect(kernel.comms).toHaveLength(0);
    kernel.setStatus('idle');
    await flush();
    expect(kernel.comms).toHaveLength(1);
  });

  it('is ready after welcome', async () => {
    const { conn, states } = await ready();
    expect(conn.state).toEqual({
      kind: 'ready',
      kernelVersion: '0.1.0',
      protocolVersion: example('welcome').protocol_version,
      capabilities: example('welcome').capabilities
    });
    expect(states).toEqual(['ready']);
  });

  it('is not loaded when the kernel closes the comm before welcome', async () => {
    const { kernel, conn } = connect();
    await flush();
    kernel.comms[0].kernelCloses();
    expect(conn.state.kind).toBe('not_loaded');
  });

  it('works with a kernel of an older minor version (1.0)', async () => {
    const { kernel, conn } = connect();
    await flush();
    kernel.comms[0].reply({ ...example('welcome'), protocol_version: '1.0.0' });
    expect(conn.state).toMatchObject({
      kind: 'ready',
      protocolVersion: '1.0.0'
    });
  });

  it('asks silently whether eager_lab listens before opening a comm', async () => {
    const { kernel } = connect();
    await flush();
    expect(kernel.executes).toEqual([
      expect.objectContaining({
        code: '',
        silent: true,
        store_history: false,
        user_expressions: { eager_lab: TARGET_PROBE }
      })
    ]);
    expect(kernel.comms).toHaveLength(1);
  });

  it('opens no comm where eager_lab does not listen (no close on IOPub)', async () => {
    const kernel = new FakeKernel();
    kernel.listening = false;
    const { conn } = connect(kernel);
    await flush();
    expect(kernel.comms).toHaveLength(0);
    expect(conn.state.kind).toBe('not_loaded');
  });

  it('opens its comm when the question gets no answer', async () => {
    const kernel = new FakeKernel();
    kernel.listening = 'no answer';
    connect(kernel);
    await flush();
    expect(kernel.comms).toHaveLength(1);
  });

  it('answers a comm the kernel opens later, then goes on on its own', async () => {
    const kernel = new FakeKernel();
    kernel.listening = false;
    const { conn } = connect(kernel);
    await flush();
    expect(conn.state.kind).toBe('not_loaded');
    const shared = kernel.open(KERNEL_HELLO);
    expect(shared.lastSent()).toMatchObject({
      type: 'welcome',
      side: 'frontend',
      protocol_version: PROTOCOL_VERSION
    });
    // Every connection to the kernel got that comm: it is left to them,
    // never closed (nor used) here.
    expect(shared.isDisposed).toBe(false);
    expect(shared.closed).toBe(false);
    expect(conn.state.kind).toBe('connecting');
    const own = kernel.comms[kernel.comms.length - 1];
    expect(own).not.toBe(shared);
    expect(own.opened).toMatchObject({ type: 'hello', side: 'frontend' });
    own.reply(example('welcome'));
    expect(conn.state.kind).toBe('ready');
    const pending = conn.request({ type: 'request_state' });
    expect(own.lastSent()).toMatchObject({ type: 'request_state' });
    expect(shared.sent).toHaveLength(1); // the welcome only
    conn.dispose();
    // A request still waiting when the panel goes away is told so.
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(own.closed).toBe(true);
    expect(shared.closed).toBe(false); // dropped here, not closed for others
    expect(shared.isDisposed).toBe(true);
  });

  it('keeps the newest comm of its own and closes the older one', async () => {
    const { kernel, conn, comm } = await ready();
    kernel.open(KERNEL_HELLO); // a reload of eager_lab in the kernel
    const newer = kernel.comms[kernel.comms.length - 1];
    expect(conn.state.kind).toBe('ready'); // the old comm serves meanwhile
    newer.reply(example('welcome'));
    expect(conn.state.kind).toBe('ready');
    expect(comm.closed).toBe(true);
    expect(newer.isDisposed).toBe(false);
    // Requests now go on the newer comm.
    const pending = conn.request({ type: 'request_state' });
    expect(newer.lastSent()).toMatchObject({ type: 'request_state' });
    conn.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
  });

  it('opens another comm when the kernel evicts its comm', async () => {
    const { kernel, conn, comm } = await ready();
    comm.kernelCloses({ reason: 'evicted', message: 'too many comms' });
    expect(conn.state.kind).toBe('connecting');
    const again = kernel.comms[kernel.comms.length - 1];
    expect(again).not.toBe(comm);
    again.reply(example('welcome'));
    expect(conn.state.kind).toBe('ready');
    // A comm closed for any other reason means eager_lab went away.
    again.kernelCloses();
    expect(conn.state.kind).toBe('not_loaded');
  });

  it('refuses a kernel hello of another major version', async () => {
    const { kernel, conn } = connect();
    await flush();
    const comm = kernel.open({ ...KERNEL_HELLO, protocol_version: '2.0.0' });
    expect(comm.lastSent()).toMatchObject({
      type: 'error',
      code: 'version_mismatch'
    });
    expect(comm.isDisposed).toBe(true);
    expect(conn.state).toEqual({
      kind: 'version_mismatch',
      frontend: PROTOCOL_VERSION,
      kernel: '2.0.0'
    });
  });

  it('names both versions when the kernel refuses our hello', async () => {
    const { kernel, conn } = connect();
    await flush();
    kernel.comms[0].reply({
      type: 'error',
      request_id: null,
      code: 'version_mismatch',
      message:
        'eager_lab protocol mismatch: the kernel speaks 2.1.0, the frontend speaks 1.0.0',
      protocol_version: '2.1.0'
    });
    expect(conn.state).toEqual({
      kind: 'version_mismatch',
      frontend: PROTOCOL_VERSION,
      kernel: '2.1.0'
    });
  });

  it('reports a kernel that never answers the handshake', async () => {
    jest.useFakeTimers();
    try {
      const { kernel, conn } = connect(new FakeKernel(), 1000);
      await flush();
      kernel.setStatus('busy'); // a cell is running: that is no failure
      jest.advanceTimersByTime(5000);
      expect(conn.state.kind).toBe('connecting');
      kernel.setStatus('idle');
      jest.advanceTimersByTime(1000);
      expect(conn.state.kind).toBe('error');
    } finally {
      jest.useRealTimers();
    }
  });

  it('waits out a cell during which a short request went idle', async () => {
    jest.useFakeTimers();
    try {
      const { kernel, conn } = connect(new FakeKernel(), 1000);
      await flush();
      // `%load_ext eager_lab` starts a long cell; opening a comm subshell
      // (a control request) is answered meanwhile: the kernel's last status
      // says "idle" while the cell still runs.
      kernel.statusOf('cell', 'busy');
      kernel.statusOf('create_subshell', 'busy');
      kernel.statusOf('create_subshell', 'idle');
      expect(kernel.status).toBe('idle');
      jest.advanceTimersByTime(5000);
      expect(conn.state.kind).toBe('connecting');
      kernel.statusOf('cell', 'idle');
      jest.advanceTimersByTime(1000);
      expect(conn.state.kind).toBe('error');
    } finally {
      jest.useRealTimers();
    }
  });

  it('forgets running requests when the kernel restarts or the connection drops', async () => {
    jest.useFakeTimers();
    try {
      const { kernel, conn } = connect(new FakeKernel(), 1000);
      await flush();
      kernel.statusOf('cell', 'busy'); // its "idle" is lost with the connection
      kernel.connectionStatusChanged.emit('connecting');
      kernel.setStatus('idle');
      jest.advanceTimersByTime(1000);
      expect(conn.state.kind).toBe('error');

      const again = connect(new FakeKernel(), 1000);
      await flush();
      again.kernel.statusOf('cell', 'busy');
      again.kernel.setStatus('restarting');
      again.kernel.setStatus('idle');
      jest.advanceTimersByTime(1000);
      expect(again.conn.state.kind).toBe('error');
    } finally {
      jest.useRealTimers();
    }
  });

  it('waits out cells run one after another (idle for a moment between them)', async () => {
    jest.useFakeTimers();
    try {
      const { kernel, conn } = connect(new FakeKernel(), 1000);
      await flush();
      // "Run All": busy 900 ms, idle 100 ms, again and again; the timeout
      // would land in an idle moment if only its end were looked at.
      for (let cell = 0; cell < 6; cell++) {
        kernel.setStatus('busy');
        jest.advanceTimersByTime(900);
        kernel.setStatus('idle');
        jest.advanceTimersByTime(100);
      }
      expect(conn.state.kind).toBe('connecting');
      jest.advanceTimersByTime(1000); // then idle for the whole timeout
      expect(conn.state.kind).toBe('error');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('requests', () => {
  it('matches replies to requests by request_id', async () => {
    const { conn, comm } = await ready();
    const a = conn.request({ type: 'request_state' });
    const b = conn.getTensor(3, 0, 5);
    const [ra, rb] = [comm.sent[0], comm.sent[1]];
    expect(ra.type).toBe('request_state');
    expect(rb).toMatchObject({
      type: 'get_tensor',
      recording_id: 3,
      step: 0,
      index: 5
    });
    expect(ra.request_id).not.toBe(rb.request_id);
    comm.reply({ ...example('tensor'), request_id: rb.request_id });
    comm.reply({ ...example('state'), request_id: ra.request_id });
    expect((await a).type).toBe('state');
    expect((await b).row.name).toBe('Mean:0');
  });

  it('rejects with the error reply, or a reply of the wrong type', async () => {
    const { conn, comm } = await ready();
    const a = conn.getTensor(9, 0, 0);
    comm.reply({ ...example('error'), request_id: comm.lastSent().request_id });
    await expect(a).rejects.toMatchObject({
      code: 'not_found',
      message: 'recording 9 is not kept (kept: 3, 4)'
    });
    const b = conn.getTensor(3, 0, 0);
    comm.reply({ ...example('state'), request_id: comm.lastSent().request_id });
    await expect(b).rejects.toMatchObject({ code: 'bad_reply' });
  });

  it('rejects a malformed reply to a pending request', async () => {
    const { conn, comm } = await ready();
    const a = conn.getTensor(3, 0, 5);
    comm.reply({
      type: 'tensor',
      request_id: comm.lastSent().request_id,
      row: 'oops'
    });
    await expect(a).rejects.toBeInstanceOf(RequestError);
  });

  it('refuses requests before the handshake', async () => {
    const { conn } = connect();
    await expect(conn.request({ type: 'request_state' })).rejects.toMatchObject(
      { code: 'not_ready' }
    );
  });

  it('times out after 10 s of an idle kernel, not while it is busy', async () => {
    jest.useFakeTimers();
    try {
      const { conn, comm, kernel } = await ready();
      const a = conn.request({ type: 'request_state' });
      const failed = jest.fn();
      a.catch(failed);
      kernel.setStatus('busy');
      jest.advanceTimersByTime(25000);
      await Promise.resolve();
      expect(failed).not.toHaveBeenCalled();
      kernel.setStatus('idle');
      jest.advanceTimersByTime(10000);
      await expect(a).rejects.toMatchObject({ code: 'timeout' });
      // A late reply is ignored.
      comm.reply({ ...example('state'), request_id: comm.sent[0].request_id });
    } finally {
      jest.useRealTimers();
    }
  });

  it('decodes the values buffer by dtype', async () => {
    const { conn, comm } = await ready();
    const p = conn.getValues(3, 0, 7, [0, 5], 0, 3);
    const req = comm.lastSent();
    expect(req).toMatchObject({
      type: 'get_values',
      prefix: [0, 5],
      offset: 0,
      count: 3
    });
    const data = new Float32Array([1, 2.5, NaN]);
    comm.reply({ ...example('values'), request_id: req.request_id, count: 3 }, [
      new DataView(data.buffer)
    ]);
    const page = await p;
    expect(page.data).toBeInstanceOf(Float32Array);
    expect(Array.from(page.data as Float32Array)).toEqual([1, 2.5, NaN]);
  });

  it('asks for columns; reads the rows a 1.2 kernel sends, in its pages', async () => {
    const { conn, comm } = await ready();
    const total = 500 + MAX_PAGE_ROWS + 10;
    const offsets: number[] = [];
    const done = conn.fetchTensors(3, 0, p => {
      offsets.push(p.offset);
      return true;
    });
    for (let k = 0; k < 3; k++) {
      await flush();
      const req = comm.lastSent();
      expect(req.type).toBe('get_tensors');
      // A 1.2 kernel ignores `columns` and clamps the limit to 5000.
      const limit = Math.min(req.limit, MAX_PAGE_ROWS);
      const rows = Array.from(
        { length: Math.min(limit, total - req.offset) },
        (_, i) => makeRow(req.offset + i)
      );
      comm.reply({
        type: 'tensors',
        request_id: req.request_id,
        recording_id: 3,
        step: 0,
        offset: req.offset,
        total,
        rows
      });
    }
    await done;
    expect(offsets).toEqual([0, 500, 500 + MAX_PAGE_ROWS]);
    expect(comm.sent.map(s => [s.offset, s.limit, s.columns])).toEqual([
      [0, 500, true],
      [500, MAX_COLUMN_ROWS, true],
      [500 + MAX_PAGE_ROWS, MAX_COLUMN_ROWS, true]
    ]);
  });

  it('asks for the next page before showing the one that came', async () => {
    const { conn, comm } = await ready();
    let sentWhenShown = -1;
    const done = conn.fetchTensors(3, 0, () => {
      sentWhenShown = comm.sent.length;
      return false; // another step was chosen meanwhile: stop
    });
    await flush();
    const req = comm.lastSent();
    comm.reply({
      type: 'tensors',
      request_id: req.request_id,
      recording_id: 3,
      step: 0,
      offset: 0,
      total: 10_000,
      rows: [makeRow(0)]
    });
    await done;
    expect(sentWhenShown).toBe(2);
    expect(comm.lastSent().offset).toBe(1);
  });

  it('reads a page of columns and its buffers into rows', async () => {
    const { conn, comm } = await ready();
    const pages: ITensors[] = [];
    const done = conn.fetchTensors(3, 0, p => {
      pages.push(p);
      return true;
    });
    await flush();
    const req = comm.lastSent();
    const reply = {
      ...example('columns/tensors'),
      request_id: req.request_id,
      total: 2
    };
    comm.reply(reply, columnBuffers());
    await done;
    expect(pages.map(p => p.rows.map(plainRow))).toEqual([
      example('columns/tensors.rows')
    ]);
  });

  it('refuses a page of columns whose buffers do not fit', async () => {
    const { conn, comm } = await ready();
    const done = conn.fetchTensors(3, 0, () => true);
    await flush();
    const req = comm.lastSent();
    const reply = {
      ...example('columns/tensors'),
      request_id: req.request_id,
      total: 2
    };
    comm.reply(reply, columnBuffers().slice(0, 2));
    await expect(done).rejects.toMatchObject({ code: 'bad_reply' });
  });
});

describe('pushes and stale kernels', () => {
  it('emits valid pushes from the live comm only', async () => {
    const { conn, comm, kernel } = await ready();
    const pushes: string[] = [];
    conn.pushReceived.connect((_, p) => pushes.push(p.type));
    comm.reply(example('status'));
    comm.reply(example('recording'));
    comm.reply({ type: 'status', capturing: 'yes' }); // malformed: dropped
    comm.reply({ type: 'mystery' });
    expect(pushes).toEqual(['status', 'recording']);
    // A second comm becomes live; the first one's pushes no longer count.
    kernel.open(KERNEL_HELLO);
    const newer = kernel.comms[kernel.comms.length - 1];
    newer.reply(example('welcome'));
    comm.reply(example('status'));
    newer.reply(example('status'));
    expect(pushes).toEqual(['status', 'recording', 'status']);
  });

  it('drops messages once the kernel connection points at another kernel', async () => {
    const { conn, comm, kernel } = await ready();
    const pushes: string[] = [];
    conn.pushReceived.connect((_, p) => pushes.push(p.type));
    kernel.id = 'k2';
    comm.reply(example('status'));
    expect(pushes).toEqual([]);
    const other = new FakeComm('eager_lab', 'x');
    kernel.targets.get('eager_lab')!(other, {
      content: { data: KERNEL_HELLO }
    });
    expect(other.isDisposed).toBe(true);
  });

  it('says the kernel died', async () => {
    const { conn, kernel } = await ready();
    kernel.setStatus('dead');
    expect(conn.state).toEqual({ kind: 'error', message: 'the kernel died' });
  });

  it('fails pending requests on dispose', async () => {
    const { conn } = await ready();
    const a = conn.request({ type: 'request_state' });
    conn.dispose();
    await expect(a).rejects.toMatchObject({ code: 'closed' });
    expect(conn.state.kind).toBe('disposed');
  });
});

describe('ConnectionRegistry', () => {
  it('keeps one connection per kernel and replaces it on restart', async () => {
    const registry = new ConnectionRegistry({ version: '0.1.0' });
    const kernel = new FakeKernel();
    const first = registry.connectionFor(kernel as any);
    expect(registry.connectionFor(kernel as any)).toBe(first);
    expect(first.key).toBe('k1#0');
    const replaced: IEagerConnection[] = [];
    registry.replaced.connect((_, c) => replaced.push(c));
    kernel.setStatus('restarting');
    expect(first.isDisposed).toBe(true);
    expect(replaced).toHaveLength(1);
    expect(replaced[0].key).toBe('k1#1');
    expect(registry.connectionFor(kernel as any)).toBe(replaced[0]);
    // The new one opens its comm once the restarted kernel is live.
    const before = kernel.comms.length;
    kernel.setStatus('idle');
    await flush();
    expect(kernel.comms.length).toBe(before + 1);
    registry.dispose();
    expect(replaced[0].isDisposed).toBe(true);
    expect(kernel.targets.has('eager_lab')).toBe(false);
  });

  it('forgets a disposed kernel connection', () => {
    const registry = new ConnectionRegistry({ version: '0.1.0' });
    const kernel = new FakeKernel();
    const conn = registry.connectionFor(kernel as any);
    kernel.disposed.emit();
    expect(conn.isDisposed).toBe(true);
  });

  it("closes its comm when the panel's session ends, before its kernel connection goes", async () => {
    const registry = new ConnectionRegistry({ version: '0.1.0' });
    const kernel = new FakeKernel();
    const session = { disposed: new Signal<any, void>({}) };
    const conn = registry.connectionFor(kernel as any, session);
    await flush();
    const comm = kernel.comms[0];
    comm.reply(example('welcome'));
    session.disposed.emit();
    expect(conn.isDisposed).toBe(true);
    expect(comm.closed).toBe(true); // the kernel is told, so it stops pushing
    expect(registry.connectionFor(kernel as any)).not.toBe(conn);
    registry.dispose();
  });

  it('closes its comms when the page goes away', async () => {
    const registry = new ConnectionRegistry({ version: '0.1.0' });
    const kernel = new FakeKernel();
    const conn = registry.connectionFor(kernel as any);
    await flush();
    const comm = kernel.comms[0];
    comm.reply(example('welcome'));
    window.dispatchEvent(new Event('pagehide'));
    expect(conn.isDisposed).toBe(true);
    expect(comm.closed).toBe(true);
    registry.dispose();
  });
});
