import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPHINX_FRONT_END,
  hopSamples,
  parseFeatParams,
  readFeatParams,
  windowSamples,
} from '../../../src-main/speech/sphinx/feat-params.js';
import { HAVE_MODEL, MODEL_DIR, tempDir, writeTemp } from './helpers.js';

describe('parseFeatParams', () => {
  it('fills what a file leaves out with sphinx defaults', () => {
    const c = parseFeatParams('-nfilt 25\n');
    expect(c.nFilters).toBe(25);
    expect(c.preEmphasis).toBe(0.97);
    expect(c.windowSeconds).toBe(0.025625);
    expect(c.nFft).toBe(512);
    expect(c.transform).toBe('legacy');
    expect(c.cmnInit).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(hopSamples(c)).toBe(160);
    expect(windowSamples(c)).toBe(410);
    expect(DEFAULT_SPHINX_FRONT_END.lowerHz).toBeCloseTo(133.33334, 5);
  });

  it('reads several options a line, comments, booleans and old CMN names', () => {
    const c = parseFeatParams(
      '# front end\n-lowerf 200 -upperf 3500\n-unit_area no -round_filters 0\n-cmn prior\n',
    );
    expect([c.lowerHz, c.upperHz, c.unitArea, c.roundFilters, c.cmn]).toEqual([
      200,
      3500,
      false,
      false,
      'live',
    ]);
    expect(parseFeatParams('-cmn current').cmn).toBe('batch');
    expect(parseFeatParams('-lda foo.lda').raw['-lda']).toBe('foo.lda');
  });

  it.skipIf(!HAVE_MODEL)('reads the en-us model', () => {
    const c = readFeatParams(join(MODEL_DIR, 'feat.params'));
    expect(c).toMatchObject({
      lowerHz: 130,
      upperHz: 6800,
      nFilters: 25,
      transform: 'dct',
      lifter: 22,
      featureType: '1s_c_d_dd',
      cmn: 'batch',
      varNorm: false,
      agc: 'none',
      modelType: 'ptm',
    });
    expect(c.streams).toEqual([
      [0, 12],
      [13, 25],
      [26, 38],
    ]);
    expect(c.cmnInit).toEqual([
      41.0, -5.29, -0.12, 5.09, 2.48, -4.07, -1.37, -1.78, -5.08, -2.05, -6.45, -1.42, 1.17,
    ]);
  });

  it.each([
    ['-nfilt', 'expected "-option value" pairs'],
    ['-nfilt twenty', '"twenty" is not a number'],
    ['-nfilt 2.5', 'not an integer'],
    ['nfilt 25', 'is not an option name'],
    ['-transform dft', 'is not one of legacy, dct, htk'],
    ['-unit_area maybe', 'is not a boolean'],
    ['-cmninit 1,,2', 'comma-separated list'],
    ['-svspec 0-12/x', 'is not a range'],
  ])('names the file and line of %j', (line, why) => {
    expect(() => parseFeatParams(`-lowerf 130\n${line}\n`, 'model/feat.params')).toThrow(
      new RegExp(`^model/feat\\.params:2: .*${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it('rejects settings that cannot work together', () => {
    expect(() => parseFeatParams('-nfft 500', 'f')).toThrow(/f: -nfft 500 is not a power of two/);
    expect(() => parseFeatParams('-lowerf 4000 -upperf 3000', 'f')).toThrow(/-lowerf must be below -upperf/);
    expect(() => parseFeatParams('-upperf 9000', 'f')).toThrow(/above the Nyquist/);
    expect(() => parseFeatParams('-svspec 0-12/14-25', 'f')).toThrow(/contiguous/);
    expect(() => parseFeatParams('-ncep 2 -cmninit 1,2,3', 'f')).toThrow(/more than 2 values/);
  });

  it('names a file it cannot read', () => {
    const dir = tempDir();
    expect(() => readFeatParams(join(dir, 'missing'))).toThrow(/missing: cannot read feat.params/);
    expect(readFeatParams(writeTemp(dir, 'feat.params', '-nfilt 30')).nFilters).toBe(30);
  });
});
