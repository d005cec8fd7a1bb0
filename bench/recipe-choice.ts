// How the enrolment recipe is chosen: recipes compared on the real-dev voice (VCTK p239; no real-test voice
// takes part) with the model enrolment starts from. The voice's test clips and its reading are made as
// bench/enrolment.ts makes them (same seed, same split); each arm is one `attune finetune` on the reading
// with its own flags laid over the app's recipe, then `attune eval --lm` on the test clips with the model
// in use afterwards. Writes bench/RECIPE-CHOICE.md and bench/recipe-choice.json.
//
//   npx tsx bench/recipe-choice.ts [--minutes 5] [--arms chosen,lr2e-3,…]
//
// --arms runs those arms alone and keeps the others' results from the last run when it measured the same
// model on the same split (bench/recipe-choice.json); after the app's recipe changes, run `chosen` again.
// Needs `attune import --out corpora/real` first.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DICTIONARY_FILE } from '../src-main/model/checkpoint.js';
import { formatDictionary, loadDictionary } from '../src-main/speech/pronouncing-dictionary.js';
import { repoRoot } from './child.js';
import {
  DEFAULT_ENROLMENT_BENCH,
  evalLm,
  type FinetuneJson,
  runFinetune,
  type Score,
  VOICES,
} from './enrolment.js';
import { makeVoiceSets } from './enrolment-sets.js';
import { nonRhoticDictionary } from './non-rhotic.js';
import { machineBasics } from './report.js';

interface Arm {
  name: string;
  /** What the arm is, in words. */
  what: string;
  /** `attune finetune` flags laid over the recipe the app chooses. */
  args: string[];
  /** The flags as the table shows them, when args hold a temporary file. */
  shown?: string;
  /** Writes the model folder the arm starts from into a work folder and returns it (default: the bench's model). */
  start?: (work: string) => string;
}

/** The bench's model with non-rhotic pronunciations first (bench/non-rhotic.ts), written under `work`. */
function nonRhoticStart(work: string): string {
  const dir = join(work, 'start-non-rhotic');
  if (existsSync(dir)) return dir;
  cpSync(DEFAULT_ENROLMENT_BENCH.model, dir, { recursive: true });
  const path = join(dir, DICTIONARY_FILE);
  writeFileSync(path, formatDictionary(nonRhoticDictionary(loadDictionary(path))));
  return dir;
}

