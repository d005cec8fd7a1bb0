// A run keeps its model's features: other features are refused, and another copy of the same sphinx model
// is accepted in place of the model's own.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { withFrontEnd } from '../../src-main/speech/front-end.js';
import { keepModelFeatures, resumedRunFeatures } from '../../src-main/training/run-features.js';
import { HAVE_MODEL, MODEL_DIR } from '../speech/sphinx/helpers.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attune-run-features-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('keepModelFeatures', () => {
  it("is the model's features when none are given, and refuses other features", () => {
    expect(keepModelFeatures(DEFAULT_FEATURES, undefined, 'm')).toBe(DEFAULT_FEATURES);
    expect(keepModelFeatures(DEFAULT_FEATURES, { ...DEFAULT_FEATURES }, 'm')).toEqual(DEFAULT_FEATURES);
    const phones = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', '/x/sphinx');
    expect(() => keepModelFeatures(DEFAULT_FEATURES, phones, 'models/base')).toThrow(
      'models/base was trained on logmel features and cannot train on logmel+phones features: a model keeps the features it was made with',
    );
    expect(() => keepModelFeatures(phones, DEFAULT_FEATURES, 'm')).toThrow(
      /trained on logmel\+phones features/,
    );
    expect(() => keepModelFeatures(DEFAULT_FEATURES, { ...DEFAULT_FEATURES, nMels: 40 }, 'm')).toThrow(
      'm was trained on logmel features and cannot train on logmel features with other log-mel settings',
    );
  });

  it('has nothing to resume in a run without a checkpoint', () => {
    expect(resumedRunFeatures(join(root, 'no-run'))).toBeNull();
  });

  // Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
  it.skipIf(!HAVE_MODEL)('takes another copy of the same sphinx model, not a different model', () => {
    const model = withFrontEnd(DEFAULT_FEATURES, 'phones', MODEL_DIR);
    const copy = join(root, 'copy');
    cpSync(MODEL_DIR, copy, { recursive: true });
    const given = withFrontEnd(DEFAULT_FEATURES, 'phones', copy);
    expect(keepModelFeatures(model, given, 'm')).toBe(given);
    const changed = join(root, 'changed');
    cpSync(MODEL_DIR, changed, { recursive: true });
    const means = readFileSync(join(changed, 'means'));
    means[means.length - 8] ^= 1;
    writeFileSync(join(changed, 'means'), means);
    expect(() => keepModelFeatures(model, withFrontEnd(DEFAULT_FEATURES, 'phones', changed), 'm')).toThrow(
      `m was trained on phones from the sphinx model in ${MODEL_DIR}; ${changed} holds another`,
    );
  });
});
