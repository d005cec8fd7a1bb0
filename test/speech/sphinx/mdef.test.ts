import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMdef, type ModelDefinition } from '../../../src-main/speech/sphinx/mdef.js';
import { Bytes, HAVE_MODEL, MODEL_DIR } from './helpers.js';

/** A small binary mdef: CI phones AA, B, SIL (senones 0-8), one triphone (senones 9-11). */
function binaryMdef(opts: { nIds?: number; version?: number } = {}): Buffer {
  const b = new Bytes()
    .text('BMDF')
    .int32(opts.version ?? 1, 4)
    .text('desc');
  b.int32(3, 4, 3, 9, 12, 3, 4, 3, 0, 2); // CI phones, phones, states, CI senones, senones, tmats, sequences, ctx, tree, sil
  b.text('AA\0B\0SIL\0\0\0\0'); // names padded to 12 bytes
  b.int32(0, 0).raw(Uint8Array.of(0, 0, 0, 0));
  b.int32(1, 1).raw(Uint8Array.of(0, 0, 0, 0));
  b.int32(2, 2).raw(Uint8Array.of(1, 0, 0, 0)); // SIL is a filler
  b.int32(3, 0).raw(Uint8Array.of(3, 0, 1, 2)); // AA(B, SIL), word position 3
  const ids = opts.nIds ?? 12;
  return b
    .int32(ids)
    .int16(...Array.from({ length: ids }, (_, i) => i))
    .build();
}

const TEXT_MDEF = `0.3
3 n_base
1 n_tri
16 n_state_map
12 n_tied_state
9 n_tied_ci_state
3 n_tied_tmat
#
# Columns definitions
#base lft  rt p attrib tmat      ... state id's ...
AA   -   -  - n/a    0    0    1    2    N
B    -   -  - n/a    1    3    4    5    N
SIL  -   -  - filler 2    6    7    8    N
AA   B SIL  s n/a    0    9   10   11    N
`;

