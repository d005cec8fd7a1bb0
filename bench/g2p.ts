// Letter-to-sound rules learned from CMUdict, measured on words they did not learn from: a seeded 5 % of the
// dictionary's words (all pronunciations of each) is held out, the rules learn from the rest, and each
// held-out word is pronounced and compared with the dictionary. Also times learning, loading from JSON and
// pronouncing, and learns a few variants of the configuration to show what each choice buys.
// Writes bench/G2P.md.
//
//   npx tsx bench/g2p.ts [DICTIONARY] [--no-variants]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_LETTER_TO_SOUND,
  LetterToSound,
  type LetterToSoundConfig,
} from '../src-main/speech/g2p/letter-to-sound.js';
import {
  holdOutWords,
  type PronunciationScore,
  scorePronunciations,
} from '../src-main/speech/g2p/pronunciation-accuracy.js';
import { loadDictionary, type PronouncingDictionary } from '../src-main/speech/pronouncing-dictionary.js';
import { repoRoot } from './child.js';

const BENCH = {
  dictionary: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
  /** Share of words held out, and the seed choosing them. */
  heldOutFraction: 0.05,
  seed: 1,
  /** Held-out words shown as examples, evenly spaced through the held-out list. */
  examples: 16,
  /** Words CMUdict lacks, of the kind a user dictates. */
  unlisted: ['kubernetes', 'pytorch', 'zelensky', 'brexit', 'ketanji', 'covid', 'crispr', 'wordle', 'tiktok'],
};

/** Configurations compared with the default: what each choice in DEFAULT_LETTER_TO_SOUND is weighed against. */
const VARIANTS: { label: string; config: LetterToSoundConfig }[] = [
  { label: 'order 6', config: { ...DEFAULT_LETTER_TO_SOUND, order: 6, minCounts: [1, 1, 1, 1, 1, 2] } },
  { label: 'order 8', config: { ...DEFAULT_LETTER_TO_SOUND, order: 8, minCounts: [1, 1, 1, 1, 1, 1, 1, 2] } },
  { label: 'no n-gram cut', config: { ...DEFAULT_LETTER_TO_SOUND, minCounts: [1] } },
  {
    label: '6- and 7-grams seen once cut',
    config: { ...DEFAULT_LETTER_TO_SOUND, minCounts: [1, 1, 1, 1, 1, 2, 2] },
  },
  { label: 'beam 8', config: { ...DEFAULT_LETTER_TO_SOUND, beamWidth: 8 } },
  { label: 'beam 32', config: { ...DEFAULT_LETTER_TO_SOUND, beamWidth: 32 } },
  {
    label: 'alignment: 5 EM passes',
    config: {
      ...DEFAULT_LETTER_TO_SOUND,
      alignment: { ...DEFAULT_LETTER_TO_SOUND.alignment, maxIterations: 5 },
    },
  },
  {
    label: 'alignment: pairs not weighed down',
    config: {
      ...DEFAULT_LETTER_TO_SOUND,
      alignment: { ...DEFAULT_LETTER_TO_SOUND.alignment, pairWeight: 1 },
    },
  },
];

interface Measured {
  label: string;
  rules: LetterToSound;
  buildWallS: number;
  buildCpuS: number;
  json: string;
  score: PronunciationScore;
  usPerWord: number;
}

