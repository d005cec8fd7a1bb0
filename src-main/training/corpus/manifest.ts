import type { CorpusConfig, CorpusSplit } from './config.js';
import type { RejectReason } from './sentences.js';
import { tryRun } from './run.js';
import type { Voice } from './voices.js';

export interface SplitSummary {
  utterances: number;
  speakers: number;
  seconds: number;
  hours: number;
}

/**
 * OUT/manifest.json: what the corpus is and how it was made. Holds no times or paths, so the same
 * seed gives the same file.
 */
export interface CorpusManifest {
  format: 'librispeech';
  description: string;
  seed: number;
  /** Requested total hours. */
  hours: number;
  /** The resolved config, minus the output folder and the job count (neither changes the content). */
  config: Omit<CorpusConfig, 'outDir' | 'jobs'>;
  source: {
    name: string;
    package: string;
    licence: string;
    /** Sentences kept per held-out set, and why the others were dropped. */
    sentences: Record<'train' | 'dev' | 'test', number>;
    rejected: Record<RejectReason, number>;
    sha256: string;
  };
  /** First line of each tool's version output. */
  tools: Record<string, string>;
  voices: (Pick<Voice, 'name' | 'speaker' | 'engine' | 'engineVoice'> & { role: 'train' | 'held-out' })[];
  /** Measured from the files on disk. */
  splits: Record<CorpusSplit, SplitSummary>;
  /** Planned utterances whose synthesis failed (their ids); a rerun tries them again. */
  failed: string[];
}

/** Version strings of the programs that make the audio: part of what makes a corpus reproducible. */
export async function toolVersions(): Promise<Record<string, string>> {
  const probes: [string, string, string[]][] = [
    ['espeak-ng', 'espeak-ng', ['--version']],
    ['flite', 'flite', ['--version']],
    ['festival', 'festival', ['--version']],
    ['sox', 'sox', ['--version']],
  ];
  const out: Record<string, string> = {};
  for (const [name, cmd, args] of probes) {
    const r = await tryRun(cmd, args, { anyExitCode: true });
    const text = r ? (r.stdout.toString() + r.stderr).trim() : '';
    // flite prints a copyright line before its version line.
    const line = text.split('\n').find((l) => /version|\d+\.\d+/i.test(l)) ?? text.split('\n')[0];
    out[name] = r ? line.trim().replace(/\s+/g, ' ') : 'not installed';
  }
  return out;
}
