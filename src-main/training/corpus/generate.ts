import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { audioDurations } from '../librispeech.js';
import {
  CORPUS_SPLITS,
  CorpusConfigError,
  resolveCorpusConfig,
  type CorpusConfig,
  type CorpusOptions,
} from './config.js';
import { toolVersions, type CorpusManifest, type SplitSummary } from './manifest.js';
import { assignVoiceRoles, planCorpus, type PlannedUtterance, type VoiceRoles } from './plan.js';
import { rngFor } from './random.js';
import { RenderError, renderUtterance } from './render.js';
import { prepareSentences, type PreparedSentences } from './sentences.js';
import { synthesizeBatch } from './synthesize.js';
import { detectInstalled, voiceInventory, type Voice } from './voices.js';
import { readWordNetExamples, WORDNET_LICENCE, WORDNET_NOTICE, WORDNET_PACKAGE } from './wordnet.js';

export interface CorpusProgress {
  /** Utterances finished, counting those already on disk from an earlier run. */
  done: number;
  total: number;
  /** Already on disk when this run started. */
  skipped: number;
  failed: number;
  /** Seconds of audio on disk among the finished utterances. */
  audioSeconds: number;
  /** Seconds of audio made by this run. */
  generatedSeconds: number;
  /** Wall-clock seconds since this run started. */
  elapsedSeconds: number;
}

export interface CorpusResult {
  outDir: string;
  manifest: CorpusManifest;
  /** Utterances made by this run, already present, and failed. */
  generated: number;
  skipped: number;
  failed: string[];
  generatedSeconds: number;
  wallSeconds: number;
}

/** Everything decided before audio is made; cheap, and what the tests check for reproducibility. */
export interface CorpusDesign {
  config: CorpusConfig;
  roles: VoiceRoles;
  text: PreparedSentences;
  plan: PlannedUtterance[];
}

/** Detects voices, reads and splits the text, and plans every utterance. */
export async function designCorpus(options: CorpusOptions): Promise<CorpusDesign> {
  const config = resolveCorpusConfig(options);
  const roles = assignVoiceRoles(voiceInventory(await detectInstalled()), config);
  const text = prepareSentences(readWordNetExamples(config.wordnetDir), config.sentences);
  return { config, roles, text, plan: planCorpus(config, roles, text.sentences) };
}

/** Where a planned utterance's audio goes, relative to the corpus root. */
export function utterancePath(u: Pick<PlannedUtterance, 'split' | 'speaker' | 'chapter' | 'id'>): string {
  return join(u.split, String(u.speaker), String(u.chapter), `${u.id}.flac`);
}

interface Chapter {
  dir: string;
  transcriptPath: string;
  voice: Voice;
  utterances: PlannedUtterance[];
}

/**
 * Makes (or finishes) a synthetic corpus in LibriSpeech layout under `options.outDir`. Idempotent:
 * utterances whose FLAC exists are skipped (files appear only once complete), so a killed run
 * continues where it stopped and a finished one returns at once. A chapter's transcript is written
 * when its audio is done. Also writes `utterances.jsonl` (the full plan, with every drawn parameter),
 * `TEXT-LICENCE.txt` (the text source's notice) and, at the end, `manifest.json`.
 */
