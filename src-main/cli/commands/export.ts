import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { initBackend } from '../../model/backend.js';
import { beamSearch } from '../../speech/beam-search.js';
import { loadModelFolder, type ModelFolder, saveModelFolder } from '../../model/checkpoint.js';
import { loadCheckpointModel } from '../../model/model-io.js';
import type { AcousticConfig } from '../../model/config.js';
import type { ShapeRecord } from '../../model/reshape.js';
import { evaluate } from '../../training/evaluate.js';
import { readLibriSpeech } from '../../training/librispeech.js';
import { type CardEval, type CardInput, renderModelCard } from '../../training/model-card.js';
import { DEFAULT_PREPARE } from '../../training/prepare.js';
import { scoringFeaturesAt } from '../../training/scoring-features.js';
import { buildReplaySet, DEFAULT_REPLAY_BUILD } from '../../training/replay.js';
import { frontEndKind } from '../../speech/front-end.js';
import { importedReports, type SourceReport } from '../../training/real/import.js';
import type { RealSplit } from '../../training/real/split.js';
import { addLmOptions, beamWidthOption, languageModelFor, type LmOption } from './lm-option.js';
import { positiveOption } from './options.js';

interface Manifest {
  hours?: number;
  voices?: {
    id?: string | number;
    speaker?: string | number;
    name?: string;
    voice?: string;
    split?: string;
  }[];
  source?: { name?: string; licence?: string; license?: string };
  splits?: Record<string, { utterances?: number; hours?: number; speakers?: number }>;
}

const SETS: { split: string; description: string }[] = [
  { split: 'dev', description: 'training voices, dev sentences' },
  { split: 'test-seen', description: 'training voices, held-out sentences' },
  { split: 'test-unseen', description: 'held-out voices, held-out sentences' },
];

/** What the real sets are, as the card describes them. */
const REAL_SET_DESCRIPTIONS = {
  'real-dev':
    'real voices that picked the weights, never trained on (VCTK p239, a spoken-digit speaker, held-out game characters)',
  'real-test':
    'real voices never trained on or chosen by (Allison, LibriVox, two spoken-digit speakers, held-out game characters)',
} as const;

/** The card's real-speech credits: each imported source, what of it trained the model and what only measured it. */
function realSources(dir: string): NonNullable<Parameters<typeof renderModelCard>[0]['realSpeech']> {
  const minutes = (r: SourceReport, split: RealSplit) => (r.splits[split]?.seconds ?? 0) / 60;
  return importedReports(dir).map((r) => ({
    name: r.name,
    credit: r.credit,
    licence: r.licence,
    trainMinutes: minutes(r, 'real-train'),
    heldOutMinutes: minutes(r, 'real-dev') + minutes(r, 'real-test'),
  }));
}

/**
 * How the run's model was grown from a trained one, for the card: `attune reshape` records the shape it
 * started from (reshapedFrom, model/reshape.ts); runs made before reshape existed recorded deepenedFrom and
 * restridedFrom themselves.
 */
