/**
 * The guards against docs/protocol-examples: every example accepted by its
 * guard and no other; damaged copies rejected; the version rule; buffers.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  PROTOCOL_VERSION,
  decodeMessage,
  decodeTensorColumns,
  decodeValues,
  hello,
  isCompatible,
  isError,
  isGetTensor,
  isGetTensors,
  isCompareProgress,
  isComparison,
  isGetComparison,
  isGetTrends,
  isGetValues,
  isHello,
  isTrends,
  isRecording,
  isRequestState,
  isState,
  isStatus,
  isTensor,
  isTensorRow,
  isTensors,
  isValues,
  isWelcome,
  parseVersion,
  versionMismatch,
  welcome
} from '../protocol';
import type {
  ITensorRow,
  ITensorsInColumns,
  IValues,
  MessageType
} from '../protocol';

const EXAMPLES_DIR = path.resolve(__dirname, '../../docs/protocol-examples');

type Json = Record<string, unknown>;

function loadExamples(): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const file of fs.readdirSync(EXAMPLES_DIR).sort()) {
    if (file.endsWith('.json')) {
      const text = fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');
      out.set(file.replace(/\.json$/, ''), JSON.parse(text));
    }
  }
  return out;
}

const EXAMPLES = loadExamples();

const GUARDS: Record<MessageType, (v: unknown) => boolean> = {
  hello: isHello,
  welcome: isWelcome,
  status: isStatus,
  recording: isRecording,
  request_state: isRequestState,
  state: isState,
  get_tensors: isGetTensors,
  tensors: isTensors,
  get_tensor: isGetTensor,
  tensor: isTensor,
  get_values: isGetValues,
  values: isValues,
  get_comparison: isGetComparison,
  comparison: isComparison,
  get_trends: isGetTrends,
  trends: isTrends,
  compare_progress: isCompareProgress,
  error: isError
};

/** Fields a message may leave out (everything else is required). */
const OPTIONAL: Record<string, string[]> = {
  error: ['request_id', 'protocol_version'],
  // Added in 1.1: a 1.0 kernel (same major) leaves them out.
  tensor: ['inputs', 'layer'],
  values: ['source'],
  // Added in 1.4: a 1.3 kernel leaves them out.
  comparison: [
    'first_difference',
    'causes',
    'noise',
    'mode',
    'xla_layer',
    'seconds'
  ]
};

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

describe('protocol examples', () => {
  it('has one example per message type', () => {
    expect([...EXAMPLES.keys()].sort()).toEqual(Object.keys(GUARDS).sort());
  });

  for (const [name, example] of EXAMPLES) {
    describe(name, () => {
      it('is accepted by its guard and decodes as its type', () => {
        expect(example.type).toBe(name);
        expect(GUARDS[name as MessageType](example)).toBe(true);
        expect(decodeMessage(example)?.type).toBe(name);
      });

      it('is rejected by every other guard', () => {
        for (const [type, guard] of Object.entries(GUARDS)) {
          if (type !== name) {
            expect(guard(example)).toBe(false);
          }
        }
      });

      it('is rejected with any required field missing', () => {
        for (const key of Object.keys(example)) {
          if ((OPTIONAL[name] ?? []).includes(key)) {
            continue;
          }
          const broken = clone(example);
          delete broken[key];
          expect({ key, decoded: decodeMessage(broken) }).toEqual({
            key,
            decoded: null
          });
        }
      });

      it('is rejected with any field of the wrong type', () => {
        for (const [key, value] of Object.entries(example)) {
          if (key === 'type' || value === null) {
            continue;
          }
          const broken = clone(example);
          // A value of another JSON type than the example's.
          broken[key] =
            typeof value === 'string'
              ? 42
              : typeof value === 'number'
                ? 'x'
                : typeof value === 'boolean'
                  ? 'yes'
                  : Array.isArray(value)
                    ? 'list'
                    : 7;
          expect({ key, decoded: decodeMessage(broken) }).toEqual({
            key,
            decoded: null
          });
        }
      });

      it('accepts extra fields (a later minor version may add some)', () => {
        const extended = { ...clone(example), added_in_1_1: true };
        expect(decodeMessage(extended)?.type).toBe(name);
      });
    });
  }
});

