import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { englishAlphabet, normalizeText } from '../../speech/alphabet.js';
import { writeArpa } from '../../speech/arpa.js';
import { wordNetLanguageModelText } from '../../training/corpus/lm-text.js';
import { buildLanguageModel, DEFAULT_LANGUAGE_MODEL } from '../../training/language-model.js';
import { readLibriSpeech } from '../../training/librispeech.js';
import { convertLanguageModel } from './lm-convert.js';
import { measurePerplexity } from './lm-perplexity.js';
import { wholeNumberOption } from './options.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface LmOptions {
  out?: string;
  wordnet?: boolean;
  text: string[];
  exclude: string[];
  order: string;
  minCount: string;
  perplexity?: string;
  lm?: string;
  from?: string;
  json?: boolean;
}

/** `attune lm`: builds a word n-gram language model (ARPA), measures one's perplexity, or converts one. */
export function registerLm(program: Command): void {
  const d = DEFAULT_LANGUAGE_MODEL;
  program
    .command('lm')
    .description(
      'build a word n-gram language model (ARPA, Kneser-Ney) for decoding with --lm; ' +
        "or measure a model's perplexity on a text (--perplexity); or convert a model (--from)",
    )
    .option(
      '--out <file>',
      'model file to write (ARPA, gzipped when it ends in .gz; with --from also .lm.bin)',
    )
    .option(
      '--wordnet',
      "WordNet's example sentences (training split only) and definitions, and its lemmas as words",
    )
    .option('--text <file>', 'a text file, one sentence per line (repeatable)', collect, [])
    .option(
      '--exclude <dir>',
      'leave out every transcript of this LibriSpeech-layout folder (repeatable)',
      collect,
      [],
    )
    .option('--order <n>', 'longest n-gram', String(d.order))
    .option('--min-count <list>', 'fewest occurrences kept, per order from bigrams up', d.minCount.join(','))
    .option(
      '--perplexity <file>',
      'perplexity and OOV rate of a model (--lm) on a text, one sentence per line, normalised as dictation ' +
        'writes text; each sentence scored as <s> … </s>; out-of-vocabulary words are counted (OOV rate) and ' +
        "left out of the perplexity, and the word after one is scored without the history before it (SRILM's ppl)",
    )
    .option('--lm <file>', 'with --perplexity: the model, ARPA or sphinx .lm.bin (default: the shipped one)')
    .option(
      '--from <file>',
      'convert this model (ARPA or sphinx .lm.bin) to --out: a sphinx .lm.bin is copied (the fastest to ' +
        'load) after checking it; any model is written as ARPA (.arpa, .arpa.gz)',
    )
    .option('--json', 'print only the JSON summary')
    .action(async (o: LmOptions, command: Command) => {
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const building = ['wordnet', 'text', 'exclude', 'order', 'minCount'].filter(given);
      const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const refuse = (mode: string, names: string[]) => {
        const clash = names.filter(given);
        if (clash.length > 0)
          throw new Error(`${mode} cannot be combined with ${clash.map(flag).join(', ')}`);
      };
      if (o.perplexity !== undefined) {
        refuse('--perplexity (measuring a model)', [...building, 'out', 'from']);
        return measurePerplexity(o.perplexity, o.lm, Boolean(o.json));
      }
      if (o.lm !== undefined)
        throw new Error('--lm names the model --perplexity measures: give --perplexity FILE');
      if (o.from !== undefined) {
        refuse('--from (converting a model)', building);
        if (o.out === undefined) throw new Error('--from needs --out: the file to write');
        return convertLanguageModel(o.from, o.out, Boolean(o.json));
      }
      if (o.out === undefined)
        throw new Error('--out is required: the ARPA file to write (or measure a model: --perplexity FILE)');
      await buildLm({ ...o, out: o.out });
    });
}

/** Builds an ARPA model from WordNet and/or text files (the default mode). */
async function buildLm(o: LmOptions & { out: string }): Promise<void> {
  const order = wholeNumberOption(String(o.order), 'order', 1, 6);
  const minCount = o.minCount.split(',').map(Number);
  if (minCount.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error(`--min-count must list whole numbers ≥ 1, got ${o.minCount}`);
  if (!o.wordnet && o.text.length === 0)
    throw new Error('give the text to learn from: --wordnet and/or --text FILE');
  const alphabet = englishAlphabet();
  const exclude = new Set<string>();
  for (const dir of o.exclude) {
    for (const u of (await readLibriSpeech(resolve(dir))).utterances)
      exclude.add(normalizeText(u.text, alphabet));
  }
  let sentences: string[] = [];
  let words: string[] = [];
  let heldOut = 0;
  if (o.wordnet) {
    const t = wordNetLanguageModelText({ exclude });
    sentences = t.sentences;
    words = t.words;
    heldOut = t.heldOut;
  }
  for (const file of o.text) {
    let text: string;
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --text ${file}: ${(err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const s = normalizeText(line, alphabet);
      if (s === '') continue;
      if (exclude.has(s)) heldOut++;
      else sentences.push(s);
    }
  }
  const t0 = performance.now();
  const lm = buildLanguageModel(sentences, words, { order, minCount });
  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  writeArpa(out, lm.arpa);
  const summary = {
    out,
    sentences: lm.sentences,
    tokens: lm.tokens,
    vocabulary: lm.vocabulary,
    ngrams: lm.arpa.entries.map((l) => l.length),
    heldOut,
    bytes: statSync(out).size,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  if (!o.json) {
    process.stdout.write(
      `${summary.sentences} sentences, ${summary.tokens} words, vocabulary ${summary.vocabulary}; ` +
        `${summary.ngrams.map((n, k) => `${n} ${k + 1}-grams`).join(', ')}; ${heldOut} held-out sentences left out\n` +
        `wrote ${out} (${(summary.bytes / 1e6).toFixed(1)} MB)\n`,
    );
  }
  process.stdout.write(JSON.stringify(summary) + '\n');
}