function shapeChanges(
  training: Record<string, unknown> | undefined,
  now: AcousticConfig,
): { deepenedFrom?: number; widenedFrom?: number; restridedFrom?: [number, number] } {
  const from = (training?.reshapedFrom ?? {}) as Partial<ShapeRecord>;
  const blocks = training?.deepenedFrom ?? from.blocks;
  const strides = training?.restridedFrom ?? from.subsampleStrides;
  const isStrides = (s: unknown): s is [number, number] =>
    Array.isArray(s) && s.length === 2 && s.every((v) => Number.isInteger(v));
  return {
    ...(typeof blocks === 'number' && blocks !== now.blocks ? { deepenedFrom: blocks } : {}),
    ...(typeof from.channels === 'number' && from.channels !== now.channels
      ? { widenedFrom: from.channels }
      : {}),
    ...(isStrides(strides) && strides.join() !== now.subsampleStrides.join()
      ? { restridedFrom: strides }
      : {}),
  };
}

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description(
      "evaluate a training run's best model on every test set and write it as a model folder with its model card",
    )
    .requiredOption('--run <dir>', 'training run folder (its best/ model is exported)')
    .requiredOption(
      '--corpus <dir>',
      'the synthetic corpus it was trained on (for dev/test splits and the manifest)',
    )
    .option('--human <dir>', 'real recordings in LibriSpeech layout (see `attune testdata`)')
    .option(
      '--real <dir>',
      'the real speech sets of `attune import`: real-dev and real-test are scored, and every source is credited',
    )
    .option('--out <dir>', 'model folder to write', 'models/base')
    .option('--command <text...>', 'commands that made the model, recorded in the card')
    .option('--note <text>', 'a line added to the card’s limitations (e.g. that training is still going on)')
    .option(
      '--continued-from <text>',
      'what the run started from when it continued a trained model (`train --init`), in words: its data and steps',
    )
    .option('--dev-set <name>', 'the set that picked the best weights, as the card names it', 'the dev set')
    .option('--appendix <file...>', 'Markdown files added to the card as sections (e.g. bench/REAL-AB.md)')
    .option(
      '--replay <dir...>',
      'LibriSpeech-layout speech the model was trained on (e.g. the corpus train/ split and real-train): a small replay set is built from it into <out>/replay for personal fine-tuning',
    )
    .option(
      '--replay-mb <n>',
      'size budget of the replay set in MB',
      String(DEFAULT_REPLAY_BUILD.maxBytes / 1e6),
    );
  // Every set is also scored as the app decodes finals: with the shipped language model, unless --no-lm.
  addLmOptions(command, true).action(async (o: ExportFlags) => {
    const appendix = readAppendix(o.appendix ?? []);
    const replayBytes = positiveOption(String(o.replayMb), 'replay-mb') * 1e6;
    const info = await initBackend({});
    const run = resolve(o.run);
    const folder = loadModelFolder(join(run, 'best'));
    const lm = languageModelFor(o.lm, true, folder.alphabet);
    const beamWidth = beamWidthOption(o.beamWidth);
    const evals = await scoreSets(folder, join(run, 'features'), setsOf(o), lm ? { lm, beamWidth } : null);
    const trainer = JSON.parse(readFileSync(join(run, 'checkpoint', 'trainer.json'), 'utf8')) as {
      step: number;
      bestStep: number;
    };
    const metrics = Object.fromEntries(
      evals.map((e) => [
        e.name,
        {
          wer: e.wer,
          cer: e.cer,
          utterances: e.utterances,
          ...(e.withLm ? { withLm: lmMetrics(e.withLm) } : {}),
        },
      ]),
    );
    const card = renderModelCard(
      cardInput(o, folder, evals, {
        trainer,
        backend: info.name,
        appendix,
        languageModel: lm
          ? { name: basename(lm.lm.source), words: lm.lm.words.length, order: lm.lm.order, beamWidth }
          : undefined,
      }),
    );
    // `parent` is a folder on the machine that trained it: the card's commands say where it came from.
    const { parent: _parent, ...shipped } = folder.info;
    const out = resolve(o.out);
    saveModelFolder(out, {
      ...folder,
      info: {
        ...shipped,
        metrics,
        training: { ...(folder.info.training ?? {}), steps: trainer.step, bestStep: trainer.bestStep },
      },
      modelCard: card,
    });
    const size = statSync(join(out, 'model.safetensors')).size;
    // After the folder is saved (saving replaces the whole folder).
    const replay = o.replay ? await writeReplaySet(o.replay, out, replayBytes) : null;
    process.stdout.write(JSON.stringify({ out, bytes: size, metrics, replay }) + '\n');
  });
}

interface ExportFlags {
  run: string;
  corpus: string;
  human?: string;
  real?: string;
  out: string;
  command?: string[];
  note?: string;
  continuedFrom?: string;
  devSet: string;
  appendix?: string[];
  replay?: string[];
  replayMb: string;
  lm: LmOption;
  beamWidth: string;
}

function readAppendix(files: string[]): string[] {
  return files.map((file) => {
    try {
      return readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new Error(`cannot read --appendix ${file}: ${(err as Error).message}`);
    }
  });
}

/** A set to score for the card: its folder, its name in the card, and what it is. */
interface CardSet {
  dir: string;
  name: string;
  description: string;
}

