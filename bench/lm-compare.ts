// The old language model (WordNet, built by `attune lm --wordnet`) against the new default (CMU Sphinx's
// general English trigram model, models/lm/en-us.lm.bin), with the same acoustic model: perplexity and OOV
// rate on held-out text; the decoder's LM weight and word bonus tuned for each on real-dev; WER and CER on
// every set; and the dictation engine's final latency, memory and start-up with each. Writes
// bench/LM-COMPARE.md.
//
//   npx tsx bench/lm-compare.ts [--model DIR] [--tune-only] [--weights 0.5,0.8,1] [--bonuses 0,1]
//
// --tune-only runs the real-dev grid and prints each LM's best pair (what DEFAULT_BEAM_SEARCH should hold).
//
// Log-probs and scores are cached in .cache/lm-compare by the content of the model, the set and the LM, so a
// rerun decodes only what changed; the engine runs (real time) are measured afresh every time.
//
// Needs the sets first: `attune import --out corpora/real` and `attune corpus --out corpora/synth-5h
// --hours 5 --seed 1`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { openLanguageModel } from '../src-main/speech/lm-file.js';
import { repoRoot, runTsChild } from './child.js';
import { type BenchRow } from './engine.js';
import {
  cer,
  lmDecoding,
  type LmSettings,
  modelSettings,
  pool,
  scoreSet,
  type SetScore,
  DEFAULT_SETTINGS,
  wer,
} from './lm-decode.js';
import { digest, modelAlphabet, setLogProbs, snapshotModel } from './lm-logprobs.js';
import { readLibriSpeech } from '../src-main/training/librispeech.js';

export interface CompareConfig {
  /** The acoustic model every LM decodes with. */
  model: string; // models/base, whatever it is when run
  /** Output of `attune import`: real-dev/ and real-test/, a folder per source. */
  real: string;
  /** Synthetic corpus with test-unseen/ (held-out voices and sentences). */
  synth: string;
  /** Cached log-probs, scores, the rebuilt WordNet LM and the held-out texts. */
  cache: string;
  /** Everyday sentences written for this comparison (in no LM's training text). */
  everyday: string;
  /** The tuning grid, searched on real-dev only (its sources pooled). */
  weights: number[]; // LM weight
  bonuses: number[]; // word bonus
  /** Engine runs per LM (real time, ~40 s each), alternating between the LMs. */
  engineRuns: number;
}

export const DEFAULT_COMPARE: CompareConfig = {
  model: 'models/base',
  real: 'corpora/real',
  synth: 'corpora/synth-5h',
  cache: '.cache/lm-compare',
  everyday: 'bench/everyday-sentences.txt',
  // Up to 2.0: past the weights the decoder has used, so a best pair on the grid's edge shows.
  weights: [0.5, 0.8, 1.0, 1.3, 1.6, 2.0],
  bonuses: [0, 1, 2, 3],
  engineRuns: 3,
};

interface Lm {
  name: string;
  path: string;
  /** What made it (a command). */
  made: string;
}

/** A set to score: one source of a real split, or the synthetic unseen voices. */
interface EvalSet {
  label: string;
  dir: string;
  split: 'real-dev' | 'real-test' | 'synthetic';
}

/** The settings the WordNet model was tuned to (on the synthetic dev set) and shipped with until en-us. */
const WORDNET_SETTINGS: LmSettings = { lmWeight: 0.8, wordBonus: 1, beamWidth: DEFAULT_SETTINGS.beamWidth };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function cached<T>(cfg: CompareConfig, key: string, compute: () => Promise<T>): Promise<T> {
  const path = join(cfg.cache, 'scores.json');
  const read = () => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, T>) : {});
  const all = read();
  if (key in all) return Promise.resolve(all[key]);
  return compute().then((v) => {
    mkdirSync(cfg.cache, { recursive: true });
    writeFileSync(path, JSON.stringify({ ...read(), [key]: v }, null, 1) + '\n');
    return v;
  });
}

/** `attune ARGS --json` in a process of its own: its JSON result line. */
const attuneJson = <T>(args: string[], timeoutMs: number) =>
  runTsChild<T>(join(repoRoot, 'src-main/cli/main.ts'), [...args, '--json'], { timeoutMs });

/** The WordNet model as `attune lm --wordnet` builds it (the build is deterministic: the same bytes each time). */
async function wordNetLm(cfg: CompareConfig): Promise<Lm> {
  const path = resolve(cfg.cache, 'wordnet.arpa.gz');
  const made = 'npm run -s attune -- lm --wordnet --out FILE';
  if (!existsSync(path)) {
    process.stderr.write(`building the WordNet LM: ${made.replace('FILE', path)}\n`);
    await attuneJson(['lm', '--wordnet', '--out', path], 1_800_000);
  }
  return { name: 'WordNet (old)', path, made };
}

