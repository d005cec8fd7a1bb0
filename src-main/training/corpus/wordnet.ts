import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The corpus text source: the example sentences in WordNet's glosses (Debian package
 * `wordnet-base`). Each synset's gloss ends with quoted usage examples written by lexicographers,
 * e.g. `| a dwelling that serves as living quarters; "she bought a house in the country"`: about
 * 48,000 short, plain, present-day English sentences under a permissive licence (see SOURCES.md).
 */
export const WORDNET_DIR = '/usr/share/wordnet';
export const WORDNET_PACKAGE = 'wordnet-base';
export const WORDNET_LICENCE = 'WordNet 3.0 licence (permissive, BSD-style; notice in SOURCES.md)';

/** The notice the WordNet licence requires on every copy; written into each corpus as TEXT-LICENCE.txt. */
export const WORDNET_NOTICE = `WordNet Release 3.0

Corpus transcripts and utterances.jsonl contain example sentences from WordNet 3.0.

This software and database is being provided to you, the LICENSEE, by
Princeton University under the following license.  By obtaining, using
and/or copying this software and database, you agree that you have
read, understood, and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and
database and its documentation for any purpose and without fee or
royalty is hereby granted, provided that you agree to comply with
the following copyright notice and statements, including the disclaimer,
and that the same appear on ALL copies of the software, database and
documentation, including modifications that you make for internal
use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
IMPLIED.  BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT
INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR
OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in
advertising or publicity pertaining to distribution of the software
and/or database.  Title to copyright in this software, database and
any associated documentation shall at all times remain with
Princeton University and LICENSEE agrees to preserve same.
`;

/** One database file per part of speech; examples live in the gloss after the `|`. */
const DATA_FILES = ['data.noun', 'data.verb', 'data.adj', 'data.adv'] as const;

export class TextSourceError extends Error {
  override readonly name = 'TextSourceError';
}

/** The text after " | " of every synset line (gloss and quoted examples), in file order. */
function glossLines(dir: string): string[] {
  const out: string[] = [];
  for (const file of DATA_FILES) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      throw new TextSourceError(
        `WordNet data file ${path} not found: install the Debian package ${WORDNET_PACKAGE} ` +
          `(apt-get install ${WORDNET_PACKAGE}) or point wordnetDir at a WordNet 3.0 dict folder`,
      );
    }
    for (const line of readFileSync(path, 'latin1').split('\n')) {
      // Lines starting with two spaces are the licence header.
      if (line.startsWith('  ') || line === '') continue;
      const bar = line.indexOf(' | ');
      if (bar >= 0) out.push(line.slice(bar + 3));
    }
  }
  return out;
}

/** Every quoted example, in file order (duplicates included; the caller dedupes after normalising). */
export function readWordNetExamples(dir: string = WORDNET_DIR): string[] {
  const examples: string[] = [];
  for (const text of glossLines(dir)) {
    for (const m of text.matchAll(/"([^"]+)"/g)) examples.push(m[1].trim());
  }
  if (examples.length === 0) throw new TextSourceError(`no example sentences found in ${dir}`);
  return examples;
}

/**
 * The definitions, one phrase per item: each gloss without its quoted examples, split at semicolons,
 * parenthesised asides removed ("a domestic animal; (informal) a pet" → two phrases).
 */
export function readWordNetDefinitions(dir: string = WORDNET_DIR): string[] {
  const out: string[] = [];
  for (const text of glossLines(dir)) {
    for (const part of text.replace(/"[^"]*"/g, ';').split(';')) {
      const phrase = part
        .replace(/\([^)]*\)/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      if (phrase !== '') out.push(phrase);
    }
  }
  return out;
}

/** Single-word lemmas of every part of speech (from the index files), lower case, sorted. */
export function readWordNetLemmas(dir: string = WORDNET_DIR): string[] {
  const words = new Set<string>();
  for (const file of ['index.noun', 'index.verb', 'index.adj', 'index.adv']) {
    const path = join(dir, file);
    if (!existsSync(path))
      throw new TextSourceError(`WordNet index file ${path} not found (install ${WORDNET_PACKAGE})`);
    for (const line of readFileSync(path, 'latin1').split('\n')) {
      if (line.startsWith('  ') || line === '') continue;
      const lemma = line.slice(0, line.indexOf(' '));
      if (/^[a-z]+(?:'[a-z]+)?$/.test(lemma)) words.add(lemma);
    }
  }
  return [...words].sort();
}
