/**
 * The panel's summary lines against Python's `Summary.line()`: every case of
 * fixtures/summary-lines.json (written by tests/test_protocol_summary_text.py,
 * which fails when it no longer matches Python) must come out character for
 * character. Also Python's rounding, ties to even, which toFixed does not do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { toExponentialPy, toFixedPy } from '../protocol/decimal';
import type { ISummaryNumbers } from '../protocol/summaryText';
import { summaryText } from '../protocol/summaryText';

type Case = ISummaryNumbers & { expected: string };

const CASES: Case[] = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, 'fixtures', 'summary-lines.json'),
    'utf8'
  )
);

describe('summaryText', () => {
  it('has thousands of cases to check', () => {
    expect(CASES.length).toBeGreaterThan(2000);
  });

  it("writes Python's line for every case of the fixture", () => {
    const wrong = CASES.filter(c => summaryText(c) !== c.expected).map(c => ({
      case: c,
      got: summaryText(c)
    }));
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

describe('Python rounding', () => {
  it('rounds exact ties to even, from the exact binary value', () => {
    expect(toFixedPy(2.5, 0)).toBe('2');
    expect(toFixedPy(3.5, 0)).toBe('4');
    expect(toFixedPy(0.125, 2)).toBe('0.12');
    expect(toFixedPy(0.375, 2)).toBe('0.38');
    // 2.675 is 2.67499999999999982236431605997495353221893310546875
    expect(toFixedPy(2.675, 2)).toBe('2.67');
    expect(toFixedPy(-1.5, 0)).toBe('-2');
    expect(toFixedPy(1e-7, 3)).toBe('0.000');
    expect(toFixedPy(0.5, 0)).toBe('0');
    expect(toFixedPy(1.5, 0)).toBe('2');
    expect(toFixedPy(1234.5, 0)).toBe('1234');
  });

  it('writes mantissa and exponent as Python does', () => {
    expect(toExponentialPy(125, 1)).toEqual({ mantissa: '1.2', exponent: 2 });
    expect(toExponentialPy(135, 1)).toEqual({ mantissa: '1.4', exponent: 2 });
    expect(toExponentialPy(1250, 1)).toEqual({ mantissa: '1.2', exponent: 3 });
    expect(toExponentialPy(0.0625, 2)).toEqual({
      mantissa: '6.25',
      exponent: -2
    });
    expect(toExponentialPy(0.0625, 1)).toEqual({
      mantissa: '6.2',
      exponent: -2
    });
    expect(toExponentialPy(9.96, 1)).toEqual({ mantissa: '1.0', exponent: 1 });
    expect(toExponentialPy(-5e-324, 2)).toEqual({
      mantissa: '-4.94',
      exponent: -324
    });
    expect(toExponentialPy(1.7976931348623157e308, 16)).toEqual({
      mantissa: '1.7976931348623157',
      exponent: 308
    });
  });
});
