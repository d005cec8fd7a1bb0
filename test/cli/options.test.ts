// The option parsers every command uses: what each takes, and the one wording of what each refuses.
import { describe, expect, it } from 'vitest';
import {
  choiceOption,
  listOption,
  numberOption,
  positiveOption,
  shareOption,
  wholeNumberOption,
} from '../../src-main/cli/commands/options.js';

describe('option parsers', () => {
  it('take whole numbers in range and refuse text, fractions and numbers outside it', () => {
    expect(wholeNumberOption(' 12 ', 'jobs')).toBe(12);
    expect(wholeNumberOption('0', 'port', 0, 65535)).toBe(0);
    expect(() => wholeNumberOption('2.5', 'jobs')).toThrow('--jobs must be a whole number ≥ 1, got "2.5"');
    expect(() => wholeNumberOption('', 'jobs')).toThrow('--jobs must be a whole number ≥ 1, got ""');
    expect(() => wholeNumberOption('70000', 'port', 0, 65535)).toThrow(
      '--port must be a whole number from 0 to 65535, got "70000"',
    );
    expect(() => wholeNumberOption('0x10', 'jobs')).toThrow('got "0x10"');
  });

  it('take decimal numbers within open and closed bounds, and say the bounds when refusing', () => {
    expect(numberOption('1e-3', 'lr', { above: 0 })).toBe(0.001);
    expect(numberOption('.5', 'dropout', { min: 0, below: 1 })).toBe(0.5);
    expect(() => numberOption('1', 'dropout', { min: 0, below: 1 })).toThrow(
      '--dropout must be a number ≥ 0 and < 1, got "1"',
    );
    expect(() => numberOption('abc', 'margin', { min: 0 })).toThrow(
      '--margin must be a number ≥ 0, got "abc"',
    );
    expect(() => numberOption('Infinity', 'x')).toThrow('--x must be a number, got "Infinity"');
    expect(positiveOption('3', 'seconds')).toBe(3);
    expect(() => positiveOption('0', 'seconds')).toThrow('--seconds must be a positive number, got "0"');
    expect(shareOption('1', 'reverb')).toBe(1);
    expect(() => shareOption('1.2', 'reverb')).toThrow('--reverb must be a number from 0 to 1, got "1.2"');
  });

  it('take one of a set of words, and lists whose every item parses', () => {
    expect(choiceOption('none', 'augment', ['full', 'none'] as const)).toBe('none');
    expect(() => choiceOption('most', 'augment', ['full', 'none'])).toThrow(
      '--augment must be one of full, none, got "most"',
    );
    const shares = (text: string) =>
      listOption(text, 'back-off', 'shares', (x) => shareOption(x, 'back-off'));
    expect(shares('1, 0.5')).toEqual([1, 0.5]);
    expect(() => shares('1,,0.5')).toThrow('--back-off must be shares, got "1,,0.5"');
    expect(() => shares('1,2')).toThrow('--back-off must be shares, got "1,2"');
  });
});