/** Real-dev and real-test by source, and the synthetic unseen voices. */
function evalSets(cfg: CompareConfig): EvalSet[] {
  const bySource = (split: 'real-dev' | 'real-test') =>
    readdirSync(join(cfg.real, split))
      .filter((s) => !s.startsWith('.'))
      .sort()
      .map((s) => ({ label: `${split} ${s}`, dir: join(cfg.real, split, s), split }));
  return [
    { label: 'synthetic test-unseen', dir: join(cfg.synth, 'test-unseen'), split: 'synthetic' as const },
    ...bySource('real-dev'),
    ...bySource('real-test'),
  ];
}

/** One set decoded with one LM at given settings (null: greedy), cached by the content of all three. */
async function score(
  cfg: CompareConfig,
  set: EvalSet,
  lm: Lm | null,
  settings: LmSettings,
): Promise<SetScore> {
  const { key, alphabet, utterances } = await setLogProbs(cfg.model, set.dir, join(cfg.cache, 'logprobs'));
  const decoding = lm
    ? `${lm.name}@${digest(lm.path)} w${settings.lmWeight} b${settings.wordBonus} k${settings.beamWidth}`
    : 'greedy';
  return cached(cfg, `${key}|${decoding}`, async () => {
    process.stderr.write(`${set.label}: ${decoding}\n`);
    return scoreSet(utterances, alphabet, lm ? lmDecoding(lm.path, alphabet) : null, settings);
  });
}

/** Real-dev pooled over its sources, at every pair of the grid: the pair with the lowest WER (then CER). */
async function tune(cfg: CompareConfig, lm: Lm): Promise<{ grid: Map<string, SetScore>; best: LmSettings }> {
  const dev = evalSets(cfg).filter((s) => s.split === 'real-dev');
  const grid = new Map<string, SetScore>();
  let best: { settings: LmSettings; s: SetScore } | null = null;
  for (const lmWeight of cfg.weights) {
    for (const wordBonus of cfg.bonuses) {
      const settings = { lmWeight, wordBonus, beamWidth: DEFAULT_SETTINGS.beamWidth };
      const parts: SetScore[] = [];
      for (const set of dev) parts.push(await score(cfg, set, lm, settings));
      const s = pool(parts);
      grid.set(`${lmWeight} ${wordBonus}`, s);
      if (!best || wer(s) < wer(best.s) || (wer(s) === wer(best.s) && cer(s) < cer(best.s)))
        best = { settings, s };
    }
  }
  return { grid, best: best!.settings };
}

/** The tuning grid as a table: a row per LM weight, a column per word bonus; the best pair in bold. */
function gridTable(cfg: CompareConfig, grid: Map<string, SetScore>, best: LmSettings): string[] {
  const head = ['LM weight \\ word bonus', ...cfg.bonuses.map(String)];
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---:').join('|')}|`,
    ...cfg.weights.map((w) => {
      const cells = cfg.bonuses.map((b) => {
        const s = grid.get(`${w} ${b}`)!;
        const cell = `${pct(wer(s))} / ${pct(cer(s))}`;
        return w === best.lmWeight && b === best.wordBonus ? `**${cell}**` : cell;
      });
      return `| ${w} | ${cells.join(' | ')} |`;
    }),
  ];
}

