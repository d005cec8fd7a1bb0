// Shared by the personal fine-tuning tests: a tiny base model trained on espeak-ng speech of three
// "base" voices (with a replay set built from them), and clips of another voice, "the user", who corrects
// transcripts. Built once per machine into a temporary folder (deterministic, renamed into place when
// complete), so the test files that need it do not each train a base model.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModelFolder, type ModelFolder, saveModelFolder } from '../../src-main/model/checkpoint.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { FeatureCache } from '../../src-main/training/feature-cache.js';
import type { PersonalizeConfig } from '../../src-main/training/personalize.js';
import { prepareFeatures, type SourceUtterance } from '../../src-main/training/prepare.js';
import { buildReplaySet, loadReplay, type ReplaySet } from '../../src-main/training/replay.js';
import { train } from '../../src-main/training/train.js';

const run = promisify(execFile);

/** Bump when anything below changes, so a stale fixture is not reused. */
const FIXTURE_VERSION = 4;

export const SENTENCES = [
  'Hello world.',
  'Good morning!',
  'The cat sat.',
  'Open the door.',
  'Thank you very much.',
  'See you later.',
];

/** Base voices: LibriSpeech speaker ids and espeak-ng voices. */
const BASE_VOICES: [string, string][] = [
  ['101', 'en-us'],
  ['102', 'en-gb'],
  ['103', 'en-us+f3'],
];
/** The user: a voice the base model never heard. */
export const USER_VOICE = 'en-us+m3';
/** The user's takes of every sentence: [chapter, words per minute, pitch]. The third is held back. */
export const USER_TAKES: [string, number, number][] = [
  ['1', 165, 45],
  ['2', 195, 55],
  ['3', 180, 50],
];

export const TINY: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  channels: 32,
  blocks: 3,
  kernel: 5,
  blockRightContext: [1, 0, 1],
};

/** Fine-tuning settings sized for the tiny model (its base is barely trained, so larger steps). */
export const TINY_PERSONALIZE: Partial<PersonalizeConfig> = {
  steps: 150,
  learningRate: 3e-3,
  warmupSteps: 5,
  // The top of the tiny model, free to move: its base is barely trained, so it has little to forget.
  anchorDecay: 0,
  adaptSubsampling: false,
  adaptFirstBlocks: 0,
  adaptBlocks: 3,
  evalEvery: 25,
  patience: 3,
  augment: null,
  batches: { maxFrames: 1600, maxUtterances: 8, maxUtteranceFrames: 2000 },
};

export interface PersonalFixture {
  root: string;
  /** The base model folder, with replay/replay.feats. */
  baseDir: string;
  /** The base voices in LibriSpeech layout. */
  corpusDir: string;
  /** The user's clips: each sentence in three takes (wav), take by take. */
  user: SourceUtterance[];
  /** The user's clips as a LibriSpeech-layout folder (speaker 201). */
  userCorpusDir: string;
}

async function speak(voice: string, speed: number, text: string, path: string, pitch = 50): Promise<void> {
  await run('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '-w', path, text]);
}

function describe(root: string): PersonalFixture {
  const user: SourceUtterance[] = [];
  for (const [take] of USER_TAKES)
    for (const [s, text] of SENTENCES.entries()) {
      const id = `201-${take}-${s}`;
      user.push({ id, speaker: '201', text, audioPath: join(root, 'user', '201', take, `${id}.wav`) });
    }
  return {
    root,
    baseDir: join(root, 'base'),
    corpusDir: join(root, 'corpus'),
    user,
    userCorpusDir: join(root, 'user'),
  };
}

/** The fixture, built if this machine does not have it yet. Needs ~20 s the first time. */
export async function personalFixture(): Promise<PersonalFixture> {
  const root = join(tmpdir(), `attune-personal-fixture-v${FIXTURE_VERSION}`);
  if (existsSync(join(root, 'base', 'replay', 'replay.feats'))) return describe(root);
  const build = `${root}.build-${process.pid}`;
  rmSync(build, { recursive: true, force: true });
  const f = describe(build);

  // Base voices in LibriSpeech layout: <speaker>/1/<speaker>-1-<n>.wav with <speaker>-1.trans.txt.
  const base: SourceUtterance[] = [];
  for (const [speaker, voice] of BASE_VOICES) {
    const folder = join(f.corpusDir, speaker, '1');
    mkdirSync(folder, { recursive: true });
    const lines: string[] = [];
    for (const [s, text] of SENTENCES.entries()) {
      const id = `${speaker}-1-${s}`;
      const audioPath = join(folder, `${id}.wav`);
      await speak(voice, 190, text, audioPath);
      base.push({ id, speaker, text, audioPath });
      lines.push(`${id} ${text.toUpperCase().replace(/[^A-Z' ]/g, '')}`);
    }
    writeFileSync(join(folder, `${speaker}-1.trans.txt`), lines.join('\n') + '\n');
  }
  // The user's clips, also in LibriSpeech layout (chapters = takes) for the CLI.
  for (const [take, speed, pitch] of USER_TAKES) {
    const folder = join(f.userCorpusDir, '201', take);
    mkdirSync(folder, { recursive: true });
    const lines: string[] = [];
    for (const u of f.user.filter((x) => x.id.startsWith(`201-${take}-`))) {
      await speak(USER_VOICE, speed, u.text, u.audioPath, pitch);
      lines.push(`${u.id} ${u.text.toUpperCase().replace(/[^A-Z' ]/g, '')}`);
    }
    writeFileSync(join(folder, `201-${take}.trans.txt`), lines.join('\n') + '\n');
  }

  // A tiny base model trained on the base voices.
  await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  const cachePath = join(build, 'work', 'base.feats');
  await prepareFeatures(base, cachePath, { jobs: 1 });
  const cache = FeatureCache.load(cachePath);
  const runDir = join(build, 'work', 'run');
  const r = await train(
    { train: cache, dev: cache },
    {
      runDir,
      acoustic: TINY,
      augment: null,
      optimizer: {
        learningRate: 3e-3,
        warmupSteps: 10,
        decay: 'constant',
        totalSteps: 1000,
        minLearningRate: 1e-4,
        beta1: 0.9,
        beta2: 0.98,
        epsilon: 1e-8,
        weightDecay: 1e-3,
        anchorDecay: 0,
        clipNorm: 5,
      },
      batches: { maxFrames: 1600, maxUtterances: 6, maxUtteranceFrames: 2000 },
      steps: 150,
      evalEvery: 50,
      checkpointEvery: 150,
      seed: 7,
    },
  );
  r.model.dispose();
  cache.close();
  saveModelFolder(f.baseDir, { ...loadModelFolder(join(runDir, 'best')), info: { version: 'tiny-base' } });
  await buildReplaySet(f.corpusDir, f.baseDir, { maxBytes: 400_000 });
  rmSync(join(build, 'work'), { recursive: true, force: true });
  try {
    renameSync(build, root);
  } catch {
    // Another test file built it at the same time: theirs is the same, use it.
    rmSync(build, { recursive: true, force: true });
  }
  return describe(root);
}

/** The fixture's base model as a folder, with its replay set (training and held-out utterances). */
export async function fixtureBaseModel(): Promise<{
  baseDir: string;
  folder: ModelFolder;
  replay: ReplaySet;
}> {
  const { baseDir } = await personalFixture();
  const folder = loadModelFolder(baseDir);
  return { baseDir, folder, replay: loadReplay(baseDir, folder.features).replay! };
}
