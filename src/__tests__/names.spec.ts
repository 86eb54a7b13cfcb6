/**
 * Names that tell rows apart in a narrow column: each name's shortest
 * distinctive run of last components, and what a cell of a given width shows.
 */
import { DistinctNames, fitName, shownName } from '../names';

/** Names of the demo's Keras train step (examples/demo.ipynb), in order. */
const STEP: Array<string | null> = [
  'regressor_1/hidden_1/Cast/ReadVariableOp:0',
  'regressor_1/hidden_1/MatMul:0',
  null,
  'regressor_1/hidden_1/BiasAdd:0',
  'regressor_1/hidden_1/Relu:0',
  'regressor_1/out_1/Cast/ReadVariableOp:0',
  'regressor_1/out_1/MatMul:0',
  'regressor_1/out_1/Add/ReadVariableOp:0',
  'regressor_1/out_1/Add:0',
  'sub:0',
  'Mean:0',
  'gradient_tape/Mul:0',
  'gradient_tape/sub/Neg:0',
  null,
  'gradient_tape/regressor_1/out_1/MatMul/MatMul:0',
  'gradient_tape/regressor_1/hidden_1/MatMul/MatMul:0',
  'gradient_tape/regressor_1/hidden_1/BiasAdd/BiasAddGrad:0',
  'adam/Cast/ReadVariableOp:0',
  'adam/Add/ReadVariableOp:0',
  'adam/Sub_2/ReadVariableOp:0',
  'adam/sub:0',
  'adam/Mul_1:0',
  'Add/ReadVariableOp:0',
  'Add:0'
];

function indexOf(names: Iterable<string | null>): DistinctNames {
  const index = new DistinctNames();
  index.add(names);
  return index;
}

/** What each named row of `names` shows in `width` characters. */
function shown(
  names: Array<string | null>,
  width: number,
  index = indexOf(names)
): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name !== null) {
      out[name] = shownName(name, fitName(name, width, index.hint(i)), width);
    }
  });
  return out;
}

/** Each row's distinctive run. */
function runs(index: DistinctNames, names: Array<string | null>): string[] {
  return names.map((name, i) =>
    name === null
      ? '<unnamed>'
      : name.split('/').slice(index.hint(i).first).join('/')
  );
}

