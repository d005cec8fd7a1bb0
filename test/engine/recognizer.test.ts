import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src-main/model/backend.js';
import { outputFrameMs } from '../../src-main/model/config.js';
import type { LoadedModel } from '../../src-main/model/model-io.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { DEFAULT_FEATURES, logMel } from '../../src-main/speech/features.js';
import { computeFeatures, withFrontEnd } from '../../src-main/speech/front-end.js';
import { type FinalEvent, type PartialEvent, Recognizer } from '../../src-main/engine/recognizer.js';
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import { biasedModel, TINY_CONFIG } from '../model/tiny-model.js';
import { HAVE_MODEL, MODEL_DIR } from '../speech/sphinx/helpers.js';

let loaded: LoadedModel;
let audio: Float32Array;
const SR = 16000;

let dir: string;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'attune-rec-'));
  const parts: Float32Array[] = [];
  const silence = (ms: number) => new Float32Array((ms / 1000) * SR);
  parts.push(silence(300));
  for (const [i, text] of ['hello there', 'good morning everyone'].entries()) {
    const wav = join(dir, `${i}.wav`);
    execFileSync('espeak-ng', ['-w', wav, text]);
    parts.push((await readAudio(wav)).samples, silence(700));
  }
  audio = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    audio.set(p, o);
    o += p.length;
  }
  loaded = {
    dir,
    model: biasedModel(7, 1.0),
    alphabet: englishAlphabet(),
    features: DEFAULT_FEATURES,
    info: {},
  };
});

async function run(
  chunk: () => number,
  model: LoadedModel = loaded,
): Promise<{ partials: PartialEvent[]; finals: FinalEvent[] }> {
  const r = new Recognizer(model);
  const partials: PartialEvent[] = [];
  const finals: FinalEvent[] = [];
  r.on('partial', (p) => partials.push(p));
  r.on('final', (f) => finals.push(f));
  for (let i = 0; i < audio.length;) {
    const n = Math.min(audio.length - i, chunk());
    await r.accept(audio.subarray(i, i + n));
    i += n;
  }
  await r.finish();
  r.dispose();
  return { partials, finals };
}

describe('Recognizer', () => {
  it('ends a segment at each pause and decodes it exactly as the offline model does', async () => {
    const { finals } = await run(() => 1600);
    expect(finals.length).toBe(2);
    const all = logMel(audio, SR);
    for (const f of finals) {
      expect(f.reason).toBe('endpoint');
      // The segment's feature frames, decoded offline from scratch, must give the same text.
      const from = Math.round(f.startMs / 10);
      const to = Math.round(f.endMs / 10);
      const x = tf.tensor3d(all.data.subarray(from * 80, to * 80), [1, to - from, 80]);
      const { logProbs, lengths } = loaded.model.logProbs(x, [to - from]);
      const offline = greedyDecode(logProbs.dataSync() as Float32Array, lengths[0], loaded.alphabet, {
        frameMs: outputFrameMs(loaded.model.config),
      });
      x.dispose();
      logProbs.dispose();
      expect(f.text).toBe(offline.text);
      expect(f.text.length).toBeGreaterThan(0);
      for (const w of f.words) {
        expect(w.startMs).toBeGreaterThanOrEqual(f.startMs);
        expect(w.endMs).toBeLessThanOrEqual(f.endMs + 200);
      }
    }
    // The pause between the phrases separates them on the session timeline.
    expect(finals[1].startMs).toBeGreaterThanOrEqual(finals[0].endMs);
  });

  it('gives the same finals whatever the audio chunk size', async () => {
    const ref = (await run(() => 1600)).finals.map((f) => [f.text, f.startMs, f.endMs]);
    let s = 5;
    const { finals: odd } = await run(() => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return 1 + (s % 3000);
    });
    expect(odd.map((f) => [f.text, f.startMs, f.endMs])).toEqual(ref);
  });

  it('streams partials whose committed words only grow within a segment', async () => {
    const { partials, finals } = await run(() => 320);
    expect(partials.length).toBeGreaterThan(2);
    for (let i = 1; i < partials.length; i++) {
      if (partials[i].segment === partials[i - 1].segment) {
        expect(partials[i].committed.startsWith(partials[i - 1].committed)).toBe(true);
      }
    }
    // The last partial of each segment is what became final.
    for (const f of finals) {
      const last = partials.filter((p) => p.segment === f.segment).at(-1)!;
      expect(last.text).toBe(f.text);
    }
  });

  it('switches to a swapped model at the next segment boundary', async () => {
    const r = new Recognizer(loaded);
    const other: LoadedModel = { ...loaded, model: biasedModel(7, 1.0), dir: 'other' };
    const seen: string[] = [];
    r.on('final', () => seen.push(r.currentModel.dir));
    await r.accept(audio.subarray(0, SR)); // mid-phrase: the swap must wait
    r.swapModel(other);
    expect(r.currentModel.dir).toBe(loaded.dir);
    await r.accept(audio.subarray(SR));
    await r.finish();
    expect(r.currentModel.dir).toBe('other');
    expect(seen[0]).toBe(loaded.dir);
    r.dispose();
  });
});

// Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
describe.skipIf(!HAVE_MODEL)('Recognizer on phone features', () => {
  const features = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', MODEL_DIR);
  let phones: LoadedModel;
  beforeAll(() => {
    // biasedModel's leanings, on 80 log-mel + 42 phone bins.
    const config = { ...TINY_CONFIG, featureBins: 122 };
    const w = initParams(config, 7);
    const a = englishAlphabet();
    const bias = w.get('head.bias')!;
    for (const ch of 'aeost') bias[a.index.get(ch)!] = 1.5;
    bias[a.space] = 1.0;
    bias[a.blank] = 2;
    const mean = new Float32Array(122);
    const std = new Float32Array(122).fill(5);
    mean.fill(-10, 80); // phone log-posteriors lie in [-30, 0]
    phones = { dir, model: new AcousticModel(config, w, { mean, std }), alphabet: a, features, info: {} };
  });

  it('streams in chunks to the text offline recognition gives, segment by segment', async () => {
    const all = computeFeatures(audio, features); // [T, 122]
    let s = 11;
    const chunks = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return 1 + (s % 2500);
    };
    const { finals } = await run(chunks, phones);
    expect(finals.length).toBe(2);
    for (const f of finals) {
      const from = Math.round(f.startMs / 10);
      const to = Math.round(f.endMs / 10);
      const x = tf.tensor3d(all.data.subarray(from * 122, to * 122), [1, to - from, 122]);
      const { logProbs, lengths } = phones.model.logProbs(x, [to - from]);
      const offline = greedyDecode(logProbs.dataSync() as Float32Array, lengths[0], phones.alphabet, {
        frameMs: outputFrameMs(phones.model.config),
      });
      x.dispose();
      logProbs.dispose();
      expect(f.text).toBe(offline.text);
      expect(f.text.length).toBeGreaterThan(0);
    }
    // Endpointing listens to log-mel energy, so the segments are the log-mel model's.
    const melFinals = (await run(() => 1600)).finals;
    expect(finals.map((f) => [f.startMs, f.endMs])).toEqual(melFinals.map((f) => [f.startMs, f.endMs]));
  });

  it('refuses a model whose input does not fit its features, and swaps to another front end between phrases', async () => {
    expect(() => new Recognizer({ ...phones, features: DEFAULT_FEATURES })).toThrow(
      'the features give 80 values per frame (80 log-mel bins), the model takes 122 (acoustic.featureBins)',
    );
    const r = new Recognizer(loaded);
    const texts: string[] = [];
    r.on('final', (f) => texts.push(f.text));
    r.swapModel(phones); // idle: takes effect at once
    expect(r.currentModel).toBe(phones);
    await r.accept(audio);
    await r.finish();
    expect(texts).toEqual((await run(() => audio.length, phones)).finals.map((f) => f.text));
    r.dispose();
  });
});
