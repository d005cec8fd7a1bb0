// Enrolment takes recorded one after another through `attune serve` (the FIFO microphone reads each prompt),
// the app SIGKILLed at a random moment. Every take the client was told was stored stays the prompt's take,
// with its clip and its transcript (the prompt, as a correction personal training learns from).
import { type FifoMic, startFifoMic } from '../../engine/fifo-mic.js';
import { query } from '../app-checks.js';
import { nextEvent, type RunningApp } from '../app-process.js';
import type { CrashScenario } from '../crash-scenario.js';
import { WriteLedger } from '../ledger.js';
import { makePhrases, type Phrase } from '../speaker.js';
import { appFolder, type AppFolder, killAppAt, repeat } from './app-scenario.js';

export interface EnrolmentCrashConfig {
  /** The kill comes between these many ms after the first take began. */
  minMs: number; // 500
  maxMs: number; // 10_000
}

export const DEFAULT_ENROLMENT_CRASH: EnrolmentCrashConfig = { minMs: 500, maxMs: 10_000 };

/** A take asked for whose segment is not known yet (no answer came): any segment may hold it. */
const ANY_TAKE = -1;

export function enrolmentScenario(config: Partial<EnrolmentCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_ENROLMENT_CRASH, ...config };
  let f: AppFolder | null = null;
  let mic: FifoMic | null = null;
  let phrases: Phrase[] = [];
  const prompts = new Map<string, string>();
  /** Prompt id → the segment of its take. */
  const takes = new WriteLedger<string, number>();
  let spoken = 0;

  /** Records one take of the next prompt: starts it, reads a phrase into the microphone, stops it. */
  const recordTake = async (app: RunningApp) => {
    const { next } = await app.api.call('enrolment.status', {});
    const promptId = next ?? 'p001'; // all recorded: record the first again (a new take replaces the old)
    takes.sent(promptId, ANY_TAKE);
    const started = nextEvent(app.api, 'enrolment.status', (s) => s.recording?.promptId === promptId);
    const recording = app.api.call('enrolment.record', { promptId });
    recording.catch(() => {});
    await started;
    await mic!.silence(300);
    await mic!.play(phrases[spoken++ % phrases.length].samples);
    await mic!.silence(900);
    await app.api.call('enrolment.stop', {});
    const { take } = await recording;
    if (take) takes.acked(promptId, take.segmentId);
  };

  const lostProblems = async (): Promise<string[]> => {
    const rows = query<{
      prompt_id: string;
      segment_id: number;
      after_text: string | null;
      audio_path: string | null;
    }>(
      f!.dataDir,
      `SELECT p.prompt_id, p.segment_id, g.audio_path,
              (SELECT c.after_text FROM corrections c WHERE c.segment_id = p.segment_id ORDER BY c.id DESC LIMIT 1) AS after_text
       FROM enrolment_prompts p JOIN segments g ON g.id = p.segment_id WHERE p.status = 'recorded'`,
    );
    const stored = new Map(rows.map((r) => [r.prompt_id, r]));
    const problems: string[] = [];
    for (const promptId of takes.ackedKeys()) {
      const row = stored.get(promptId);
      const allowed = takes.allowed(promptId);
      if (!row) problems.push(`the stored take of prompt ${promptId} is lost`);
      else if (!allowed.includes(ANY_TAKE) && !allowed.includes(row.segment_id))
        problems.push(`prompt ${promptId} has take ${row.segment_id}, expected ${allowed.join(' or ')}`);
      else if (row.audio_path === null) problems.push(`the take of prompt ${promptId} lost its clip`);
      else if (row.after_text !== prompts.get(promptId))
        problems.push(`the take of prompt ${promptId} reads "${row.after_text}", not its prompt`);
    }
    return problems;
  };

  return {
    name: 'enrolment',
    description: 'enrolment takes read into the FIFO microphone one after another through `attune serve`',
    async setup() {
      mic = startFifoMic();
      f = await appFolder('enrolment', undefined, { launch: { env: mic.env } });
      phrases = await makePhrases(f.dir);
    },
    point: (u) =>
      killAppAt(f!, {
        work: async (app) => {
          if (prompts.size === 0)
            for (const p of (await app.api.call('enrolment.prompts', {})).prompts) prompts.set(p.id, p.text);
          const stop = repeat(() => recordTake(app));
          return () => `${stop()} takes stored by then`;
        },
        delayMs: cfg.minMs + u * (cfg.maxMs - cfg.minMs),
        what: 'after the first take began',
        afterKill: lostProblems,
      }),
    finish: () => f!.finish(lostProblems),
    async close() {
      mic?.close();
      f?.remove();
    },
  };
}