/** The sets the card scores: the corpus's synthetic ones, the human recordings, the real dev and test sets. */
function setsOf(o: ExportFlags): CardSet[] {
  const sets = SETS.map((s) => ({
    dir: join(resolve(o.corpus), s.split),
    name: s.split,
    description: s.description,
  }));
  if (o.human)
    sets.push({
      dir: resolve(o.human),
      name: 'human',
      description: 'real recordings (pocketsphinx-testdata: LibriVox reading, card names)',
    });
  if (o.real)
    for (const split of ['real-dev', 'real-test'] as const)
      sets.push({
        dir: join(resolve(o.real), split),
        name: split,
        description: REAL_SET_DESCRIPTIONS[split],
      });
  return sets.filter((s) => existsSync(s.dir));
}

/**
 * Scores the model on every set, greedy (the acoustic model alone) and, with a language model, as dictation
 * writes finals (the folder's own word-search settings); features are cached in featuresDir by set name.
 */
async function scoreSets(
  folder: ModelFolder,
  featuresDir: string,
  sets: CardSet[],
  search: { lm: NonNullable<ReturnType<typeof languageModelFor>>; beamWidth: number } | null,
): Promise<CardEval[]> {
  const model = loadCheckpointModel(folder);
  const evals: CardEval[] = [];
  for (const { dir, name, description } of sets) {
    const corpus = await readLibriSpeech(dir);
    const { items, close } = await scoringFeaturesAt(corpus.utterances, join(featuresDir, `${name}.feats`), {
      features: folder.features,
      jobs: DEFAULT_PREPARE.jobs,
    });
    const r = evaluate(model, folder.alphabet, items);
    const withLm = search
      ? evaluate(model, folder.alphabet, items, {
          decode: (rows, T) =>
            beamSearch(rows, T, folder.alphabet, null, { beamWidth: search.beamWidth }, search.lm).text,
        })
      : null;
    close();
    const pc = (x: number) => `${(x * 100).toFixed(2)}%`;
    process.stderr.write(
      `${name}: WER ${pc(r.wer)}, CER ${pc(r.cer)}${withLm ? `; with the LM ${pc(withLm.wer)}, ${pc(withLm.cer)}` : ''} (${r.utterances} utterances)\n`,
    );
    evals.push({
      name,
      description,
      utterances: r.utterances,
      wer: r.wer,
      cer: r.cer,
      speakers: r.speakers,
      ...(withLm ? { withLm: { wer: withLm.wer, cer: withLm.cer, speakers: withLm.speakers } } : {}),
    });
  }
  model.dispose();
  return evals;
}

/** What config.json's metrics keep of a set's scores with the language model (the per-voice detail stays in the card). */
const lmMetrics = (m: NonNullable<CardEval['withLm']>) => ({ wer: m.wer, cer: m.cer });

/** The synthetic corpus's manifest (voices, hours, licence), or nothing when the corpus has none. */
function readManifest(corpus: string): { manifest: Manifest; speakerNames: Record<string, string> } {
  const path = join(resolve(corpus), 'manifest.json');
  const manifest: Manifest = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : {};
  const speakerNames: Record<string, string> = {};
  for (const v of manifest.voices ?? []) {
    const id = String(v.speaker ?? v.id ?? '');
    if (id) speakerNames[id] = String(v.name ?? v.voice ?? id);
  }
  return { manifest, speakerNames };
}

