import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AudioError,
  decodeAudioBuffer,
  encodeWav,
  readAudio,
  writeWav,
  type AudioErrorCode,
} from '../../src-main/speech/audio.js';
import {
  buildWav,
  middle,
  rms,
  runSox,
  sine,
  soxReference,
  toneMagnitude,
  zeroCrossingFrequency,
} from './audio-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attune-audio-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectAudioError(
  promise: Promise<unknown>,
  code: AudioErrorCode,
  ...mentions: (string | RegExp)[]
): Promise<AudioError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AudioError);
  const audioErr = err as AudioError;
  expect(audioErr.code, audioErr.message).toBe(code);
  for (const m of mentions) expect(audioErr.message).toMatch(m);
  return audioErr;
}

/** Deterministic noise in [-1, 1) (a linear congruential generator). */
function noise(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Writes `channels` (float, one array each) as a 32-bit float WAV, the lossless source for sox conversions. */
async function writeFloatWav(name: string, sampleRate: number, channels: Float32Array[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, buildWav({ kind: 'f32', sampleRate, channels: channels.map((c) => Array.from(c)) }));
  return path;
}

/** Converts with sox; returns undefined (with sox's reason) when this sox build cannot write that format. */
function soxConvert(
  src: string,
  dst: string,
  extra: string[] = [],
): { ok: true } | { ok: false; reason: string } {
  const r = runSox(['-D', src, ...extra, dst]);
  if (r.status === 0) return { ok: true };
  const reason = r.stderr.trim().split('\n').at(-1) ?? '';
  if (/no handler|not compiled|unable to load|can't open output/i.test(reason)) return { ok: false, reason };
  throw new Error(`sox could not make ${dst}: ${r.stderr}`);
}

describe('writeWav → readAudio round trip', () => {
  it('16-bit PCM keeps every 16-bit value exactly', async () => {
    const samples = noise(16000).map((v) => Math.min(32767, Math.round(v * 32768)) / 32768);
    const path = join(dir, 'round-trip-16.wav');
    await writeWav(path, samples, 16000);
    const audio = await readAudio(path);
    expect(audio.samples).toEqual(samples);
    expect(audio).toMatchObject({ sampleRate: 16000, durationSec: 1, warnings: [] });
    expect(audio.source).toEqual({
      format: 'wav',
      encoding: 'signed-integer',
      sampleRate: 16000,
      channels: 1,
      bitsPerSample: 16,
    });
    expect(runSox(['--i', '-b', path]).stdout.toString().trim()).toBe('16');
  });

  it('16-bit PCM clips out-of-range samples', async () => {
    const path = join(dir, 'clipped.wav');
    await writeWav(path, Float32Array.from([2, -2, 0.5]), 16000);
    expect(Array.from((await readAudio(path)).samples)).toEqual([32767 / 32768, -1, 0.5].map(Math.fround));
  });

  it('32-bit float keeps samples exactly', async () => {
    const samples = noise(8000, 7);
    const path = join(dir, 'round-trip-f32.wav');
    await writeWav(path, samples, 16000, { bitsPerSample: 32 });
    const audio = await readAudio(path);
    expect(audio.samples).toEqual(samples);
    expect(audio.source).toMatchObject({ encoding: 'floating-point', bitsPerSample: 32 });
    // sox agrees the file is a valid float WAV with the same content (to its 32-bit integer internal precision).
    const reference = soxReference(path);
    expect(reference.length).toBe(samples.length);
    expect(reference.every((v, i) => Math.abs(v - samples[i]) < 1e-7)).toBe(true);
  });
});

describe('native WAV reading agrees with sox', () => {
  // [sox output options, bits, channels in the file, extensible per sox's own choice]
  const cases: [string[], number, number][] = [
    [['-b', '8'], 8, 2],
    [['-b', '16'], 16, 2],
    [['-b', '24'], 24, 2],
    [['-b', '32'], 32, 2],
    [['-e', 'floating-point', '-b', '32'], 32, 2],
    [['-e', 'floating-point', '-b', '64'], 64, 2],
    [['-b', '16', '-c', '4'], 16, 4],
  ];
  for (const [opts, bits, channels] of cases) {
    it(`${opts.join(' ')}${channels > 2 ? ' (extensible, 4 channels)' : ''}`, async () => {
      const left = sine(440, 16000, 0.5, 0.6);
      const right = sine(660, 16000, 0.5, 0.3);
      const src = await writeFloatWav(`src-${opts.join('')}.wav`, 16000, [left, right]);
      const path = join(dir, `sox${opts.join('')}.wav`);
      soxConvert(src, path, opts);

      const audio = await readAudio(path);
      expect(audio.source).toMatchObject({ format: 'wav', sampleRate: 16000, channels, bitsPerSample: bits });
      expect(audio.samples.length).toBe(8000);
      const reference = soxReference(path);
      let worst = 0;
      for (let i = 0; i < reference.length; i++)
        worst = Math.max(worst, Math.abs(audio.samples[i] - reference[i]));
      expect(worst).toBeLessThan(1e-6);
      if (channels === 2) {
        // And both match the channel average of the original, to within the format's quantisation step.
        const step = bits >= 32 ? 1e-6 : 2 ** (1 - bits);
        let err = 0;
        for (let i = 0; i < left.length; i++) {
          err = Math.max(err, Math.abs(audio.samples[i] - (left[i] + right[i]) / 2));
        }
        expect(err).toBeLessThanOrEqual(step);
      }
    });
  }

  it('stereo averages to mono (left tone, silent right)', async () => {
    const left = sine(500, 16000, 0.5, 0.8);
    const path = await writeFloatWav('left-only.wav', 16000, [left, new Float32Array(left.length)]);
    const audio = await readAudio(path);
    expect(toneMagnitude(audio.samples, 16000, 500)).toBeCloseTo(0.4, 3);
  });
});

describe('resampling to 16 kHz', () => {
  for (const fromRate of [44100, 8000]) {
    it(`${fromRate} Hz: length, frequency and amplitude are preserved`, async () => {
      const path = join(dir, `tone-${fromRate}.wav`);
      await writeWav(path, sine(1000, fromRate, 1, 0.5), fromRate, { bitsPerSample: 32 });
      const audio = await readAudio(path);
      expect(audio.sampleRate).toBe(16000);
      expect(audio.source.sampleRate).toBe(fromRate);
      expect(Math.abs(audio.samples.length - 16000)).toBeLessThanOrEqual(1);
      expect(audio.durationSec).toBeCloseTo(1, 3);
      const core = middle(audio.samples); // 0.6 s: a whole number of 1 kHz cycles
      expect(zeroCrossingFrequency(core, 16000)).toBeCloseTo(1000, 1);
      expect(toneMagnitude(core, 16000, 1000)).toBeCloseTo(0.5, 2);
      expect(rms(core) * Math.SQRT2).toBeCloseTo(0.5, 2);
    });
  }

  it('removes content above the new Nyquist frequency instead of aliasing it', async () => {
    // A 10 kHz tone cannot exist at 16 kHz; interpolating without a low-pass filter folds it to 6 kHz.
    const path = join(dir, 'tone-10k.wav');
    await writeWav(path, sine(10000, 44100, 0.5, 0.5), 44100, { bitsPerSample: 32 });
    const audio = await readAudio(path);
    const core = middle(audio.samples);
    expect(rms(core)).toBeLessThan(0.005);
    expect(toneMagnitude(core, 16000, 6000)).toBeLessThan(0.005);
  });

  it('honours another target rate', async () => {
    const path = join(dir, 'tone-22k.wav');
    await writeWav(path, sine(1000, 16000, 0.5, 0.5), 16000);
    const audio = await readAudio(path, { sampleRate: 22050 });
    expect(audio.sampleRate).toBe(22050);
    expect(Math.abs(audio.samples.length - 11025)).toBeLessThanOrEqual(1);
    expect(zeroCrossingFrequency(middle(audio.samples), 22050)).toBeCloseTo(1000, 0);
  });
});

describe('other formats through sox', () => {
  // Lossy codecs add encoder delay and padding and change the waveform; lossless ones must be exact-ish.
  const formats: [string, { durationTolSec: number; ampTol: number }][] = [
    ['flac', { durationTolSec: 0.001, ampTol: 0.001 }],
    ['mp3', { durationTolSec: 0.12, ampTol: 0.05 }],
    ['ogg', { durationTolSec: 0.02, ampTol: 0.05 }],
  ];
  for (const [format, tol] of formats) {
    it(`decodes ${format} (44.1 kHz stereo) to 16 kHz mono`, async (ctx) => {
      const tone = sine(440, 44100, 1, 0.5);
      const src = await writeFloatWav(`src-${format}.wav`, 44100, [tone, tone]);
      const path = join(dir, `tone.${format}`);
      const made = soxConvert(src, path, format === 'flac' ? ['-b', '16'] : []);
      if (!made.ok) return ctx.skip(`this sox cannot write ${format}: ${made.reason}`);

      const audio = await readAudio(path);
      expect(audio.sampleRate).toBe(16000);
      expect(audio.source).toMatchObject({ format, sampleRate: 44100, channels: 2 });
      expect(audio.durationSec).toBeGreaterThan(1 - tol.durationTolSec);
      expect(audio.durationSec).toBeLessThan(1 + tol.durationTolSec);
      const core = middle(audio.samples, 0.5);
      expect(zeroCrossingFrequency(core, 16000)).toBeCloseTo(440, 0);
      expect(Math.abs(rms(core) * Math.SQRT2 - 0.5)).toBeLessThan(tol.ampTol);

      // The same bytes uploaded in memory decode identically, with or without a file extension.
      const bytes = await readFile(path);
      expect((await decodeAudioBuffer(bytes, `upload.${format}`)).samples).toEqual(audio.samples);
      if (format !== 'mp3') {
        // sox recognises FLAC and Ogg by their content; raw MP3 frames have no reliable signature.
        expect((await decodeAudioBuffer(bytes, 'upload')).samples).toEqual(audio.samples);
      }
    });
  }

  it('decodes a stereo FLAC by averaging its channels', async () => {
    const left = sine(300, 16000, 0.5, 0.8);
    const src = await writeFloatWav('left-only-src.wav', 16000, [left, new Float32Array(left.length)]);
    const path = join(dir, 'left-only.flac');
    soxConvert(src, path, ['-b', '24']);
    const audio = await readAudio(path);
    expect(audio.source).toMatchObject({ format: 'flac', channels: 2, bitsPerSample: 24 });
    expect(toneMagnitude(audio.samples, 16000, 300)).toBeCloseTo(0.4, 3);
  });

  it('decodes WAV encodings it does not read natively (µ-law, A-law) through sox', async () => {
    const src = await writeFloatWav('law-src.wav', 8000, [sine(400, 8000, 0.5, 0.5)]);
    for (const [encoding, pattern] of [
      ['u-law', /u-law/],
      ['a-law', /A-law/i],
    ] as const) {
      const path = join(dir, `${encoding}.wav`);
      soxConvert(src, path, ['-e', encoding]);
      const audio = await readAudio(path);
      expect(audio.source).toMatchObject({ format: 'wav', sampleRate: 8000, channels: 1 });
      expect(audio.source.encoding).toMatch(pattern);
      expect(audio.samples.length).toBe(8000);
      expect(zeroCrossingFrequency(middle(audio.samples), 16000)).toBeCloseTo(400, 0);
      // Same through the in-memory path.
      expect((await decodeAudioBuffer(await readFile(path), `${encoding}.wav`)).samples).toEqual(
        audio.samples,
      );
    }
  });

  it('keeps what decodes from a cut-off FLAC, with a warning', async () => {
    const src = await writeFloatWav('long-src.wav', 16000, [sine(440, 16000, 2, 0.5)]);
    const whole = join(dir, 'whole.flac');
    soxConvert(src, whole, ['-b', '16']);
    const bytes = await readFile(whole);
    const cut = join(dir, 'cut.flac');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const audio = await readAudio(cut);
    expect(audio.durationSec).toBeGreaterThan(0.5);
    expect(audio.durationSec).toBeLessThan(1.9);
    expect(audio.warnings.join()).toMatch(/cut\.flac/);
    expect(zeroCrossingFrequency(middle(audio.samples), 16000)).toBeCloseTo(440, 0);
  });

  it('leaves no temporary copies behind after in-memory decoding', async () => {
    const before = (await readdir(tmpdir())).filter(
      (n) => n.startsWith('attune-audio-') && !n.startsWith('attune-audio-test-'),
    );
    const flac = join(dir, 'tone.flac');
    soxConvert(await writeFloatWav('tmp-src.wav', 16000, [sine(440, 16000, 0.2)]), flac);
    await decodeAudioBuffer(await readFile(flac), 'a.flac');
    await expectAudioError(decodeAudioBuffer(Buffer.from('not audio'), 'b.txt'), 'NOT_AUDIO', 'b.txt');
    const after = (await readdir(tmpdir())).filter(
      (n) => n.startsWith('attune-audio-') && !n.startsWith('attune-audio-test-'),
    );
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
  });
});

describe('bad input: each error has its code and names the file', () => {
  const wav16 = () => encodeWav(sine(440, 16000, 0.1), 16000);
  const file = async (name: string, bytes: Buffer | string) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  it('missing file', async () => {
    await expectAudioError(readAudio(join(dir, 'nowhere.wav')), 'ENOENT', 'nowhere.wav');
  });

  it('a folder', async () => {
    const folder = join(dir, 'a-folder.wav');
    await mkdir(folder);
    await expectAudioError(readAudio(folder), 'EISDIR', 'a-folder.wav');
  });

  it('empty file, on disk and in memory', async () => {
    await expectAudioError(readAudio(await file('empty.wav', '')), 'EMPTY', 'empty.wav');
    await expectAudioError(readAudio(await file('empty.mp3', '')), 'EMPTY', 'empty.mp3');
    await expectAudioError(decodeAudioBuffer(Buffer.alloc(0), 'blank.wav'), 'EMPTY', 'blank.wav');
  });

  it('header truncated before the data chunk', async () => {
    await expectAudioError(
      readAudio(await file('short.wav', wav16().subarray(0, 40))),
      'TRUNCATED',
      'short.wav',
    );
    await expectAudioError(readAudio(await file('tiny.wav', 'RIFF')), 'TRUNCATED', 'tiny.wav');
    await expectAudioError(decodeAudioBuffer(wav16().subarray(0, 20), 'up.wav'), 'TRUNCATED', 'up.wav');
  });

  it('data truncated: read to the last complete frame, with a warning', async () => {
    const whole = wav16(); // 1600 frames of 2 bytes
    const audio = await readAudio(await file('interrupted.wav', whole.subarray(0, whole.length - 301)));
    expect(audio.samples.length).toBe(1600 - 151);
    expect(audio.warnings).toHaveLength(1);
    expect(audio.warnings[0]).toMatch(/cut off.*1449 complete frames, dropped 1 bytes/);
    expect(audio.samples).toEqual((await readAudio(await file('full.wav', whole))).samples.subarray(0, 1449));
  });

  it('zero channels or zero sample rate', async () => {
    const zeroChannels = wav16();
    zeroChannels.writeUInt16LE(0, 22);
    await expectAudioError(
      readAudio(await file('nochan.wav', zeroChannels)),
      'BAD_HEADER',
      'nochan.wav',
      '0 channels',
    );
    const zeroRate = wav16();
    zeroRate.writeUInt32LE(0, 24);
    await expectAudioError(readAudio(await file('norate.wav', zeroRate)), 'BAD_HEADER', 'norate.wav', '0 Hz');
  });

  it('unsupported sample format (12-bit PCM): native reader and sox both refuse, clearly', async () => {
    const twelve = wav16();
    twelve.writeUInt16LE(12, 34);
    const err = await expectAudioError(
      readAudio(await file('twelve.wav', twelve)),
      'UNSUPPORTED_FORMAT',
      'twelve.wav',
    );
    expect(err.message).toMatch(/12-bit/);
    expect(err.message).toMatch(/sox could not decode it either: .+/);
  });

  it('a text file is not audio, and says why (sox reason)', async () => {
    const notes = await file('notes.txt', 'shopping: milk, eggs\n');
    await expectAudioError(readAudio(notes), 'NOT_AUDIO', 'notes.txt', /no handler for file extension/);
    const disguised = await file('notes.wav', 'shopping: milk, eggs\n');
    await expectAudioError(readAudio(disguised), 'NOT_AUDIO', 'notes.wav', /RIFF header not found/);
  });

  it('an image is not audio, whatever its name', async () => {
    const png = Buffer.concat([
      Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
      Buffer.alloc(64, 7),
    ]);
    for (const name of ['photo.png', 'photo.mp3', 'photo.flac', 'photo']) {
      const err = await expectAudioError(readAudio(await file(name, png)), 'NOT_AUDIO', name);
      expect(err.message).not.toMatch(/undefined/);
    }
    await expectAudioError(decodeAudioBuffer(png, 'photo.ogg'), 'NOT_AUDIO', 'photo.ogg');
  });

  it('a container sox has no handler for is reported as unsupported, not as "not audio"', async () => {
    await expectAudioError(
      readAudio(await file('voice.m4a', Buffer.alloc(64, 1))),
      'UNSUPPORTED_FORMAT',
      'voice.m4a',
    );
  });

  it('sox not installed: named, with the packages to install', async () => {
    const noSox = { soxPath: join(dir, 'no-such-dir', 'sox') };
    const ogg = join(dir, 'for-no-sox.ogg');
    soxConvert(await writeFloatWav('no-sox-src.wav', 16000, [sine(440, 16000, 0.2)]), ogg);
    await expectAudioError(readAudio(ogg, noSox), 'NO_SOX', 'for-no-sox.ogg', /sox libsox-fmt-all/);
    // FLAC is decoded in-process and needs no sox at 16 kHz.
    const flac = join(dir, 'for-no-sox.flac');
    soxConvert(await writeFloatWav('no-sox-src2.wav', 16000, [sine(440, 16000, 0.2)]), flac, ['-b', '16']);
    expect((await readAudio(flac, noSox)).source.format).toBe('flac');
    // A 44.1 kHz WAV is read natively but needs sox to resample.
    const cd = join(dir, 'cd-rate.wav');
    await writeWav(cd, sine(440, 44100, 0.2), 44100);
    await expectAudioError(
      readAudio(cd, noSox),
      'NO_SOX',
      'cd-rate.wav',
      /resampling 44100 Hz/,
      /libsox-fmt-all/,
    );
    // A 16 kHz WAV needs no sox at all.
    const native = join(dir, 'native.wav');
    await writeWav(native, sine(440, 16000, 0.2), 16000);
    expect((await readAudio(native, noSox)).samples.length).toBe(3200);
  });

  it('a nonsensical target rate', async () => {
    await expectAudioError(readAudio(join(dir, 'whatever.wav'), { sampleRate: 0 }), 'BAD_ARGUMENT');
  });
});

describe('atomic writeWav', () => {
  const leftovers = async (folder: string) => (await readdir(folder)).filter((n) => n.endsWith('.tmp'));

  it('into a folder that does not exist: error, nothing created', async () => {
    const parent = await mkdtemp(join(dir, 'atomic-'));
    const target = join(parent, 'missing', 'deeper', 'out.wav');
    await expectAudioError(
      writeWav(target, sine(440, 16000, 0.1), 16000),
      'ENOENT',
      'out.wav',
      /does not exist/,
    );
    expect(await readdir(parent)).toEqual([]);
  });

  it('onto an existing folder: error, the folder untouched, no temporary file', async () => {
    const parent = await mkdtemp(join(dir, 'atomic-'));
    await mkdir(join(parent, 'taken.wav'));
    await writeFile(join(parent, 'taken.wav', 'inside'), 'x');
    await expectAudioError(
      writeWav(join(parent, 'taken.wav'), sine(440, 16000, 0.1), 16000),
      'EISDIR',
      'taken.wav',
    );
    expect(await readdir(parent)).toEqual(['taken.wav']);
    expect(await readdir(join(parent, 'taken.wav'))).toEqual(['inside']);
  });

  it('replaces an existing file; a failed write leaves it byte-for-byte intact', async () => {
    const parent = await mkdtemp(join(dir, 'atomic-'));
    const target = join(parent, 'take.wav');
    await writeWav(target, sine(440, 16000, 0.1), 16000);
    const first = await readFile(target);
    await writeWav(target, sine(880, 16000, 0.2), 16000, { bitsPerSample: 32 });
    const second = await readFile(target);
    expect(second.equals(first)).toBe(false);
    expect((await readAudio(target)).samples).toEqual(sine(880, 16000, 0.2));

    await expectAudioError(writeWav(target, Float32Array.from([0, NaN]), 16000), 'BAD_ARGUMENT', 'take.wav');
    await expectAudioError(writeWav(target, sine(440, 16000, 0.1), -5), 'BAD_ARGUMENT', 'take.wav');
    expect((await readFile(target)).equals(second)).toBe(true);
    expect(await readdir(parent)).toEqual(['take.wav']);
  });

  it('a reader polling during a large write only ever sees the old or the new file', async () => {
    const parent = await mkdtemp(join(dir, 'atomic-'));
    const target = join(parent, 'big.wav');
    await writeWav(target, sine(220, 16000, 1), 16000);
    const digest = (b: Buffer) => createHash('sha1').update(b).digest('hex');
    const old = digest(await readFile(target));
    const next = noise(16000 * 120, 3); // 2 minutes, 3.8 MB as 16-bit
    const expectedNew = digest(encodeWav(next, 16000));

    let done = false;
    const writing = writeWav(target, next, 16000).finally(() => {
      done = true;
    });
    const seen = new Set<string>();
    let polls = 0;
    for (; !done; polls++) seen.add(digest(await readFile(target)));
    await writing;
    seen.add(digest(await readFile(target)));
    expect(polls).toBeGreaterThan(0); // the file really was read while the write was in progress
    for (const d of seen) expect([old, expectedNew]).toContain(d);
    expect(seen.has(expectedNew)).toBe(true);
    expect(await leftovers(parent)).toEqual([]);
  });
});