describe('kernel error replies (docs/protocol-examples/errors)', () => {
  const dir = path.join(EXAMPLES_DIR, 'errors');
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort();

  it('holds the kernel’s replies', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of files) {
    it(`accepts ${file} as an error, and as nothing else`, () => {
      const reply = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      expect(isError(reply)).toBe(true);
      expect(decodeMessage(reply)?.type).toBe('error');
      for (const [type, guard] of Object.entries(GUARDS)) {
        if (type !== 'error') {
          expect({ type, accepted: guard(reply) }).toEqual({
            type,
            accepted: false
          });
        }
      }
    });
  }
});

describe('decodeMessage', () => {
  it('rejects what is not a message', () => {
    for (const v of [
      null,
      undefined,
      3,
      'hello',
      [],
      [{ type: 'hello' }],
      {},
      { type: 3 }
    ]) {
      expect(decodeMessage(v)).toBeNull();
    }
  });

  it('rejects unknown types, including inherited property names', () => {
    for (const type of [
      'nope',
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty'
    ]) {
      expect(decodeMessage({ type, request_id: 'r1' })).toBeNull();
    }
  });

  it('rejects a tensors page that overruns its total', () => {
    const page = clone(EXAMPLES.get('tensors')!);
    page.total = 0;
    expect(decodeMessage(page)).toBeNull();
  });

  it('rejects non-integer and negative indices', () => {
    for (const index of [-1, 1.5, '5', true]) {
      const req = { ...clone(EXAMPLES.get('get_tensor')!), index };
      expect(decodeMessage(req)).toBeNull();
    }
  });

  it('rejects NaN and infinite numbers in stats', () => {
    const msg = clone(EXAMPLES.get('tensor')!) as any;
    msg.stats.mean = NaN;
    expect(decodeMessage(msg)).toBeNull();
    msg.stats.mean = Infinity;
    expect(decodeMessage(msg)).toBeNull();
  });

  it('rejects a values dtype it cannot decode', () => {
    const msg = { ...clone(EXAMPLES.get('values')!), dtype: 'complex64' };
    expect(decodeMessage(msg)).toBeNull();
  });

  it('rejects an unknown error code', () => {
    const msg = { ...clone(EXAMPLES.get('error')!), code: 'oops' };
    expect(decodeMessage(msg)).toBeNull();
  });
});

describe('tensor rows', () => {
  const row = () => clone((EXAMPLES.get('tensors')!.rows as Json[])[0]);

  it('accepts an unnamed row with its reason', () => {
    expect(
      isTensorRow({ ...row(), name: null, reason: 'ambiguous call site' })
    ).toBe(true);
  });

  it('accepts unknown dimensions and an unknown rank', () => {
    expect(isTensorRow({ ...row(), shape: [null, 10] })).toBe(true);
    expect(isTensorRow({ ...row(), shape: null })).toBe(true);
  });

  it('accepts a file source without a cell, and no source', () => {
    const r = row();
    (r.source as Json).cell = null;
    expect(isTensorRow(r)).toBe(true);
    expect(isTensorRow({ ...row(), source: null })).toBe(true);
  });

  it('accepts a failing op row', () => {
    expect(isTensorRow({ ...row(), error: 'InvalidArgumentError: ...' })).toBe(
      true
    );
  });

  it('rejects a malformed source', () => {
    const r = row();
    (r.source as Json).line = 'twelve';
    expect(isTensorRow(r)).toBe(false);
  });

  it('keeps markup-like names as plain strings', () => {
    const evil = '<img src=x onerror=alert(1)>';
    expect(isTensorRow({ ...row(), name: evil, scope: evil })).toBe(true);
  });
});

describe('step digests', () => {
  it('accepts nonfinite_checked and a step error', () => {
    const msg = clone(EXAMPLES.get('recording')!) as any;
    msg.recording.steps[0].nonfinite_checked = false;
    msg.recording.steps[0].error = {
      type: 'InvalidArgumentError',
      message: 'x',
      tensor: 57
    };
    expect(isRecording(msg)).toBe(true);
    msg.recording.steps[0].nonfinite_checked = 'no';
    expect(isRecording(msg)).toBe(false);
  });

  it('accepts a status before anything was captured', () => {
    expect(
      isStatus({
        type: 'status',
        capturing: false,
        target: null,
        recording_id: null,
        steps_recorded: 0
      })
    ).toBe(true);
  });

  it('accepts stats with non-finite bin edges sent as null', () => {
    const msg = clone(EXAMPLES.get('tensor')!) as any;
    msg.stats.bin_edges = [null, 1, null];
    msg.stats.min = null;
    expect(isTensor(msg)).toBe(true);
  });
});