describe('DistinctNames', () => {
  it('keeps the shortest run of last components no other name ends with', () => {
    expect(runs(indexOf(STEP), STEP)).toEqual([
      'hidden_1/Cast/ReadVariableOp:0', // Cast/ReadVariableOp:0: out_1, adam
      'hidden_1/MatMul:0',
      '<unnamed>',
      'BiasAdd:0',
      'Relu:0',
      'out_1/Cast/ReadVariableOp:0',
      'out_1/MatMul:0',
      'out_1/Add/ReadVariableOp:0',
      'out_1/Add:0', // Add:0 is a whole name too
      'sub:0', // adam/sub:0 ends with it: the whole name
      'Mean:0',
      'Mul:0',
      'Neg:0',
      '<unnamed>',
      'out_1/MatMul/MatMul:0', // MatMul/MatMul:0: both gradients
      'hidden_1/MatMul/MatMul:0',
      'BiasAddGrad:0',
      'adam/Cast/ReadVariableOp:0',
      'adam/Add/ReadVariableOp:0',
      'Sub_2/ReadVariableOp:0',
      'adam/sub:0',
      'Mul_1:0',
      'Add/ReadVariableOp:0',
      'Add:0'
    ]);
  });

  it('leaves out a middle only where first component and leaf tell the name apart', () => {
    const index = indexOf(STEP);
    const gap = (name: string) => index.hint(STEP.indexOf(name)).gap;
    expect(gap('regressor_1/hidden_1/Cast/ReadVariableOp:0')).toBe(true);
    expect(gap('gradient_tape/regressor_1/out_1/MatMul/MatMul:0')).toBe(true);
    // out_1/…/ReadVariableOp:0 would be both out_1/Cast/… and out_1/Add/…
    expect(gap('regressor_1/out_1/Cast/ReadVariableOp:0')).toBe(false);
    expect(gap('regressor_1/out_1/Add/ReadVariableOp:0')).toBe(false);
    // adam/…/ReadVariableOp:0: Cast and Add again.
    expect(gap('adam/Cast/ReadVariableOp:0')).toBe(false);
    // No middle at all.
    expect(gap('regressor_1/hidden_1/MatMul:0')).toBe(false);
    expect(gap('Mean:0')).toBe(false);
  });

  it('gives a name seen twice its whole self, and unnamed rows nothing', () => {
    const names = ['adam/Pow:0', null, 'x/adam/Pow:0', 'adam/Pow:0', 'Pow:0'];
    const index = indexOf(names);
    expect(runs(index, names)).toEqual([
      'adam/Pow:0',
      '<unnamed>',
      'x/adam/Pow:0',
      'adam/Pow:0',
      'Pow:0'
    ]);
    expect(index.hint(1)).toEqual({ first: 0, common: 0, gap: false });
    expect(index.size).toBe(5);
  });

  it('takes odd names: empty components, a leading or trailing slash', () => {
    const names = ['/a:0', 'a:0', 'x//a:0', 'x/', '/'];
    const index = indexOf(names);
    expect(runs(index, names)).toEqual(['/a:0', 'a:0', 'x//a:0', 'x/', '/']);
    expect(index.hint(0).first).toBe(0);
    expect(index.hint(2).first).toBe(0); // it ends with /a:0's components
  });

  it('counts the leading components every name shares, never a leaf', () => {
    expect(indexOf(['m/a/x:0', 'm/a/y:0', null, 'm/a/b/z:0']).common).toBe(2);
    expect(indexOf(['m/a/x:0', 'm/b/x:0']).common).toBe(1);
    expect(indexOf(['m/x:0', 'm/x/y:0']).common).toBe(1);
    expect(indexOf(['m/x:0', 'x:0']).common).toBe(0);
    expect(indexOf(['m/a:0']).common).toBe(1);
    expect(indexOf([null]).common).toBe(0);
  });

  it('gives page by page what it gives at once, and says when earlier rows change', () => {
    const whole = indexOf(STEP);
    const paged = new DistinctNames();
    // The forward pass alone: nothing earlier to change.
    expect(paged.add(STEP.slice(0, 5))).toBe(false);
    expect(runs(paged, STEP.slice(0, 5))[0]).toBe('ReadVariableOp:0');
    // out_1's Cast/ReadVariableOp:0 makes hidden_1's run longer.
    expect(paged.add(STEP.slice(5, 6))).toBe(true);
    expect(runs(paged, STEP.slice(0, 6))[0]).toBe(
      'hidden_1/Cast/ReadVariableOp:0'
    );
    // out_1/MatMul:0 makes hidden_1/MatMul:0's run longer.
    expect(paged.add(STEP.slice(6, 7))).toBe(true);
    // Add/ReadVariableOp:0 and Add:0 end no earlier name.
    expect(paged.add(STEP.slice(7, 9))).toBe(false);
    expect(paged.common).toBe(1);
    // sub:0 is not in regressor_1/: the start every name shares shrinks.
    expect(paged.add(STEP.slice(9, 11))).toBe(true);
    expect(paged.common).toBe(0);
    expect(paged.hint(5).gap).toBe(true);
    expect(paged.add(STEP.slice(11, 18))).toBe(false);
    // adam/Add/ReadVariableOp:0 makes row 7's run out_1/Add/ReadVariableOp:0,
    // whose out_1/…/ReadVariableOp:0 is row 5's too.
    expect(paged.add(STEP.slice(18, 19))).toBe(true);
    expect(paged.hint(7).first).toBe(1);
    expect(paged.hint(5).gap).toBe(false);
    for (let from = 19; from < STEP.length; from += 3) {
      paged.add(STEP.slice(from, from + 3));
    }
    STEP.forEach((_, i) => expect(paged.hint(i)).toEqual(whole.hint(i)));
  });

  it('says when the shared start shrinks', () => {
    const index = new DistinctNames();
    expect(index.add(['regressor_1/out_1/MatMul:0'])).toBe(false);
    expect(index.common).toBe(2);
    expect(index.add(['regressor_1/hidden_1/Relu:0'])).toBe(true);
    expect(index.common).toBe(1);
    expect(index.add(['regressor_1/hidden_1/Relu_1:0'])).toBe(false);
  });

  it('indexes 100,000 names in pages quickly', () => {
    const names: string[] = [];
    for (let i = 0; i < 100000; i++) {
      const layer = `block_${i % 50}/dense_${i % 7}`;
      names.push(
        i % 3 === 0
          ? `model_1/${layer}/Cast_${i}/ReadVariableOp:0`
          : `gradient_tape/model_1/${layer}/MatMul_${i}:0`
      );
    }
    const index = new DistinctNames();
    const t0 = Date.now();
    index.add(names.slice(0, 1000));
    for (let from = 1000; from < names.length; from += 5000) {
      index.add(names.slice(from, from + 5000));
    }
    const ms = Date.now() - t0;
    expect(index.size).toBe(100000);
    expect(runs(index, names.slice(0, 2))).toEqual([
      'Cast_0/ReadVariableOp:0',
      'MatMul_1:0'
    ]);
    expect(ms).toBeLessThan(2000);
  });
});

