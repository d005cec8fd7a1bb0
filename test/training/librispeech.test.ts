import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../src-main/speech/audio.js';
import {
  audioDurations,
  CorpusReadError,
  readLibriSpeech,
  withDurations,
} from '../../src-main/training/librispeech.js';

const SR = 16000;
const tone = (seconds: number) =>
  Float32Array.from(
    { length: Math.round(seconds * SR) },
    (_, i) => 0.2 * Math.sin((2 * Math.PI * 300 * i) / SR),
  );

let root: string;
let n = 0;
const fresh = (): string => {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Writes one chapter: audio files (wav, or flac via sox) and a transcript with the given lines. */
async function chapter(
  dir: string,
  speaker: string,
  chap: string,
  utts: { n: string; seconds: number; flac?: boolean }[],
  lines?: string[],
): Promise<string> {
  const folder = join(dir, speaker, chap);
  mkdirSync(folder, { recursive: true });
  for (const u of utts) {
    const wav = join(folder, `${speaker}-${chap}-${u.n}.wav`);
    await writeWav(wav, tone(u.seconds), SR);
    if (u.flac) {
      execFileSync('sox', [wav, wav.replace(/\.wav$/, '.flac')]);
      rmSync(wav);
    }
  }
  const transcript = join(folder, `${speaker}-${chap}.trans.txt`);
  const text = lines ?? utts.map((u) => `${speaker}-${chap}-${u.n} HELLO THERE NUMBER ${u.n}`);
  writeFileSync(transcript, text.join('\n') + '\n');
  return transcript;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attune-librispeech-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readLibriSpeech', () => {
  it('reads a corpus root with several splits, sorted by id, text as written', async () => {
    const dir = fresh();
    await chapter(join(dir, 'train'), '84', '121123', [
      { n: '0001', seconds: 0.5, flac: true },
      { n: '0000', seconds: 0.25 },
    ]);
    await chapter(
      join(dir, 'dev'),
      '19',
      '198',
      [{ n: '0000', seconds: 0.3, flac: true }],
      ["19-198-0000 it's Lower Case here"],
    );
    const corpus = await readLibriSpeech(dir);
    expect(corpus.warnings).toEqual([]);
    expect(corpus.utterances.map((u) => u.id)).toEqual(['19-198-0000', '84-121123-0000', '84-121123-0001']);
    expect(corpus.utterances[0]).toEqual({
      id: '19-198-0000',
      speaker: '19',
      chapter: '198',
      audioPath: join(dir, 'dev', '19', '198', '19-198-0000.flac'),
      text: "it's Lower Case here",
    });
    expect(corpus.utterances[1].audioPath.endsWith('.wav')).toBe(true);
    expect(corpus.utterances[2].text).toBe('HELLO THERE NUMBER 0001');

    // One split on its own, and one speaker folder, are corpora too.
    expect((await readLibriSpeech(join(dir, 'train'))).utterances.map((u) => u.id)).toEqual([
      '84-121123-0000',
      '84-121123-0001',
    ]);
    expect((await readLibriSpeech(join(dir, 'dev', '19'))).utterances).toHaveLength(1);
  });

  it('warns about audio that no transcript mentions, and skips hidden folders', async () => {
    const dir = fresh();
    const transcript = await chapter(dir, '7', '1', [
      { n: '0000', seconds: 0.2 },
      { n: '0001', seconds: 0.2 },
    ]);
    writeFileSync(transcript, '7-1-0000 ONLY THE FIRST\n');
    mkdirSync(join(dir, '.work'));
    writeFileSync(join(dir, '.work', 'x.trans.txt'), 'garbage\n');
    const corpus = await readLibriSpeech(dir);
    expect(corpus.utterances.map((u) => u.id)).toEqual(['7-1-0000']);
    expect(corpus.warnings).toHaveLength(1);
    expect(corpus.warnings[0]).toContain(join(dir, '7', '1', '7-1-0001.wav'));
  });

  it('follows symbolic links to audio and to folders, and ends a link loop', async () => {
    const full = fresh();
    await chapter(full, '5', '2', [
      { n: '0000', seconds: 0.2, flac: true },
      { n: '0001', seconds: 0.2 },
    ]);
    // A subset as people make one: a chapter of links to the full corpus's files, and a linked speaker.
    const subset = fresh();
    mkdirSync(join(subset, '5', '2'), { recursive: true });
    for (const name of ['5-2.trans.txt', '5-2-0000.flac', '5-2-0001.wav'])
      symlinkSync(join(full, '5', '2', name), join(subset, '5', '2', name));
    await chapter(full, '6', '1', [{ n: '0000', seconds: 0.2 }]);
    symlinkSync(join(full, '6'), join(subset, '6'));
    symlinkSync(subset, join(subset, '6', '1', 'loop'));
    const corpus = await readLibriSpeech(subset);
    expect(corpus.utterances.map((u) => u.id)).toEqual(['5-2-0000', '5-2-0001', '6-1-0000']);
    expect(corpus.utterances[0].audioPath).toBe(join(subset, '5', '2', '5-2-0000.flac'));
    expect(corpus.warnings).toEqual([]);
  });

  it('fails clearly on a folder without transcripts', async () => {
    const dir = fresh();
    await writeWav(join(dir, 'lonely.wav'), tone(0.1), SR);
    const err = await readLibriSpeech(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorpusReadError);
    expect((err as CorpusReadError).message).toContain(dir);
    expect((err as CorpusReadError).message).toMatch(/no \*\.trans\.txt/);
    await expect(readLibriSpeech(join(dir, 'missing'))).rejects.toThrow(/does not exist/);
    await expect(readLibriSpeech(join(dir, 'lonely.wav'))).rejects.toThrow(/not a folder/);
  });

  it('names the transcript and the missing audio when a line has no audio file', async () => {
    const dir = fresh();
    const transcript = await chapter(
      dir,
      '3',
      '9',
      [{ n: '0000', seconds: 0.2 }],
      ['3-9-0000 FINE', '3-9-0001 NO AUDIO'],
    );
    const err = (await readLibriSpeech(dir).catch((e: unknown) => e)) as CorpusReadError;
    expect(err).toBeInstanceOf(CorpusReadError);
    expect(err.message).toContain(`${transcript}:2`);
    expect(err.message).toContain(join(dir, '3', '9', '3-9-0001.flac'));
    expect(err.file).toBe(transcript);
  });

  it('rejects malformed lines and duplicate ids, naming file and line', async () => {
    const bad = ['3-9-0000', 'notanid SOME TEXT', '3-9 TWO PARTS ONLY'];
    for (const line of bad) {
      const dir = fresh();
      const transcript = await chapter(dir, '3', '9', [{ n: '0000', seconds: 0.2 }], ['', line]);
      const err = (await readLibriSpeech(dir).catch((e: unknown) => e)) as CorpusReadError;
      expect(err).toBeInstanceOf(CorpusReadError);
      expect(err.message).toContain(`${transcript}:2: malformed transcript line`);
    }
    const dir = fresh();
    const transcript = await chapter(
      dir,
      '3',
      '9',
      [{ n: '0000', seconds: 0.2 }],
      ['3-9-0000 ONE', '3-9-0000 AGAIN'],
    );
    await expect(readLibriSpeech(dir)).rejects.toThrow(
      `${transcript}:2: utterance 3-9-0000 is already listed in ${transcript}:1`,
    );
  });
});