describe('1.1 messages', () => {
  it('rejects a trend series whose lists differ in length', () => {
    const msg = clone(EXAMPLES.get('trends')!) as any;
    msg.series['Mean:0'].mean.pop();
    expect(decodeMessage(msg)).toBeNull();
  });

  it('accepts null statistics in a trend (a NaN step)', () => {
    const msg = clone(EXAMPLES.get('trends')!) as any;
    msg.series['Mean:0'].mean[1] = null;
    expect(isTrends(msg)).toBe(true);
  });

  it('rejects a comparison row that is only in some third place', () => {
    const msg = clone(EXAMPLES.get('comparison')!) as any;
    msg.rows[0].only_in = 'both';
    expect(decodeMessage(msg)).toBeNull();
  });

  it('accepts graph-only and eager-only comparison rows', () => {
    const msg = clone(EXAMPLES.get('comparison')!) as any;
    msg.rows[0] = { ...msg.rows[0], eager_index: null, only_in: 'graph' };
    msg.rows[1] = {
      ...msg.rows[1],
      graph_summary: null,
      only_in: 'eager',
      max_abs_diff: null
    };
    expect(isComparison(msg)).toBe(true);
  });

  it('rejects a values source other than eager, graph or xla', () => {
    const msg = { ...clone(EXAMPLES.get('get_values')!), source: 'disk' };
    expect(decodeMessage(msg)).toBeNull();
    expect(decodeMessage({ ...msg, source: 'xla' })).not.toBeNull();
  });
});

describe('1.4 causes', () => {
  const comparison = () => clone(EXAMPLES.get('comparison')!) as any;
  const ROW_FIELDS = ['cause', 'cause_text', 'noise', 'origin', 'layer'];

  it('the example carries them', () => {
    const msg = comparison();
    expect(msg.rows[1]).toMatchObject({
      cause: 'python-value',
      noise: false,
      origin: null
    });
    expect(msg.causes).toEqual({ 'python-value': 1 });
    expect(msg.mode).toBe('graph');
  });

  it('accepts a 1.3 comparison, without causes', () => {
    const msg = comparison();
    for (const key of OPTIONAL.comparison) {
      delete msg[key];
    }
    msg.rows.forEach((r: any) => ROW_FIELDS.forEach(f => delete r[f]));
    expect(isComparison(msg)).toBe(true);
  });

  it('rejects ill-typed row fields', () => {
    const bad: Array<[string, unknown]> = [
      ['cause', 3],
      ['cause_text', false],
      ['noise', 'no'],
      ['noise', null],
      ['origin', -1],
      ['origin', 1.5],
      ['layer', ['dense']]
    ];
    for (const [field, value] of bad) {
      const msg = comparison();
      msg.rows[1][field] = value;
      expect({ field, value, ok: isComparison(msg) }).toEqual({
        field,
        value,
        ok: false
      });
    }
  });

  it('checks the reply fields: counts, mode, the XLA layer', () => {
    const xla = {
      path: 'seq/dense',
      class_name: 'Dense',
      max_abs_diff: 0.02,
      text: 'XLA changes seq/dense first'
    };
    expect(isComparison({ ...comparison(), mode: 'xla', xla_layer: xla })).toBe(
      true
    );
    const bad: Array<[string, unknown]> = [
      ['causes', { 'python-value': -1 }],
      ['causes', { 'python-value': 'one' }],
      ['causes', [1]],
      ['noise', 1.5],
      ['mode', 'eager'],
      ['xla_layer', { ...xla, text: null }],
      ['xla_layer', 'seq/dense'],
      ['first_difference', -1],
      ['seconds', 'slow']
    ];
    for (const [field, value] of bad) {
      const msg = { ...comparison(), [field]: value };
      expect({ field, ok: isComparison(msg) }).toEqual({ field, ok: false });
    }
  });

  it('takes jit_compile as a boolean only', () => {
    const req = clone(EXAMPLES.get('get_comparison')!) as any;
    expect(decodeMessage({ ...req, jit_compile: true })).not.toBeNull();
    expect(decodeMessage({ ...req, jit_compile: 1 })).toBeNull();
  });
});

