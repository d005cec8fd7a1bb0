import { describe, expect, it } from 'vitest';
import {
  AudioError,
  encodeWav,
  float32ToPcm16,
  parseWav,
  pcm16ToFloat32,
  Pcm16ChunkDecoder,
  type AudioErrorCode,
} from '../../src-main/speech/wav.js';
import { buildWav, type SampleKind } from './audio-helpers.js';

const NAME = 'take-07.wav';

function expectAudioError(fn: () => unknown, code: AudioErrorCode, ...mentions: string[]): AudioError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AudioError);
  const err = caught as AudioError;
  expect(err.code).toBe(code);
  for (const m of mentions) expect(err.message).toContain(m);
  return err;
}

// Integer codes spanning each format's extremes and a few interior values.
const CODES: Record<SampleKind, number[]> = {
  u8: [0, 1, 64, 128, 200, 255],
  s16: [-32768, -12345, -1, 0, 1, 23456, 32767],
  s24: [-8388608, -1234567, -1, 0, 1, 7654321, 8388607],
  s32: [-2147483648, -123456789, -1, 0, 1, 987654321, 2147483647],
  f32: [-1, -0.75, -1e-6, 0, 0.125, 0.999],
  f64: [-1, -0.3333333333, 0, 1e-9, 0.6666666667, 1],
};
const SCALE: Record<SampleKind, (v: number) => number> = {
  u8: (v) => (v - 128) / 128,
  s16: (v) => v / 32768,
  s24: (v) => v / 8388608,
  s32: (v) => v / 2147483648,
  f32: (v) => Math.fround(v),
  f64: (v) => v,
};
const BITS: Record<SampleKind, number> = { u8: 8, s16: 16, s24: 24, s32: 32, f32: 32, f64: 64 };

describe('parseWav sample formats', () => {
  for (const kind of Object.keys(CODES) as SampleKind[]) {
    for (const extensible of [false, true]) {
      it(`reads ${kind}${extensible ? ' (WAVE_FORMAT_EXTENSIBLE)' : ''}`, () => {
        const codes = CODES[kind];
        const wav = parseWav(buildWav({ kind, sampleRate: 22050, channels: [codes], extensible }), NAME);
        expect(wav.sampleRate).toBe(22050);
        expect(wav.channels).toBe(1);
        expect(wav.bitsPerSample).toBe(BITS[kind]);
        expect(wav.extensible).toBe(extensible);
        expect(wav.encoding).toBe(
          kind === 'u8' ? 'unsigned-integer' : kind[0] === 'f' ? 'floating-point' : 'signed-integer',
        );
        expect(wav.warnings).toEqual([]);
        expect(Array.from(wav.mono)).toEqual(codes.map((c) => Math.fround(SCALE[kind](c))));
      });
    }
  }

  it('averages channels to mono', () => {
    const left = [32767, -32768, 1000, 0];
    const right = [-32767, 0, 3000, 2];
    const center = [100, 200, 300, 400];
    const wav = parseWav(buildWav({ kind: 's16', sampleRate: 16000, channels: [left, right, center] }), NAME);
    expect(wav.channels).toBe(3);
    expect(Array.from(wav.mono)).toEqual(
      left.map((l, i) => Math.fround((l + right[i] + center[i]) / 3 / 32768)),
    );
  });

  it('clips float samples beyond full scale and zeroes NaN, with a warning', () => {
    const wav = parseWav(
      buildWav({ kind: 'f32', sampleRate: 16000, channels: [[1.5, -3, NaN, 0.25]] }),
      NAME,
    );
    expect(Array.from(wav.mono)).toEqual([1, -1, 0, 0.25]);
    expect(wav.warnings.join()).toMatch(/NaN/);
  });
});

