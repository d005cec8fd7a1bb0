// A trained model given phones to write: everything below the output layer kept, the blank's and word
// break's columns kept, and the folder carrying its pronouncing dictionary through a save and a load.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initParams } from '../../src-main/model/acoustic.js';
import { loadModelFolder, ModelFolderError, saveModelFolder } from '../../src-main/model/checkpoint.js';
import { checkpointFromModel, loadCheckpointModel } from '../../src-main/model/model-io.js';
import { replaceHead } from '../../src-main/model/new-head.js';
import { reshapeModel } from '../../src-main/model/reshape.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { phoneAlphabet, spokenForm, wordSpellings } from '../../src-main/speech/phone-spelling.js';
import { LetterToSound } from '../../src-main/speech/g2p/letter-to-sound.js';
import { TINY_DICTIONARY_TEXT } from '../speech/g2p/tiny-dictionary.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { useBackend } from '../training/helpers-tf.js';
import { biasedModel, TINY_CONFIG } from './tiny-model.js';

const dict = parseDictionary(
  ['hello HH AH L OW', 'world W ER L D', 'read R IY D', 'read(2) R EH D'].join('\n'),
);
const phones = phoneAlphabet(dict, 'test.dict');
let root: string;

beforeAll(async () => {
  await useBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'attune-new-head-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function letterFolder() {
  const m = biasedModel(3);
  const folder = checkpointFromModel(m, englishAlphabet(), { version: 'letters' });
  m.dispose();
  return folder;
}

describe('replaceHead', () => {
  it('keeps every weight below the output layer, and the blank’s and word break’s columns', () => {
    const before = letterFolder();
    const after = replaceHead(before, phones, 7);
    expect(after.acoustic).toEqual({ ...before.acoustic, vocabSize: phones.size });
    for (const [name, w] of before.weights)
      if (!name.startsWith('head.weight') && name !== 'head.bias') expect(after.weights.get(name)).toBe(w);
    const C = TINY_CONFIG.channels;
    const [oldV, V] = [before.acoustic.vocabSize, phones.size];
    const oldW = before.weights.get('head.weight')!;
    const W = after.weights.get('head.weight')!;
    expect(W).toHaveLength(C * V);
    const letters = englishAlphabet();
    for (const [o, n] of [
      [letters.blank, phones.blank],
      [letters.space, phones.space],
    ]) {
      for (let c = 0; c < C; c++) expect(W[c * V + n]).toBe(oldW[c * oldV + o]);
      expect(after.weights.get('head.bias')![n]).toBe(before.weights.get('head.bias')![o]);
    }
    // The phones' columns are fresh, as a new model's output layer starts.
    const fresh = initParams({ ...before.acoustic, vocabSize: V }, 7).get('head.weight')!;
    const ah = phones.phones!.names.indexOf('AH');
    for (let c = 0; c < C; c++) expect(W[c * V + ah]).toBe(fresh[c * V + ah]);
  });

  it('is a reshape that records the letters the model wrote before', () => {
    const out = reshapeModel(letterFolder(), { alphabet: phones, seed: 1 });
    const from = out.info.training?.reshapedFrom as { tokens: string[] };
    expect(from.tokens.slice(0, 4)).toEqual(['<blank>', '<space>', 'a', 'b']);
    expect(out.alphabet.phones?.dictionary).toBe(dict);
  });
});

describe('reshaping a phone model to the same phones', () => {
  it('keeps its output layer and takes the new dictionary and rules', () => {
    const phoneModel = replaceHead(letterFolder(), phones, 1);
    const tiny = parseDictionary(TINY_DICTIONARY_TEXT);
    const other = phoneAlphabet(dict, 'again.dict', LetterToSound.learn(tiny));
    const out = reshapeModel(phoneModel, { alphabet: other, seed: 5 });
    expect(out.weights.get('head.weight')).toBe(phoneModel.weights.get('head.weight'));
    expect(out.alphabet.phones?.letterToSound).toBe(other.phones?.letterToSound);
  });
});

describe('a phone model folder', () => {
  it('saves its dictionary beside tokens.txt and loads with it attached', () => {
    const dir = join(root, 'phones');
    const folder = replaceHead(letterFolder(), phones, 1);
    saveModelFolder(dir, folder);
    const loaded = loadModelFolder(dir);
    expect(loaded.alphabet.tokens).toEqual(phones.tokens);
    expect(loaded.alphabet.phones?.dictionary?.pronunciations('read')).toEqual([
      ['R', 'IY', 'D'],
      ['R', 'EH', 'D'],
    ]);
    expect(spokenForm('read', loaded.alphabet).text).toBe(spokenForm('read', phones).text);
    // The model computes log-probabilities over the phones.
    const model = loadCheckpointModel(loaded);
    const x = tf.zeros([1, 40, model.config.featureBins]) as tf.Tensor3D;
    const { logProbs } = model.logProbs(x, [40]);
    expect(logProbs.shape[2]).toBe(phones.size);
    tf.dispose([x, logProbs]);
    model.dispose();
  });

  it('is refused without its dictionary, or with one that writes other phones', () => {
    const dir = join(root, 'broken');
    saveModelFolder(dir, replaceHead(letterFolder(), phones, 1));
    writeFileSync(join(dir, 'pronunciations.dict'), 'cat K AE T\n');
    expect(() => loadModelFolder(dir)).toThrow(/uses phones the model does not write: AE, K/);
    rmSync(join(dir, 'pronunciations.dict'));
    expect(() => loadModelFolder(dir)).toThrow(ModelFolderError);
    expect(() => loadModelFolder(dir)).toThrow(/pronunciations\.dict is missing/);
  });
});

describe('a phone model folder with letter-to-sound rules', () => {
  it('saves and loads them, so the loaded model spells words its dictionary lacks as the saved one did', () => {
    const tiny = parseDictionary(TINY_DICTIONARY_TEXT);
    const alphabet = phoneAlphabet(tiny, 'tiny.dict', LetterToSound.learn(tiny));
    const dir = join(root, 'rules');
    saveModelFolder(dir, replaceHead(letterFolder(), alphabet, 1));
    expect(existsSync(join(dir, 'letter-to-sound.json'))).toBe(true);
    const loaded = loadModelFolder(dir).alphabet;
    expect(wordSpellings('vox', loaded)).toEqual(wordSpellings('vox', alphabet));
    expect(wordSpellings('vox', loaded)).toHaveLength(1);
    writeFileSync(join(dir, 'letter-to-sound.json'), '{"format": "something else"}');
    expect(() => loadModelFolder(dir)).toThrow(/letter-to-sound\.json: /);
  });
});