describe('durations', () => {
  it('reads durations from the headers, and caches them by size and modification time', async () => {
    const dir = fresh();
    await chapter(dir, '5', '2', [
      { n: '0000', seconds: 0.5, flac: true },
      { n: '0001', seconds: 1.25 },
    ]);
    const corpus = await readLibriSpeech(dir);
    const cacheFile = join(dir, '.durations.json');
    const timed = await withDurations(corpus, { cacheFile });
    expect(timed.map((u) => u.seconds)).toEqual([0.5, 1.25]);

    // A cache hit is served from the file: prove it by planting a value soxi would never give.
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
      entries: Record<string, { seconds: number }>;
    };
    cache.entries[corpus.utterances[0].audioPath].seconds = 42;
    writeFileSync(cacheFile, JSON.stringify(cache));
    expect(await audioDurations([corpus.utterances[0].audioPath], { cacheFile })).toEqual([42]);
    // A changed file is measured again.
    utimesSync(corpus.utterances[0].audioPath, new Date(), new Date(Date.now() + 5000));
    expect(await audioDurations([corpus.utterances[0].audioPath], { cacheFile })).toEqual([0.5]);
    // Without a cache, many files in small batches.
    expect(
      await audioDurations(
        corpus.utterances.map((u) => u.audioPath),
        { batchSize: 1 },
      ),
    ).toEqual([0.5, 1.25]);
  });
});
