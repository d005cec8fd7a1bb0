import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModel, type LoadedModel } from '../../src-main/model/model-io.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { computeFeatures } from '../../src-main/speech/front-end.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import type { EvalItem } from '../../src-main/training/evaluate.js';
import { lexiconEffect } from '../../src-main/training/lexicon-eval.js';

let base: LoadedModel;
const items: EvalItem[] = [];
const SAID = ['please ask zorba to call me', 'zorba will bring the tickets'];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  base = loadModel(BASE_MODEL_DIR);
  const dir = mkdtempSync(join(tmpdir(), 'attune-lexicon-'));
  for (const [i, text] of SAID.entries()) {
    const wav = join(dir, `${i}.wav`);
    execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', wav]);
    // The model's own front end (the shipped model hears phone posteriors beside log-mel).
    const m = computeFeatures((await readAudio(wav)).samples, base.features);
    items.push({ id: String(i), speaker: 'user', text, frames: m.frames, features: () => m.data });
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('lexiconEffect', () => {
  it('scores greedy and boosted decoding of the same model, and with the language model when given one', () => {
    const alone = lexiconEffect(base.model, base.alphabet, items, ['Zorba']);
    expect(alone.words).toBe(1);
    expect(alone.greedy.utterances).toBe(2);
    expect(alone.languageModel).toBeUndefined();
    const lm = WordLm.load(BASE_LM_PATH);
    expect(lm.id('zorba')).toBe(-1); // the LM alone cannot write it: only the lexicon can
    const decoding = { lm, vocabulary: vocabularyTrie(lm, base.alphabet) };
    const r = lexiconEffect(base.model, base.alphabet, items, ['Zorba'], {}, decoding);
    expect(r.greedy).toEqual(alone.greedy);
    expect(r.boosted).toEqual(alone.boosted);
    const { plain, boosted } = r.languageModel!;
    expect(plain.utterances).toBe(2);
    expect(boosted.utterances).toBe(2);
    // Every word but "zorba" is one the LM knows: with the lexicon too, its WER is no worse.
    expect(boosted.wer).toBeLessThanOrEqual(plain.wer);
    expect(plain.wer).toBeLessThan(r.greedy.wer);
  });
});