/** A research-settings file for `attune finetune --recipe`, written once per process. */
function recipeFile(settings: Record<string, number>): string {
  const dir = join(tmpdir(), `attune-recipe-choice-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${Object.entries(settings).flat().join('-')}.json`);
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

/** Recipes around the chosen one: its learning rate and length each way, and the guard's forgetting margin. */
const ARMS: Arm[] = [
  {
    name: 'chosen',
    what: "the app's recipe (recipe.ts, enrolment tier), its word search then tuned on the held-back clips (decoding-tune.ts; the arms below were measured before the app did this)",
    args: [],
  },
  { name: 'lr5e-4', what: 'learning rate 5e-4', args: ['--lr', '5e-4'] },
  { name: 'lr1e-3', what: 'learning rate 1e-3', args: ['--lr', '1e-3'] },
  { name: 'lr2e-3', what: 'learning rate 2e-3', args: ['--lr', '2e-3'] },
  { name: 'lr3e-3', what: 'learning rate 3e-3', args: ['--lr', '3e-3'] },
  { name: 'lr4e-3', what: 'learning rate 4e-3', args: ['--lr', '4e-3'] },
  { name: 'steps600', what: 'learning rate 1e-3, 600 steps', args: ['--lr', '1e-3', '--steps', '600'] },
  {
    name: 'lr2e-3-front-and-head',
    what: 'learning rate 2e-3, the subsampling, the first 8 blocks and the last block with the head adapted',
    args: ['--lr', '2e-3', '--adapt-first-blocks', '8', '--adapt-blocks', '1'],
  },
  {
    name: 'lr2e-3-anchored',
    what: 'learning rate 2e-3, anchored to the starting weights (anchor decay 20)',
    args: ['--lr', '2e-3', '--anchor-decay', '20'],
  },
  {
    name: 'lr2e-3-replay1',
    what: 'learning rate 2e-3, one general-speech utterance beside each of the voice (not two)',
    args: ['--lr', '2e-3', '--recipe', recipeFile({ 'replay-ratio': 1 })],
    shown: '--lr 2e-3 --recipe {"replay-ratio": 1}',
  },
  {
    name: 'lr2e-3-replay0.5',
    what: 'learning rate 2e-3, one general-speech utterance beside every two of the voice',
    args: ['--lr', '2e-3', '--recipe', recipeFile({ 'replay-ratio': 0.5 })],
    shown: '--lr 2e-3 --recipe {"replay-ratio": 0.5}',
  },
  {
    name: 'lr1e-3-no-forgetting-guard',
    what: 'learning rate 1e-3, the guard blind to forgetting (replay margin 10×): what the whole change does',
    args: ['--lr', '1e-3', '--replay-margin', '10'],
  },
  {
    name: 'lr2e-3-no-forgetting-guard',
    what: 'learning rate 2e-3, the guard blind to forgetting',
    args: ['--lr', '2e-3', '--replay-margin', '10'],
  },
  {
    name: 'non-rhotic',
    what: "the app's recipe, the voice's targets, replay's and the search through non-rhotic pronunciations (bench/non-rhotic.ts)",
    args: [],
    shown: '(none), from the model with non-rhotic pronunciations first',
    start: nonRhoticStart,
  },
  {
    name: 'non-rhotic-no-forgetting-guard',
    what: 'the same, the guard blind to forgetting',
    args: ['--replay-margin', '10'],
    shown: '--replay-margin 10, from the model with non-rhotic pronunciations first',
    start: nonRhoticStart,
  },
];

/** Results kept from the last run (bench/recipe-choice.json) when it measured the same model on the same split. */
function keptResults(minutes: number, before: Score): Map<string, ArmResult> {
  const path = join(repoRoot, 'bench', 'recipe-choice.json');
  if (!existsSync(path)) return new Map();
  const last = JSON.parse(readFileSync(path, 'utf8')) as {
    minutes: number;
    before: Score;
    results: ArmResult[];
  };
  const same = last.minutes === minutes && last.before.wer === before.wer && last.before.cer === before.cer;
  return new Map(same ? last.results.map((r) => [r.arm.name, r]) : []);
}

interface ArmResult {
  arm: Arm;
  finetune: FinetuneJson;
  test: Score;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function markdown(voice: string, minutes: number, before: Score, results: ArmResult[], made: string): string {
  const rows = results.map(({ arm, finetune: f, test }) => {
    const kept = !f.promoted
      ? 'nothing (not promoted)'
      : f.training.kept !== undefined && f.training.kept < 1
        ? `${Math.round(f.training.kept * 100)}% of the change`
        : 'the change';
    const replay = f.replay ? `${pct(f.replay.before.wer)} → ${pct(f.replay.after.wer)}` : '–';
    const change = (((test.wer - before.wer) / before.wer) * 100).toFixed(0);
    return `| ${arm.what} | \`${arm.shown ?? (arm.args.join(' ') || '(none)')}\` | ${pct(test.wer)} (${pct(test.cer)}) | ${change}% | ${kept} | ${replay} | ${f.training.steps} | ${f.seconds.toFixed(0)} s |`;
  });
  return [
    '# How the enrolment recipe is chosen',
    '',
    `Regenerate: \`npx tsx bench/recipe-choice.ts --minutes ${minutes}\` (or \`--arms\` with some of them, keeping the others). ${made}`,
    '',
    `${voice}, the real-dev voice (real-test voices take no part): ${minutes} minutes of its reading trained on (a share held back for the guard), ${before.utterances} other clips of the voice as the test, split as bench/enrolment.ts splits them. Each arm is \`attune finetune --model ${DEFAULT_ENROLMENT_BENCH.model} --data <the reading>\` with its flags laid over the recipe the app chooses; word error rates are as dictation writes finals (the shipped language model), for the model in use afterwards. Before any training: WER ${pct(before.wer)} (CER ${pct(before.cer)}).`,
    '',
    '| recipe | flags | WER (CER) on the voice | change | what the guard kept | replay WER (general speech) | steps | training |',
    '|---|---|---|---:|---|---|---:|---:|',
    ...rows,
    '',
    '## Why each run was kept or not',
    '',
    ...results.map((r) => `- ${r.arm.name}: ${r.finetune.reason}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, arms: { type: 'string' } } });
  const minutes = Number(values.minutes ?? 5);
  if (!(minutes > 0)) throw new Error(`--minutes must be a number > 0, got ${values.minutes}`);
  const names = values.arms?.split(',') ?? ARMS.map((a) => a.name);
  const arms = names.map((n) => {
    const a = ARMS.find((x) => x.name === n);
    if (!a) throw new Error(`unknown arm ${n} (known: ${ARMS.map((x) => x.name).join(', ')})`);
    return a;
  });
  const cfg = DEFAULT_ENROLMENT_BENCH;
  const voice = VOICES.p239;
  const work = mkdtempSync(join(tmpdir(), 'attune-recipe-'));
  try {
    const sets = await makeVoiceSets(voice, join(work, 'p239'), [minutes], cfg.testClips, cfg.seed);
    const reading = sets.enrol[0];
    if (!reading) throw new Error(`${voice.dir} has less than ${minutes} minutes to enrol`);
    const before = await evalLm(sets.testDir, cfg.model, cfg, work);
    const byArm = keptResults(minutes, before);
    for (const arm of arms) {
      const start = arm.start?.(work) ?? cfg.model;
      const out = join(work, `model-${arm.name}`);
      const finetune = await runFinetune(reading.dir, out, { ...cfg, model: start }, arm.args);
      const inUse = finetune.promoted && finetune.out ? finetune.out : start;
      const test = inUse === cfg.model ? before : await evalLm(sets.testDir, inUse, cfg, work);
      process.stderr.write(`${arm.name}: WER ${pct(before.wer)} → ${pct(test.wer)}; ${finetune.reason}\n`);
      byArm.set(arm.name, { arm, finetune, test });
    }
    // In the arms' order; arms not run this time are kept from the last run of the same model and split.
    const results = ARMS.flatMap((a) => byArm.get(a.name) ?? []);
    const b = machineBasics();
    const made = `Measured on ${b.cpuModel} (${b.cores} cores, ${cfg.threads} training threads), ${new Date().toISOString().slice(0, 10)}.`;
    writeFileSync(
      join(repoRoot, 'bench', 'RECIPE-CHOICE.md'),
      markdown(voice.name, minutes, before, results, made),
    );
    writeFileSync(
      join(repoRoot, 'bench', 'recipe-choice.json'),
      JSON.stringify({ minutes, before, results }, null, 1) + '\n',
    );
    process.stderr.write('wrote bench/RECIPE-CHOICE.md and bench/recipe-choice.json\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