function expectSmallModel(m: ModelDefinition): void {
  expect(m.ciPhones).toEqual(['AA', 'B', 'SIL']);
  expect(m.filler).toEqual([false, false, true]);
  expect(m.silence).toBe(2);
  expect([m.nEmittingStates, m.nCiSenones, m.nSenones, m.nTmat, m.nPhones]).toEqual([3, 9, 12, 3, 4]);
  expect(Array.from(m.ciSenones)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  expect(Array.from(m.ciTmat)).toEqual([0, 1, 2]);
  // The triphone AA(B, SIL) uses senones 9-11: AA's, state by state.
  expect(Array.from(m.senoneBase)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0]);
  expect(Array.from(m.senoneState)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

describe('parseMdef', () => {
  it('refuses a senone shared by states of different base phones', () => {
    const shared = TEXT_MDEF.replace(
      'AA   B SIL  s n/a    0    9   10   11',
      'AA   B SIL  s n/a    0    3   10   11',
    );
    expect(() => parseMdef(Buffer.from(shared), 'txt')).toThrow(
      'txt: senone 3 is shared by states of different base phones or positions',
    );
  });

  it('names the line of a triphone whose base phone is unknown', () => {
    const unknown = TEXT_MDEF.replace('AA   B SIL  s n/a', 'ZZ   B SIL  s n/a');
    expect(() => parseMdef(Buffer.from(unknown), 'txt')).toThrow('txt:14: triphone of unknown base phone ZZ');
  });

  it('reads the binary format', () => expectSmallModel(parseMdef(binaryMdef(), 'bin')));
  it('reads the text format', () => expectSmallModel(parseMdef(Buffer.from(TEXT_MDEF), 'txt')));

  it.skipIf(!HAVE_MODEL)('reads the en-us model: 42 CI phones of 3 states, the first 126 senones', () => {
    const m = parseMdef(readFileSync(join(MODEL_DIR, 'mdef')), 'mdef');
    expect(m.ciPhones.length).toBe(42);
    expect(m.ciPhones.slice(0, 4)).toEqual(['+NSN+', '+SPN+', 'AA', 'AE']);
    expect(m.ciPhones[m.silence]).toBe('SIL');
    expect(m.filler.flatMap((f, i) => (f ? [m.ciPhones[i]] : []))).toEqual(['+NSN+', '+SPN+', 'SIL']);
    expect([m.nEmittingStates, m.nCiSenones, m.nSenones, m.nPhones]).toEqual([3, 126, 5126, 137095]);
    expect(Array.from(m.ciSenones)).toEqual(Array.from({ length: 126 }, (_, i) => i));
    // Every senone belongs to one base phone and state; the CI ones to their own.
    expect(m.senoneBase.every((b) => b >= 0 && b < 42)).toBe(true);
    expect(Array.from(m.senoneBase.subarray(0, 126))).toEqual(
      Array.from({ length: 126 }, (_, i) => Math.floor(i / 3)),
    );
    expect(Array.from(m.senoneState.subarray(0, 126))).toEqual(Array.from({ length: 126 }, (_, i) => i % 3));
    const ofAh = m.senoneBase.filter((b) => m.ciPhones[b] === 'AH').length;
    expect(ofAh).toBeGreaterThan(100); // the commonest vowel has hundreds of contexts
    // The same CI phones written as a text mdef read back the same.
    const text = [
      '0.3',
      '42 n_base',
      '0 n_tri',
      '168 n_state_map',
      '126 n_tied_state',
      '126 n_tied_ci_state',
      '42 n_tied_tmat',
      ...m.ciPhones.map(
        (p, i) =>
          `${p} - - - ${m.filler[i] ? 'filler' : 'n/a'} ${m.ciTmat[i]} ${m.ciSenones.slice(3 * i, 3 * i + 3).join(' ')} N`,
      ),
    ].join('\n');
    const t = parseMdef(Buffer.from(text), 'text');
    expect([t.ciPhones, t.filler, t.silence, Array.from(t.ciSenones)]).toEqual([
      m.ciPhones,
      m.filler,
      m.silence,
      Array.from(m.ciSenones),
    ]);
  });

  it.each([
    [
      'a truncated senone table',
      () => binaryMdef().subarray(0, 130),
      /^bin: truncated: the senone sequences needs 24 bytes/,
    ],
    ['a cut header', () => binaryMdef().subarray(0, 30), /^bin: truncated: nCiSenones needs 4 bytes/],
    [
      'a wrong sequence size',
      () => binaryMdef({ nIds: 11 }),
      /^bin: 11 senone ids do not make 4 sequences of 3 states/,
    ],
    [
      'a newer version',
      () => binaryMdef({ version: 2 }),
      /^bin: binary mdef format version 2 is not supported/,
    ],
    [
      'trailing bytes',
      () => Buffer.concat([binaryMdef(), Buffer.alloc(2)]),
      /^bin: 2 unexpected bytes after/,
    ],
  ])('names the file and the problem on %s', (_, bytes, message) => {
    expect(() => parseMdef(bytes(), 'bin')).toThrow(message);
  });

  it.each([
    ['garbage', 'hello', /^txt:1: not an mdef/],
    [
      'a missing count',
      TEXT_MDEF.replace('12 n_tied_state\n', ''),
      /^txt:5: expected "<count> n_tied_state"/,
    ],
    [
      'a short phone line',
      TEXT_MDEF.replace('    7    8    N', '    7    N'),
      /^txt:13: expected base lc rc wpos/,
    ],
    [
      'a senone out of range',
      TEXT_MDEF.replace('9   10   11', '9   10   12'),
      /^txt:14: senone id out of range/,
    ],
    [
      'a missing phone',
      TEXT_MDEF.split('\n').slice(0, 13).join('\n'),
      /^txt:14: truncated: expected phone 4 of 4/,
    ],
    [
      'a CI senone outside the CI range',
      TEXT_MDEF.replace('6    7    8', '6    7    9'),
      /^txt: CI phone SIL uses senone 9/,
    ],
  ])('names the file and line on %s', (_, text, message) => {
    expect(() => parseMdef(Buffer.from(text), 'txt')).toThrow(message);
  });
});
