import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { englishAlphabet, normalizeText } from '../../speech/alphabet.js';
import { writeArpa } from '../../speech/arpa.js';
import { wordNetLanguageModelText } from '../../training/corpus/lm-text.js';
import { buildLanguageModel, DEFAULT_LANGUAGE_MODEL } from '../../training/language-model.js';
import { readLibriSpeech } from '../../training/librispeech.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `attune lm`: builds a word n-gram language model (ARPA) for decoding. */
export function registerLm(program: Command): void {
  const d = DEFAULT_LANGUAGE_MODEL;
  program
    .command('lm')
    .description('build a word n-gram language model (ARPA, Kneser-Ney) for decoding with --lm')
    .requiredOption('--out <file>', 'ARPA file to write (gzipped when it ends in .gz)')
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
    .option('--json', 'print only the JSON summary')
    .action(
      async (o: {
        out: string;
        wordnet?: boolean;
        text: string[];
        exclude: string[];
        order: string;
        minCount: string;
        json?: boolean;
      }) => {
        const order = Number(o.order);
        if (!Number.isInteger(order) || order < 1 || order > 6)
          throw new Error(`--order must be a whole number from 1 to 6, got ${o.order}`);
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
      },
    );
}