export async function generateCorpus(
  options: CorpusOptions,
  onProgress?: (progress: CorpusProgress) => void,
): Promise<CorpusResult> {
  const started = performance.now();
  const { config, roles, text, plan } = await designCorpus(options);
  const outDir = resolve(config.outDir);
  await mkdir(outDir, { recursive: true });
  await checkSamePlan(outDir, plan);
  await writeAtomic(join(outDir, 'utterances.jsonl'), plan.map((u) => JSON.stringify(u)).join('\n') + '\n');
  await writeAtomic(join(outDir, 'TEXT-LICENCE.txt'), WORDNET_NOTICE);
  const workDir = join(outDir, '.work');
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const durationCache = join(outDir, '.durations.json');

  const voices = new Map([...roles.train, ...roles.heldOut].map((v) => [v.name, v]));
  const chapters = groupChapters(plan, outDir, voices);
  const pathOf = (u: PlannedUtterance): string => join(outDir, utterancePath(u));
  const existing = plan.filter((u) => existsSync(pathOf(u)));
  const existingSeconds = await audioDurations(existing.map(pathOf), { cacheFile: durationCache });

  const progress: CorpusProgress = {
    done: existing.length,
    total: plan.length,
    skipped: existing.length,
    failed: 0,
    audioSeconds: existingSeconds.reduce((a, b) => a + b, 0),
    generatedSeconds: 0,
    elapsedSeconds: 0,
  };
  const report = (): void => {
    progress.elapsedSeconds = (performance.now() - started) / 1000;
    onProgress?.({ ...progress });
  };
  report();

  const failed: string[] = [];
  const makeChapter = async (chapter: Chapter): Promise<void> => {
    const pending = chapter.utterances.filter((u) => !existsSync(pathOf(u)));
    if (pending.length > 0) {
      await mkdir(chapter.dir, { recursive: true });
      const jobs = pending.map((u) => ({
        text: u.synthText,
        params: u.synth,
        wavPath: join(workDir, `${u.id}.wav`),
      }));
      const unsynthesized = new Set((await synthesizeBatch(chapter.voice, jobs)).map((j) => j.wavPath));
      for (const [i, u] of pending.entries()) {
        const wav = jobs[i].wavPath;
        try {
          if (unsynthesized.has(wav))
            throw new RenderError(`${chapter.voice.name} could not say ${JSON.stringify(u.synthText)}`);
          const samples = await renderUtterance(
            wav,
            pathOf(u),
            u.augment,
            config.sampleRate,
            rngFor(config.seed, 'noise', u.id),
          );
          progress.generatedSeconds += samples / config.sampleRate;
          progress.audioSeconds += samples / config.sampleRate;
        } catch (err) {
          if (!(err instanceof RenderError)) throw err;
          failed.push(u.id);
          progress.failed++;
        } finally {
          await rm(wav, { force: true });
        }
        progress.done++;
        report();
      }
    }
    await writeTranscript(chapter, pathOf);
  };
  await runPool(chapters, config.jobs, makeChapter);
  await rm(workDir, { recursive: true, force: true });

  const manifest = await buildManifest(config, roles, text, plan, outDir, durationCache, failed);
  await writeAtomic(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  report();
  return {
    outDir,
    manifest,
    generated: plan.length - existing.length - failed.length,
    skipped: existing.length,
    failed: failed.sort(),
    generatedSeconds: progress.generatedSeconds,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Refuses to mix two different corpora in one folder: same ids must mean the same utterances. */
async function checkSamePlan(outDir: string, plan: readonly PlannedUtterance[]): Promise<void> {
  const file = join(outDir, 'utterances.jsonl');
  if (!existsSync(file)) return;
  const before = new Map<string, string>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    const u = JSON.parse(line) as PlannedUtterance;
    before.set(u.id, line);
  }
  const changed = plan.find((u) => before.has(u.id) && before.get(u.id) !== JSON.stringify(u));
  if (changed) {
    throw new CorpusConfigError(
      `${outDir} holds a corpus made with a different seed or config (utterance ${changed.id} differs): use a new folder`,
    );
  }
}

/** Chapters in plan order, so workers interleave voices and engines. */
function groupChapters(
  plan: readonly PlannedUtterance[],
  outDir: string,
  voices: Map<string, Voice>,
): Chapter[] {
  const chapters = new Map<string, Chapter>();
  for (const u of plan) {
    const key = `${u.split}/${u.speaker}/${u.chapter}`;
    let chapter = chapters.get(key);
    if (!chapter) {
      const dir = join(outDir, key);
      const voice = voices.get(u.voice);
      if (!voice) throw new Error(`planned voice ${u.voice} is not installed`);
      chapter = {
        dir,
        transcriptPath: join(dir, `${u.speaker}-${u.chapter}.trans.txt`),
        voice,
        utterances: [],
      };
      chapters.set(key, chapter);
    }
    chapter.utterances.push(u);
  }
  return [...chapters.values()];
}

/** `<speaker>-<chapter>.trans.txt` for the chapter's utterances that have audio. */
async function writeTranscript(chapter: Chapter, pathOf: (u: PlannedUtterance) => string): Promise<void> {
  const lines = chapter.utterances
    .filter((u) => existsSync(pathOf(u)))
    .map((u) => `${u.id} ${u.transcript}`)
    .sort();
  if (lines.length === 0) return;
  const content = lines.join('\n') + '\n';
  const current = await readFile(chapter.transcriptPath, 'utf8').catch(() => null);
  if (current !== content) await writeAtomic(chapter.transcriptPath, content);
}

async function buildManifest(
  config: CorpusConfig,
  roles: VoiceRoles,
  text: PreparedSentences,
  plan: readonly PlannedUtterance[],
  outDir: string,
  durationCache: string,
  failed: readonly string[],
): Promise<CorpusManifest> {
  const present = plan.filter((u) => existsSync(join(outDir, utterancePath(u))));
  const seconds = await audioDurations(
    present.map((u) => join(outDir, utterancePath(u))),
    { cacheFile: durationCache },
  );
  const splits = Object.fromEntries(
    CORPUS_SPLITS.map((s) => [s, { utterances: 0, speakers: 0, seconds: 0, hours: 0 }]),
  ) as Record<(typeof CORPUS_SPLITS)[number], SplitSummary>;
  const speakers = new Map(CORPUS_SPLITS.map((s) => [s, new Set<number>()]));
  present.forEach((u, i) => {
    splits[u.split].utterances++;
    splits[u.split].seconds += seconds[i];
    speakers.get(u.split)?.add(u.speaker);
  });
  for (const s of CORPUS_SPLITS) {
    splits[s].speakers = speakers.get(s)?.size ?? 0;
    splits[s].seconds = Number(splits[s].seconds.toFixed(2));
    splits[s].hours = Number((splits[s].seconds / 3600).toFixed(4));
  }
  const sentenceCounts = { train: 0, dev: 0, test: 0 };
  for (const s of text.sentences) sentenceCounts[s.set]++;
  const { outDir: _outDir, jobs: _jobs, ...content } = config;
  const voiceEntry = (v: Voice, role: 'train' | 'held-out') => ({
    name: v.name,
    speaker: v.speaker,
    engine: v.engine,
    engineVoice: v.engineVoice,
    role,
  });
  return {
    format: 'librispeech',
    description:
      'Synthetic multi-voice English speech (espeak-ng, flite, festival + sox augmentation) for the Attune base model',
    seed: config.seed,
    hours: config.hours,
    config: content,
    source: {
      name: 'WordNet 3.0 example sentences',
      package: WORDNET_PACKAGE,
      licence: WORDNET_LICENCE,
      sentences: sentenceCounts,
      rejected: text.rejected,
      sha256: text.sha256,
    },
    tools: await toolVersions(),
    voices: [
      ...roles.train.map((v) => voiceEntry(v, 'train')),
      ...roles.heldOut.map((v) => voiceEntry(v, 'held-out')),
    ],
    splits,
    failed: [...failed].sort(),
  };
}

/** Runs `work` over `items` with at most `jobs` at once; stops taking new items after the first error. */
async function runPool<T>(
  items: readonly T[],
  jobs: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let firstError: unknown = null;
  const worker = async (): Promise<void> => {
    while (firstError === null && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  if (firstError !== null) throw firstError;
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
