// The feature front end a model chooses: log-mel alone must be exactly what features.ts gives, and phones
// (alone or beside log-mel) must stream to exactly the offline frames however the audio is chunked.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameEnergy } from '../../src-main/speech/endpoint.js';
import {
  DEFAULT_FEATURES,
  StreamingLogMel,
  logMel,
  numFrames,
  type LogMel,
} from '../../src-main/speech/features.js';
import {
  computeFeatures,
  frontEndBins,
  frontEndKind,
  frontEndMismatch,
  logMelBins,
  PHONE_LOG_FLOOR,
  relativeFrontEnd,
  resolveFrontEnd,
  sphinxFeaturizer,
  StreamingFeatures,
  withFrontEnd,
  type FrontEndFrames,
} from '../../src-main/speech/front-end.js';
import { mulberry32 } from '../../src-main/speech/prng.js';
import { sphinxFeatures } from '../../src-main/speech/sphinx/sphinx-features.js';
import { HAVE_MODEL, MODEL_DIR } from './sphinx/helpers.js';

const SR = 16000;

/** 1.3 s of a rising chirp over noise: speech-like enough to move every bin, made here, not read. */
function signal(seconds = 1.3, seed = 3): Float32Array {
  const rand = mulberry32(seed);
  const n = Math.round(seconds * SR);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    x[i] = 0.3 * Math.sin(2 * Math.PI * (200 * t + 900 * t * t)) + 0.05 * (rand() * 2 - 1);
  }
  return x;
}

/** Streams x in chunks of the sizes `sizes` gives, then flushes; every call's output, in order. */
function streamParts(s: StreamingFeatures, x: Float32Array, sizes: () => number): FrontEndFrames[] {
  const parts: FrontEndFrames[] = [];
  for (let pos = 0; pos < x.length;) {
    const n = Math.min(x.length - pos, sizes());
    parts.push(s.accept(x.subarray(pos, pos + n)));
    pos += n;
  }
  parts.push(s.flush());
  return parts;
}

function concat(parts: LogMel[], bins: number): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.frames, 0) * bins);
  let row = 0;
  for (const p of parts) {
    expect(p.bins).toBe(bins);
    out.set(p.data, row * bins);
    row += p.frames;
  }
  return out;
}

/** Chunk sizes from 1 sample to 0.25 s, seeded. */
function randomSizes(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => 1 + Math.floor(rand() ** 2 * 4000);
}

describe('front end: log-mel alone (the default)', () => {
  const x = signal();

  it('computes exactly logMel, with 80 bins', () => {
    expect(frontEndKind(DEFAULT_FEATURES)).toBe('logmel');
    expect(frontEndBins(DEFAULT_FEATURES)).toBe(80);
    expect(logMelBins(DEFAULT_FEATURES)).toBe(80);
    const got = computeFeatures(x, DEFAULT_FEATURES);
    const want = logMel(x, SR, DEFAULT_FEATURES);
    expect(got.frames).toBe(want.frames);
    expect(got.bins).toBe(80);
    expect(got.data).toEqual(want.data);
  });

  it('streams exactly StreamingLogMel, call by call, with the energy the endpointer used', () => {
    const sizes = [1, 100, 160, 257, 399, 1600, 3];
    let k = 0;
    const next = () => sizes[k++ % sizes.length];
    const ref = new StreamingLogMel(DEFAULT_FEATURES);
    const s = new StreamingFeatures(DEFAULT_FEATURES);
    for (let pos = 0; pos < x.length;) {
      const n = Math.min(x.length - pos, next());
      const chunk = x.subarray(pos, pos + n);
      const want = ref.accept(chunk);
      const got = s.accept(chunk);
      expect(got.frames).toBe(want.frames);
      expect(got.data).toEqual(want.data);
      for (let t = 0; t < got.frames; t++) expect(got.energy[t]).toBe(frameEnergy(want.data, t * 80, 80));
      expect(s.framesEmitted).toBe(ref.framesEmitted);
      expect(s.samplesAccepted).toBe(ref.samplesAccepted);
      pos += n;
    }
    expect(s.flush().data).toEqual(ref.flush().data);
  });

  it('keeps log-mel settings and says what a mismatch is', () => {
    expect(withFrontEnd(DEFAULT_FEATURES, 'logmel')).toBe(DEFAULT_FEATURES);
    expect(frontEndMismatch(DEFAULT_FEATURES, 80)).toBeNull();
    expect(frontEndMismatch(DEFAULT_FEATURES, 122)).toBe(
      'the features give 80 values per frame (80 log-mel bins), the model takes 122 (acoustic.featureBins)',
    );
    // Without phones there is no folder to resolve: the config itself comes back.
    expect(resolveFrontEnd(DEFAULT_FEATURES, '/models/x')).toBe(DEFAULT_FEATURES);
    expect(relativeFrontEnd(DEFAULT_FEATURES, '/models/x')).toBe(DEFAULT_FEATURES);
  });
});

