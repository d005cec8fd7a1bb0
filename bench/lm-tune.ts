// The decoder's language-model weight, word bonus and beam width for one acoustic model, searched on real-dev
// (its sources pooled; real-test takes no part): WER and CER of every setting, best first. A model that
// writes other units (phones instead of letters) needs its own pair; this finds it.
//
//   npx tsx bench/lm-tune.ts --model DIR [--weights 0.5,0.8,1.2] [--bonuses 0,1,2] [--beams 32]
//        [--prior-scales 0.3,0.4] [--implied-breaks off|on|both] [--lm FILE] [--set DIR] [--out FILE]
//
// A model with class priors (`attune decoding`) is searched with its own prior scale unless --prior-scales
// gives others.
//
// Log-probs are cached in .cache/lm-compare (lm-logprobs.ts), so a second grid only decodes.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { cer, lmDecoding, type LmSettings, pool, scoreSet, wer } from './lm-decode.js';
import { setLogProbs, snapshotModel } from './lm-logprobs.js';

interface TuneConfig {
  model: string;
  lm: string;
  /** A split whose folders are sources (pooled), or one source. */
  set: string;
  weights: number[];
  bonuses: number[];
  beams: number[];
  cache: string;
  out: string | null;
  /** Implied word breaks (beam-search.ts): searched both ways with --implied-breaks both. */
  impliedBreaks: boolean[];
  /** Shares of the model's class priors taken off (class-priors.ts; the model folder needs priors); null: its own. */
  priorScales: number[] | null;
}

const DEFAULT_TUNE: TuneConfig = {
  model: 'models/base',
  lm: BASE_LM_PATH,
  set: 'corpora/real/real-dev',
  weights: [0.5, 0.8, 1.2, 1.6],
  bonuses: [0, 1, 2],
  beams: [32],
  cache: '.cache/lm-compare',
  out: null,
  impliedBreaks: [false],
  priorScales: null,
};

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function parseArgs(argv: string[]): TuneConfig {
  const cfg = { ...DEFAULT_TUNE };
  const list = (v: string | undefined, flag: string) => {
    const parts = (v ?? '').split(',');
    const xs = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
    if (xs.some((x) => !Number.isFinite(x) || x < 0))
      throw new Error(`${flag} must be a comma-separated list of numbers ≥ 0, got "${v ?? ''}"`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    if (flag === '--model') cfg.model = v;
    else if (flag === '--lm') cfg.lm = v;
    else if (flag === '--set') cfg.set = v;
    else if (flag === '--out') cfg.out = v;
    else if (flag === '--weights') cfg.weights = list(v, flag);
    else if (flag === '--bonuses') cfg.bonuses = list(v, flag);
    else if (flag === '--beams') cfg.beams = list(v, flag);
    else if (flag === '--prior-scales') cfg.priorScales = list(v, flag);
    else if (flag === '--implied-breaks')
      cfg.impliedBreaks = v === 'both' ? [false, true] : v === 'on' ? [true] : v === 'off' ? [false] : [];
    else
      throw new Error(
        `unknown option ${flag} (--model, --lm, --set, --weights, --bonuses, --beams, --prior-scales, --implied-breaks, --out)`,
      );
    i++;
  }
  return cfg;
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const snapshot = snapshotModel(cfg.model, cfg.cache);
  const entries = readdirSync(cfg.set, { withFileTypes: true });
  const sources = entries.some((e) => e.isFile() && e.name.endsWith('.trans.txt'))
    ? [cfg.set]
    : entries.filter((e) => e.isDirectory()).map((e) => join(cfg.set, e.name));
  const sets = [];
  for (const dir of sources) sets.push(await setLogProbs(snapshot.dir, dir, join(cfg.cache, 'logprobs')));
  const alphabet = sets[0].alphabet;
  const decoding = lmDecoding(cfg.lm, alphabet);
  const rows: { s: LmSettings; w: number; c: number }[] = [];
  if (cfg.priorScales && !alphabet.decoding)
    throw new Error(
      `--prior-scales: ${cfg.model} has no class priors (measure them with \`attune decoding\`)`,
    );
  const own = alphabet.decoding?.priorScale ?? 0;
  for (const priorScale of cfg.priorScales ?? [own])
    for (const impliedWordBreaks of cfg.impliedBreaks)
      for (const beamWidth of cfg.beams)
        for (const lmWeight of cfg.weights)
          for (const wordBonus of cfg.bonuses) {
            const s = { lmWeight, wordBonus, beamWidth, impliedWordBreaks, priorScale };
            const score = pool(sets.map((set) => scoreSet(set.utterances, alphabet, decoding, s)));
            rows.push({ s, w: wer(score), c: cer(score) });
            process.stderr.write(
              `a${priorScale} w${lmWeight} b${wordBonus} k${beamWidth}${impliedWordBreaks ? ' implied breaks' : ''}: WER ${pct(wer(score))} CER ${pct(cer(score))}\n`,
            );
          }
  rows.sort((a, b) => a.w - b.w);
  const lines = [
    `Model ${cfg.model} (${snapshot.digest}), LM ${cfg.lm}, on ${cfg.set} (${sets.reduce((n, s) => n + s.utterances.length, 0)} utterances)`,
    '',
    '| prior scale | LM weight | word bonus | beam | implied word breaks | WER | CER |',
    '|---:|---:|---:|---:|---|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.s.priorScale} | ${r.s.lmWeight} | ${r.s.wordBonus} | ${r.s.beamWidth} | ${r.s.impliedWordBreaks ? 'yes' : 'no'} | ${pct(r.w)} | ${pct(r.c)} |`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (cfg.out) writeFileSync(cfg.out, lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`lm-tune: ${(err as Error).message}\n`);
  process.exit(1);
});
