import { readFileSync } from 'node:fs';
import FFT from 'fft.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_FEATURES,
  StreamingLogMel,
  logMel,
  melFilterbank,
  minSamples,
  numFrames,
  type FeatureConfig,
  type LogMel,
} from '../../src-main/speech/features.js';

// Golden values come from torchaudio via test/fixtures/features/make_fixtures.py.

type Part =
  | { kind: 'sine'; amp: number; freqHz: number; phase: number }
  | { kind: 'chirp'; amp: number; f0Hz: number; f1Hz: number }
  | { kind: 'am'; amp: number; freqHz: number; rateHz: number; depth: number }
  | { kind: 'noise'; amp: number; seed: number };

interface Recipe {
  name: string;
  length: number;
  parts: Part[];
}

interface GoldenSignal extends Recipe {
  check: { sum: number; sumAbs: number; head: number[] };
  frames: number;
  logMel: string; // torchaudio in float32, as usually run: float32 LE base64 [frames, nMels]
  logMel64: string; // torchaudio with float64 window, filterbank and STFT: float32 LE base64 [frames, nMels]
}

interface Golden {
  torchaudio: string;
  minLength: number;
  frameCounts: [number, number][];
  signals: GoldenSignal[];
}

interface Fbank {
  dtype: string;
  shape: [number, number];
  nonZero: [number, number, number][];
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/features/${name}`, import.meta.url), 'utf8'));
const golden = fixture('golden.json') as Golden;
const fbank = fixture('fbank.json') as Fbank;
const SR = DEFAULT_FEATURES.sampleRate;
const N_MELS = DEFAULT_FEATURES.nMels;

// Park–Miller minimal standard generator, as in make_fixtures.py (exact in doubles: products < 2**53).
function parkMiller(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/** Same interpreter as make_fixtures.py: float64 sum of the parts, rounded once to float32. */
function render(recipe: Recipe): Float32Array {
  const n = recipe.length;
  const duration = n / SR;
  const acc = new Float64Array(n);
  for (const part of recipe.parts) {
    if (part.kind === 'noise') {
      const next = parkMiller(part.seed);
      for (let i = 0; i < n; i++) acc[i] += part.amp * (2 * next() - 1);
      continue;
    }
    for (let i = 0; i < n; i++) {
      const t = i / SR;
      if (part.kind === 'sine') acc[i] += part.amp * Math.sin(2 * Math.PI * part.freqHz * t + part.phase);
      else if (part.kind === 'chirp') {
        const sweep = (part.f1Hz - part.f0Hz) / (2 * duration);
        acc[i] += part.amp * Math.sin(2 * Math.PI * (part.f0Hz * t + sweep * t * t));
      } else {
        const envelope = 1 + part.depth * Math.sin(2 * Math.PI * part.rateHz * t);
        acc[i] += part.amp * envelope * Math.sin(2 * Math.PI * part.freqHz * t);
      }
    }
  }
  return Float32Array.from(acc);
}

function decodeF32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

const signal = (name: string): GoldenSignal => {
  const s = golden.signals.find((g) => g.name === name);
  if (!s) throw new Error(`golden.json has no signal ${name}`);
  return s;
};

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** Streams samples in the given chunk sizes (cycled), then flushes; concatenates everything emitted. */
function streamAll(samples: Float32Array, chunkSizes: number[], stream = new StreamingLogMel()): LogMel {
  const parts: LogMel[] = [];
  for (let pos = 0, c = 0; pos < samples.length; c++) {
    const size = chunkSizes[c % chunkSizes.length];
    parts.push(stream.accept(samples.subarray(pos, pos + size)));
    pos += size;
  }
  parts.push(stream.flush());
  const bins = stream.config.nMels;
  const frames = parts.reduce((n, p) => n + p.frames, 0);
  const data = new Float32Array(frames * bins);
  let offset = 0;
  for (const p of parts) {
    expect(p.bins).toBe(bins);
    expect(p.data.length).toBe(p.frames * bins);
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { frames, bins, data };
}

function randomChunkSizes(seed: number, count: number, maxSize: number): number[] {
  const next = parkMiller(seed);
  // Mostly small chunks, including single samples, with the odd large one.
  return Array.from({ length: count }, () => {
    const u = next();
    return u < 0.2 ? 1 : u < 0.9 ? 1 + Math.floor(next() * 200) : 1 + Math.floor(next() * maxSize);
  });
}

describe('fixtures', () => {
  it('regenerates the torchaudio input signals exactly', () => {
    for (const s of golden.signals) {
      const x = render(s);
      let sum = 0;
      let sumAbs = 0;
      for (const v of x) {
        sum += v;
        sumAbs += Math.abs(v);
      }
      expect(x.length, s.name).toBe(s.length);
      expect(Math.abs(sum - s.check.sum), s.name).toBeLessThan(1e-9 * (1 + s.check.sumAbs));
      expect(Math.abs(sumAbs - s.check.sumAbs), s.name).toBeLessThan(1e-9 * (1 + s.check.sumAbs));
      expect(Array.from(x.subarray(0, 4)), s.name).toEqual(s.check.head);
    }
  });
});

describe('logMel against torchaudio', () => {
  const LOG_POWER_MIN = Math.log(1e-6);

  it.each(['chirp_noise', 'sines_noise', 'odd_length_am', 'short', 'min_length'])('%s', (name) => {
    const s = signal(name);
    const expected = decodeF32(s.logMel); // [frames, nMels]
    const got = logMel(render(s));
    expect(got.frames).toBe(s.frames);
    expect(got.bins).toBe(N_MELS);
    expect(got.data.length).toBe(expected.length);

    let worstLog = 0; // where the mel power is above 1e-6: compare logs
    let worstPower = 0; // below: compare powers (log differences of near-zero powers mean nothing)
    let compared = 0;
    for (let i = 0; i < expected.length; i++) {
      if (expected[i] > LOG_POWER_MIN) {
        worstLog = Math.max(worstLog, Math.abs(got.data[i] - expected[i]));
        compared++;
      } else worstPower = Math.max(worstPower, Math.abs(Math.exp(got.data[i]) - Math.exp(expected[i])));
    }
    expect(compared).toBeGreaterThan(expected.length / 2);
    // torchaudio's own float32 rounding is about 1e-4 here (make_fixtures.py prints it).
    expect(worstLog).toBeLessThanOrEqual(1e-3);
    expect(worstPower).toBeLessThanOrEqual(1e-8);

    // Against a float64 torchaudio run only the float32 output rounding should remain.
    expect(maxAbsDiff(got.data, decodeF32(s.logMel64))).toBeLessThanOrEqual(3e-6);
  });

  it('maps silence to the log floor', () => {
    const s = signal('silence');
    const got = logMel(render(s));
    const floor = Math.fround(Math.log(DEFAULT_FEATURES.logFloor));
    expect(got.frames).toBe(s.frames);
    expect(got.data.every((v) => v === floor)).toBe(true);
    expect(maxAbsDiff(got.data, decodeF32(s.logMel))).toBeLessThan(1e-6);
    expect(maxAbsDiff(got.data, decodeF32(s.logMel64))).toBeLessThan(1e-6);
  });

  it('builds the HTK mel filterbank torchaudio builds', () => {
    const fb = melFilterbank(); // [nFreqs, nMels]
    const [nFreqs, nMels] = fbank.shape;
    expect(fb.length).toBe(nFreqs * nMels);
    const expected = new Float64Array(nFreqs * nMels);
    for (const [k, m, w] of fbank.nonZero) expected[k * nMels + m] = w;
    let worst = 0;
    for (let i = 0; i < fb.length; i++) worst = Math.max(worst, Math.abs(fb[i] - expected[i]));
    expect(fbank.dtype).toBe('torch.float64');
    expect(worst).toBeLessThan(1e-12);
    // Every band has weight somewhere, and no bin feeds more than two bands.
    for (let m = 0; m < nMels; m++) {
      let bandSum = 0;
      for (let k = 0; k < nFreqs; k++) bandSum += fb[k * nMels + m];
      expect(bandSum, `band ${m}`).toBeGreaterThan(0);
    }
    for (let k = 0; k < nFreqs; k++) {
      expect(fb.subarray(k * nMels, (k + 1) * nMels).filter((w) => w > 0).length).toBeLessThanOrEqual(2);
    }
  });
});

describe('frame count', () => {
  it('is 1 + floor(samples / hop), as torchaudio counts', () => {
    const noise = parkMiller(42);
    for (const [n, torchFrames] of golden.frameCounts) {
      expect(numFrames(n), `length ${n}`).toBe(torchFrames);
      expect(1 + Math.floor(n / DEFAULT_FEATURES.hopLength)).toBe(torchFrames);
      const x = Float32Array.from({ length: n }, () => noise() - 0.5);
      expect(logMel(x).frames, `length ${n}`).toBe(torchFrames);
    }
  });

  it('starts at the shortest length torchaudio accepts', () => {
    expect(minSamples()).toBe(golden.minLength);
    expect(numFrames(golden.minLength - 1)).toBe(0);
    expect(() => logMel(new Float32Array(golden.minLength - 1))).toThrow(/256 samples is too short.*257/);
    expect(() => logMel(new Float32Array(0))).toThrow(/too short/);
  });
});

describe('StreamingLogMel', () => {
  const streamed = ['chirp_noise', 'odd_length_am', 'short', 'min_length'];
  const chunkings: [string, number[]][] = [
    ['1 sample', [1]],
    ['37 samples', [37]],
    ['one hop', [160]],
    ['1 s', [16000]],
    ['whole clip', [1 << 20]],
    ['random A', randomChunkSizes(1, 97, 3000)],
    ['random B', randomChunkSizes(2, 53, 700)],
    ['random C', randomChunkSizes(3, 211, 40)],
  ];

  it.each(streamed)('equals offline logMel for every chunking: %s', (name) => {
    const x = render(signal(name));
    const offline = logMel(x);
    for (const [label, sizes] of chunkings) {
      const got = streamAll(x, sizes);
      expect(got.frames, label).toBe(offline.frames);
      expect(maxAbsDiff(got.data, offline.data), label).toBeLessThanOrEqual(1e-6);
    }
  });

  it('equals offline logMel under other framings too', () => {
    const configs: FeatureConfig[] = [
      { ...DEFAULT_FEATURES, winLength: 512, hopLength: 128 }, // window fills the FFT
      { ...DEFAULT_FEATURES, winLength: 128, hopLength: 400, nMels: 40 }, // hop longer than the window
      { ...DEFAULT_FEATURES, nFft: 256, winLength: 200, hopLength: 80, fMax: 7600 },
    ];
    for (const name of ['odd_length_am', 'chirp_noise', 'short']) {
      const x = render(signal(name));
      for (const config of configs) {
        const offline = logMel(x, SR, config);
        expect(offline.frames).toBe(1 + Math.floor(x.length / config.hopLength));
        for (const [label, sizes] of chunkings) {
          const got = streamAll(x, sizes, new StreamingLogMel(config));
          const where = `${name}, hop ${config.hopLength}, window ${config.winLength}, ${label}`;
          expect(got.frames, where).toBe(offline.frames);
          expect(maxAbsDiff(got.data, offline.data), where).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });

  it('emits each frame once t*hop + winLength/2 samples have arrived (frame 0 at 257)', () => {
    const x = render(signal('sines_noise'));
    const { hopLength, winLength } = DEFAULT_FEATURES;
    const readyAfter = (received: number): number =>
      received < 257 ? 0 : Math.floor((received - winLength / 2) / hopLength) + 1;
    const stream = new StreamingLogMel();
    for (let i = 0; i < x.length; i++) {
      const out = stream.accept(x.subarray(i, i + 1));
      expect(stream.framesEmitted).toBe(readyAfter(i + 1));
      expect(out.frames).toBe(readyAfter(i + 1) - readyAfter(i));
    }
    expect(stream.samplesAccepted).toBe(x.length);
    // The first frames appear at exactly these stream lengths.
    const firstAt = [1, 2, 3].map((t) => {
      let n = 0;
      while (readyAfter(n) < t) n++;
      return n;
    });
    expect(firstAt).toEqual([257, 360, 520]);
    expect(stream.flush().frames).toBe(numFrames(x.length) - readyAfter(x.length));
    expect(stream.framesEmitted).toBe(numFrames(x.length));
  });

  it('yields no frames for a stream shorter than the minimum, like offline has none', () => {
    const stream = new StreamingLogMel();
    expect(stream.accept(new Float32Array(256).fill(0.1)).frames).toBe(0);
    const tail = stream.flush();
    expect(tail.frames).toBe(0);
    expect(tail.data.length).toBe(0);
  });

  it('refuses audio after flush until reset, then starts a new stream', () => {
    const a = render(signal('short'));
    const b = render(signal('odd_length_am'));
    const stream = new StreamingLogMel();
    streamAll(a, [50], stream);
    expect(() => stream.accept(b)).toThrow(/already flushed.*reset/);
    expect(() => stream.flush()).toThrow(/already flushed/);
    stream.reset();
    expect(stream.framesEmitted).toBe(0);
    expect(stream.samplesAccepted).toBe(0);
    const got = streamAll(b, [999], stream);
    expect(maxAbsDiff(got.data, logMel(b).data)).toBeLessThanOrEqual(1e-6);
    // reset() mid-stream drops the partial stream.
    stream.reset();
    stream.accept(a.subarray(0, 200));
    stream.reset();
    expect(maxAbsDiff(streamAll(b, [123], stream).data, logMel(b).data)).toBeLessThanOrEqual(1e-6);
  });
});

describe('bad input', () => {
  it('rejects any sample rate but 16 kHz', () => {
    const x = new Float32Array(1000);
    expect(() => logMel(x, 44100)).toThrow(/44100 Hz is not supported.*16000 Hz.*resample/);
    expect(() => logMel(x, 8000)).toThrow(/8000 Hz/);
    expect(logMel(x, 16000).frames).toBe(7);
  });

  it('rejects non-finite samples, naming the sample', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = new Float32Array(1000);
      x[517] = bad;
      expect(() => logMel(x)).toThrow(new RegExp(`sample 517 is ${bad}.*finite`));
    }
  });

  it('leaves a stream intact when a chunk is rejected', () => {
    const x = render(signal('chirp_noise'));
    const stream = new StreamingLogMel();
    const first = stream.accept(x.subarray(0, 1000));
    const bad = x.slice(1000, 1100);
    bad[10] = NaN;
    expect(() => stream.accept(bad)).toThrow(/sample 1010 is NaN/);
    expect(stream.samplesAccepted).toBe(1000);
    const rest = stream.accept(x.subarray(1000));
    const tail = stream.flush();
    const data = new Float32Array([...first.data, ...rest.data, ...tail.data]);
    expect(maxAbsDiff(data, logMel(x).data)).toBeLessThanOrEqual(1e-6);
  });

  it('rejects impossible configurations', () => {
    const x = new Float32Array(1000);
    expect(() => logMel(x, 16000, { ...DEFAULT_FEATURES, nFft: 500 })).toThrow(
      /nFft 500 must be a power of two/,
    );
    expect(() => new StreamingLogMel({ ...DEFAULT_FEATURES, winLength: 600 })).toThrow(/winLength 600/);
    expect(() => logMel(x, 16000, { ...DEFAULT_FEATURES, fMax: 9000 })).toThrow(/fMax 9000/);
    expect(() => logMel(x, 16000, { ...DEFAULT_FEATURES, logFloor: 0 })).toThrow(/logFloor 0/);
  });
});

describe('work per frame', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs one FFT per emitted frame, however the audio is chunked', () => {
    // A spy (the real FFT still runs) counts transforms across the whole stream.
    const ffts = vi.spyOn(FFT.prototype, 'realTransform');
    const x = render(signal('chirp_noise'));
    for (const sizes of [[1], [37], randomChunkSizes(9, 101, 2500)]) {
      ffts.mockClear();
      const stream = new StreamingLogMel();
      for (let pos = 0, c = 0; pos < x.length; c++) {
        const size = sizes[c % sizes.length];
        stream.accept(x.subarray(pos, pos + size));
        pos += size;
        expect(ffts).toHaveBeenCalledTimes(stream.framesEmitted);
      }
      stream.flush();
      expect(stream.framesEmitted).toBe(numFrames(x.length));
      expect(ffts).toHaveBeenCalledTimes(numFrames(x.length));
    }
    ffts.mockClear();
    expect(logMel(x).frames).toBe(numFrames(x.length));
    expect(ffts).toHaveBeenCalledTimes(numFrames(x.length));
  });
});
