import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { numFrames } from '../../../src-main/speech/features.js';
import { mulberry32 } from '../../../src-main/speech/prng.js';
import {
  DEFAULT_SPHINX_FEATURES,
  StreamingSphinxFeatures,
  SphinxFeaturizer,
  sphinxFeatures,
  type SphinxFrames,
} from '../../../src-main/speech/sphinx/sphinx-features.js';
import { HAVE_CLIPS, HAVE_MODEL, clipNames, enUsModel, readClip } from './helpers.js';

/** Streams x in chunks of the given sizes (cycled), then flushes; concatenates the output. */
function stream(featurizer: SphinxFeaturizer, x: Float32Array, sizes: () => number): SphinxFrames {
  const s = new StreamingSphinxFeatures(featurizer);
  const parts: SphinxFrames[] = [];
  for (let pos = 0; pos < x.length;) {
    const n = sizes();
    parts.push(s.accept(x.subarray(pos, pos + n)));
    pos += n;
  }
  parts.push(s.flush());
  return concat(featurizer, parts);
}

function concat(featurizer: SphinxFeaturizer, parts: SphinxFrames[]): SphinxFrames {
  const out = featurizer.emptyFrames(parts.reduce((a, p) => a + p.frames, 0));
  let row = 0;
  for (const p of parts) {
    out.data.set(p.data, row * out.bins);
    out.features.set(p.features, row * featurizer.featureDim);
    row += p.frames;
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.skipIf(!HAVE_MODEL || !HAVE_CLIPS)('sphinx phone features', () => {
  let featurizer: SphinxFeaturizer;
  let clip: Float32Array; // 2.99 s
  let offline: SphinxFrames;
  beforeAll(() => {
    featurizer = new SphinxFeaturizer(enUsModel());
    clip = readClip('sense_and_sensibility_01_austen_64kb-0880');
    offline = sphinxFeatures(clip, featurizer);
  });

  it('gives one vector of 42 phone log-posteriors per log-mel frame', () => {
    expect(featurizer.bins).toBe(42);
    expect(featurizer.phoneNames[32]).toBe('SIL');
    expect(offline.frames).toBe(numFrames(clip.length));
    expect(offline.data.length).toBe(offline.frames * 42);
    expect(offline.features.length).toBe(offline.frames * 39);
    for (let t = 0; t < offline.frames; t++) {
      let sum = 0;
      for (let p = 0; p < 42; p++) sum += Math.exp(offline.data[t * 42 + p]);
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it.each([0, 100, 256, 257, 300, 700, 1234])('gives numFrames(%i) frames offline and streaming', (n) => {
    const x = clip.subarray(8000, 8000 + n);
    expect(sphinxFeatures(x, featurizer).frames).toBe(numFrames(n));
    expect(stream(featurizer, x, () => 97).frames).toBe(numFrames(n));
  });

  it.each([1, 2, 3])('streams in random chunk sizes exactly as offline (seed %i)', (seed) => {
    const rand = mulberry32(seed);
    // Mostly small chunks, some empty, some larger than the buffer's initial 4096 samples.
    const sizes = (): number =>
      rand() < 0.05 ? 0 : rand() < 0.1 ? Math.floor(rand() * 9000) : Math.floor(rand() * 700);
    const streamed = stream(featurizer, clip, sizes);
    expect(streamed.frames).toBe(offline.frames);
    expect(maxAbsDiff(streamed.data, offline.data)).toBe(0);
    expect(maxAbsDiff(streamed.features, offline.features)).toBe(0);
  });

  it('emits frame t once the stream reaches t * 160 + 685 samples (3 frames of look-ahead)', () => {
    const s = new StreamingSphinxFeatures(featurizer);
    expect(s.accept(clip.subarray(0, 684)).frames).toBe(0);
    expect(s.accept(clip.subarray(684, 685)).frames).toBe(1);
    expect(s.accept(clip.subarray(685, 685 + 159)).frames).toBe(0);
    expect(s.accept(clip.subarray(844, 845)).frames).toBe(1);
    expect([s.framesEmitted, s.samplesAccepted]).toEqual([2, 845]);
    expect(s.flush().frames).toBe(numFrames(845) - 2);
  });

  it('refuses audio after flush until reset, and reset(keepCmn) carries the mean over', () => {
    const s = new StreamingSphinxFeatures(featurizer);
    s.accept(clip);
    s.flush();
    expect(() => s.accept(clip)).toThrow(/already flushed/);
    expect(() => s.flush()).toThrow(/already flushed/);
    s.reset();
    const again = concat(featurizer, [s.accept(clip), s.flush()]);
    expect(maxAbsDiff(again.data, offline.data)).toBe(0);
    s.reset(true);
    const adapted = concat(featurizer, [s.accept(clip), s.flush()]);
    expect(maxAbsDiff(adapted.data, offline.data)).toBeGreaterThan(0.1);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => sphinxFeatures(clip, featurizer, 8000)).toThrow(/8000 Hz is not the model's 16000 Hz/);
    const bad = clip.slice(0, 1000);
    bad[500] = NaN;
    expect(() => new StreamingSphinxFeatures(featurizer).accept(bad)).toThrow(/sample 500 is NaN/);
    const logMel = { ...DEFAULT_SPHINX_FEATURES.logMel, hopLength: 200 };
    expect(() => new SphinxFeaturizer(enUsModel(), { ...DEFAULT_SPHINX_FEATURES, logMel })).toThrow(
      /hop 160 differs from log-mel's 200/,
    );
  });
});

// pocketsphinx's own phone decoding of the clips (allphone_alignments.py): does the posteriorgram follow the words?
describe.skipIf(!HAVE_MODEL || !HAVE_CLIPS)('the posteriorgram on real speech', () => {
  const VOWELS = new Set([
    'AA',
    'AE',
    'AH',
    'AO',
    'AW',
    'AY',
    'EH',
    'ER',
    'EY',
    'IH',
    'IY',
    'OW',
    'OY',
    'UH',
    'UW',
  ]);
  const FILLERS = new Set(['SIL', '+NSN+', '+SPN+']);
  const alignments = new Map(
    readFileSync(new URL('./allphone-alignments.txt', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [name, ...segments] = line.split(' ');
        const labels: string[] = [];
        for (const seg of segments) {
          const [phone, range] = seg.split(':');
          const [first, last] = range.split('-').map(Number);
          for (let j = first; j <= last; j++) labels[j] = phone;
        }
        return [name.replace(/\.wav$/, ''), labels] as const;
      }),
  );

  it.each(HAVE_CLIPS ? clipNames() : [])('%s', (name) => {
    const featurizer = new SphinxFeaturizer(enUsModel());
    const f = sphinxFeatures(readClip(name), featurizer);
    const labels = alignments.get(name)!;
    const sil = featurizer.phoneNames.indexOf('SIL');
    const leadEnd = labels.findIndex((l) => l !== 'SIL');
    const stats = {
      leadSil: [] as number[],
      speechSil: [] as number[],
      vowelsOnVowels: [] as number[],
      vowelsElsewhere: [] as number[],
    };
    let top1 = 0;
    let top3 = 0;
    let scored = 0;
    for (let t = 1; t < f.frames; t++) {
      // Our frame t is centred on sample 160 t; pocketsphinx's frame j covers 160 j .. 160 j + 410.
      const label = labels[t - 1];
      if (label === undefined) continue;
      const row = Array.from(f.data.subarray(t * 42, (t + 1) * 42));
      const vowelMass = row.reduce(
        (a, v, p) => a + (VOWELS.has(featurizer.phoneNames[p]) ? Math.exp(v) : 0),
        0,
      );
      if (t - 1 < leadEnd) stats.leadSil.push(Math.exp(row[sil]));
      else if (!FILLERS.has(label)) stats.speechSil.push(Math.exp(row[sil]));
      if (VOWELS.has(label)) stats.vowelsOnVowels.push(vowelMass);
      else if (!FILLERS.has(label)) stats.vowelsElsewhere.push(vowelMass);
      const ranked = row.map((v, p) => [v, p]).sort((a, b) => b[0] - a[0]);
      const names = ranked.slice(0, 3).map(([, p]) => featurizer.phoneNames[p]);
      scored++;
      if (names[0] === label) top1++;
      if (names.includes(label)) top3++;
    }
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    // Silence is far likelier on the leading silence than in speech (measured: 0.16-0.70 against ≤ 0.006).
    expect(mean(stats.leadSil)).toBeGreaterThan(0.1);
    expect(mean(stats.leadSil)).toBeGreaterThan(20 * mean(stats.speechSil));
    // Vowel frames carry most of their mass on vowels, consonant frames little (measured 0.72-0.84, 0.15-0.24).
    expect(mean(stats.vowelsOnVowels)).toBeGreaterThan(0.6);
    expect(mean(stats.vowelsOnVowels)).toBeGreaterThan(2.5 * mean(stats.vowelsElsewhere));
    // The frame's best phone is pocketsphinx's in about half the frames (chance: 1 in 42), in its top 3 in 3/4.
    expect(top1 / scored).toBeGreaterThan(0.35);
    expect(top3 / scored).toBeGreaterThan(0.65);
  });

  it('SIL wins on the leading silence of a clip with a clean one', () => {
    const featurizer = new SphinxFeaturizer(enUsModel());
    const f = sphinxFeatures(readClip('sense_and_sensibility_01_austen_64kb-0920'), featurizer);
    const labels = alignments.get('sense_and_sensibility_01_austen_64kb-0920')!;
    const leadEnd = labels.findIndex((l) => l !== 'SIL');
    let wins = 0;
    for (let t = 0; t < leadEnd; t++) {
      const row = f.data.subarray(t * 42, (t + 1) * 42);
      if (row.indexOf(Math.max(...row)) === featurizer.phoneNames.indexOf('SIL')) wins++;
    }
    expect(wins / leadEnd).toBeGreaterThan(0.9);
  });
});
