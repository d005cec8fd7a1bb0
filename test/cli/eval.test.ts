// `attune eval` scores what it can read, says what it could not, never reuses features of audio that has
// changed, and fails rather than report a WER of nothing. Runs the real command line in a child process.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { saveBiasedModel } from '../model/tiny-model.js';
import { attune } from './cli-helpers.js';

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attune-eval-'));
  await initBackend({ prefer: 'cpu' });
  // An untrained model that always says something: what is scored matters here, not how well.
  modelDir = join(root, 'tiny');
  saveBiasedModel(modelDir, 1, 'tiny');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A LibriSpeech-layout folder of one chapter: [id, text, audio bytes (or a file to copy)] per line. */
function corpus(name: string, lines: [string, string, Buffer | string][]): string {
  const dir = join(root, name);
  const chapter = join(dir, '1', '1');
  mkdirSync(chapter, { recursive: true });
  for (const [id, , audio] of lines) {
    const ext = typeof audio === 'string' && audio.endsWith('.flac') ? 'flac' : 'wav';
    if (typeof audio === 'string') cpSync(audio, join(chapter, `${id}.${ext}`));
    else writeFileSync(join(chapter, `${id}.${ext}`), audio);
  }
  writeFileSync(join(chapter, '1-1.trans.txt'), lines.map(([id, text]) => `${id} ${text}`).join('\n') + '\n');
  return dir;
}

/** espeak-ng speaking `text`, as 16 kHz WAV bytes (`seconds`: padded or cut to that length). */
function speech(text: string, seconds?: number): Buffer {
  const raw = join(root, 'say.wav');
  const out = join(root, 'say16k.wav');
  execFileSync('espeak-ng', ['-w', raw, text]);
  const fit = seconds ? ['pad', '0', '3', 'trim', '0', String(seconds)] : [];
  execFileSync('sox', [raw, '-r', '16000', out, ...fit], { stdio: 'pipe' });
  return readFileSync(out);
}

const evalJson = async (dir: string, ...more: string[]) => {
  const r = await attune(['eval', dir, '--model', modelDir, '--backend', 'cpu', '--json', ...more]);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null };
};

describe('attune eval', () => {
  it('recomputes the features of a clip whose audio changed, even at the same size', async () => {
    const dir = corpus('replaced', [
      ['1-1-0001', 'hello there', speech('hello there', 2)],
      ['1-1-0002', 'good morning', speech('good morning', 2)],
    ]);
    const first = await evalJson(dir);
    expect(first.code, first.stderr).toBe(0);
    // The first clip is re-recorded: other words, the same length, so the same number of bytes.
    const clip = join(dir, '1', '1', '1-1-0001.wav');
    const before = statSync(clip);
    writeFileSync(clip, speech('see you later alligator', 2));
    expect(statSync(clip).size).toBe(before.size);
    utimesSync(clip, before.atime, new Date(before.mtimeMs + 5000)); // a later save, whatever the clock's grain
    const second = await evalJson(dir);
    // What a first evaluation of the new audio gives (another folder: a cache of its own).
    cpSync(dir, join(root, 'replaced-fresh'), { recursive: true });
    const fresh = await evalJson(join(root, 'replaced-fresh'));
    expect(second.json.hypotheses).toEqual(fresh.json.hypotheses);
    expect(second.json.hypotheses[0].hyp).not.toBe(first.json.hypotheses[0].hyp);
    // Unchanged audio: the cache is used, the same scores come back.
    expect((await evalJson(dir)).json.hypotheses).toEqual(second.json.hypotheses);
  }, 120_000);

  it('scores a clip that was empty once it has been fixed', async () => {
    const dir = corpus('fixed', [
      ['1-1-0001', 'hello there', Buffer.alloc(0)],
      ['1-1-0002', 'good morning', speech('good morning')],
    ]);
    const empty = await evalJson(dir);
    expect(empty.json).toMatchObject({ utterances: 1, skipped: 1 });
    writeFileSync(join(dir, '1', '1', '1-1-0001.wav'), speech('hello there'));
    expect((await evalJson(dir)).json).toMatchObject({ utterances: 2, skipped: 0 });
  }, 60_000);

  it('fails, saying why, when nothing can be scored', async () => {
    const unreadable = corpus('unreadable', [
      ['1-1-0001', 'hello there', Buffer.from('not audio at all')],
      ['1-1-0002', 'good morning', Buffer.alloc(0)],
    ]);
    const r = await evalJson(unreadable);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /attune: nothing to score in .*unreadable: none of its 2 recordings could be read \(e\.g\. 1-1-000[12]: /,
    );

    const silent = corpus('no-words', [
      ['1-1-0001', '...', speech('hello there')],
      ['1-1-0002', '—', speech('good morning')],
    ]);
    const s = await evalJson(silent);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(
      /attune: nothing to score in .*no-words: the transcripts of its 2 readable recordings are empty/,
    );
  }, 60_000);

  it('warns, naming the file, about a FLAC that ends early, and scores what it holds', async () => {
    const wav = join(root, 'whole.wav');
    writeFileSync(wav, speech('the cat sat on the mat'));
    const flac = join(root, 'whole.flac');
    execFileSync('sox', [wav, flac]);
    const cut = join(root, 'cut.flac');
    writeFileSync(cut, readFileSync(flac).subarray(0, Math.floor(statSync(flac).size / 2)));
    const dir = corpus('truncated', [
      ['1-1-0001', 'the cat sat on the mat', cut],
      ['1-1-0002', 'good morning', speech('good morning')],
    ]);
    for (const run of [1, 2]) {
      // The second run reads the features from the cache: the warning is still given.
      const r = await evalJson(dir);
      expect(r.code, `run ${run}`).toBe(0);
      expect(r.stderr).toMatch(/warning: .*truncated\/1\/1\/1-1-0001\.flac: the file ends early/);
      expect(r.json.utterances).toBe(2);
      expect(r.json.warnings).toEqual([expect.objectContaining({ id: '1-1-0001' })]);
    }
  }, 60_000);

  it('refuses a --jobs that is not a whole number', async () => {
    const dir = corpus('jobs', [['1-1-0001', 'good morning', speech('good morning')]]);
    for (const jobs of ['abc', '0', '2.5', '']) {
      const r = await attune(['eval', dir, '--model', modelDir, '--jobs', jobs]);
      expect(r.code, jobs).toBe(1);
      expect(r.stderr).toContain(
        `attune: --jobs must be a whole number from 1 to 64, got ${JSON.stringify(jobs)}`,
      );
    }
  }, 60_000);
});
