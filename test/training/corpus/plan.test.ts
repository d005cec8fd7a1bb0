import { describe, expect, it } from 'vitest';
import { designCorpus } from '../../../src-main/training/corpus/generate.js';
import type { PlannedUtterance } from '../../../src-main/training/corpus/plan.js';

describe('corpus plan (default voices, 25 hours)', async () => {
  const design = await designCorpus({ outDir: 'unused', hours: 25, seed: 1 });
  const { plan, config, roles } = design;
  const of = (split: string) => plan.filter((u) => u.split === split);

  it('sizes the splits: 200 utterances per evaluation split, the rest training, near the hours asked', () => {
    expect(of('dev')).toHaveLength(200);
    expect(of('test-seen')).toHaveLength(200);
    expect(of('test-unseen')).toHaveLength(200);
    const hours = plan.reduce((s, u) => s + u.estimatedSeconds, 0) / 3600;
    expect(hours).toBeGreaterThanOrEqual(25);
    expect(hours).toBeLessThan(25.01);
    expect(new Set(plan.map((u) => u.id)).size).toBe(plan.length);
  });

  it('shares training utterances between engines as configured', () => {
    const train = of('train');
    const engineOf = new Map([...roles.train, ...roles.heldOut].map((v) => [v.name, v.engine]));
    for (const engine of ['flite', 'festival', 'espeak'] as const) {
      const share = train.filter((u) => engineOf.get(u.voice) === engine).length / train.length;
      expect(share).toBeGreaterThan(config.engineShare[engine] - 0.02);
      expect(share).toBeLessThan(config.engineShare[engine] + 0.02);
    }
  });

  it('keeps held-out voices and sentences apart, and pairs the two test sets sentence by sentence', () => {
    const heldOut = new Set(roles.heldOut.map((v) => v.name));
    for (const u of plan) expect(heldOut.has(u.voice)).toBe(u.split === 'test-unseen');
    const setOf = new Map(design.text.sentences.map((s) => [s.source, s.set]));
    const expected = { train: 'train', dev: 'dev', 'test-seen': 'test', 'test-unseen': 'test' } as const;
    for (const u of plan) expect(setOf.get(u.sentence)).toBe(expected[u.split]);
    expect(of('test-seen').map((u) => u.sentence)).toEqual(of('test-unseen').map((u) => u.sentence));
  });

  it('fills chapters of at most chapterUtterances, numbered by split', () => {
    const perChapter = new Map<string, number>();
    for (const u of plan) {
      const key = `${u.speaker}-${u.chapter}`;
      perChapter.set(key, (perChapter.get(key) ?? 0) + 1);
      expect(u.id.startsWith(key + '-')).toBe(true);
      expect(Math.floor(u.chapter / 10000)).toBe(
        { train: 1, dev: 2, 'test-seen': 3, 'test-unseen': 4 }[u.split],
      );
    }
    expect(Math.max(...perChapter.values())).toBeLessThanOrEqual(config.chapterUtterances);
  });

  it('grows by appending: a larger corpus keeps every utterance of a smaller one', async () => {
    const small = (await designCorpus({ outDir: 'unused', hours: 10, seed: 1 })).plan;
    const big = new Map<string, PlannedUtterance>(plan.map((u) => [u.id, u]));
    for (const u of small) expect(big.get(u.id)).toEqual(u);
  });
});
