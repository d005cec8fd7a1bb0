import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../../src-main/speech/wav.js';
import { readAudio } from '../../../src-main/speech/audio.js';
import { readLibriSpeech } from '../../../src-main/training/librispeech.js';
import type { RealClip } from '../../../src-main/training/real/clip.js';
import { importSource, speakerFolder } from '../../../src-main/training/real/import.js';
import type { RealSource } from '../../../src-main/training/real/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tone of `seconds` at `rate`: enough to check rates and lengths survive conversion. */
const tone = (seconds: number, rate: number) =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate),
  );

function gameSource(clips: RealClip[], reads: { n: number }): RealSource {
  return {
    name: 'game',
    credit: 'a test cast',
    licence: 'test licence',
    licenceText: { text: 'free to use\n' },
    missing: () => null,
    read: async function* () {
      reads.n++;
      yield* clips;
    },
    split: { kind: 'speakers', splits: { villain: 'real-test' } },
  };
}

describe('importSource', () => {
  const clips: RealClip[] = [
    {
      id: 'a1',
      speaker: 'hero',
      text: 'Hello, 2 worlds!',
      audio: { kind: 'pcm', samples: tone(0.5, 11025), sampleRate: 11025 },
    },
    {
      id: 'a2',
      speaker: 'hero',
      text: '(sigh)',
      audio: { kind: 'pcm', samples: tone(0.2, 11025), sampleRate: 11025 },
    },
    {
      id: 'b1',
      speaker: 'villain',
      text: "You'll never escape",
      audio: { kind: 'encoded', bytes: encodeWav(tone(0.75, 8000), 8000), format: 'wav' },
    },
  ];

  it('writes LibriSpeech-layout sets at 16 kHz with normalised transcripts, licences and a report', async () => {
    const reads = { n: 0 };
    const report = await importSource(gameSource(clips, reads), { out: dir, seed: 1, jobs: 2 });
    expect(report.splits['real-train']).toMatchObject({ clips: 2, speakers: ['gamehero'] });
    expect(report.splits['real-test']).toMatchObject({ clips: 1, speakers: ['gamevillain'] });
    expect(report.splits['real-test']!.seconds).toBeCloseTo(0.75, 2);
    const train = await readLibriSpeech(join(dir, 'real-train'));
    expect(train.utterances.map((u) => [u.id, u.text])).toEqual([
      ['gamehero-1-a1', 'HELLO TWO WORLDS'],
      ['gamehero-1-a2', 'SIGH'],
    ]);
    const audio = await readAudio(train.utterances[0].audioPath);
    expect(audio.sampleRate).toBe(16000);
    expect(audio.samples.length).toBeGreaterThan(0.49 * 16000);
    expect(readFileSync(join(dir, 'real-test', 'game', 'LICENSE'), 'utf8')).toBe('free to use\n');
    expect(existsSync(join(dir, 'real-dev', 'game'))).toBe(false);
    expect(existsSync(join(dir, '.importing-game'))).toBe(false);

    // Imported already with this seed: nothing is read again.
    await importSource(gameSource(clips, reads), { out: dir, seed: 1, jobs: 2 });
    expect(reads.n).toBe(1);
  });

  it('names the source and the fix when it is not installed', async () => {
    const src = {
      ...gameSource(clips, { n: 0 }),
      name: 'absent',
      missing: () => 'apt-get install absent-game',
    };
    await expect(importSource(src, { out: dir, seed: 1, jobs: 1 })).rejects.toThrow(
      /absent: apt-get install absent-game/,
    );
  });

  it('gives a source voice the source name once', () => {
    expect(speakerFolder('allison', 'allison')).toBe('allison');
    expect(speakerFolder('queen', 'joe')).toBe('queenjoe');
  });
});