describe('front end: phone features, folders', () => {
  it('resolves a relative sphinx folder against the model folder, and writes one inside it relative', () => {
    const rel = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', 'sphinx');
    expect(rel.phones).toEqual({ model: 'sphinx', withLogMel: true });
    const abs = resolveFrontEnd(rel, '/models/mine');
    expect(abs.phones!.model).toBe('/models/mine/sphinx');
    expect(relativeFrontEnd(abs, '/models/mine').phones!.model).toBe('sphinx');
    // A folder outside stays absolute.
    expect(relativeFrontEnd(abs, '/models/other').phones!.model).toBe('/models/mine/sphinx');
    expect(logMelBins(abs)).toBe(80);
    expect(logMelBins(withFrontEnd(DEFAULT_FEATURES, 'phones', '/x'))).toBe(0);
    expect(frontEndKind(withFrontEnd(DEFAULT_FEATURES, 'phones', '/x'))).toBe('phones');
    // Back to log-mel: the phones go, the log-mel settings stay.
    expect(withFrontEnd(abs, 'logmel')).toEqual(DEFAULT_FEATURES);
  });

  it('names the folder when it holds no sphinx model', () => {
    const missing = withFrontEnd(DEFAULT_FEATURES, 'phones', '/nonexistent/sphinx');
    expect(() => frontEndBins(missing)).toThrow(
      /phone features: \/nonexistent\/sphinx is not a sphinx acoustic model folder \(needs feat\.params/,
    );
    expect(() => new StreamingFeatures(missing)).toThrow(/\/nonexistent\/sphinx/);
  });
});

// Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
describe.skipIf(!HAVE_MODEL)('front end: phones from the en-us model', () => {
  const x = signal();
  const both = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', MODEL_DIR);
  const alone = withFrontEnd(DEFAULT_FEATURES, 'phones', MODEL_DIR);
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'attune-front-end-'));
    cpSync(MODEL_DIR, join(copy, 'sphinx'), { recursive: true });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('gives 42 phone bins, or 122 beside log-mel: log-mel rows then floored phone log-posteriors', () => {
    expect(frontEndBins(alone)).toBe(42);
    expect(frontEndBins(both)).toBe(122);
    const mel = logMel(x, SR, DEFAULT_FEATURES);
    const phones = sphinxFeatures(x, sphinxFeaturizer(both));
    const got = computeFeatures(x, both);
    expect(got.frames).toBe(numFrames(x.length));
    expect(got.bins).toBe(122);
    let floored = 0;
    for (let t = 0; t < got.frames; t++) {
      const row = got.data.subarray(t * 122, (t + 1) * 122);
      expect(row.subarray(0, 80)).toEqual(mel.data.subarray(t * 80, (t + 1) * 80));
      for (let p = 0; p < 42; p++) {
        const raw = phones.data[t * 42 + p];
        expect(row[80 + p]).toBe(Math.fround(Math.max(raw, PHONE_LOG_FLOOR)));
        if (raw < PHONE_LOG_FLOOR) floored++;
      }
    }
    expect(floored).toBeGreaterThan(0); // the floor is reached, so the test sees it applied
    const only = computeFeatures(x, alone);
    expect(only.bins).toBe(42);
    for (let t = 0; t < only.frames; t++)
      expect(only.data.subarray(t * 42, (t + 1) * 42)).toEqual(
        got.data.subarray(t * 122 + 80, (t + 1) * 122),
      );
  });

  it("with contexts: 164 bins, the 122 of log-mel and phones, then each phone's best-context posterior", () => {
    const ctx = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones+contexts', MODEL_DIR);
    expect(frontEndKind(ctx)).toBe('logmel+phones+contexts');
    expect(ctx.phones).toMatchObject({ withLogMel: true, contexts: true });
    expect(frontEndBins(ctx)).toBe(164);
    const plain = computeFeatures(x, both);
    const got = computeFeatures(x, ctx);
    expect([got.frames, got.bins]).toEqual([plain.frames, 164]);
    for (let t = 0; t < got.frames; t++) {
      const row = got.data.subarray(t * 164, (t + 1) * 164);
      expect(row.subarray(0, 122)).toEqual(plain.data.subarray(t * 122, (t + 1) * 122));
      const contexts = row.subarray(122);
      expect(Math.min(...contexts)).toBeGreaterThanOrEqual(PHONE_LOG_FLOOR);
      // A posteriorgram: the probabilities sum to one (the floored phones add under 42 e^-30).
      const total = contexts.reduce((sum, v) => sum + Math.exp(v), 0);
      expect(Math.abs(total - 1)).toBeLessThan(1e-5);
    }
  });

  it('streams exactly the offline frames however the audio is chunked', () => {
    const ctx = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones+contexts', MODEL_DIR);
    for (const config of [both, alone, ctx]) {
      const offline = computeFeatures(x, config);
      const s = new StreamingFeatures(config);
      for (const seed of [1, 2, 3]) {
        s.reset();
        const parts = streamParts(s, x, randomSizes(seed));
        expect(concat(parts, offline.bins)).toEqual(offline.data);
        expect(s.framesEmitted).toBe(offline.frames);
        expect(s.samplesAccepted).toBe(x.length);
        // Energy is log-mel's even for phones alone: endpointing works the same for every model.
        const mel = logMel(x, SR, DEFAULT_FEATURES);
        const energy = parts.flatMap((p) => [...p.energy]);
        expect(energy).toEqual(
          Array.from({ length: mel.frames }, (_, t) => frameEnergy(mel.data, t * 80, 80)),
        );
      }
    }
  });

  it('emits a frame once its phones are in, about 43 ms after its centre', () => {
    const s = new StreamingFeatures(both);
    // Frame t needs samples up to t * 160 + 685 (the sphinx window and three frames of Δ/ΔΔ look-ahead).
    const t = 20;
    expect(s.accept(x.subarray(0, t * 160 + 684)).frames).toBe(t);
    expect(s.accept(x.subarray(t * 160 + 684, t * 160 + 685)).frames).toBe(1);
    expect(s.framesEmitted).toBe(t + 1);
  });

  it('loads a sphinx folder once and shares it, and a relative folder resolves against baseDir', () => {
    expect(sphinxFeaturizer(both)).toBe(sphinxFeaturizer({ ...both }));
    const rel = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', 'sphinx');
    expect(computeFeatures(x, rel, copy).data).toEqual(computeFeatures(x, both).data);
    const s = new StreamingFeatures(rel, copy);
    expect(
      concat(
        streamParts(s, x, () => 1600),
        122,
      ),
    ).toEqual(computeFeatures(x, both).data);
  });

  it('refuses input too short for a frame, as logMel does', () => {
    expect(() => computeFeatures(new Float32Array(200), both)).toThrow(
      'computeFeatures: 200 samples is too short; at least 257 are needed',
    );
    const s = new StreamingFeatures(both);
    s.accept(new Float32Array(200));
    expect(s.flush().frames).toBe(0);
  });
});
