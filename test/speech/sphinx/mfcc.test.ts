import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numFrames } from '../../../src-main/speech/features.js';
import {
  DEFAULT_SPHINX_FRONT_END,
  parseFeatParams,
  type SphinxFrontEndConfig,
} from '../../../src-main/speech/sphinx/feat-params.js';
import {
  CentredFrameGatherer,
  MfccAnalyzer,
  centredMfcc,
  mfccFraming,
  sphinxFeMfcc,
  sphinxMelFilters,
  type Cepstra,
} from '../../../src-main/speech/sphinx/mfcc.js';
import { mulberry32 } from '../../../src-main/speech/prng.js';
import {
  HAVE_CLIPS,
  HAVE_MODEL,
  HAVE_SPHINX_FE,
  MODEL_DIR,
  clipNames,
  readClip,
  tempDir,
  writeTemp,
} from './helpers.js';

const EN_US = HAVE_MODEL
  ? parseFeatParams(readFileSync(join(MODEL_DIR, 'feat.params'), 'utf8'))
  : DEFAULT_SPHINX_FRONT_END;

/** sphinx_fe's options for a front-end config, with dithering, noise removal and the VAD off. */
function sphinxFeArgs(c: SphinxFrontEndConfig): string[] {
  const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
  return [
    ...['-samprate', String(c.sampleRate), '-frate', String(c.frameRate), '-wlen', String(c.windowSeconds)],
    ...['-nfft', String(c.nFft), '-alpha', String(c.preEmphasis), '-lowerf', String(c.lowerHz)],
    ...['-upperf', String(c.upperHz), '-nfilt', String(c.nFilters), '-ncep', String(c.nCep)],
    ...['-transform', c.transform, '-lifter', String(c.lifter), '-unit_area', yesNo(c.unitArea)],
    ...[
      '-round_filters',
      yesNo(c.roundFilters),
      '-doublebw',
      yesNo(c.doubleBandwidth),
      '-remove_dc',
      yesNo(c.removeDc),
    ],
    ...['-dither', 'no', '-remove_noise', 'no', '-remove_silence', 'no'],
  ];
}

/** Runs sphinx_fe on 16-bit samples; returns its cepstra ("sphinx" format: int32 count, then float32s). */
function runSphinxFe(dir: string, samples: Float32Array, config: SphinxFrontEndConfig): Cepstra {
  const pcm = Buffer.alloc(2 * samples.length);
  samples.forEach((v, i) => pcm.writeInt16LE(Math.round(v * 32768), 2 * i));
  const input = writeTemp(dir, 'in.raw', pcm);
  const output = join(dir, 'out.mfc');
  const r = spawnSync('sphinx_fe', ['-i', input, '-o', output, '-raw', 'yes', ...sphinxFeArgs(config)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`sphinx_fe failed: ${r.stderr}`);
  const mfc = readFileSync(output);
  const n = mfc.readInt32LE(0);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = mfc.readFloatLE(4 + 4 * i);
  return { frames: n / config.nCep, bins: config.nCep, data };
}

function compare(ours: Float32Array, theirs: Float32Array): { maxRel: number; exact: number } {
  let maxRel = 0;
  let exact = 0;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (d === 0) exact++;
    maxRel = Math.max(maxRel, d / Math.max(1, Math.abs(theirs[i])));
  }
  return { maxRel, exact: exact / theirs.length };
}