describe('1.2 fields', () => {
  const row = () => clone((EXAMPLES.get('tensors')!.rows as Json[])[0]);

  it('the examples carry them', () => {
    const r = row() as any;
    expect(r.source.cell_id).toEqual(expect.any(String));
    expect(r.why_no_value).toBeNull();
    expect((EXAMPLES.get('recording') as any).recording.kept).toBe(false);
  });

  it('accepts a row from a 1.1 kernel, without cell_id and why_no_value', () => {
    const r = row() as any;
    delete r.source.cell_id;
    delete r.why_no_value;
    expect(isTensorRow(r)).toBe(true);
  });

  it('accepts a null cell_id and a why_no_value sentence', () => {
    const r = row() as any;
    r.source.cell_id = null;
    r.has_value = false;
    r.why_no_value = 'released by rec.release(); the summary is kept';
    expect(isTensorRow(r)).toBe(true);
  });

  it('rejects ill-typed cell_id, why_no_value and kept', () => {
    const r1 = row() as any;
    r1.source.cell_id = 7;
    expect(isTensorRow(r1)).toBe(false);
    const r2 = row() as any;
    r2.why_no_value = false;
    expect(isTensorRow(r2)).toBe(false);
    const rec = clone(EXAMPLES.get('recording')!) as any;
    rec.recording.kept = 'yes';
    expect(isRecording(rec)).toBe(false);
    delete rec.recording.kept;
    expect(isRecording(rec)).toBe(true);
    rec.recording.steps[0].compare_why = 3;
    expect(isRecording(rec)).toBe(false);
    rec.recording.steps[0].compare_why = 'dropped by the memory budget';
    expect(isRecording(rec)).toBe(true);
    delete rec.recording.steps[0].compare_why;
    expect(isRecording(rec)).toBe(true);
  });
});

describe('versions', () => {
  it('parses X.Y.Z with an optional tail', () => {
    expect(parseVersion('1.0.0')).toEqual([1, 0, 0]);
    expect(parseVersion('12.3.4-rc1')).toEqual([12, 3, 4]);
    expect(parseVersion('1.0')).toBeNull();
    expect(parseVersion('one')).toBeNull();
  });

  it('is compatible on the same major version only', () => {
    expect(isCompatible(PROTOCOL_VERSION)).toBe(true);
    expect(isCompatible('1.9.3', '1.0.0')).toBe(true);
    expect(isCompatible('1.0.0', PROTOCOL_VERSION)).toBe(true);
    expect(isCompatible('2.0.0', '1.0.0')).toBe(false);
    expect(isCompatible('0.9.0', '1.0.0')).toBe(false);
    expect(isCompatible('garbage', '1.0.0')).toBe(false);
  });

  it('builds a hello, a welcome and a version_mismatch error the guards accept', () => {
    expect(isHello(hello('0.1.0'))).toBe(true);
    expect(hello('0.1.0')).toMatchObject({
      side: 'frontend',
      protocol_version: PROTOCOL_VERSION
    });
    expect(isWelcome(welcome('0.1.0'))).toBe(true);
    const err = versionMismatch('2.0.0');
    expect(isError(err)).toBe(true);
    expect(err.message).toContain('2.0.0');
    expect(err.message).toContain(PROTOCOL_VERSION);
  });

  it('rejects a hello without a version', () => {
    expect(isHello({ ...hello('0.1.0'), protocol_version: 'v1' })).toBe(false);
  });
});

describe('decodeValues', () => {
  const base = EXAMPLES.get('values') as unknown as IValues;

  it('decodes float32 little-endian bytes', () => {
    const src = new Float32Array([1.5, -2, NaN, Infinity]);
    const msg = { ...base, count: 4 };
    const out = decodeValues(msg, src.buffer);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out as Float32Array)).toEqual([1.5, -2, NaN, Infinity]);
  });

  it('decodes every dtype to its typed array', () => {
    const cases: Array<[IValues['dtype'], any]> = [
      ['float64', Float64Array],
      ['int8', Int8Array],
      ['int16', Int16Array],
      ['int32', Int32Array],
      ['int64', BigInt64Array],
      ['uint8', Uint8Array],
      ['uint16', Uint16Array],
      ['uint32', Uint32Array],
      ['uint64', BigUint64Array]
    ];
    for (const [dtype, Ctor] of cases) {
      const src = new Ctor(3);
      src[1] = Ctor === BigInt64Array || Ctor === BigUint64Array ? 7n : 7;
      const out = decodeValues({ ...base, dtype, count: 3 }, src.buffer);
      expect(out).toBeInstanceOf(Ctor);
      expect(out[1]).toBe(src[1]);
    }
  });

  it('accepts a DataView at an unaligned offset', () => {
    const bytes = new Uint8Array(1 + 8);
    new DataView(bytes.buffer).setFloat32(1, 3.25, true);
    new DataView(bytes.buffer).setFloat32(5, -1, true);
    const view = new DataView(bytes.buffer, 1, 8);
    const out = decodeValues({ ...base, count: 2 }, view);
    expect(Array.from(out as Float32Array)).toEqual([3.25, -1]);
  });

  it('throws on a missing or short buffer', () => {
    expect(() => decodeValues({ ...base, count: 4 }, undefined)).toThrow(
      /no buffer/
    );
    expect(() =>
      decodeValues({ ...base, count: 4 }, new ArrayBuffer(8))
    ).toThrow(/8 bytes/);
  });
});