describe('parseWav chunk layout', () => {
  const codes = [100, -200, 300, -400, 500, -600];
  const expected = codes.map((c) => Math.fround(c / 32768));
  const list = Buffer.from('INFOISFT\x05\x00\x00\x00Lavf\x00', 'latin1'); // 17 bytes: odd

  it('skips unknown chunks before fmt, between fmt and data, and after data', () => {
    const buf = buildWav({
      kind: 's16',
      sampleRate: 16000,
      channels: [codes],
      before: [['JUNK', Buffer.alloc(28)]],
      between: [
        ['LIST', list],
        ['fact', Buffer.from([6, 0, 0, 0])],
      ],
      after: [['id3 ', Buffer.from('ID3 tag')]],
    });
    expect(Array.from(parseWav(buf, NAME).mono)).toEqual(expected);
  });

  it('honours the pad byte after odd-sized chunks, and copes when a writer left it out', () => {
    for (const omitPadding of [false, true]) {
      const buf = buildWav({
        kind: 's16',
        sampleRate: 16000,
        channels: [codes],
        between: [['LIST', list]],
        omitPadding,
      });
      const wav = parseWav(buf, NAME);
      expect(Array.from(wav.mono)).toEqual(expected);
    }
  });

  it('reads a streamed WAV whose data size is 0xFFFFFFFF to the end of the file', () => {
    const buf = buildWav({ kind: 's16', sampleRate: 16000, channels: [codes], dataSizeField: 0xffffffff });
    const wav = parseWav(buf, NAME);
    expect(Array.from(wav.mono)).toEqual(expected);
    expect(wav.warnings.join()).toMatch(/streamed/);
  });

  it('reads a data size of 0 followed by audio (an unfinished header) to the end of the file', () => {
    const wav = parseWav(
      buildWav({ kind: 's16', sampleRate: 16000, channels: [codes], dataSizeField: 0 }),
      NAME,
    );
    expect(Array.from(wav.mono)).toEqual(expected);
    expect(wav.warnings).toHaveLength(1);
  });

  it('reads an interrupted recording up to its last complete frame', () => {
    const stereo = buildWav({ kind: 's24', sampleRate: 16000, channels: [codes, codes] });
    const frameBytes = 6;
    // Cut 2 complete frames plus 4 bytes off the end: the header still declares the full size.
    const cut = stereo.subarray(0, stereo.length - 2 * frameBytes - 4);
    const wav = parseWav(cut, NAME);
    expect(Array.from(wav.mono)).toEqual(codes.slice(0, 3).map((c) => Math.fround(c / 8388608)));
    expect(wav.warnings.join(' ')).toMatch(/declares 36 bytes but only 20/);
  });

  it('keeps complete frames when the declared size itself ends mid-frame', () => {
    const buf = buildWav({ kind: 's16', sampleRate: 16000, channels: [codes], dataSizeField: 7 });
    const wav = parseWav(buf, NAME);
    expect(wav.mono.length).toBe(3);
    expect(wav.warnings.join()).toMatch(/mid-frame/);
  });
});

describe('parseWav errors name the file', () => {
  const good = buildWav({ kind: 's16', sampleRate: 16000, channels: [[1, 2, 3, 4]] });
  const withFmt = (edit: (fmt: Buffer) => void) => {
    const copy = Buffer.from(good);
    edit(copy.subarray(20, 36));
    return copy;
  };

  it('empty buffer', () => expectAudioError(() => parseWav(Buffer.alloc(0), NAME), 'EMPTY', NAME));
  it('cut inside the RIFF header', () =>
    expectAudioError(() => parseWav(good.subarray(0, 7), NAME), 'TRUNCATED', NAME));
  it('cut inside the fmt chunk', () =>
    expectAudioError(() => parseWav(good.subarray(0, 30), NAME), 'TRUNCATED', NAME));
  it('cut before the data chunk', () =>
    expectAudioError(() => parseWav(good.subarray(0, 40), NAME), 'TRUNCATED', NAME, 'data chunk'));
  it('data chunk with no complete frame', () =>
    expectAudioError(() => parseWav(good.subarray(0, 45), NAME), 'TRUNCATED', NAME));
  it('empty data chunk', () =>
    expectAudioError(
      () => parseWav(buildWav({ kind: 's16', sampleRate: 16000, channels: [[]] }), NAME),
      'EMPTY',
      NAME,
    ));
  it('empty data chunk followed by metadata (not mistaken for an unfinished header)', () =>
    expectAudioError(
      () =>
        parseWav(
          buildWav({
            kind: 's16',
            sampleRate: 16000,
            channels: [[]],
            after: [['LIST', Buffer.from('INFOISFT')]],
          }),
          NAME,
        ),
      'EMPTY',
      NAME,
    ));
  it('zero channels', () =>
    expectAudioError(
      () =>
        parseWav(
          withFmt((f) => f.writeUInt16LE(0, 2)),
          NAME,
        ),
      'BAD_HEADER',
      NAME,
      '0 channels',
    ));
  it('zero sample rate', () =>
    expectAudioError(
      () =>
        parseWav(
          withFmt((f) => f.writeUInt32LE(0, 4)),
          NAME,
        ),
      'BAD_HEADER',
      NAME,
      '0 Hz',
    ));
  it('12-bit PCM', () =>
    expectAudioError(
      () =>
        parseWav(
          withFmt((f) => f.writeUInt16LE(12, 14)),
          NAME,
        ),
      'UNSUPPORTED_FORMAT',
      NAME,
      '12-bit',
    ));
  it('A-law', () =>
    expectAudioError(
      () =>
        parseWav(
          withFmt((f) => f.writeUInt16LE(6, 0)),
          NAME,
        ),
      'UNSUPPORTED_FORMAT',
      NAME,
      'A-law',
    ));
  it('block align that does not match the channels', () =>
    expectAudioError(
      () =>
        parseWav(
          withFmt((f) => f.writeUInt16LE(4, 12)),
          NAME,
        ),
      'UNSUPPORTED_FORMAT',
      NAME,
    ));
  it('not RIFF at all', () =>
    expectAudioError(() => parseWav(Buffer.from('hello, this is a text file\n'), NAME), 'NOT_AUDIO', NAME));
  it('garbage where a chunk header should be', () => {
    const bad = Buffer.from(good);
    bad.write('\x00\x01\x02\x03', 12, 'latin1');
    expectAudioError(() => parseWav(bad, NAME), 'BAD_HEADER', NAME);
  });
});

