import { describe, expect, it } from 'vitest';
import { assignSplits, type SplitItem } from '../../../src-main/training/real/split.js';

const cast = (counts: Record<string, number>): SplitItem[] =>
  Object.entries(counts).flatMap(([speaker, n]) =>
    Array.from({ length: n }, (_, i) => ({ id: `${speaker}${i}`, speaker })),
  );

describe('real speech splits', () => {
  it('puts a single-voice source wholly in its split', () => {
    const items = cast({ allison: 5 });
    expect(assignSplits(items, { kind: 'whole', split: 'real-test' }, 1)).toEqual(Array(5).fill('real-test'));
  });

  it('sends named speakers to their splits, caps held-out speakers reproducibly, trains the rest', () => {
    const items = cast({ a: 10, b: 10, c: 10 });
    const policy = { kind: 'speakers', splits: { b: 'real-dev', c: 'real-test' }, capPerSpeaker: 4 } as const;
    const s = assignSplits(items, policy, 7);
    expect(s.slice(0, 10)).toEqual(Array(10).fill('real-train'));
    expect(s.slice(10, 20).filter((x) => x === 'real-dev')).toHaveLength(4);
    expect(s.slice(20, 30).filter((x) => x === 'real-test')).toHaveLength(4);
    expect(s.filter((x) => x === null)).toHaveLength(12);
    expect(assignSplits(items, policy, 7)).toEqual(s);
    expect(assignSplits(items, policy, 8)).not.toEqual(s);
  });

  it('holds whole characters of a cast out, never the leads or unknown voices, and never one voice in two splits', () => {
    const items = cast({ lead: 500, unknown: 60, a: 30, b: 25, c: 20, d: 20, e: 15, f: 10, g: 5 });
    const total = items.length;
    const s = assignSplits(items, { kind: 'cast', heldOutShare: 0.06, maxHeldOutShare: 0.05 }, 3);
    const bySpeaker = new Map<string, Set<string | null>>();
    items.forEach((it, i) => bySpeaker.set(it.speaker, (bySpeaker.get(it.speaker) ?? new Set()).add(s[i])));
    for (const splits of bySpeaker.values()) expect(splits.size).toBe(1);
    expect([...bySpeaker.get('lead')!]).toEqual(['real-train']);
    expect([...bySpeaker.get('unknown')!]).toEqual(['real-train']);
    const test = s.filter((x) => x === 'real-test').length;
    const dev = s.filter((x) => x === 'real-dev').length;
    expect(test).toBeGreaterThanOrEqual(0.06 * total);
    expect(dev).toBeGreaterThan(0);
    expect(test + dev).toBeLessThan(0.25 * total);
  });
});