/** Transcripts of sets, one per line without their ids: held-out text for perplexity. */
async function transcriptText(cfg: CompareConfig, name: string, dirs: string[]): Promise<string> {
  const lines: string[] = [];
  for (const dir of dirs) for (const u of (await readLibriSpeech(dir)).utterances) lines.push(u.text);
  const path = resolve(cfg.cache, 'text', `${name}.txt`);
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

interface Perplexity {
  sentences: number;
  words: number;
  perplexity: number;
  oovRate: number;
  loadSeconds: number;
}

/** `attune lm --perplexity TEXT --lm LM --json`, cached by the text's and the LM's content. */
function perplexityOf(cfg: CompareConfig, text: string, lm: Lm): Promise<Perplexity> {
  return cached(cfg, `ppl|${digest(text)}|${digest(lm.path)}`, () =>
    attuneJson<Perplexity>(['lm', '--perplexity', text, '--lm', lm.path], 600_000),
  );
}

/** Loading the LM alone, as `attune lm --perplexity` times it (the engine's start-up adds the rest). */
const LM_LOAD = 'language model load alone';

/** The engine benchmark with one LM, in a process of its own, and the LM's own load time. */
async function engineRun(cfg: CompareConfig, lm: Lm): Promise<Record<string, number>> {
  const rows = await runTsChild<BenchRow[]>(
    join(repoRoot, 'bench/engine.ts'),
    [resolve(cfg.model), '--lm', lm.path, '--json'],
    { timeoutMs: 600_000 },
  );
  const ppl = await attuneJson<Perplexity>(['lm', '--perplexity', cfg.everyday, '--lm', lm.path], 600_000);
  return { ...Object.fromEntries(rows.map((r) => [r.name, r.value])), [LM_LOAD]: ppl.loadSeconds * 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const fmt = (s: LmSettings) => `weight ${s.lmWeight}, bonus ${s.wordBonus}`;

/** The models compared: what each is, how it was made, its size. */
function modelsSection(model: { name: string; digest: string }, lms: Lm[]): string[] {
  return [
    `Acoustic model: \`${model.name}\` (digest of its weights, tokens and config: ${model.digest}), the same for every LM.`,
    '',
    '| language model | file (sha1) | words; bigrams; trigrams | made with |',
    '|---|---|---|---|',
    ...lms.map((lm) => {
      const counts = openLanguageModel(lm.path).source.counts.map((n) => n.toLocaleString('en-US'));
      const file = lm.path.startsWith(repoRoot) ? lm.path.slice(repoRoot.length + 1) : lm.path;
      return `| ${lm.name} | \`${file}\` (${digest(lm.path)}) | ${counts.join('; ')} | \`${lm.made}\` |`;
    }),
  ];
}

/** Perplexity and OOV rate of each LM on each held-out text. */
async function perplexitySection(cfg: CompareConfig, lms: Lm[], sets: EvalSet[]): Promise<string[]> {
  const dirs = (split: EvalSet['split']) => sets.filter((s) => s.split === split).map((s) => s.dir);
  const texts: [string, string][] = [
    ['real-test transcripts (all sources)', await transcriptText(cfg, 'real-test', dirs('real-test'))],
    ['synthetic test-unseen transcripts', await transcriptText(cfg, 'test-unseen', dirs('synthetic'))],
    [`everyday sentences written for this test (\`${cfg.everyday}\`)`, resolve(cfg.everyday)],
  ];
  const head = ['text', 'sentences', 'words', ...lms.map((lm) => `${lm.name}: perplexity / OOV`)];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|---|${head
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  ];
  for (const [name, path] of texts) {
    const r = [];
    for (const lm of lms) r.push(await perplexityOf(cfg, path, lm));
    const cells = r.map((p) => `${p.perplexity.toFixed(1)} / ${(p.oovRate * 100).toFixed(2)}%`);
    lines.push(`| ${name} | ${r[0].sentences} | ${r[0].words} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** WER / CER of every set: greedy, the old LM as shipped and at its real-dev best, the new at its best. */
async function werSection(
  cfg: CompareConfig,
  sets: EvalSet[],
  [old, now]: Lm[],
  best: LmSettings[],
  phoneModel: boolean,
): Promise<string[]> {
  const same = (a: LmSettings, b: LmSettings) => a.lmWeight === b.lmWeight && a.wordBonus === b.wordBonus;
  // WordNet shipped only with letter models: for a phone model it is shown at its real-dev best alone.
  const oldBest = phoneModel
    ? [{ name: `${old.name}, ${fmt(best[0])} (its real-dev best)`, lm: old, settings: best[0] }]
    : same(best[0], WORDNET_SETTINGS)
      ? [
          {
            name: `${old.name}, ${fmt(best[0])} (as shipped; its real-dev best too)`,
            lm: old,
            settings: best[0],
          },
        ]
      : [
          { name: `${old.name}, ${fmt(WORDNET_SETTINGS)} (as shipped)`, lm: old, settings: WORDNET_SETTINGS },
          { name: `${old.name}, ${fmt(best[0])} (its real-dev best)`, lm: old, settings: best[0] },
        ];
  // A phone model's greedy output is phones, not words: its phone error rates are in its model card.
  const greedy = phoneModel ? [] : [{ name: 'greedy (no LM)', lm: null, settings: DEFAULT_SETTINGS }];
  const columns: { name: string; lm: Lm | null; settings: LmSettings }[] = [
    ...greedy,
    ...oldBest,
    { name: `${now.name}, ${fmt(best[1])} (its real-dev best)`, lm: now, settings: best[1] },
  ];
  // The change compares the last two columns: each LM at its own best pair.
  const [o, n] = [columns.length - 2, columns.length - 1];
  const head = ['set', 'utterances', ...columns.map((c) => c.name), 'WER change, new vs old (relative)'];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|---|${head
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  ];
  const row = (label: string, scores: SetScore[]) => {
    const change = (wer(scores[n]) - wer(scores[o])) / wer(scores[o]);
    const cells = scores.map((s) => `${pct(wer(s))} / ${pct(cer(s))}`);
    const sign = change > 0 ? '+' : '';
    lines.push(`| ${label} | ${scores[0].utterances} | ${cells.join(' | ')} | ${sign}${pct(change)} |`);
  };
  const bySplit = new Map<string, SetScore[][]>();
  for (const set of sets) {
    const scores: SetScore[] = [];
    for (const c of columns) scores.push(await score(cfg, set, c.lm, c.settings));
    row(set.label, scores);
    if (!bySplit.has(set.split)) bySplit.set(set.split, []);
    bySplit.get(set.split)!.push(scores);
    const last = sets.filter((s) => s.split === set.split).at(-1);
    if (set.split !== 'synthetic' && last === set) {
      const all = bySplit.get(set.split)!;
      row(
        `**${set.split}, all sources**`,
        columns.map((_, k) => pool(all.map((s) => s[k]))),
      );
    }
  }
  return lines;
}

/** The dictation engine with each LM: runs alternate between the LMs so a load change hits both alike. */
async function engineSection(cfg: CompareConfig, lms: Lm[]): Promise<string[]> {
  const load = loadavg()[0];
  const runs: Record<string, number>[][] = lms.map(() => []);
  for (let r = 0; r < cfg.engineRuns; r++) {
    for (const [k, lm] of lms.entries()) {
      process.stderr.write(`engine with ${lm.name}, run ${r + 1} of ${cfg.engineRuns}\n`);
      runs[k].push(await engineRun(cfg, lm));
    }
  }
  const max = (xs: number[]) => Math.max(...xs);
  const measures: [string, string, (xs: number[]) => number, number][] = [
    ['final after speech ends (median)', 'ms', median, 0],
    ['final after speech ends (worst)', 'ms', max, 0],
    ['engine peak RSS', 'MB', max, 0],
    ['engine start until ready (models loaded)', 'ms', median, 0],
    [LM_LOAD, 'ms', median, 0],
    ['word error rate of the finals (with the language model)', '%', median, 1],
    ['engine CPU while dictating', '% of one core', median, 0],
  ];
  const head = ['measure', ...lms.map((lm) => lm.name)];
  const lines = [
    `Load average when the engine runs began: ${load.toFixed(1)} (2 cores; the engine runs share them with whatever else runs).`,
    '',
    `| ${head.join(' | ')} |`,
    `|---|${lms.map(() => '---:').join('|')}|`,
  ];
  for (const [name, unit, summary, digits] of measures) {
    const cells = runs.map((rs) => {
      const xs = rs.map((r) => r[name]);
      return `${summary(xs).toFixed(digits)} ${unit} (runs: ${xs.map((x) => x.toFixed(digits)).join(', ')})`;
    });
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** The grid's flags when it is not the default one, for the regenerate line. */
function gridFlags(cfg: CompareConfig): string {
  const same = (a: number[], b: number[]) => a.join() === b.join();
  return (
    (same(cfg.weights, DEFAULT_COMPARE.weights) ? '' : ` --weights ${cfg.weights.join(',')}`) +
    (same(cfg.bonuses, DEFAULT_COMPARE.bonuses) ? '' : ` --bonuses ${cfg.bonuses.join(',')}`)
  );
}

function parseArgs(argv: string[]): { cfg: CompareConfig; tuneOnly: boolean } {
  const cfg = { ...DEFAULT_COMPARE };
  let tuneOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const list = (flag: string) => {
      const xs = (value ?? '').split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
      if (xs.some((x) => !Number.isFinite(x) || x < 0))
        throw new Error(`${flag} must be a comma-separated list of numbers ≥ 0, got "${value ?? ''}"`);
      i++;
      return xs;
    };
    if (argv[i] === '--model' && value !== undefined) cfg.model = argv[++i];
    else if (argv[i] === '--tune-only') tuneOnly = true;
    else if (argv[i] === '--weights') cfg.weights = list('--weights');
    else if (argv[i] === '--bonuses') cfg.bonuses = list('--bonuses');
    else
      throw new Error(`unknown option ${argv[i]} (--model DIR, --tune-only, --weights LIST, --bonuses LIST)`);
  }
  if (!existsSync(join(cfg.model, 'model.safetensors')))
    throw new Error(`--model ${cfg.model} is not a model folder (no model.safetensors)`);
  for (const need of [
    join(cfg.real, 'real-dev'),
    join(cfg.real, 'real-test'),
    join(cfg.synth, 'test-unseen'),
  ])
    if (!existsSync(need))
      throw new Error(`${need} is missing: make the sets first (see the top of bench/lm-compare.ts)`);
  return { cfg, tuneOnly };
}

async function main(): Promise<void> {
  const { cfg: given, tuneOnly } = parseArgs(process.argv.slice(2));
  // Every measurement reads the model as it was at the start, even if the folder is replaced meanwhile.
  const snapshot = snapshotModel(given.model, given.cache);
  process.stderr.write(`acoustic model ${given.model}: ${snapshot.digest}\n`);
  const cfg = { ...given, model: snapshot.dir };
  const lms: Lm[] = [
    await wordNetLm(cfg),
    {
      name: 'en-us (new default)',
      path: BASE_LM_PATH,
      made: 'npm run -s attune -- lm --from /usr/share/pocketsphinx/model/en-us/en-us.lm.bin --out models/lm/en-us.lm.bin',
    },
  ];
  const sets = evalSets(cfg);
  const tuned = [];
  for (const lm of lms) tuned.push(await tune(cfg, lm));
  const best = tuned.map((t) => t.best);
  if (tuneOnly) {
    for (const [k, lm] of lms.entries()) process.stdout.write(`${lm.name}: ${fmt(best[k])}\n`);
    return;
  }
  const ppl = await perplexitySection(cfg, lms, sets);
  // How dictation decodes with this model: its own decoding (config.json) where it has one.
  const alphabet = await modelAlphabet(cfg.model);
  const shipped = modelSettings(alphabet);
  const shippedName = alphabet.decoding
    ? `the model's own decoding in its config.json, ${fmt(shipped)}, classes' priors to the power ${alphabet.decoding.priorScale}`
    : `the decoder's defaults, \`DEFAULT_BEAM_SEARCH\`, ${fmt(shipped)}`;
  const isDefault = best[1].lmWeight === shipped.lmWeight && best[1].wordBonus === shipped.wordBonus;
  const wers = await werSection(cfg, sets, lms, best, alphabet.phones !== undefined);
  const engine = await engineSection(cfg, lms);
  const out = [
    '# Language models compared: WordNet (old) and CMU Sphinx en-us (new default)',
    '',
    `Regenerate: \`npx tsx bench/lm-compare.ts${given.model === DEFAULT_COMPARE.model ? '' : ` --model ${given.model}`}${gridFlags(given)}\` (decoding scores are cached in \`${cfg.cache}\` by the content of the model, the set and the LM; the engine is measured afresh).`,
    '',
    ...modelsSection({ name: given.model, digest: snapshot.digest }, lms),
    '',
    '## Perplexity and OOV rate on held-out text',
    '',
    "Each sentence scored as `<s> … </s>`, normalised as dictation writes text; OOV words are counted and left out of the perplexity (SRILM's rule): `attune lm --perplexity TEXT --lm LM`.",
    '',
    ...ppl,
    '',
    '## LM weight and word bonus, tuned on real-dev',
    '',
    `Real-dev (every source pooled: ${sets
      .filter((s) => s.split === 'real-dev')
      .map((s) => s.label.split(' ')[1])
      .join(
        ', ',
      )}), beam width ${DEFAULT_SETTINGS.beamWidth}; cells are WER / CER, the best pair (lowest WER, then CER) in bold. Real-test never took part.`,
    '',
    ...tuned.flatMap((t, k) => [`### ${lms[k].name}`, '', ...gridTable(cfg, t.grid, t.best), '']),
    `Dictation's settings for this model (${shippedName}) ${isDefault ? 'are' : 'are NOT'} the new default LM's best pair.`,
    '',
    '## WER / CER by set, same acoustic model',
    '',
    `Beam width ${DEFAULT_SETTINGS.beamWidth}${alphabet.phones ? '; the model writes phones, so there is no greedy word column (its phone error rates are in its model card)' : ''}. The synthetic sentences are held-out WordNet examples: the WordNet model learned from the other examples, so that row flatters it.`,
    '',
    ...wers,
    '',
    `## Dictation engine (\`bench/engine.ts\`: ${cfg.engineRuns} runs per LM, 5 phrases each in real time)`,
    '',
    `Finals decoded as the app does (${shippedName}, for both LMs). Each cell: the median (RSS: the largest) over runs, then each run's value.`,
    '',
    ...engine,
    '',
  ];
  writeFileSync(join(repoRoot, 'bench', 'LM-COMPARE.md'), out.join('\n'));
  process.stderr.write('wrote bench/LM-COMPARE.md\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
