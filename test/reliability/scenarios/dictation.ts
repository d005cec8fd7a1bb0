// Dictation killed mid-session: `attune serve` (engine process, store) hears the FIFO microphone, a client
// sees its phrases and corrects some of them as they come, and the app is SIGKILLed at a random moment.
// Every phrase the client was shown and every correction it was told was saved must be in the store, with
// its clip; the session reads as interrupted at the next start.
import { type FifoMic, startFifoMic } from '../../engine/fifo-mic.js';
import { query } from '../app-checks.js';
import type { RunningApp } from '../app-process.js';
import type { CrashScenario } from '../crash-scenario.js';
import { oneOf } from '../invariants.js';
import { WriteLedger } from '../ledger.js';
import { makePhrases, Speaker } from '../speaker.js';
import { appFolder, type AppFolder, killAppAt } from './app-scenario.js';

export interface DictationCrashConfig {
  /** The kill comes between these many ms after dictation started. */
  minMs: number; // 500
  maxMs: number; // 8000
  /** Silence after each phrase, in ms: long enough for the endpoint to close it. */
  pauseMs: number; // 900
  /** Correct every n-th phrase shown (0: none), so corrections are written while dictation goes on. */
  correctEvery: number; // 2
}

export const DEFAULT_DICTATION_CRASH: DictationCrashConfig = {
  minMs: 500,
  maxMs: 8000,
  pauseMs: 900,
  correctEvery: 2,
};

/** What the client was told: each segment's text as shown (the phrase, then its corrections), and fixes. */
class Shown {
  readonly texts = new WriteLedger<number, string>();
  /** Corrections the app said it saved, as "segment id, newline, corrected text". */
  readonly corrections = new Set<string>();

  /** Listens to the app's phrases, correcting every n-th; returns how many were shown so far. */
  follow(app: RunningApp, correctEvery: number): () => number {
    let shown = 0;
    app.api.on('dictation.segment', ({ segment }) => {
      this.texts.acked(segment.id, segment.displayText);
      shown++;
      if (correctEvery === 0 || shown % correctEvery !== 0) return;
      const fixed = `corrected phrase ${segment.id}`;
      this.texts.sent(segment.id, fixed);
      app.api.call('segments.correct', { segmentId: segment.id, text: fixed }).then(
        (r) => {
          this.texts.acked(segment.id, r.segment.displayText);
          this.corrections.add(`${segment.id}\n${fixed}`);
        },
        () => {}, // no answer: the kill came first, and either outcome is allowed
      );
    });
    return () => shown;
  }

  /** Everything acknowledged, in the store as it is now. */
  lostProblems(dataDir: string): string[] {
    const rows = query<{ id: number; display_text: string }>(
      dataDir,
      'SELECT id, display_text FROM segments',
    );
    const stored = new Map(rows.map((r) => [r.id, r.display_text]));
    const problems: string[] = [];
    for (const id of this.texts.ackedKeys()) {
      const text = stored.get(id);
      if (text === undefined) problems.push(`segment ${id}, shown before the kill, is lost`);
      else problems.push(...oneOf(`the text of segment ${id}`, text, this.texts.allowed(id)));
    }
    const fixes = new Set(
      query<{ segment_id: number; after_text: string }>(
        dataDir,
        'SELECT segment_id, after_text FROM corrections',
      ).map((c) => `${c.segment_id}\n${c.after_text}`),
    );
    for (const fix of this.corrections)
      if (!fixes.has(fix)) problems.push(`the saved correction of segment ${fix.replace('\n', ' ')} is lost`);
    return problems;
  }
}

export function dictationScenario(config: Partial<DictationCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_DICTATION_CRASH, ...config };
  let f: AppFolder | null = null;
  let mic: FifoMic | null = null;
  let speaker: Speaker | null = null;
  const shown = new Shown();

  return {
    name: 'dictation',
    description: '`attune serve` dictating from the FIFO microphone, phrases corrected as they come',
    async setup() {
      mic = startFifoMic();
      f = await appFolder('dictation', undefined, { launch: { env: mic.env } });
      speaker = new Speaker(mic, await makePhrases(f.dir), cfg.pauseMs);
    },
    point: (u) =>
      killAppAt(f!, {
        work: async (app) => {
          const count = shown.follow(app, cfg.correctEvery);
          await app.api.call('dictation.start', {});
          speaker!.start();
          return () => {
            speaker!.stop();
            return `${count()} phrases shown by then`;
          };
        },
        delayMs: cfg.minMs + u * (cfg.maxMs - cfg.minMs),
        what: 'after dictation started',
        afterKill: async () => shown.lostProblems(f!.dataDir),
      }),
    finish: () => f!.finish(async () => shown.lostProblems(f!.dataDir)),
    async close() {
      speaker?.stop();
      mic?.close();
      f?.remove();
    },
  };
}
