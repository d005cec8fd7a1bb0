import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizeBatch, type SynthJob } from '../../../src-main/training/corpus/synthesize.js';
import { detectInstalled, voiceInventory, type Voice } from '../../../src-main/training/corpus/voices.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seconds = (path: string) => Number(execFileSync('soxi', ['-D', path]).toString());

describe('synthesizeBatch', async () => {
  const voices = voiceInventory(await detectInstalled());
  const byName = (name: string): Voice => voices.find((v) => v.name === name)!;
  const text = 'the boulder was balanced at the edge of the canyon.';

  for (const name of [
    'flite-slt',
    'festival-kal_diphone',
    'festival-cmu_us_slt_arctic_hts',
    'espeak-en-gb+f2',
  ]) {
    it(`${name}: one WAV per job, and the rate changes the pace`, async () => {
      const voice = byName(name);
      const jobs: SynthJob[] = [0.8, 1.3].map((rate) => ({
        text,
        params: { rate, pitch: 40 },
        wavPath: join(dir, `${name}-${rate}.wav`),
      }));
      expect(await synthesizeBatch(voice, jobs)).toEqual([]);
      const [slow, fast] = jobs.map((j) => seconds(j.wavPath));
      expect(slow).toBeGreaterThan(1.5);
      expect(fast / slow).toBeGreaterThan(0.45);
      expect(fast / slow).toBeLessThan(0.8); // 0.8 / 1.3 ≈ 0.62, give or take pauses
    });
  }

  it('reports the jobs an engine could not write instead of failing the batch', async () => {
    for (const name of ['flite-slt', 'festival-ked_diphone', 'espeak-en-us+m3']) {
      const good = { text, params: { rate: 1 }, wavPath: join(dir, `${name}-ok.wav`) };
      const bad = { text, params: { rate: 1 }, wavPath: join(dir, 'no-such-folder', `${name}.wav`) };
      expect(await synthesizeBatch(byName(name), [bad, good])).toEqual([bad]);
      expect(seconds(good.wavPath)).toBeGreaterThan(1);
    }
  });
});