describe('encodeWav', () => {
  it('16-bit: every representable value survives, out-of-range values clip', () => {
    const codes = [-32768, -32767, -1, 0, 1, 12345, 32767];
    const samples = Float32Array.from([...codes.map((c) => c / 32768), 1, 1.7, -1, -5]);
    const buf = encodeWav(samples, 16000);
    expect(buf.length).toBe(44 + samples.length * 2);
    const wav = parseWav(buf, NAME);
    expect(wav.bitsPerSample).toBe(16);
    expect(Array.from(wav.mono)).toEqual(
      [...codes, 32767, 32767, -32768, -32768].map((c) => Math.fround(c / 32768)),
    );
  });

  it('32-bit float is exact and carries a fact chunk', () => {
    const samples = Float32Array.from([0.1, -0.2, 1e-7, -0.999, 0.5]);
    const buf = encodeWav(samples, 48000, { bitsPerSample: 32 });
    expect(buf.indexOf('fact', 0, 'latin1')).toBeGreaterThan(0);
    const wav = parseWav(buf, NAME);
    expect(wav).toMatchObject({
      sampleRate: 48000,
      bitsPerSample: 32,
      encoding: 'floating-point',
      formatTag: 3,
    });
    expect(wav.mono).toEqual(samples);
  });

  it('rejects what cannot be written', () => {
    expectAudioError(() => encodeWav(new Float32Array(4), 0), 'BAD_ARGUMENT', 'sample rate');
    expectAudioError(() => encodeWav(new Float32Array(4), 16000.5), 'BAD_ARGUMENT');
    expectAudioError(() => encodeWav(Float32Array.from([0, NaN]), 16000), 'BAD_ARGUMENT', 'sample 1');
    expectAudioError(
      () => encodeWav(new Float32Array(4), 16000, { bitsPerSample: 24 as 16 }),
      'BAD_ARGUMENT',
    );
  });
});

describe('PCM helpers', () => {
  it('pcm16ToFloat32 and float32ToPcm16 are inverse on 16-bit values', () => {
    const codes = Int16Array.from([-32768, -20000, -1, 0, 1, 20000, 32767]);
    const pcm = Buffer.from(codes.buffer);
    const floats = pcm16ToFloat32(pcm);
    expect(Array.from(floats)).toEqual(Array.from(codes, (c) => Math.fround(c / 32768)));
    expect(float32ToPcm16(floats).equals(pcm)).toBe(true);
  });

  it('reads from an odd byte offset inside a larger buffer', () => {
    const backing = Buffer.alloc(9);
    backing.writeInt16LE(-300, 1);
    backing.writeInt16LE(700, 3);
    expect(Array.from(pcm16ToFloat32(backing.subarray(1, 5)))).toEqual(
      [-300 / 32768, 700 / 32768].map(Math.fround),
    );
  });

  it('float32ToPcm16 clips and rejects NaN', () => {
    expect(
      Array.from(new Int16Array(new Uint8Array(float32ToPcm16(Float32Array.from([2, -2]))).buffer)),
    ).toEqual([32767, -32768]);
    expectAudioError(() => float32ToPcm16(Float32Array.from([Infinity])), 'BAD_ARGUMENT');
  });

  it('pcm16ToFloat32 refuses half a sample', () =>
    expectAudioError(() => pcm16ToFloat32(Buffer.alloc(3)), 'BAD_ARGUMENT'));

  it('Pcm16ChunkDecoder gives the same samples however the stream is split', () => {
    const codes = Int16Array.from({ length: 101 }, (_, i) => ((i * 977) % 65536) - 32768);
    const pcm = Buffer.from(codes.buffer);
    const whole = pcm16ToFloat32(pcm);
    const decoder = new Pcm16ChunkDecoder();
    const parts: number[] = [];
    for (let at = 0, size = 1; at < pcm.length; at += size, size = (size % 7) + 1) {
      parts.push(...decoder.push(pcm.subarray(at, Math.min(pcm.length, at + size))));
    }
    expect(decoder.pendingBytes).toBe(0);
    expect(parts).toEqual(Array.from(whole));
  });
});
