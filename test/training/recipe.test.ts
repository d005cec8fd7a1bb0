import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parameterShapes } from '../../src-main/model/acoustic.js';
import { adaptedParameters, DEFAULT_PERSONALIZE } from '../../src-main/training/personalize.js';
import { chooseRecipe, DEFAULT_RECIPE, type RecipeConfig } from '../../src-main/training/recipe.js';

// The shipped model's shape: the recipe is chosen for it.
const ACOUSTIC = JSON.parse(readFileSync('models/base/config.json', 'utf8')).acoustic;
const BLOCKS: number = ACOUSTIC.blocks;
const BATCH_SECONDS = DEFAULT_PERSONALIZE.batches.maxFrames / 100;
const enrolment = DEFAULT_RECIPE.tiers.find((t) => t.name === 'enrolment')!;

describe('chooseRecipe', () => {
  it('keeps the conservative corrections recipe for a handful of clips', () => {
    const r = chooseRecipe(45, BLOCKS, BATCH_SECONDS);
    expect(r.name).toBe('corrections');
    expect(r.config).toEqual({});
  });

  it('adapts every layer once there are minutes of speech', () => {
    const r = chooseRecipe(enrolment.fromSeconds + 60, BLOCKS, BATCH_SECONDS);
    expect(r.name).toBe('enrolment');
    const layers = { ...DEFAULT_PERSONALIZE, ...r.config };
    const adapted = adaptedParameters(BLOCKS, layers);
    const names = [...parameterShapes(ACOUSTIC).keys()];
    expect(names.length).toBeGreaterThan(BLOCKS);
    expect(names.filter((n) => !adapted(n))).toEqual([]);
  });

  it('adapts only the front of the model for corrections', () => {
    const adapted = adaptedParameters(BLOCKS, {
      ...DEFAULT_PERSONALIZE,
      ...chooseRecipe(30, BLOCKS, BATCH_SECONDS).config,
    });
    expect(adapted('subsample.0.weight')).toBe(true);
    expect(adapted(`blocks.${BLOCKS - 1}.weight`)).toBe(false);
    expect(adapted('head.weight')).toBe(false);
  });

  it('takes the tier at its threshold, and the one below just under it', () => {
    expect(chooseRecipe(enrolment.fromSeconds, BLOCKS, BATCH_SECONDS).name).toBe('enrolment');
    expect(chooseRecipe(enrolment.fromSeconds - 0.1, BLOCKS, BATCH_SECONDS).name).toBe('corrections');
  });

  it('scales the steps with the speech, within the tier’s bounds', () => {
    const steps = (seconds: number) => chooseRecipe(seconds, BLOCKS, BATCH_SECONDS).config.steps!;
    const lo = steps(enrolment.fromSeconds);
    const mid = steps(300);
    const hi = steps(3600);
    expect(lo).toBeGreaterThanOrEqual(enrolment.minSteps);
    expect(mid).toBeGreaterThanOrEqual(lo);
    expect(hi).toBe(enrolment.config.steps);
    expect(mid).toBe(
      Math.round(
        Math.min(
          enrolment.config.steps!,
          Math.max(enrolment.minSteps, (enrolment.epochs * 300) / BATCH_SECONDS),
        ),
      ),
    );
  });

  it('refuses a length that is not a number of seconds, and tiers that leave a gap at the start', () => {
    expect(() => chooseRecipe(Number.NaN, BLOCKS, BATCH_SECONDS)).toThrow(/seconds/);
    const gap: RecipeConfig = { tiers: [{ ...enrolment, fromSeconds: 60 }] };
    expect(() => chooseRecipe(10, BLOCKS, BATCH_SECONDS, gap)).toThrow(/no recipe tier/);
  });
});
