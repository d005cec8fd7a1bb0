import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeArpaSource } from '../../speech/arpa-writer.js';
import { openLanguageModel } from '../../speech/lm-file.js';
import { SENTENCE_END, SENTENCE_START } from '../../speech/word-lm.js';

/**
 * `attune lm --from MODEL --out FILE`: a model in the form the decoder loads fastest. Measured on
 * pocketsphinx's en-us model (3.8 M n-grams), the decoder loads the sphinx trie file itself 2–3× faster
 * and in less memory than the same model as ARPA text, so a .lm.bin is copied as it is, once the reader
 * has checked every part of it; any model can also be written as ARPA (.arpa, or .arpa.gz gzipped), e.g. to
 * read a sphinx model with other tools.
 */
export function convertLanguageModel(from: string, to: string, json: boolean): void {
  const source = resolve(from);
  const out = resolve(to);
  if (source === out) throw new Error('--from and --out name the same file');
  const t0 = performance.now();
  const model = openLanguageModel(source);
  const toSphinx = out.endsWith('.lm.bin');
  if (toSphinx && model.sphinx === null) {
    throw new Error(
      `${from} is an ARPA model, and a sphinx .lm.bin is written only by copying one: give --out ` +
        'NAME.arpa.gz, or build the trie with sphinx_lm_convert -i MODEL.arpa -o NAME.lm.bin',
    );
  }
  mkdirSync(dirname(out), { recursive: true });
  let ngrams = [...model.source.counts];
  if (model.sphinx !== null) {
    const words = new Set(model.sphinx.words);
    if (!words.has(SENTENCE_START) || !words.has(SENTENCE_END))
      throw new Error(`${from}: has no ${SENTENCE_START} or ${SENTENCE_END}, which decoding needs`);
  }
  if (toSphinx) copyFileSync(source, out);
  else ngrams = writeArpaSource(out, model.source).ngrams;
  const summary = {
    from: source,
    out,
    format: toSphinx ? 'sphinx-trie' : 'arpa',
    ngrams,
    bytes: statSync(out).size,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  if (!json) {
    process.stdout.write(
      `${ngrams.map((n, k) => `${n} ${k + 1}-grams`).join(', ')}; ` +
        `wrote ${out} (${summary.format}, ${(summary.bytes / 1e6).toFixed(1)} MB)\n`,
    );
  }
  process.stdout.write(JSON.stringify(summary) + '\n');
}
