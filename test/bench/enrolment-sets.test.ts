import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeVoiceSets } from '../../bench/enrolment-sets.js';
import { writeWav } from '../../src-main/speech/audio.js';
import { readLibriSpeech } from '../../src-main/training/librispeech.js';

const root = mkdtempSync(join(tmpdir(), 'attune-enrol-sets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A one-voice LibriSpeech folder: clip i lasts (i + 1) seconds of a quiet tone. */
async function voiceFolder(clips: number): Promise<string> {
  const dir = join(root, 'voice', 'spk', '7');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < clips; i++) {
    const samples = new Float32Array(16_000 * (i + 1)).map((_, k) => 0.1 * Math.sin(k / 9));
    await writeWav(join(dir, `spk-7-${i}.wav`), samples, 16_000);
    lines.push(`spk-7-${i} SENTENCE NUMBER ${i}`);
  }
  writeFileSync(join(dir, 'spk-7.trans.txt'), lines.join('\n') + '\n');
  return join(root, 'voice');
}

describe('makeVoiceSets', () => {
  it('keeps test clips out of every enrolment folder, which grow by whole clips to each length', async () => {
    const dir = await voiceFolder(8);
    const sets = await makeVoiceSets({ name: 'tone', dir }, join(root, 'out'), [0.1, 0.25, 10], 3, 1);
    expect(sets.testClips).toBe(3);
    // 10 minutes is more than the pool holds: left out, not padded.
    expect(sets.enrol.map((e) => e.minutes)).toEqual([0.1, 0.25]);
    const test = await readLibriSpeech(sets.testDir);
    const testTexts = new Set(test.utterances.map((u) => u.text));
    expect(testTexts.size).toBe(3);
    const total = 36; // 1 + 2 + … + 8 s
    const testSeconds = test.utterances.reduce((s, u) => s + Number(u.text.split(' ')[2]) + 1, 0);
    expect(sets.poolSeconds).toBeCloseTo(total - testSeconds, 3);
    let previous: string[] = [];
    for (const e of sets.enrol) {
      const enrol = await readLibriSpeech(e.dir);
      const texts = enrol.utterances.map((u) => u.text);
      expect(texts.filter((t) => testTexts.has(t))).toEqual([]);
      expect(enrol.utterances).toHaveLength(e.clips);
      // Just enough clips: the last one crosses the length asked for.
      const seconds = texts.map((t) => Number(t.split(' ')[2]) + 1);
      expect(e.seconds).toBeCloseTo(
        seconds.reduce((a, b) => a + b, 0),
        3,
      );
      expect(e.seconds).toBeGreaterThanOrEqual(e.minutes * 60);
      expect(e.seconds - seconds.at(-1)!).toBeLessThan(e.minutes * 60);
      // A longer reading starts with the shorter one's clips.
      expect(previous.filter((t) => !texts.includes(t))).toEqual([]);
      previous = texts;
    }
  });

  it('is the same split for the same seed, another for another seed', async () => {
    const dir = join(root, 'voice');
    const a = await makeVoiceSets({ name: 'tone', dir }, join(root, 'a'), [0.1], 3, 1);
    const b = await makeVoiceSets({ name: 'tone', dir }, join(root, 'b'), [0.1], 3, 1);
    const texts = async (d: string) => (await readLibriSpeech(d)).utterances.map((u) => u.text).sort();
    const first = await texts(a.testDir);
    expect(await texts(b.testDir)).toEqual(first);
    const others = await Promise.all(
      [2, 3, 4, 5].map(async (seed) =>
        texts((await makeVoiceSets({ name: 'tone', dir }, join(root, `s${seed}`), [0.1], 3, seed)).testDir),
      ),
    );
    expect(others.some((t) => JSON.stringify(t) !== JSON.stringify(first))).toBe(true);
  });

  it('refuses a voice with too few clips to keep a test set aside', async () => {
    await expect(
      makeVoiceSets({ name: 'tone', dir: join(root, 'voice') }, join(root, 'c'), [1], 8, 1),
    ).rejects.toThrow(/8 clips, more than 8 are needed/);
  });
});
