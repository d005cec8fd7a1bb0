import { describe, expect, it } from 'vitest';
import { CRASH_SEED_ENV, crashSeed, momentSource } from './crash-plan.js';

describe('kill moments', () => {
  it('replay exactly from the seed, each scenario its own', () => {
    const draw = (seed: number, name: string) => {
      const next = momentSource(seed, name);
      return Array.from({ length: 5 }, () => next());
    };
    const a = draw(42, 'dictation');
    expect(draw(42, 'dictation')).toEqual(a);
    expect(draw(42, 'export')).not.toEqual(a);
    expect(draw(43, 'dictation')).not.toEqual(a);
    expect(a.every((u) => u >= 0 && u < 1)).toBe(true);
  });

  it('take the seed from the environment, and refuse one that is no seed', () => {
    expect(crashSeed({ [CRASH_SEED_ENV]: '1234' })).toBe(1234);
    expect(() => crashSeed({ [CRASH_SEED_ENV]: 'soon' })).toThrow(/whole number/);
    const drawn = crashSeed({});
    expect(Number.isInteger(drawn) && drawn >= 0 && drawn < 2 ** 32).toBe(true);
  });
});