/** Everything the card says, from the flags, the model folder, its scores and the run. */
function cardInput(
  o: ExportFlags,
  folder: ModelFolder,
  evals: CardEval[],
  made: {
    trainer: { step: number; bestStep: number };
    backend: string;
    appendix: string[];
    languageModel?: CardInput['languageModel'];
  },
): CardInput {
  const { manifest, speakerNames } = readManifest(o.corpus);
  const realSpeech = o.real ? realSources(resolve(o.real)) : undefined;
  const parameters = [...folder.weights.values()].reduce((s, w) => s + w.length, 0);
  const phones = folder.alphabet.phones !== undefined;
  const decoding = folder.alphabet.decoding;
  return {
    title: 'Attune base model (English)',
    summary: `The model Attune ships: a small streaming CTC acoustic model that recognises English speech as ${phones ? 'phones, which a pronouncing dictionary and a word language model turn into words' : 'characters'}. It is the starting point that Attune fine-tunes on each user's own voice.`,
    acoustic: folder.acoustic,
    frontEnd: frontEndKind(folder.features),
    units: phones ? 'phones' : 'letters',
    parameters,
    weightsBytes: parameters * 4,
    commands: o.command ?? [],
    corpus: {
      description:
        'Synthetic speech made on this machine by `attune corpus` from open text, with every installed English voice of espeak-ng, flite and festival, and SoX augmentation (pitch, tempo, reverb, noise, EQ). Held-out voices and held-out sentences never appear in training.',
      hours: manifest.splits?.train?.hours,
      utterances: manifest.splits?.train?.utterances,
      trainVoices: manifest.splits?.train?.speakers,
      heldOutVoices: (manifest.voices ?? [])
        .filter((v) => (v as { role?: string }).role === 'held-out')
        .map((v) => String(v.name)),
      licence: manifest.source?.licence ?? manifest.source?.license,
    },
    training: {
      steps: made.trainer.step,
      bestStep: made.trainer.bestStep,
      backend: made.backend,
      ...shapeChanges(folder.info.training, folder.acoustic),
      ...(o.continuedFrom ? { continuedFrom: o.continuedFrom } : {}),
      devSet: o.devSet,
    },
    ...(realSpeech ? { realSpeech } : {}),
    evals,
    ...(made.languageModel ? { languageModel: made.languageModel } : {}),
    ...(made.languageModel && decoding
      ? {
          decoding: {
            priorScale: decoding.priorScale,
            lmWeight: decoding.lmWeight,
            wordBonus: decoding.wordBonus,
            source: decoding.source,
          },
        }
      : {}),
    speakerNames,
    appendix: made.appendix,
    limitations: limitations(o, { phones, lm: made.languageModel !== undefined, realSpeech }),
  };
}

function limitations(
  o: ExportFlags,
  what: { phones: boolean; lm: boolean; realSpeech: CardInput['realSpeech'] },
): string[] {
  return [
    what.realSpeech?.some((s) => s.trainMinutes > 0)
      ? 'Few real voices: the real speech it trained on is hours of game actors and spoken digits, recorded at 11 kHz or less, against the thousands of hours and speakers of recognisers trained on read-speech corpora; new voices, accents and microphones stay hard for it (see the real-test rows). Personal fine-tuning on the user’s own voice is how Attune closes that gap.'
      : 'Trained on synthetic speech only: real human voices, accents and microphones are harder for it (see the human row). Personal fine-tuning on the user’s corrections is how Attune closes that gap.',
    what.phones
      ? 'Phones: it writes only words of the language model and the user’s lexicon that it can pronounce (by the dictionary, or letter-to-sound rules for the user’s own words); without a language model it writes its dictionary’s words as the acoustic model alone hears them, words that sound alike (there, their) chosen blindly.'
      : what.lm
        ? 'Characters: without the language model rare words are spelled phonetically; with it, finals can only use its words and the user’s lexicon.'
        : 'Characters only, greedy decoding, no language model: rare words are spelled phonetically.',
    what.phones
      ? 'English only (the tokens are the 39 phones of US English in CMUdict).'
      : 'English only (the tokens are a–z, apostrophe and space).',
    ...(o.note ? [o.note] : []),
  ];
}

/** Builds the replay set personal fine-tuning mixes in, into the saved model folder. */
async function writeReplaySet(from: string[], out: string, maxBytes: number) {
  const replay = await buildReplaySet(
    from.map((d) => resolve(d)),
    out,
    // The saved folder's features: with phone features, its own sphinx/ copy, recorded relative to it.
    { maxBytes, features: loadModelFolder(out).features },
  );
  process.stderr.write(
    `replay set: ${replay.utterances} utterances of ${replay.speakers} speakers, ${replay.audioSeconds.toFixed(0)} s, ${(replay.bytes / 1e6).toFixed(2)} MB → ${replay.path}\n`,
  );
  return replay;
}
