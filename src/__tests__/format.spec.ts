/**
 * Numbers in the detail views: compact, with enough significant digits to
 * show a spread, and raw elements as their dtype holds them.
 */
import {
  DEFAULT_DIGITS,
  formatCompact,
  formatSpread,
  formatValue,
  spreadDigits
} from '../views/format';

describe('formatCompact', () => {
  it('writes lovely-tensors-like short numbers', () => {
    expect(formatCompact(0)).toBe('0');
    expect(formatCompact(9)).toBe('9');
    expect(formatCompact(-393.84213)).toBe('-393.8');
    expect(formatCompact(0.0012)).toBe('0.0012');
    expect(formatCompact(0.081234)).toBe('0.08123');
    expect(formatCompact(2.3)).toBe('2.3');
    expect(formatCompact(-3541.2)).toBe('-3541');
    expect(formatCompact(123456.7)).toBe('1.235e+05');
    expect(formatCompact(-4.0537e-5)).toBe('-4.054e-05');
    expect(formatCompact(1e-12)).toBe('1e-12');
    expect(formatCompact(NaN)).toBe('NaN');
    expect(formatCompact(Infinity)).toBe('Inf');
    expect(formatCompact(-Infinity)).toBe('-Inf');
  });

  it('takes more digits when asked', () => {
    expect(formatCompact(3000.0001, 8)).toBe('3000.0001');
    expect(formatCompact(1.0000001e7, 9)).toBe('1.0000001e+07');
  });
});

describe('formatSpread', () => {
  it('tells min and max apart however close they are', () => {
    const [min, max, mean] = formatSpread([3000.0001, 3000.0099, 3000.005]);
    expect(min).toBe('3000.0001');
    expect(max).toBe('3000.0099');
    expect(mean).toBe('3000.005');
    expect(min).not.toBe(max);
  });

  it('stays short when the spread is wide', () => {
    expect(spreadDigits([-0.14, 0.14, 0.0012])).toBe(DEFAULT_DIGITS);
    expect(formatSpread([-0.1423, 0.1401, 0.0012])).toEqual([
      '-0.1423',
      '0.1401',
      '0.0012'
    ]);
  });

  it('keeps nulls as dashes and ignores them for the precision', () => {
    expect(formatSpread([null, 1.5, 1.5])).toEqual(['—', '1.5', '1.5']);
    expect(spreadDigits([NaN, 1, 1])).toBe(DEFAULT_DIGITS);
  });

  it('separates large close values in scientific notation', () => {
    const [a, b] = formatSpread([1.23456781e9, 1.23456789e9]);
    expect(a).not.toBe(b);
    expect([a, b]).toEqual(['1.23456781e+09', '1.23456789e+09']);
  });
});

describe('formatValue', () => {
  it('writes a float32 element as the shortest decimal that reads back', () => {
    const f = new Float32Array([0.1, 18.878385543823242, 3000.0001, -1e-8]);
    expect(formatValue(f[0], 'float32')).toBe('0.1');
    expect(formatValue(f[1], 'float32')).toBe('18.878386');
    expect(formatValue(f[2], 'float32')).toBe('3000');
    expect(Math.fround(Number(formatValue(f[3], 'float32')))).toBe(f[3]);
  });

  it('writes float64 in full, integers and bigints exactly', () => {
    expect(formatValue(0.1 + 0.2, 'float64')).toBe('0.30000000000000004');
    expect(formatValue(123456789, 'int32')).toBe('123456789');
    expect(formatValue(2n ** 62n, 'int64')).toBe('4611686018427387904');
    expect(formatValue(NaN, 'float32')).toBe('NaN');
  });
});