function measure(
  label: string,
  train: PronouncingDictionary,
  heldOut: PronouncingDictionary,
  config: LetterToSoundConfig,
): Measured {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rules = LetterToSound.learn(train, config);
  const buildWallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const t1 = performance.now();
  const score = scorePronunciations(heldOut, (w) => rules.pronounce(w));
  const usPerWord = ((performance.now() - t1) * 1000) / score.words;
  const json = JSON.stringify(rules.toJSON());
  return { label, rules, buildWallS, buildCpuS: (cpu.user + cpu.system) / 1e6, json, score, usPerWord };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

function row(m: Measured): string {
  const s = m.score;
  return `| ${m.label} | ${pct(s.wordAccuracy)} | ${pct(s.phoneErrorRate)} | ${m.buildWallS.toFixed(1)} s (${m.buildCpuS.toFixed(1)} s CPU) | ${mb(m.json.length)} | ${m.rules.model.nodes.toLocaleString('en-US')} | ${m.usPerWord.toFixed(0)} µs |`;
}

function main(): void {
  const args = process.argv.slice(2);
  const path = args.find((a) => !a.startsWith('--')) ?? BENCH.dictionary;
  const withVariants = !args.includes('--no-variants');
  const load = loadavg()[0];
  const dict = loadDictionary(path);
  const { train, heldOut } = holdOutWords(dict, BENCH.heldOutFraction, BENCH.seed);
  const best = measure('default', train, heldOut, DEFAULT_LETTER_TO_SOUND);

  const t0 = performance.now();
  const loaded = LetterToSound.fromJSON(JSON.parse(best.json));
  const loadMs = performance.now() - t0;
  const held = [...heldOut.words()];
  const step = Math.max(1, Math.floor(held.length / BENCH.examples));
  const examples = held
    .filter((_, i) => i % step === 0)
    .slice(0, BENCH.examples)
    .map((w) => {
      const guess = loaded.pronounce(w).join(' ');
      const refs = heldOut.pronunciations(w)!.map((p) => p.join(' '));
      return `| ${w} | ${guess} | ${refs.join(' / ')} | ${refs.includes(guess) ? '✓' : '✗'} |`;
    });
  const unlisted = BENCH.unlisted
    .filter((w) => !dict.has(w))
    .map((w) => `| ${w} | ${loaded.pronounce(w).join(' ')} |`);
  const variants = withVariants ? VARIANTS.map((v) => measure(v.label, train, heldOut, v.config)) : [];

  const s = best.score;
  const lines = [
    '# Letter-to-sound rules (G2P)',
    '',
    `Regenerate: \`npx tsx bench/g2p.ts\`. Load average when the run began: ${load.toFixed(1)} (2 cores, shared).`,
    '',
    `Dictionary: \`${path}\`, ${dict.size.toLocaleString('en-US')} words. Held out: a seeded ${BENCH.heldOutFraction * 100} % of the words`,
    `spelt with letters and apostrophes only (seed ${BENCH.seed}), every pronunciation of each:`,
    `${heldOut.size.toLocaleString('en-US')} words; the rules learn from the other ${train.size.toLocaleString('en-US')}.`,
    'A word is right when the prediction equals any of its pronunciations; phone error rate = edit distance',
    'to the closest pronunciation, summed, over those pronunciations’ summed length.',
    '',
    '## Default configuration',
    '',
    `- word accuracy: **${pct(s.wordAccuracy)}** (${s.correctWords.toLocaleString('en-US')} of ${s.words.toLocaleString('en-US')})`,
    `- phone error rate: **${pct(s.phoneErrorRate)}** (${s.phoneErrors.toLocaleString('en-US')} edits over ${s.referencePhones.toLocaleString('en-US')} phones)`,
    `- learning: ${best.buildWallS.toFixed(1)} s wall, ${best.buildCpuS.toFixed(1)} s CPU (one thread)`,
    `- model: ${best.json.length.toLocaleString('en-US')} bytes of JSON, ${best.rules.model.nodes.toLocaleString('en-US')} n-grams of up to ${best.rules.model.order} graphones`,
    `- loading from JSON: ${loadMs.toFixed(0)} ms (parsed object to ready rules)`,
    `- pronouncing: ${best.usPerWord.toFixed(0)} µs per word on average over the held-out words`,
    '',
    'Bar: word accuracy ≥ 55 % and phone error rate ≤ 15 %; prediction < 1 ms per word; JSON under ~5 MB.',
    '',
    '### Held-out examples',
    '',
    '| word | predicted | dictionary | |',
    '|---|---|---|---|',
    ...examples,
    '',
    '### Words CMUdict lacks',
    '',
    '| word | predicted |',
    '|---|---|',
    ...unlisted,
    '',
  ];
  if (variants.length > 0)
    lines.push(
      '## Variants',
      '',
      'Each learned from the same split; only the named setting differs from the default.',
      '',
      '| configuration | word accuracy | phone error rate | learning | JSON | n-grams | per word |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row(best),
      ...variants.map(row),
      '',
    );
  writeFileSync(join(repoRoot, 'bench', 'G2P.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

main();
