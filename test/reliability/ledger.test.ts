import { describe, expect, it } from 'vitest';
import { WriteLedger } from './ledger.js';

describe('WriteLedger', () => {
  it('allows the last acknowledged value and what was asked for after it', () => {
    const l = new WriteLedger<string, number>();
    l.acked('k', 1);
    l.sent('k', 2);
    l.sent('k', 3);
    expect(l.allowed('k')).toEqual([1, 2, 3]);
    expect(l.inFlight('k')).toBe(true);
    // An answer for 2 settles it and everything asked before it; 3 is still open.
    l.acked('k', 2);
    expect(l.allowed('k')).toEqual([2, 3]);
    l.acked('k', 3);
    expect(l.allowed('k')).toEqual([3]);
    expect(l.inFlight('k')).toBe(false);
    expect(l.ackedValues('k')).toEqual([1, 2, 3]);
  });

  it('counts as acknowledged only keys the app answered for', () => {
    const l = new WriteLedger<number, string>();
    l.sent(1, 'asked, never answered');
    l.acked(2, 'written on its own');
    expect(l.ackedKeys()).toEqual([2]);
    expect(l.size).toBe(1);
    expect(l.allowed(3)).toEqual([]);
  });
});
