import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SphinxLm, SphinxLmError } from '../../src-main/speech/sphinx-lm.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import {
  LONGEST_PROB_STEP,
  MIDDLE_BACKOFF_STEP,
  MIDDLE_PROB_STEP,
  sphinxLmBytes,
  tinyTrigramFixture,
  type TrieFixture,
} from './sphinx-lm-fixture.js';
import { TINY_ARPA } from './lm-fixtures.js';

/** Sphinx's stored values are logarithms in base 1.0001. */
const LOG10_BASE = Math.log10(1.0001);
const log10 = (stored: number) => stored * LOG10_BASE;

const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const PHONE_LM = join(MODEL_DIR, 'en-us-phone.lm.bin');
const EN_US_LM = join(MODEL_DIR, 'en-us.lm.bin');
const hasTool = (name: string) => spawnSync(name, [], { stdio: 'ignore' }).error === undefined;
const HAVE_CONVERT = hasTool('sphinx_lm_convert');
const HAVE_EVAL = hasTool('sphinx_lm_eval');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-sphinx-lm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (f: TrieFixture) => new SphinxLm(sphinxLmBytes(f), 'tiny.lm.bin');

describe('SphinxLm on a model written byte by byte', () => {
  it('gives every n-gram, order by order, with its stored values as log10', () => {
    const lm = parse(tinyTrigramFixture());
    expect(lm.outOfOrder).toBe(0);
    expect(lm.order).toBe(3);
    expect(lm.words).toEqual(['</s>', '<s>', 'a', 'b']);
    expect(lm.counts).toEqual([4, 4, 2]);
    const seen: [number, string, number, number][] = [];
    lm.arpaSource().forEach((n, words, p, bo) => seen.push([n, words.join(' '), p, bo]));
    const m = (pi: number, bi: number) => [log10(pi * MIDDLE_PROB_STEP), log10(bi * MIDDLE_BACKOFF_STEP)];
    expect(seen).toEqual([
      [1, '</s>', log10(-5000), 0],
      [1, '<s>', log10(-990000), log10(-3000)],
      [1, 'a', log10(-7000), log10(-2000)],
      [1, 'b', log10(-8000), log10(-1000)],
      [2, 'b </s>', ...m(100, 40)],
      [2, '<s> a', ...m(200, 50)],
      [2, '<s> b', ...m(300, 60)],
      [2, 'a b', ...m(400, 70)],
      [3, 'a b </s>', log10(500 * LONGEST_PROB_STEP), 0],
      [3, '<s> a b', log10(600 * LONGEST_PROB_STEP), 0],
    ]);
    expect(lm.lookup(['<s>', 'a', 'b'])).toEqual({ logProb: log10(600 * LONGEST_PROB_STEP), backoff: 0 });
    expect(lm.lookup(['a', 'b'])).toEqual({ logProb: m(400, 70)[0], backoff: m(400, 70)[1] });
    expect(lm.lookup(['b', 'a'])).toBeNull();
    expect(lm.lookup(['<s>', 'b', '</s>'])).toBeNull();
  });

  it('reads models of other orders: 2 (no middle order) and 4 (two)', () => {
    const bigrams = parse({
      words: ['</s>', '<s>', 'a'],
      unigrams: [
        { prob: -100, backoff: 0, next: 0 },
        { prob: -990000, backoff: -10, next: 1 },
        { prob: -200, backoff: -20, next: 1 },
      ],
      unigramEnd: 2,
      middles: [],
      longest: [
        { word: 2, probIndex: 7 }, // a </s>
        { word: 1, probIndex: 8 }, // <s> a
      ],
    });
    expect(bigrams.counts).toEqual([3, 2]);
    expect(bigrams.lookup(['<s>', 'a'])).toEqual({ logProb: log10(8 * LONGEST_PROB_STEP), backoff: 0 });
    const m = (probIndex: number, backoffIndex: number, next: number, word: number) => ({
      word,
      probIndex,
      backoffIndex,
      next,
    });
    const fourgrams = parse({
      words: ['</s>', '<s>', 'a', 'b'],
      unigrams: [
        { prob: -100, backoff: 0, next: 0 },
        { prob: -990000, backoff: -10, next: 1 },
        { prob: -200, backoff: -20, next: 1 },
        { prob: -300, backoff: -30, next: 2 },
      ],
      unigramEnd: 3,
      middles: [
        { entries: [m(1, 2, 0, 3), m(3, 4, 1, 1), m(5, 6, 1, 2)], end: 2 }, // b </s>, <s> a, a b
        { entries: [m(7, 8, 0, 2), m(9, 10, 1, 1)], end: 1 }, // a b </s>, <s> a b
      ],
      longest: [{ word: 1, probIndex: 11 }], // <s> a b </s>
    });
    expect(fourgrams.counts).toEqual([4, 3, 2, 1]);
    const seen: string[] = [];
    fourgrams.arpaSource().forEach((n, words) => n > 1 && seen.push(words.join(' ')));
    expect(seen).toEqual(['b </s>', '<s> a', 'a b', 'a b </s>', '<s> a b', '<s> a b </s>']);
    expect(fourgrams.lookup(['<s>', 'a', 'b'])).toEqual({
      logProb: log10(9 * MIDDLE_PROB_STEP),
      backoff: log10(10 * MIDDLE_BACKOFF_STEP),
    });
    expect(fourgrams.lookup(['<s>', 'a', 'b', '</s>'])?.logProb).toBe(log10(11 * LONGEST_PROB_STEP));
  });

  it('builds a WordLm that scores with the ARPA back-off rule', () => {
    // To 6 decimals: the model keeps its values in single precision.
    const wlm = new WordLm(parse(tinyTrigramFixture()).arpaSource(), 'tiny.lm.bin');
    const id = (w: string) => wlm.id(w);
    const ln = (stored: number) => stored * Math.log(1.0001);
    expect(wlm.score([id('<s>'), id('a')], id('b'))).toBeCloseTo(ln(600 * LONGEST_PROB_STEP), 6);
    // "a a" is not listed: bow(a) + P(a).
    expect(wlm.score([id('a')], id('a'))).toBeCloseTo(ln(-2000 - 7000), 6);
    // "<s> b </s>" is not listed, "b </s>" is: bow(<s> b) + P(</s> | b).
    expect(wlm.score([id('<s>'), id('b')], id('</s>'))).toBeCloseTo(
      ln(60 * MIDDLE_BACKOFF_STEP + 100 * MIDDLE_PROB_STEP),
      6,
    );
  });

  it('builds the same WordLm from word ids as from word strings', () => {
    const source = parse(tinyTrigramFixture()).arpaSource();
    const fromIds = new WordLm(source);
    const fromWords = new WordLm({ counts: source.counts, forEach: source.forEach });
    for (const context of [[], ['<s>'], ['a'], ['<s>', 'a'], ['a', 'b'], ['<s>', 'b']]) {
      for (const word of ['</s>', 'a', 'b']) {
        const ids = (lm: WordLm) => context.map((w) => lm.id(w));
        expect(fromIds.score(ids(fromIds), fromIds.id(word))).toBe(
          fromWords.score(ids(fromWords), fromWords.id(word)),
        );
      }
    }
  });

  it('is told apart from ARPA by its first bytes, not its name', () => {
    const binary = join(dir, 'looks-like.arpa.gz');
    writeFileSync(binary, sphinxLmBytes(tinyTrigramFixture()));
    expect(WordLm.load(binary).order).toBe(3);
    const text = join(dir, 'looks-like.lm.bin');
    writeFileSync(text, TINY_ARPA);
    expect(WordLm.load(text).order).toBe(2);
  });

  it('leaves out the unused entries when the header counts more n-grams than the trie holds', () => {
    // Sphinx's builder does this (en-us.lm.bin counts 6 bigrams too many): the arrays are sized by the
    // header, the unigrams reach only the stored entries.
    const lm = parse({ ...tinyTrigramFixture(), declared: [4, 6, 2] });
    expect(lm.declared).toEqual([4, 6, 2]);
    expect(lm.counts).toEqual([4, 4, 2]);
    let bigrams = 0;
    lm.arpaSource().forEach((n) => (bigrams += n === 2 ? 1 : 0));
    expect(bigrams).toBe(4);
  });

  it('reads entries whose word ids do not ascend within their context, and finds them', () => {
    const f = tinyTrigramFixture();
    // b's context: "a b" (word 2, owning the 3-gram "<s> a b") first, then "<s> b" (word 1).
    const [, , sb, ab] = f.middles[0].entries;
    f.middles[0].entries[2] = { ...ab, next: 1 };
    f.middles[0].entries[3] = { ...sb, next: 2 };
    const lm = parse(f);
    expect(lm.outOfOrder).toBe(1);
    expect(lm.lookup(['<s>', 'b'])).not.toBeNull();
    expect(lm.lookup(['a', 'b'])).not.toBeNull();
  });
});

