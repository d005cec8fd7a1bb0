// The personal lexicon in live dictation, through the engine process: a tiny model trained on espeak-ng
// speech hears a user's voice it never heard, and misspells words the user's correction then teaches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src-main/engine/engine-client.js';
import type { FinalEvent } from '../../src-main/engine/recognizer.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { introducedWords } from '../../src-main/speech/lexicon.js';
import { type PersonalFixture, personalFixture } from '../training/personal-fixture.js';

let fixture: PersonalFixture;
let dir: string;
/** One phrase of the user's, with silence around it, a whole number of feature hops long. */
let phrase: Float32Array;
let reference: string;

beforeAll(async () => {
  fixture = await personalFixture();
  dir = mkdtempSync(join(tmpdir(), 'attune-lexicon-'));
  const clip = fixture.user.find((u) => u.id === '201-1-3')!; // "Open the door."
  reference = clip.text;
  const s = (await readAudio(clip.audioPath)).samples;
  // Each phrase starts on the same feature-frame phase, so repeating it gives the model the same frames.
  phrase = new Float32Array(Math.ceil((4800 + s.length + 16000) / 1600) * 1600);
  phrase.set(s, 4800);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Says the phrase to a running engine and returns its final: the phrase ends in a second of silence, so
 * the engine's endpointer ends the segment while dictation goes on (no finish()).
 */
async function say(engine: EngineClient): Promise<FinalEvent> {
  const final = new Promise<FinalEvent>((resolve) => engine.once('final', resolve));
  for (let i = 0; i < phrase.length; i += 1600) engine.sendAudio(phrase.slice(i, i + 1600));
  return final;
}

const wordsOf = (f: FinalEvent) => f.text.split(' ');
/** Word times and confidences relative to the segment, to compare phrases said at different times. */
const relative = (f: FinalEvent) =>
  f.words.map((w) => ({ ...w, startMs: w.startMs - f.startMs, endMs: w.endMs - f.startMs }));

describe('personal lexicon in live dictation', () => {
  it('recovers a corrected word in a final that greedy decoding misses, and not when switched off', async () => {
    const engine = await EngineClient.start({
      modelDir: fixture.baseDir,
      backend: 'wasm',
      lexicon: { boost: false },
    });
    try {
      expect(engine.lexicon).toEqual({ boost: false, words: 0, path: null });
      // Each phrase here starts a fresh stream (as a new dictation session does, in the same engine
      // process), so the model sees the same frames and the decoders are compared on equal terms.
      const greedy = await say(engine);
      engine.reset();
      // The words the user's correction of this final introduces: what the lexicon learns.
      const taught = introducedWords(greedy.text, reference, englishAlphabet());
      expect(taught.length).toBeGreaterThan(0);

      // Switched off, the lexicon changes nothing: finals are greedy, times and confidences included.
      expect(await engine.setLexicon({ words: taught, boost: false })).toEqual({
        boost: false,
        words: taught.length,
        path: null,
      });
      const off = await say(engine);
      engine.reset();
      expect(off.text).toBe(greedy.text);
      expect(relative(off)).toEqual(relative(greedy));

      // Switched on, without restarting: the final spells a taught word greedy decoding did not.
      const pid = engine.pid;
      expect((await engine.setLexicon({ boost: true })).boost).toBe(true);
      const boosted = await say(engine);
      expect(engine.pid).toBe(pid);
      const recovered = taught.filter((w) => wordsOf(boosted).includes(w) && !wordsOf(greedy).includes(w));
      expect(recovered.length).toBeGreaterThan(0);
      // Its words still carry times within the segment, in order, and confidences.
      expect(boosted.words.map((w) => w.word)).toEqual(wordsOf(boosted));
      let last = boosted.startMs;
      for (const w of boosted.words) {
        expect(w.startMs).toBeGreaterThanOrEqual(last);
        expect(w.endMs).toBeGreaterThan(w.startMs);
        expect(w.confidence).toBeGreaterThan(0);
        expect(w.confidence).toBeLessThanOrEqual(1);
        last = w.endMs;
      }
      expect(last).toBeLessThanOrEqual(boosted.endMs);
    } finally {
      engine.close();
    }
  }, 120_000);

  it('reloads the lexicon file when it changes, in a running engine', async () => {
    const path = join(dir, 'personal', 'lexicon.txt'); // does not exist yet
    const engine = await EngineClient.start({
      modelDir: fixture.baseDir,
      backend: 'wasm',
      lexicon: { path },
    });
    try {
      expect(engine.lexicon).toEqual({ boost: true, words: 0, path });
      const before = await say(engine);
      const taught = introducedWords(before.text, reference, englishAlphabet());
      expect(taught.length).toBeGreaterThan(0);

      // The app writes the file whole and renames it into place after a correction adds a word.
      const reloaded = new Promise((resolve) => engine.once('lexicon', resolve));
      mkdirSync(join(dir, 'personal'));
      writeFileSync(`${path}.tmp`, taught.join('\n') + '\n');
      renameSync(`${path}.tmp`, path);
      expect(await reloaded).toEqual({ boost: true, words: taught.length, path });

      const after = await say(engine);
      const recovered = taught.filter((w) => wordsOf(after).includes(w) && !wordsOf(before).includes(w));
      expect(recovered.length).toBeGreaterThan(0);
    } finally {
      engine.close();
    }
  }, 120_000);

  it('reports a lexicon file it cannot read, and goes on', async () => {
    const engine = await EngineClient.start({ modelDir: fixture.baseDir, backend: 'wasm' });
    try {
      // A folder where the file should be cannot be read as one.
      await expect(engine.setLexicon({ path: dir })).rejects.toThrow(
        new RegExp(`cannot read the personal lexicon ${dir}`),
      );
      expect(engine.alive).toBe(true);
    } finally {
      engine.close();
    }
  }, 60_000);
});