describe('1.3: pages in columns (docs/protocol-examples/columns)', () => {
  const columnsExample = (name: string): Json =>
    JSON.parse(
      fs.readFileSync(
        path.join(EXAMPLES_DIR, 'columns', `${name}.json`),
        'utf8'
      )
    );
  const buffers = (): DataView[] => {
    const b = columnsExample('tensors.buffers') as any;
    return [
      new DataView(new Int32Array(b.int32).buffer),
      new DataView(new Float64Array(b.float64).buffer),
      new DataView(new Float64Array(b.dims).buffer)
    ];
  };
  const plain = (rows: ITensorRow[]) =>
    rows.map(r => ({ ...r, summary: r.summary }));

  it('accepts the request and the reply, as what they are', () => {
    expect(isGetTensors(columnsExample('get_tensors'))).toBe(true);
    expect(decodeMessage(columnsExample('tensors'))?.type).toBe('tensors');
    expect(isTensors(columnsExample('tensors'))).toBe(true);
    for (const [type, guard] of Object.entries(GUARDS)) {
      if (type !== 'tensors') {
        expect({ type, ok: guard(columnsExample('tensors')) }).toEqual({
          type,
          ok: false
        });
      }
    }
  });

  it('decodes to the rows of tensors.rows.json, the first the 1.2 example', () => {
    const page = decodeTensorColumns(
      columnsExample('tensors') as unknown as ITensorsInColumns,
      buffers()
    );
    const rows = columnsExample('tensors.rows') as unknown as ITensorRow[];
    expect(plain(page.rows)).toEqual(rows);
    expect(rows[0]).toEqual((EXAMPLES.get('tensors')!.rows as Json[])[0]);
    expect(page.offset).toBe(0);
    expect(page.total).toBe(214);
  });

  it('rejects columns of the wrong length, and rows and columns together', () => {
    const msg = clone(columnsExample('tensors')) as any;
    msg.columns.name.push('extra:0');
    expect(decodeMessage(msg)).toBeNull();
    const both = clone(columnsExample('tensors')) as any;
    both.rows = [];
    expect(decodeMessage(both)).toBeNull();
    const over = clone(columnsExample('tensors')) as any;
    over.total = 1;
    expect(decodeMessage(over)).toBeNull();
    const flag = clone(columnsExample('get_tensors')) as any;
    flag.columns = 'yes';
    expect(decodeMessage(flag)).toBeNull();
  });

  it('refuses buffers of the wrong size and indices outside their tables', () => {
    const msg = columnsExample('tensors') as unknown as ITensorsInColumns;
    expect(() => decodeTensorColumns(msg, buffers().slice(0, 2))).toThrow(
      /missing/
    );
    const short = buffers();
    short[1] = new DataView(new Float64Array(3).buffer);
    expect(() => decodeTensorColumns(msg, short)).toThrow(/bytes/);
    const b = columnsExample('tensors.buffers') as any;
    const bad = b.int32.slice();
    bad[0] = 99; // op: no such string
    const wrong = buffers();
    wrong[0] = new DataView(new Int32Array(bad).buffer);
    expect(() => decodeTensorColumns(msg, wrong)).toThrow(/op/);
    const noColumn = clone(msg) as any;
    noColumn.columns.int32 = noColumn.columns.int32.map((c: string) =>
      c === 'flags' ? 'other' : c
    );
    expect(() => decodeTensorColumns(noColumn, buffers())).toThrow(/flags/);
  });

  it('reads unaligned buffers (a copy) the same', () => {
    const aligned = buffers();
    const shifted = aligned.map(v => {
      const bytes = new Uint8Array(v.byteLength + 1);
      bytes.set(new Uint8Array(v.buffer), 1);
      return new DataView(bytes.buffer, 1, v.byteLength);
    });
    const msg = columnsExample('tensors') as unknown as ITensorsInColumns;
    expect(plain(decodeTensorColumns(msg, shifted).rows)).toEqual(
      plain(decodeTensorColumns(msg, aligned).rows)
    );
  });
});
