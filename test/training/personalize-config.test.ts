// A personal fine-tuning job's settings: the recipe its amount of speech chooses, the job's own over it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { checkBackOff, DEFAULT_PERSONALIZE, jobConfig } from '../../src-main/training/personalize-config.js';

/** A model 16 blocks deep with the default front end: 100 feature frames a second. */
const PARENT = { acoustic: { ...DEFAULT_ACOUSTIC, blocks: 16 }, features: DEFAULT_FEATURES };

describe('jobConfig', () => {
  it('takes the conservative corrections recipe for a few clips, with the job’s own settings over it', () => {
    const { config, recipe, speechSeconds } = jobConfig(3000, PARENT, { steps: 40, seed: 9 });
    expect(recipe).toBe('corrections');
    expect(speechSeconds).toBe(30);
    expect(config).toEqual({ ...DEFAULT_PERSONALIZE, steps: 40, seed: 9 });
  });

  it('adapts every layer for minutes of speech, sizing the steps by passes over it', () => {
    const { config, recipe, speechSeconds } = jobConfig(24_000, PARENT, undefined);
    expect(recipe).toBe('enrolment');
    expect(speechSeconds).toBe(240);
    expect(config).toMatchObject({ adaptSubsampling: true, adaptFirstBlocks: 16, adaptBlocks: 16 });
    expect(config.learningRate).toBeGreaterThan(DEFAULT_PERSONALIZE.learningRate);
    // 20 passes over 240 s in batches of 16 s.
    expect(config.steps).toBe(300);
  });

  it('sizes the passes by the job’s own batches, and its own settings win over the recipe', () => {
    const batches = { ...DEFAULT_PERSONALIZE.batches, maxFrames: 3200 };
    const { config } = jobConfig(24_000, PARENT, { batches, anchorDecay: 5 });
    expect(config.steps).toBe(150); // 20 passes over 240 s in batches of 32 s
    expect(config.anchorDecay).toBe(5);
    expect(config.batches).toBe(batches);
  });

  it('refuses settings that cannot run', () => {
    expect(() =>
      jobConfig(3000, PARENT, { adaptSubsampling: false, adaptFirstBlocks: 0, adaptBlocks: 0 }),
    ).toThrow('nothing to adapt');
    expect(() => jobConfig(3000, PARENT, { backOff: [0.5, 1] })).toThrow(/largest first/);
  });
});

describe('checkBackOff', () => {
  it('accepts shares in (0, 1], largest first, and nothing else', () => {
    for (const ok of [[1], [1, 0.8, 0.6], [0.5]]) expect(() => checkBackOff(ok)).not.toThrow();
    for (const bad of [[], [0.8, 1], [1, 1], [1, 0], [1.2], [1, -0.5]])
      expect(() => checkBackOff(bad), JSON.stringify(bad)).toThrow(/needs at least one share/);
  });
});
