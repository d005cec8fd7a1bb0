import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  PackedNumbersError,
  packVarints,
  unpackVarints,
  unzigzag,
  zigzag,
} from '../../../src-main/speech/g2p/packed-varints.js';

describe('packed varints', () => {
  it('reads back what it packs, from one byte to five', () => {
    const values = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 32 - 1, 5, 5, 5];
    expect([...unpackVarints(packVarints(values), values.length, 'x')]).toEqual(values);
    expect([...unpackVarints(packVarints([]), 0, 'x')]).toEqual([]);
  });

  it('packs repetitive tables small', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? 200 : 1));
    expect(Buffer.from(packVarints(values), 'base64').length).toBeLessThan(1000);
  });

  it('maps signed values to whole numbers and back', () => {
    expect([0, -1, 1, -2, 2].map(zigzag)).toEqual([0, 1, 2, 3, 4]);
    for (const v of [0, -1, 1, -300, 300, -(2 ** 30)]) expect(unzigzag(zigzag(v))).toBe(v);
  });

  it('refuses what it cannot pack', () => {
    expect(() => packVarints([-1])).toThrow(RangeError);
    expect(() => packVarints([1.5])).toThrow(RangeError);
    expect(() => packVarints([2 ** 32])).toThrow(RangeError);
  });

  it('names the field that is malformed', () => {
    const three = packVarints([1, 2, 3]);
    expect(() => unpackVarints(three, 4, 'ngram.tokens')).toThrow(
      new PackedNumbersError('ngram.tokens holds fewer than 4 numbers'),
    );
    expect(() => unpackVarints(three, 2, 'ngram.tokens')).toThrow(/holds more than 2 numbers/);
    expect(() => unpackVarints(42, 1, 'ngram.tokens')).toThrow(/ngram.tokens is not a base64 string/);
    expect(() => unpackVarints('not base64!', 1, 'f')).toThrow(/not a base64 string/);
    const long = deflateRawSync(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toString('base64');
    expect(() => unpackVarints(long, 1, 'f')).toThrow(/f has a number longer than five bytes/);
    expect(() => unpackVarints(Buffer.from('plain bytes').toString('base64'), 1, 'f')).toThrow(
      /f does not inflate/,
    );
    // A number cut off mid-way: its last byte still says more follows.
    const cut = deflateRawSync(Buffer.from([0x85, 0x80])).toString('base64');
    expect(() => unpackVarints(cut, 1, 'f')).toThrow(new PackedNumbersError('f holds 0 numbers, not 1'));
  });
});
