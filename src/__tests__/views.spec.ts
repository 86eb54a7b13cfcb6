/**
 * Texts of the detail views: why a tensor has no values, and which values a
 * page shows.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { noValueText, whyNoValue } from '../views/detail';
import { pageText } from '../views/pager';
import { makeRow } from './fakes';

const trans = nullTranslator.load('jupyterlab');

describe('why a tensor has no values', () => {
  it("says the kernel's own reason", () => {
    const row = makeRow(0, {
      has_value: false,
      why_no_value: 'released by rec.release(); the summary is kept'
    });
    expect(noValueText(row, trans)).toBe(
      'No values: released by rec.release(); the summary is kept.'
    );
    expect(noValueText(row, trans)).not.toMatch(/memory budget/);
  });

  it('says an op raised, for a 1.1 kernel that sends no reason', () => {
    const row = makeRow(0, {
      has_value: false,
      error: 'InvalidArgumentError: boom',
      dtype: null,
      shape: null
    });
    delete (row as any).why_no_value;
    expect(whyNoValue(row, trans)).toBe(
      'the op raised before producing this output'
    );
  });

  it('does not claim a memory budget it does not know about', () => {
    const row = makeRow(0, { has_value: false, why_no_value: null });
    expect(noValueText(row, trans)).not.toMatch(/memory budget/);
  });
});

describe('pageText', () => {
  it('counts values from 1, never "0–0 of 1"', () => {
    expect(pageText(1, 100, 0, trans)).toBe('1 value');
    expect(pageText(0, 100, 0, trans)).toBe('empty');
    expect(pageText(1792, 100, 0, trans)).toBe('1–100 of 1792');
    expect(pageText(1792, 100, 17, trans)).toBe('1701–1792 of 1792');
    expect(pageText(101, 100, 1, trans)).toBe('101 of 101');
  });
});
