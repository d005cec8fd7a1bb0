import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSphinxModel, loadSphinxModel } from '../../../src-main/speech/sphinx/load-model.js';
import { HAVE_MODEL, MODEL_DIR, enUsModel, tempDir } from './helpers.js';

describe.skipIf(!HAVE_MODEL)('loadSphinxModel', () => {
  const dir = tempDir();
  /** A copy of the en-us model with one file replaced. */
  const variant = (name: string, file: string, content: string | null): string => {
    const d = join(dir, name);
    mkdirSync(d);
    for (const f of ['feat.params', 'mdef', 'means', 'variances', 'sendump'])
      copyFileSync(join(MODEL_DIR, f), join(d, f));
    if (content !== null) writeFileSync(join(d, file), content);
    return d;
  };

  it('loads the en-us model, its parts agreeing', () => {
    const m = enUsModel();
    expect(m.mdef.ciPhones.length).toBe(42);
    expect(m.means.nCodebooks).toBe(42);
    expect(m.mixtureWeights.nSenones).toBe(5126);
    expect(m.frontEnd.nFilters).toBe(25);
  });

  it('reports parts that disagree', () => {
    const d = variant('streams', 'feat.params', '-svspec 0-38\n');
    expect(() => loadSphinxModel(d)).toThrow(
      /inconsistent model: feat.params streams 39 differ from the Gaussians' 13\+13\+13/,
    );
  });

  it('names a missing or unreadable file', () => {
    const d = variant('broken', 'means', 's3\n');
    expect(hasSphinxModel(d)).toBe(true);
    expect(() => loadSphinxModel(d)).toThrow(/broken\/means: truncated or not an s3 file/);
    expect(hasSphinxModel(join(dir, 'nowhere'))).toBe(false);
    expect(() => loadSphinxModel(join(dir, 'nowhere'))).toThrow(/nowhere\/feat.params: cannot read/);
  });
});
