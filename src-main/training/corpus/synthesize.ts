import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, ToolError } from './run.js';
import type { Voice } from './voices.js';

/** Per-utterance voice settings, drawn when the corpus is planned. */
export interface SynthParams {
  /** Speaking-rate factor: 1 is the voice's own pace, 1.2 is 20 % faster. */
  rate: number;
  /** espeak-ng base pitch, 0–99 (50 is its default); other engines get pitch from sox later. */
  pitch?: number;
}

export interface SynthJob {
  /** Text to say (already in spoken form, with phrase punctuation). */
  text: string;
  params: SynthParams;
  /** Where to write the engine's WAV (any sample rate; the augmenter resamples). */
  wavPath: string;
}

/** espeak-ng's default speaking rate in words per minute. */
const ESPEAK_DEFAULT_WPM = 175;

/**
 * Synthesises every job with one voice. flite and espeak-ng start in milliseconds and run once per
 * utterance; festival loads its voice slowly, so one festival process reads a script that makes the
 * whole batch. Runs one process at a time: the caller decides how many batches run at once.
 * Returns the jobs whose WAV is missing afterwards (the engine failed on that text).
 */
export async function synthesizeBatch(voice: Voice, jobs: readonly SynthJob[]): Promise<SynthJob[]> {
  if (jobs.length === 0) return [];
  if (voice.engine === 'festival') {
    const scriptDir = mkdtempSync(join(tmpdir(), 'attune-festival-'));
    const scriptPath = join(scriptDir, 'batch.scm');
    writeFileSync(scriptPath, festivalScript(voice.engineVoice, jobs));
    try {
      await run('festival', ['-b', scriptPath]);
    } catch (err) {
      // A crash part-way keeps the files already written; the rest are reported missing.
      if (!(err instanceof ToolError) || err.missing) throw err;
    } finally {
      rmSync(scriptDir, { recursive: true, force: true });
    }
  } else {
    for (const job of jobs) {
      try {
        await run(...commandFor(voice, job));
      } catch (err) {
        if (!(err instanceof ToolError) || err.missing) throw err;
      }
    }
  }
  return jobs.filter((j) => !existsSync(j.wavPath));
}

/** The command line that synthesises one job with flite or espeak-ng. */
export function commandFor(voice: Voice, job: SynthJob): [string, string[]] {
  const rate = job.params.rate;
  if (voice.engine === 'flite') {
    const stretch = (1 / rate).toFixed(4);
    return [
      'flite',
      [
        '-voice',
        voice.engineVoice,
        '--setf',
        `duration_stretch=${stretch}`,
        '-t',
        job.text,
        '-o',
        job.wavPath,
      ],
    ];
  }
  if (voice.engine === 'espeak') {
    const args = ['-v', voice.engineVoice, '-s', String(Math.round(ESPEAK_DEFAULT_WPM * rate))];
    if (job.params.pitch !== undefined) args.push('-p', String(Math.round(job.params.pitch)));
    return ['espeak-ng', [...args, '-w', job.wavPath, job.text]];
  }
  throw new Error(`${voice.name}: festival voices are synthesised in batches`);
}

/** A Scheme script that makes every job's WAV in one festival run. */
export function festivalScript(engineVoice: string, jobs: readonly SynthJob[]): string {
  const lines = [`(voice_${engineVoice})`];
  const isHts = engineVoice.endsWith('_hts');
  // HTS voices ignore Duration_Stretch; hts_engine takes a speed factor ("-r") instead.
  if (isHts) lines.push(`(set! attune-hts-params hts_engine_params)`);
  for (const job of jobs) {
    const rate = job.params.rate.toFixed(4);
    if (isHts) lines.push(`(set! hts_engine_params (append attune-hts-params (list (list "-r" ${rate}))))`);
    else lines.push(`(Parameter.set 'Duration_Stretch ${(1 / job.params.rate).toFixed(4)})`);
    // unwind-protect catches an error in one utterance, so festival goes on with the next.
    const utterance = `(utt.synth (Utterance Text ${schemeString(job.text)}))`;
    const say = `(utt.save.wave ${utterance} ${schemeString(job.wavPath)} 'riff)`;
    lines.push(`(unwind-protect ${say} nil)`);
  }
  return lines.join('\n') + '\n';
}

function schemeString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