describe('SphinxLm errors', () => {
  const good = sphinxLmBytes(tinyTrigramFixture());
  const fails = (bytes: Uint8Array, message: RegExp) => {
    expect(() => new SphinxLm(bytes, 'bad.lm.bin')).toThrow(SphinxLmError);
    expect(() => new SphinxLm(bytes, 'bad.lm.bin')).toThrow(message);
  };
  const patched = (at: number, ...values: number[]) => {
    const b = Buffer.from(good);
    values.forEach((v, i) => (b[at + i] = v));
    return b;
  };

  it('names a wrong header, the older DMP format and an unsupported order', () => {
    fails(patched(0, 0x78), /bad\.lm\.bin: not a sphinx trie language model: it starts with "xrie/);
    const dmp = Buffer.concat([Buffer.from([17, 0, 0, 0]), Buffer.from('Darpa Trigram LM\0')]);
    fails(dmp, /a sphinx DMP language model/);
    fails(patched(19, 0), /order 0 is not supported/);
    fails(patched(19, 7), /order 7 is not supported \(sphinx trie models hold 1- to 5-grams\)/);
  });

  it('says in which section a truncated file ends', () => {
    // The tiny model's sections: header 0–32, quantiser 32–786468, unigrams –786528, 2-grams –786560,
    // 3-grams –786576, word strings' length –786580, word strings –786593.
    expect(good.length).toBe(786593);
    const cases: [number, RegExp][] = [
      [10, /not a sphinx trie language model/],
      [19, /truncated in the header \(order\)/],
      [25, /truncated in the header \(n-gram counts\)/],
      [1000, /truncated in the quantisation tables/],
      [786500, /truncated in the unigrams/],
      [786540, /truncated in the 2-gram array/],
      [786570, /truncated in the 3-gram array/],
      [786578, /truncated in the word strings \(their length\)/],
      [786590, /truncated in the word strings: it needs 13 bytes at offset 786580, the file ends at 786590/],
    ];
    for (const [length, message] of cases) fails(good.subarray(0, length), message);
  });

  it('finds counts that do not match the data', () => {
    fails(
      Buffer.concat([good, Buffer.alloc(3)]),
      /3 bytes follow the word strings: the header's n-gram counts/,
    );
    // One more 3-gram in the header: the 3-gram array would be 2 bytes longer, the rest read out of place.
    fails(patched(28, 3), /the header's counts do not match the data/);
    const f = tinyTrigramFixture();
    fails(
      sphinxLmBytes({ ...f, unigramEnd: 9 }),
      /the 2-gram range of word 3 is \[2, 9\), outside the 4 2-grams/,
    );
    f.unigrams[3].next = 0;
    fails(sphinxLmBytes(f), /the 2-gram range of word 2 is \[1, 0\)/);
    const words = Buffer.from(good);
    words[words.length - 3] = 0x78; // the NUL after "a": "axb"
    fails(words, /the word strings hold 3 words, the header counts 4 unigrams/);
    words[words.length - 1] = 0x78; // and the last one
    fails(words, /the word strings hold 2 words and an unterminated one, the header counts 4 unigrams/);
  });

  it('finds word ids out of range or repeated in a context', () => {
    const f = tinyTrigramFixture();
    f.middles[0].entries[1].word = 7;
    fails(sphinxLmBytes(f), /2-gram entry 1 has word id 7, out of range \(the model has 4 words\)/);
    const g = tinyTrigramFixture();
    g.longest[1].word = 5;
    fails(sphinxLmBytes(g), /3-gram entry 1 has word id 5, out of range/);
    const h = tinyTrigramFixture();
    h.middles[0].entries[3].word = 1;
    fails(sphinxLmBytes(h), /2-gram entry 3 repeats word id 1 in the same context/);
  });

  it('recognises a file written on a big-endian machine', () => {
    fails(
      sphinxLmBytes({ ...tinyTrigramFixture(), bigEndian: true }),
      /written on a big-endian machine; only little-endian sphinx trie models are supported/,
    );
  });

  it('names a file it cannot read', () => {
    expect(() => SphinxLm.load(join(dir, 'missing.lm.bin'))).toThrow(
      /cannot read language model .*missing\.lm\.bin/,
    );
  });
});

/** sphinx_lm_convert's ARPA text of a model, by n-gram: its fields as written (4 decimals). */
function convertToArpa(model: string): { lines: Map<string, string[]>; complete: boolean } {
  const out = join(dir, `${model.split('/').pop()}.arpa`);
  const r = spawnSync('sphinx_lm_convert', ['-i', model, '-o', out], { stdio: 'ignore' });
  const lines = new Map<string, string[]>();
  let order = 0;
  const text = readFileSync(out, 'utf8');
  // A run that aborts leaves its last line cut: keep complete lines only.
  for (const line of text.slice(0, text.lastIndexOf('\n')).split('\n')) {
    const section = /^\\(\d)-grams:$/.exec(line);
    if (section) order = Number(section[1]);
    else if (order > 0 && line !== '' && !line.startsWith('\\')) {
      const f = line.split('\t');
      lines.set(f.slice(1, order + 1).join(' '), [f[0], ...f.slice(order + 1)]);
    }
  }
  return { lines, complete: r.status === 0 };
}

/** The fields sphinx_lm_convert writes for an n-gram: log10 values with 4 decimals, no back-off at the top order. */
function fields(n: number, order: number, p: number, bo: number): string[] {
  return n < order ? [p.toFixed(4), bo.toFixed(4)] : [p.toFixed(4)];
}

describe.skipIf(!existsSync(PHONE_LM) || !HAVE_CONVERT)(
  "against sphinx_lm_convert's ARPA text (needs Debian's pocketsphinx-en-us and sphinxbase-utils)",
  () => {
    it('reads every n-gram of the phone model as sphinx writes it', () => {
      const reference = convertToArpa(PHONE_LM);
      expect(reference.complete).toBe(true);
      const lm = SphinxLm.load(PHONE_LM);
      expect(lm.counts).toEqual([43, 1509, 21837]);
      let checked = 0;
      const differ: string[] = [];
      lm.arpaSource().forEach((n, words, p, bo) => {
        const got = fields(n, lm.order, p, bo).join('\t');
        const want = reference.lines.get(words.join(' '))?.join('\t');
        if (got !== want) differ.push(`${words.join(' ')}: ${got}, sphinx ${want}`);
        checked++;
      });
      expect(differ).toEqual([]);
      expect(checked).toBe(reference.lines.size);
    });

    it.skipIf(!existsSync(EN_US_LM))(
      'reads the unigrams of en-us.lm.bin as sphinx writes them before it aborts',
      () => {
        // sphinx_lm_convert fails an assertion on this model's bigrams (the header counts 6 more than the
        // trie holds) after writing part of its unigram section.
        const reference = convertToArpa(EN_US_LM);
        expect(reference.complete).toBe(false);
        expect(reference.lines.size).toBeGreaterThan(70_000);
        const lm = SphinxLm.load(EN_US_LM);
        let checked = 0;
        const differ: string[] = [];
        for (const word of lm.words) {
          const want = reference.lines.get(word)?.join('\t');
          if (want === undefined) continue;
          const { logProb, backoff } = lm.lookup([word])!;
          const got = `${logProb.toFixed(4)}\t${backoff.toFixed(4)}`;
          if (got !== want) differ.push(`${word}: ${got}, sphinx ${want}`);
          checked++;
        }
        expect(differ).toEqual([]);
        expect(checked).toBe(reference.lines.size);
      },
    );
  },
);

describe.skipIf(!existsSync(EN_US_LM))("Debian's en-us.lm.bin (pocketsphinx-en-us)", () => {
  it('holds 72,547 words, 2,051,541 bigrams and 1,669,625 trigrams', () => {
    const lm = SphinxLm.load(EN_US_LM);
    expect(lm.order).toBe(3);
    expect(lm.declared).toEqual([72547, 2051547, 1669625]);
    expect(lm.counts).toEqual([72547, 2051541, 1669625]);
    // "whips and bullhorns" is stored after "teased and bullhorns" in one context; sphinx's search misses it.
    expect(lm.outOfOrder).toBe(2);
    expect(lm.lookup(['whips', 'and', 'bullhorns'])).not.toBeNull();
  });

  it('gives the n-grams read by hand from the file', () => {
    // Read from the bytes: word ids 7 <s>, 65038 the, 15213 cup, 45551 of, 12280 coffee; 17-bit word ids;
    // bigram entries 70 bits (word, back-off index, prob index, 21-bit next), trigram entries 33 bits;
    // tables at byte 36 (bigram probs), 262180 (bigram back-offs), 524324 (trigram probs).
    const f32 = (hex: string) => Buffer.from(hex, 'hex').readFloatLE(0);
    const lm = SphinxLm.load(EN_US_LM);
    // <s>: unigram 7 at byte 786468 + 7 × 12: prob e5230bca (-2279673.25), back-off -30673.39453125.
    expect(lm.lookup(['<s>'])).toEqual({ logProb: log10(f32('e5230bca')), backoff: log10(-30673.39453125) });
    // "<s> the": the's bigrams are entries [1751071, 1760149); entry 1751074 at bit 122575180 of the bigram
    // array (byte 16978941, bit 4): 7a 00 40 eb 7f … → word 7, back-off index 65370 (b937e140 = 7.038…),
    // prob index 62107 (e646e4c6 = -29219.449…).
    expect(lm.lookup(['<s>', 'the'])).toEqual({
      logProb: log10(f32('e646e4c6')),
      backoff: log10(f32('b937e140')),
    });
    // "cup of": entry 1214224 → back-off index 80 (5a2c7ec6), prob index 65210 (3c0b53c6); its trigrams
    // are [969434, 969448), and "a cup of" is 969434 → prob index 65271 (323b78c5 = -3971.6997…).
    expect(lm.lookup(['cup', 'of'])).toEqual({
      logProb: log10(f32('3c0b53c6')),
      backoff: log10(f32('5a2c7ec6')),
    });
    expect(lm.lookup(['a', 'cup', 'of'])).toEqual({ logProb: log10(f32('323b78c5')), backoff: 0 });
    // "of coffee </s>": coffee </s> is bigram 6142 (trigrams [7320, 7329)), the trigram entry 7326 →
    // prob index 61953 (2ebe52c6 = -13487.545…).
    expect(lm.lookup(['of', 'coffee', '</s>'])?.logProb).toBe(log10(f32('2ebe52c6')));
    expect(lm.lookup(['<s>', 'the', 'cat'])).toBeNull();
  });

  it.skipIf(!HAVE_EVAL)('scores words as sphinx_lm_eval does', () => {
    const lsn = join(dir, 'sentences.lsn');
    writeFileSync(lsn, '<s> the cat sat on the mat </s>\n<s> i would like a cup of coffee please </s>\n');
    const r = spawnSync('sphinx_lm_eval', ['-lm', EN_US_LM, '-lsn', lsn, '-verbose', 'yes'], {
      encoding: 'utf8',
    });
    const sphinx = [...`${r.stdout}${r.stderr}`.matchAll(/log P\((\S+)\|(.*?) \) = (-?\d+)/g)];
    expect(sphinx.length).toBe(16);
    const lm = WordLm.load(EN_US_LM);
    for (const [, word, history, score] of sphinx) {
      const context = history.split(' ').map((w) => lm.id(w));
      // Sphinx sums its float scores in base 1.0001 and truncates to an integer.
      const ours = lm.score(context, lm.id(word)) / Math.log(1.0001);
      expect(Math.abs(ours - Number(score)), `${history} ${word}`).toBeLessThan(1.5);
    }
  });
});
