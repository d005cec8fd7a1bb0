import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeText } from '../../src-main/speech/alphabet.js';
import { cer } from '../../src-main/speech/metrics.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { attune } from './cli-helpers.js';

let mic: FifoMic;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-dictate-'));
  mic = startFifoMic();
});

afterAll(() => {
  mic.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('attune dictate', () => {
  it(
    'streams partial then final text of speech played into the microphone',
    { timeout: 120_000 },
    async () => {
      // flite's slt voice speaking sentences the shipped model never heard.
      const phrases = ['please call my sister tomorrow', 'the meeting starts at noon'];
      const wavs = phrases.map((p, i) => {
        const wav = join(dir, `${i}.wav`);
        execFileSync('flite', ['-voice', 'slt', '-t', p, '-o', wav]);
        return wav;
      });
      const run = attune(['dictate', '--seconds', '9', '--json', '--backend', 'wasm'], mic.env);
      // Give the recorder and the engine a moment to start, then speak with a pause between phrases.
      const speak = async () => {
        await mic.silence(1500);
        for (const w of wavs) {
          await mic.play(w);
          await mic.silence(900);
        }
      };
      // If dictation stops early nobody reads the microphone and playback would wait forever: fail instead.
      const early = run.then((r) => {
        throw new Error(`attune dictate ended before the speech was played (code ${r.code}): ${r.stderr}`);
      });
      await Promise.race([speak(), early]);
      early.catch(() => undefined);
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as { type: string; text: string; raw?: string; startMs: number; endMs: number },
        );
      const partials = lines.filter((l) => l.type === 'partial');
      const finals = lines.filter((l) => l.type === 'final');
      expect(partials.length).toBeGreaterThan(2);
      expect(finals.length).toBeGreaterThanOrEqual(2);
      // The first partial comes before the first final: text streamed in while speaking.
      expect(lines.findIndex((l) => l.type === 'partial')).toBeLessThan(
        lines.findIndex((l) => l.type === 'final'),
      );
      for (const f of finals) expect(f.endMs).toBeGreaterThan(f.startMs);
      // The live path (microphone, streaming model, endpoints) hears what the offline model hears in
      // the same recordings, and both are measured against what was said.
      const heard = finals.map((f) => f.raw).join(' ');
      const said = phrases.map((p) => normalizeText(p)).join(' ');
      const offline = await attune(['transcribe', ...wavs, '--json', '--backend', 'wasm']);
      const offlineText = offline.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text)
        .join(' ');
      // Live segments start at other sample offsets than the files (10 ms frames fall differently) and
      // end at endpoints, so a model's live and offline text differ a little; how much depends on the
      // model, hence the measured comparison against what was said rather than exact equality.
      const live = cer(said, heard).rate;
      const off = cer(said, offlineText).rate;
      console.log(`CER live ${live.toFixed(3)}, offline ${off.toFixed(3)}: "${heard}" / "${offlineText}"`);
      expect(cer(offlineText, heard).rate, `live "${heard}" vs offline "${offlineText}"`).toBeLessThan(0.5);
      expect(live).toBeLessThanOrEqual(off + 0.15);
      // Display text is capitalised sentence by sentence.
      expect(finals[0].text[0]).toBe(finals[0].text[0].toUpperCase());
    },
  );
});
