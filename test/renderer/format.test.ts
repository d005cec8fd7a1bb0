import { describe, expect, it } from 'vitest';
import { describeChange, formatMinutes, formatPercent } from '../../src-renderer/src/lib/format.js';

describe('format', () => {
  it('writes every rate one way: one decimal, a space before the percent sign', () => {
    expect(formatPercent(0.1667)).toBe('16.7%');
    expect(formatPercent(0.05, 0)).toBe('5%');
    expect(formatPercent(1)).toBe('100.0%');
  });

  it('says how a word error rate changed: both rates, and the share of errors gone or added', () => {
    expect(describeChange(0.85, 0.52)).toBe('85.0% → 52.0%, 39% fewer errors');
    expect(describeChange(0.2, 0.21)).toBe('20.0% → 21.0%, 5% more errors');
    // No relative change from zero errors, nor for no change at all.
    expect(describeChange(0, 0.1)).toBe('0.0% → 10.0%');
    expect(describeChange(0.3, 0.3)).toBe('30.0% → 30.0%');
  });

  it('writes minutes of speech with a decimal while they are few', () => {
    expect(formatMinutes(0)).toBe('0.0 min');
    expect(formatMinutes(150_000)).toBe('2.5 min');
    expect(formatMinutes(12 * 60_000 + 20_000)).toBe('12 min');
  });
});
