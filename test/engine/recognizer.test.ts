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
import { type FinalEvent, type PartialEvent, Recognizer } from '../../src-main/engine/recognizer.js';
import { biasedModel } from '../model/tiny-model.js';

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

function run(chunk: () => number): { partials: PartialEvent[]; finals: FinalEvent[] } {
  const r = new Recognizer(loaded);
  const partials: PartialEvent[] = [];
  const finals: FinalEvent[] = [];
  r.on('partial', (p) => partials.push(p));
  r.on('final', (f) => finals.push(f));
  for (let i = 0; i < audio.length;) {
    const n = Math.min(audio.length - i, chunk());
    r.accept(audio.subarray(i, i + n));
    i += n;
  }
  r.finish();
  r.dispose();
  return { partials, finals };
}

describe('Recognizer', () => {
  it('ends a segment at each pause and decodes it exactly as the offline model does', () => {
    const { finals } = run(() => 1600);
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

  it('gives the same finals whatever the audio chunk size', () => {
    const ref = run(() => 1600).finals.map((f) => [f.text, f.startMs, f.endMs]);
    let s = 5;
    const odd = run(() => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return 1 + (s % 3000);
    }).finals;
    expect(odd.map((f) => [f.text, f.startMs, f.endMs])).toEqual(ref);
  });

  it('streams partials whose committed words only grow within a segment', () => {
    const { partials, finals } = run(() => 320);
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

  it('switches to a swapped model at the next segment boundary', () => {
    const r = new Recognizer(loaded);
    const other: LoadedModel = { ...loaded, model: biasedModel(7, 1.0), dir: 'other' };
    const seen: string[] = [];
    r.on('final', () => seen.push(r.currentModel.dir));
    r.accept(audio.subarray(0, SR)); // mid-phrase: the swap must wait
    r.swapModel(other);
    expect(r.currentModel.dir).toBe(loaded.dir);
    r.accept(audio.subarray(SR));
    r.finish();
    expect(r.currentModel.dir).toBe('other');
    expect(seen[0]).toBe(loaded.dir);
    r.dispose();
  });
});
