// Enrolment on real voices: how much a person's reading of 1, 3, 5 and 10 minutes lowers the word error
// rate on their other recordings. For each voice (VCTK p239 and the Asterisk "Allison" prompts, neither ever
// trained on by the base model) a seeded 100 clips are kept aside for testing; the enrolment folders are the
// first clips of the rest. Every length runs `attune finetune` from the shipped model (the app's own path:
// the recipe chosen by the amount of speech, replay, guard), then `attune eval --lm` scores the model in use
// afterwards on the voice's test clips and on the other voice's (what it forgot of somebody else), as
// dictation writes finals. Writes bench/ENROLMENT.md and bench/enrolment.json.
//
//   npx tsx bench/enrolment.ts [--minutes 1,3,5,10] [--voices p239,allison] [--threads 2] [--finetune-arg=… …]
//
// Needs `attune import --out corpora/real` first (it holds both voices).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeVoiceSets, type EnrolmentVoice, type VoiceSets } from './enrolment-sets.js';
import { repoRoot, runTsChild } from './child.js';
import { machineBasics } from './report.js';
import { type NormScore, speakerNormScores } from './speaker-norm.js';

export interface EnrolmentBenchConfig {
  /** Voices enrolled, by short name (see VOICES). */
  voices: string[];
  /** Minutes of reading, ascending; a length a voice's pool cannot fill is left out. */
  minutes: number[];
  /** Clips of each voice kept aside for testing: never enrolled. */
  testClips: number;
  /** Seed of the test/enrolment split. */
  seed: number;
  /** The model enrolment starts from. */
  model: string;
  /** Training threads of fine-tuning. */
  threads: number;
  /** Extra `attune finetune` options, to compare recipes; none by default (the recipe is the app's). */
  finetuneArgs: string[];
  /** A fine-tuning or evaluation child is killed after this long, ms. */
  timeoutMs: number;
}

export const DEFAULT_ENROLMENT_BENCH: EnrolmentBenchConfig = {
  voices: ['p239', 'allison'],
  minutes: [1, 3, 5, 10],
  testClips: 100,
  seed: 1,
  model: 'models/base',
  threads: 2,
  finetuneArgs: [],
  timeoutMs: 30 * 60_000,
};

/** The voices, each in the real-voice sets' real-dev or real-test (never trained on by the base model). */
export const VOICES: Record<string, EnrolmentVoice> = {
  p239: { name: 'VCTK p239 (real-dev)', dir: 'corpora/real/real-dev/vctk' },
  allison: { name: 'Allison (real-test)', dir: 'corpora/real/real-test/allison' },
};

export interface Score {
  wer: number;
  cer: number;
  utterances: number;
}

export interface FinetuneJson {
  promoted: boolean;
  reason: string;
  out: string | null;
  user: { before: Score; after: Score } | null;
  replay: { before: Score; after: Score } | null;
  training: { steps: number; bestStep: number; recipe?: string; speechSeconds?: number; kept?: number };
  trainPairs: number;
  heldOutPairs: number;
  seconds: number;
  peakRssBytes: number;
}

export interface EnrolmentRun {
  voice: string;
  minutes: number;
  clips: number;
  speechSeconds: number;
  finetune: FinetuneJson;
  /** The model in use afterwards on the voice's test clips, and on the other voice's. */
  test: Score;
  other: Score | null;
}

const CLI = join(repoRoot, 'src-main', 'cli', 'main.ts');

/** The model on a folder as dictation writes finals (`attune eval --lm`). */
export async function evalLm(
  dir: string,
  model: string,
  cfg: Pick<EnrolmentBenchConfig, 'timeoutMs'>,
  work: string,
): Promise<Score> {
  const r = await runTsChild<Score>(CLI, ['eval', dir, '--model', model, '--json', '--lm'], {
    timeoutMs: cfg.timeoutMs,
    env: { TMPDIR: work },
  });
  return { wer: r.wer, cer: r.cer, utterances: r.utterances };
}

/**
 * `attune finetune` from `cfg.model` on a reading, writing `out` when the guard promotes the result, with
 * `extraArgs` laid over the recipe the app chooses. The child reports its own peak RSS and wall time.
 */
export function runFinetune(
  data: string,
  out: string,
  cfg: Pick<EnrolmentBenchConfig, 'model' | 'threads' | 'timeoutMs'>,
  extraArgs: readonly string[],
): Promise<FinetuneJson> {
  return runTsChild<FinetuneJson>(
    CLI,
    ['finetune', '--model', cfg.model, '--data', data, '--out', out, '--json'].concat(
      ['--threads', String(cfg.threads)],
      extraArgs,
    ),
    { timeoutMs: cfg.timeoutMs },
  );
}