describe('fitName', () => {
  it('shows at 27 characters (360 px) what tells the demo’s rows apart', () => {
    expect(shown(STEP, 27)).toEqual({
      'regressor_1/hidden_1/Cast/ReadVariableOp:0':
        'hidden_1/…/ReadVariableOp:0',
      'regressor_1/hidden_1/MatMul:0': 'hidden_1/MatMul:0',
      'regressor_1/hidden_1/BiasAdd:0': 'hidden_1/BiasAdd:0',
      'regressor_1/hidden_1/Relu:0': 'regressor_1/hidden_1/Relu:0',
      'regressor_1/out_1/Cast/ReadVariableOp:0': 'out_1/Cast/ReadVariableOp:0',
      'regressor_1/out_1/MatMul:0': 'regressor_1/out_1/MatMul:0',
      'regressor_1/out_1/Add/ReadVariableOp:0': 'out_1/Add/ReadVariableOp:0',
      'regressor_1/out_1/Add:0': 'regressor_1/out_1/Add:0',
      'sub:0': 'sub:0',
      'Mean:0': 'Mean:0',
      'gradient_tape/Mul:0': 'gradient_tape/Mul:0',
      'gradient_tape/sub/Neg:0': 'gradient_tape/sub/Neg:0',
      'gradient_tape/regressor_1/out_1/MatMul/MatMul:0':
        'out_1/MatMul/MatMul:0',
      'gradient_tape/regressor_1/hidden_1/MatMul/MatMul:0':
        'hidden_1/MatMul/MatMul:0',
      'gradient_tape/regressor_1/hidden_1/BiasAdd/BiasAddGrad:0':
        'BiasAdd/BiasAddGrad:0',
      'adam/Cast/ReadVariableOp:0': 'adam/Cast/ReadVariableOp:0',
      'adam/Add/ReadVariableOp:0': 'adam/Add/ReadVariableOp:0',
      'adam/Sub_2/ReadVariableOp:0': 'adam/Sub_2/ReadVariableOp:0',
      'adam/sub:0': 'adam/sub:0',
      'adam/Mul_1:0': 'adam/Mul_1:0',
      'Add/ReadVariableOp:0': 'Add/ReadVariableOp:0',
      'Add:0': 'Add:0'
    });
  });

  it('keeps every row apart down to 27 characters, and most at 20', () => {
    for (const width of [60, 40, 30, 27]) {
      const texts = Object.values(shown(STEP, width));
      expect(new Set(texts).size).toBe(texts.length);
    }
    expect(shown(STEP, 20)).toMatchObject({
      'regressor_1/hidden_1/MatMul:0': 'hidden_1/MatMul:0',
      'regressor_1/out_1/MatMul:0': 'out_1/MatMul:0',
      'gradient_tape/regressor_1/hidden_1/MatMul/MatMul:0':
        'hidden_1/…/MatMul:0',
      'gradient_tape/regressor_1/out_1/MatMul/MatMul:0': 'out_1/…/MatMul:0',
      // Past the middle: the start of what is left goes.
      'regressor_1/hidden_1/Cast/ReadVariableOp:0': '…/…/ReadVariableOp:0',
      'regressor_1/out_1/Cast/ReadVariableOp:0': '…st/ReadVariableOp:0'
    });
  });

  it('shows whole names that fit, and a middle that fits', () => {
    const name = 'regressor_1/hidden_1/Cast/ReadVariableOp:0';
    const hint = { first: 1, gap: true };
    expect(shownName(name, fitName(name, 42, hint))).toBe(name);
    expect(shownName(name, fitName(name, 41, hint))).toBe(
      'hidden_1/Cast/ReadVariableOp:0'
    );
    const deep = 'a/scope_one/b/c/dd/ReadVariableOp:0';
    const deepHint = { first: 1, gap: true };
    expect(shownName(deep, fitName(deep, 30, deepHint))).toBe(
      'scope_one/…/ReadVariableOp:0'
    );
    expect(shownName(deep, fitName(deep, 31, deepHint))).toBe(
      'scope_one/…/dd/ReadVariableOp:0'
    );
    expect(shownName(deep, fitName(deep, 33, deepHint))).toBe(
      'scope_one/b/c/dd/ReadVariableOp:0'
    );
  });

  it('leaves out the start every name shares before anything else', () => {
    const names = [
      'regressor_1/hidden_1/MatMul:0',
      'regressor_1/out_1/MatMul:0',
      'regressor_1/MatMul:0'
    ];
    const index = indexOf(names);
    expect(index.common).toBe(1);
    // regressor_1/MatMul:0 ends no other name, but its start is everyone's.
    expect(shown(names, 40, index)['regressor_1/MatMul:0']).toBe(
      'regressor_1/MatMul:0'
    );
    expect(shown(names, 19, index)).toEqual({
      'regressor_1/hidden_1/MatMul:0': 'hidden_1/MatMul:0',
      'regressor_1/out_1/MatMul:0': 'out_1/MatMul:0',
      'regressor_1/MatMul:0': 'MatMul:0'
    });
  });

  it('shows names without a scope, and gives the cell the rest', () => {
    expect(fitName('Mean:0', 3, { first: 0 })).toEqual({
      start: 0,
      gapFrom: 0,
      gapTo: 0,
      leaf: 0
    });
    expect(shownName('Mean:0', fitName('Mean:0', 3), 3)).toBe('…:0');
    expect(shownName('Mean:0', fitName('Mean:0', 30), 30)).toBe('Mean:0');
  });

  it('never shows the scope a group header shows', () => {
    const name = 'regressor_1/hidden_1/Cast/ReadVariableOp:0';
    const hint = { first: 1, gap: true, floor: 3 };
    expect(shownName(name, fitName(name, 80, hint))).toBe('ReadVariableOp:0');
    expect(shownName(name, fitName(name, 10, hint), 10)).toBe('…iableOp:0');
  });
});
