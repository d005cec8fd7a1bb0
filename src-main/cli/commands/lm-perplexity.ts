import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { englishAlphabet, normalizeText } from '../../speech/alphabet.js';
import { perplexity } from '../../speech/perplexity.js';
import { loadLanguageModel } from '../../speech/lm-snapshot.js';
import { cliLmCache, languageModelPath } from './lm-option.js';

/**
 * `attune lm --perplexity FILE [--lm MODEL]`: how well a model predicts a text, one sentence per line,
 * each normalised as dictation's text is (so the words are those the decoder can write).
 */
export function measurePerplexity(file: string, lmFile: string | undefined, json: boolean): void {
  const textPath = resolve(file);
  let text: string;
  try {
    if (!statSync(textPath).isFile()) throw new Error('not a file');
    text = readFileSync(textPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --perplexity ${file}: ${(err as Error).message}`);
  }
  const alphabet = englishAlphabet();
  const sentences = text
    .split('\n')
    .map((line) => normalizeText(line, alphabet))
    .filter((s) => s !== '')
    .map((s) => s.split(' '));
  if (sentences.length === 0) throw new Error(`--perplexity ${file} has no sentence to score`);
  const path = languageModelPath(lmFile ?? true, true)!;
  const t0 = performance.now();
  const { lm, from: loadedFrom } = loadLanguageModel(path, cliLmCache());
  const loadSeconds = Number(((performance.now() - t0) / 1000).toFixed(2));
  const r = perplexity(lm, sentences);
  const summary = {
    lm: path,
    text: textPath,
    sentences: r.sentences,
    words: r.words,
    oovs: r.oovs,
    oovRate: Number(r.oovRate.toFixed(5)),
    perplexity: Number(r.perplexity.toFixed(2)),
    logProb: Number(r.logProb.toFixed(3)),
    loadSeconds,
    loadedFrom,
  };
  if (!json) {
    process.stdout.write(
      `${r.sentences} sentences, ${r.words} words, ${r.oovs} out of the vocabulary ` +
        `(${(100 * r.oovRate).toFixed(2)}%): perplexity ${summary.perplexity} (${path})\n`,
    );
  }
  process.stdout.write(JSON.stringify(summary) + '\n');
}