/** Enrols one voice at every length; `other` is another voice's test folder (null: none). */
async function benchVoice(
  sets: VoiceSets,
  other: string | null,
  cfg: EnrolmentBenchConfig,
  work: string,
): Promise<{
  voice: string;
  before: Score;
  otherBefore: Score | null;
  runs: EnrolmentRun[];
  norm: NormScore[];
}> {
  const log = (s: string) => process.stderr.write(`${sets.voice.name}: ${s}\n`);
  const norm = await speakerNormScores(cfg.model, sets.testDir, sets.enrol);
  const before = await evalLm(sets.testDir, cfg.model, cfg, work);
  const otherBefore = other ? await evalLm(other, cfg.model, cfg, work) : null;
  log(`before: WER ${pct(before.wer)}`);
  const runs: EnrolmentRun[] = [];
  for (const e of sets.enrol) {
    const out = join(work, `model-${sets.voice.name.split(' ')[0]}-${e.minutes}`);
    const finetune = await runFinetune(e.dir, out, cfg, cfg.finetuneArgs);
    const inUse = finetune.promoted && finetune.out ? finetune.out : cfg.model;
    const test = inUse === cfg.model ? before : await evalLm(sets.testDir, inUse, cfg, work);
    const otherScore = other
      ? inUse === cfg.model
        ? otherBefore
        : await evalLm(other, inUse, cfg, work)
      : null;
    log(`${e.minutes} min: ${finetune.reason}; test WER ${pct(before.wer)} → ${pct(test.wer)}`);
    runs.push({
      voice: sets.voice.name,
      minutes: e.minutes,
      clips: e.clips,
      speechSeconds: e.seconds,
      finetune,
      test,
      other: otherScore,
    });
  }
  return { voice: sets.voice.name, before, otherBefore, runs, norm };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rel = (a: number, b: number) => `${a > 0 ? (((b - a) / a) * 100).toFixed(0) : '–'}%`;

function markdown(
  cfg: EnrolmentBenchConfig,
  voices: Awaited<ReturnType<typeof benchVoice>>[],
  tools: string,
): string {
  const out = [
    '# Enrolment on real voices',
    '',
    `Regenerate: \`npx tsx bench/enrolment.ts\`${cfg.finetuneArgs.length ? ` (with \`${cfg.finetuneArgs.join(' ')}\`)` : ''}. ${tools}`,
    '',
    `Each voice: ${cfg.testClips} clips (seed ${cfg.seed}) never enrolled are the test; enrolment reads the first clips of the rest up to each length. \`attune finetune --model ${cfg.model}\` chooses its recipe by the amount of speech, holds back a share of the clips for its guard, and keeps the new model only when the guard promotes it. Word error rates are as dictation writes finals (the shipped language model). "Other voice" is the other voice's test clips: what enrolment costs somebody else. Training time and peak RSS are the whole \`attune finetune\` process (${cfg.threads} training threads).`,
    '',
    '| voice | reading | clips (trained / held back) | recipe | kept? | WER on the voice | change | CER on the voice | replay WER | other voice WER | training | peak RSS |',
    '|---|---:|---|---|---|---|---:|---|---|---|---:|---:|',
  ];
  for (const v of voices)
    for (const r of v.runs) {
      const f = r.finetune;
      out.push(
        `| ${r.voice} | ${(r.speechSeconds / 60).toFixed(1)} min | ${r.clips} (${f.trainPairs} / ${f.heldOutPairs}) | ${f.training.recipe ?? '–'} | ${f.promoted ? `yes (${Math.round((f.training.kept ?? 1) * 100)}% of the change)` : 'no'} | ${pct(v.before.wer)} → ${pct(r.test.wer)} | ${rel(v.before.wer, r.test.wer)} | ${pct(v.before.cer)} → ${pct(r.test.cer)} | ${f.replay ? `${pct(f.replay.before.wer)} → ${pct(f.replay.after.wer)}` : '–'} | ${v.otherBefore && r.other ? `${pct(v.otherBefore.wer)} → ${pct(r.other.wer)}` : '–'} | ${Math.round(f.seconds)} s | ${Math.round(f.peakRssBytes / 2 ** 20)} MB |`,
      );
    }
  out.push(
    '',
    '## Per-speaker feature normalisation, before any training',
    '',
    "Greedy (the acoustic model alone) on the voice's test clips, with the feature statistics of the training corpus or of the speaker's enrolment reading.",
    '',
    '| voice | statistics | from | WER | CER |',
    '|---|---|---:|---:|---:|',
  );
  for (const v of voices)
    for (const n of v.norm)
      out.push(
        `| ${v.voice} | ${n.stats} | ${n.minutes ? `${n.minutes} min` : '–'} | ${pct(n.wer)} | ${pct(n.cer)} |`,
      );
  out.push('', '## Why each run was kept or not', '');
  for (const v of voices)
    for (const r of v.runs) out.push(`- ${r.voice}, ${r.minutes} min: ${r.finetune.reason}`);
  out.push('');
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      voices: { type: 'string' },
      threads: { type: 'string' },
      'finetune-arg': { type: 'string', multiple: true },
    },
  });
  const cfg: EnrolmentBenchConfig = {
    ...DEFAULT_ENROLMENT_BENCH,
    ...(values.minutes ? { minutes: values.minutes.split(',').map(Number) } : {}),
    ...(values.voices ? { voices: values.voices.split(',') } : {}),
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    finetuneArgs: values['finetune-arg'] ?? [],
  };
  for (const v of cfg.voices)
    if (!VOICES[v]) throw new Error(`unknown voice ${v} (known: ${Object.keys(VOICES).join(', ')})`);
  const work = mkdtempSync(join(tmpdir(), 'attune-enrol-'));
  try {
    const sets: VoiceSets[] = [];
    for (const v of cfg.voices)
      sets.push(await makeVoiceSets(VOICES[v], join(work, v), cfg.minutes, cfg.testClips, cfg.seed));
    const results = [];
    for (const [i, s] of sets.entries()) {
      const other = sets.length > 1 ? sets[(i + 1) % sets.length].testDir : null;
      results.push(await benchVoice(s, other, cfg, work));
    }
    const basics = machineBasics();
    const tools = `Measured on ${basics.cpuModel} (${basics.cores} cores), ${new Date().toISOString().slice(0, 10)}.`;
    writeFileSync(join(repoRoot, 'bench', 'ENROLMENT.md'), markdown(cfg, results, tools));
    writeFileSync(
      join(repoRoot, 'bench', 'enrolment.json'),
      JSON.stringify({ config: cfg, voices: results }, null, 1) + '\n',
    );
    process.stderr.write('wrote bench/ENROLMENT.md and bench/enrolment.json\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