// sphinx_fe is Debian's sphinxbase-utils, the model and clips pocketsphinx-en-us and pocketsphinx-testdata;
// without them there is nothing to compare against.
describe.skipIf(!HAVE_SPHINX_FE || !HAVE_CLIPS)('MFCC against sphinx_fe', () => {
  const dir = tempDir();

  // sphinxbase accumulates the DCT in float32 and so do we; the only difference left is the FFT's rounding
  // (~1e-16 relative), which could at most flip the last bit of a float32 now and then. On these clips every
  // value is identical.
  it.each(HAVE_CLIPS ? clipNames() : [])('matches frame for frame with the en-us settings: %s', (name) => {
    const x = readClip(name);
    const theirs = runSphinxFe(dir, x, EN_US);
    const ours = sphinxFeMfcc(x, EN_US);
    expect(ours.frames).toBe(theirs.frames);
    // Whole frames, then one more from the samples after the last whole frame's hop.
    expect(ours.frames).toBe(Math.floor((x.length - 410) / 160) + 2);
    const { maxRel, exact } = compare(ours.data, theirs.data);
    expect(maxRel).toBeLessThan(1e-6);
    expect(exact).toBeGreaterThan(0.99);
  });

  it.each<SphinxFrontEndConfig['transform']>(['legacy', 'htk'])(
    'matches with sphinx defaults and -transform %s',
    (transform) => {
      const config = { ...DEFAULT_SPHINX_FRONT_END, transform };
      const x = readClip(clipNames()[1]);
      const { maxRel, exact } = compare(sphinxFeMfcc(x, config).data, runSphinxFe(dir, x, config).data);
      expect(maxRel).toBeLessThan(1e-6);
      expect(exact).toBeGreaterThan(0.99);
    },
  );

  it('centres frame t on sample t * hop: sphinx_fe on the signal from frame 10 window start agrees', () => {
    const x = readClip(clipNames()[1]);
    const { frameSize, hop } = mfccFraming(EN_US);
    const t0 = 10;
    const start = t0 * hop - Math.floor(frameSize / 2);
    const theirs = runSphinxFe(dir, x.subarray(start), EN_US);
    const ours = centredMfcc(x, EN_US);
    // sphinx_fe's frame 0 pre-emphasises against a zero instead of x[start - 1]; its last frame is partial.
    let compared = 0;
    for (let j = 1; j < theirs.frames - 1 && t0 + j < ours.frames - 2; j++, compared++) {
      const a = ours.data.subarray((t0 + j) * 13, (t0 + j + 1) * 13);
      const b = theirs.data.subarray(j * 13, (j + 1) * 13);
      expect(compare(a, b).maxRel).toBeLessThan(1e-6);
    }
    expect(compared).toBeGreaterThan(250);
  });
});

describe('sphinx mel filters', () => {
  it('span -lowerf..-upperf rounded to FFT bins, with unit area', () => {
    const f = sphinxMelFilters(EN_US);
    const n = EN_US.nFilters;
    expect(f.specStart.length).toBe(n);
    const binHz = EN_US.sampleRate / EN_US.nFft;
    expect(f.edgesHz[0]).toBe(Math.round(EN_US.lowerHz / binHz) * binHz);
    expect(f.edgesHz[3 * n - 1]).toBe(Math.round(EN_US.upperHz / binHz) * binHz);
    for (let m = 0; m < n; m++) {
      const [lo, mid, hi] = f.edgesHz.subarray(3 * m, 3 * m + 3);
      expect(lo < mid && mid < hi).toBe(true);
      let area = 0;
      for (let w = f.offset[m]; w < f.offset[m + 1]; w++) area += f.coeffs[w] * binHz;
      expect(area).toBeCloseTo(1, 5);
    }
  });
});

describe('centredMfcc framing', () => {
  const rand = mulberry32(7);
  const noise = Float32Array.from({ length: 5000 }, () => (rand() - 0.5) * 0.2);

  it.each([0, 100, 256, 257, 410, 411, 1000, 4321])('gives numFrames(%i) frames', (n) => {
    expect(centredMfcc(noise.subarray(0, n), EN_US).frames).toBe(numFrames(n));
  });

  it('reflects the signal at both ends like logMel', () => {
    const x = noise.subarray(0, 1000);
    const gather = new CentredFrameGatherer(EN_US);
    const frame0 = gather.frame(0, (j) => x[j], x.length);
    // Prior sample then window of frame 0: x[206], x[205], ..., x[1], x[0], x[1], ...
    expect(frame0[0]).toBe(x[206]);
    expect(frame0[206]).toBe(x[0]);
    expect(frame0[207]).toBe(x[1]);
    const last = numFrames(x.length) - 1;
    const frameN = gather.frame(last, (j) => x[j], x.length);
    const lo = gather.windowStart(last) - 1;
    expect(frameN[999 - lo]).toBe(x[999]);
    expect(frameN[1000 - lo]).toBe(x[998]);
  });

  it('treats digital silence as ln(1e-4) energies, finite', () => {
    const out = new Float32Array(13);
    new MfccAnalyzer(EN_US).analyze(new Float32Array(410), 0, 410, 0, out, 0);
    expect(out[0]).toBeCloseTo(Math.log(1e-4) * Math.sqrt(EN_US.nFilters), 4);
    expect(Array.from(out.subarray(1)).every((v) => Math.abs(v) < 1e-3)).toBe(true);
  });
});
