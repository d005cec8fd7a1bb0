import { closeSync, openSync, readSync } from 'node:fs';
import { type ArpaSource, readArpaText, scanArpa } from './arpa.js';
import { isSphinxLm, SPHINX_LM_MAGIC, SphinxLm } from './sphinx-lm.js';

/** The language-model file formats the decoder reads. */
export type LmFormat = 'arpa' | 'sphinx-trie';

export interface LmFile {
  format: LmFormat;
  /** The n-grams, to be visited once. */
  source: ArpaSource;
  /** The model itself when the file is a sphinx trie model. */
  sphinx: SphinxLm | null;
}

/**
 * Opens a language model of either format, told apart by the file's first bytes, not its name: a sphinx
 * trie model (`.lm.bin`) or ARPA text, plain or gzipped.
 */
export function openLanguageModel(path: string): LmFile {
  if (startsLikeSphinxLm(path)) {
    const sphinx = SphinxLm.load(path);
    return { format: 'sphinx-trie', source: sphinx.arpaSource(), sphinx };
  }
  // Visited line by line: a parsed copy of every n-gram would triple the memory loading takes.
  return { format: 'arpa', source: scanArpa(readArpaText(path), path), sphinx: null };
}

/** Whether the file starts with the sphinx trie model's magic string (false if it cannot be read: the ARPA reader then says why). */
function startsLikeSphinxLm(path: string): boolean {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(SPHINX_LM_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && isSphinxLm(head);
  } catch {
    return false;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
