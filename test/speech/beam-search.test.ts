import { describe, expect, it } from 'vitest';
import { BeamSearch, beamSearch } from '../../src-main/speech/beam-search.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { Lexicon } from '../../src-main/speech/lexicon.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { alphabet, frames, say } from './log-prob-frames.js';
import { phoneAlphabet, phoneNames } from '../../src-main/speech/phone-spelling.js';
import { saidPhones } from './phone-frames.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';

const greedy = (lp: Float32Array, T: number) => greedyDecode(lp, T, alphabet, { frameMs: 20 }).text;

describe('beamSearch', () => {
  it('decodes clear speech as greedy decoding does', () => {
    const lp = frames([...'hello world'].flatMap(say));
    const T = 22;
    expect(greedy(lp, T)).toBe('hello world');
    expect(beamSearch(lp, T, alphabet).text).toBe('hello world');
  });

  it('sums over alignments: finds the likelier transcript where every frame favours the blank', () => {
    // Each frame: blank 0.55, "a" 0.44. Greedy: "" (0.30); "a" over all its alignments: 0.69.
    const lp = frames([
      { _: 0.55, a: 0.44 },
      { _: 0.55, a: 0.44 },
    ]);
    expect(greedy(lp, 2)).toBe('');
    const r = beamSearch(lp, 2, alphabet);
    expect(r.text).toBe('a');
    expect(Math.exp(r.score)).toBeCloseTo(0.44 * 0.44 + 2 * 0.44 * 0.55, 4);
  });

  it('recovers a lexicon word that greedy decoding misspells', () => {
    // "zorba", with the first sound slightly more like "s".
    const spec = [{ s: 0.5, z: 0.4 }, { _: 0.9 }, ...[...'orba'].flatMap(say)];
    const lp = frames(spec);
    const T = spec.length;
    expect(greedy(lp, T)).toBe('sorba');
    expect(beamSearch(lp, T, alphabet).text).toBe('sorba');
    const lexicon = new Lexicon(alphabet, ['Zorba']);
    const r = beamSearch(lp, T, alphabet, lexicon);
    expect(r.text).toBe('zorba');
    expect(r.bonus).toBeCloseTo(5, 6);
    // Switched off (no boost), the lexicon changes nothing.
    expect(beamSearch(lp, T, alphabet, lexicon, { boostPerChar: 0 }).text).toBe('sorba');
  });

  it('does not force a lexicon word onto speech that says another word', () => {
    // "sorta": it starts like "zorba" but goes elsewhere; the bonus for "zor" is taken back.
    const spec = [{ s: 0.85, z: 0.1 }, { _: 0.9 }, ...[...'orta'].flatMap(say)];
    const lp = frames(spec);
    const lexicon = new Lexicon(alphabet, ['zorba']);
    const r = beamSearch(lp, spec.length, alphabet, lexicon);
    expect(r.text).toBe('sorta');
    expect(r.bonus).toBe(0);
    // A lexicon word inside a longer word earns nothing either: "zorbas" is not "zorba".
    const longer = [{ z: 0.9 }, { _: 0.9 }, ...[...'orbas'].flatMap(say)];
    expect(beamSearch(frames(longer), longer.length, alphabet, lexicon).bonus).toBe(0);
  });

  it('boosts a lexicon word among others, and only whole words', () => {
    const spec = [...'call ']
      .flatMap(say)
      .concat([{ s: 0.5, z: 0.4 }, { _: 0.9 }, ...[...'orba now'].flatMap(say)]);
    const lp = frames(spec);
    expect(greedy(lp, spec.length)).toBe('call sorba now');
    expect(beamSearch(lp, spec.length, alphabet, new Lexicon(alphabet, ['zorba'])).text).toBe(
      'call zorba now',
    );
    expect(() => beamSearch(lp, spec.length + 1, alphabet)).toThrow(/cannot hold/);
  });
});

describe('beamSearch with a word language model', () => {
  const built = buildLanguageModel(
    ['the cat sat on the mat', 'the cat sat down', 'a cat sat on a mat', 'the dog sat on the mat'],
    ['cot', 'sit'],
    { order: 3, minCount: [1, 1] },
  );
  const lm = new WordLm(built.arpa);
  const decoding = (extra: string[] = []) => ({ lm, vocabulary: vocabularyTrie(lm, alphabet, extra) });

  it('spells the likely words where the sounds are ambiguous', () => {
    // "the c?t sat": the vowel slightly more like "o"; "cot" is a word, but the LM knows "the cat sat".
    const spec = [...'the c']
      .flatMap(say)
      .concat([{ o: 0.5, a: 0.4 }, { _: 0.9 }], [...'t sat'].flatMap(say));
    const lp = frames(spec);
    expect(greedy(lp, spec.length)).toBe('the cot sat');
    expect(beamSearch(lp, spec.length, alphabet, null, { beamWidth: 16 }).text).toBe('the cot sat');
    const r = beamSearch(lp, spec.length, alphabet, null, { beamWidth: 16 }, decoding());
    expect(r.text).toBe('the cat sat');
    expect(r.lmScore).toBeLessThan(0);
    // Weight 0 and no word bonus: the acoustics alone decide among vocabulary words.
    const flat = beamSearch(
      lp,
      spec.length,
      alphabet,
      null,
      { beamWidth: 16, lmWeight: 0, wordBonus: 0 },
      decoding(),
    );
    expect(flat.text).toBe('the cot sat');
  });

  it('only writes words of its vocabulary', () => {
    // "the cag sat": "cag" is no word; the nearest ones the LM allows win.
    const spec = [...'the cag sat'].flatMap(say);
    const lp = frames(spec);
    expect(greedy(lp, spec.length)).toBe('the cag sat');
    const text = beamSearch(lp, spec.length, alphabet, null, { beamWidth: 16 }, decoding()).text;
    for (const w of text.split(' ')) expect(lm.id(w)).toBeGreaterThanOrEqual(0);
  });

  it('spells the lexicon words the LM does not know, and still boosts them', () => {
    const spec = [...'the ']
      .flatMap(say)
      .concat([{ s: 0.5, z: 0.4 }, { _: 0.9 }], [...'orba sat'].flatMap(say));
    const lp = frames(spec);
    const lexicon = new Lexicon(alphabet, ['zorba']);
    const r = beamSearch(lp, spec.length, alphabet, lexicon, { beamWidth: 16 }, decoding(['zorba']));
    expect(r.text).toBe('the zorba sat');
    expect(r.bonus).toBeCloseTo(5, 6);
  });

  it('ends on the best whole-word transcript, or the best one at all if speech stops mid-word', () => {
    const spec = [...'the ca'].flatMap(say);
    const lp = frames(spec);
    // "ca" is no word: the search ends on whole words ("a" costs the "c" frame's few blanks)…
    expect(beamSearch(lp, spec.length, alphabet, null, { beamWidth: 16 }, decoding()).text).toBe('the a');
    // …and when the beam holds nothing but the unfinished word, it is given as it stands.
    expect(beamSearch(lp, spec.length, alphabet, null, { beamWidth: 1 }, decoding()).text).toBe('the ca');
  });

  it('searches as a stream: frames pushed in chunks give the same result as one search, at every point', () => {
    const spec = [...'the ']
      .flatMap(say)
      .concat([{ o: 0.5, a: 0.4 }, { _: 0.9 }], [...'t sat on the mat'].flatMap(say));
    const lp = frames(spec);
    const V = alphabet.size;
    const lexicon = new Lexicon(alphabet, ['mat']);
    const stream = new BeamSearch(alphabet, lexicon, { beamWidth: 16 }, decoding());
    for (let t = 0; t < spec.length; t += 3) {
      const n = Math.min(3, spec.length - t);
      stream.push(lp.subarray(t * V, (t + n) * V), n);
      expect(stream.frames).toBe(t + n);
      // A result midway reads the search without ending it.
      expect(stream.result()).toEqual(
        beamSearch(lp, t + n, alphabet, lexicon, { beamWidth: 16 }, decoding()),
      );
    }
    expect(stream.result().text).toBe('the cat sat on the mat');
    expect(() => stream.push(new Float32Array(V), 2)).toThrow(/cannot hold 2 frames/);
  });
});

describe('beamSearch for a phone model', () => {
  const dict = parseDictionary(
    ['see S IY', 'sea S IY', 'the DH AH', 'the(2) DH IY', 'blue B L UW', 'blew B L UW', 'i AY'].join('\n'),
  );
  const phones = phoneAlphabet(dict, 'test');
  const built = buildLanguageModel(['i see the blue sea', 'i see the sea', 'the blue sea'], [], {
    order: 3,
    minCount: [1, 1],
  });
  const lm = new WordLm(built.arpa);
  const said = (names: string[]) => saidPhones(phones, names);

  it('writes words, the language model choosing among words that sound alike', () => {
    const names = 'AY | S IY | DH AH | B L UW | S IY'.split(' ');
    const lp = said(names);
    const r = beamSearch(
      lp,
      names.length * 2,
      phones,
      null,
      { beamWidth: 16 },
      { lm, vocabulary: vocabularyTrie(lm, phones) },
    );
    expect(r.text).toBe('i see the blue sea');
    // Without a language model the phones themselves come out.
    expect(phoneNames(beamSearch(lp, names.length * 2, phones).text, phones)).toBe(
      'AY | S IY | DH AH | B L UW | S IY',
    );
  });

  it('ends words where no word break was written, with implied word breaks', () => {
    const names = 'AY S IY DH AH B L UW S IY'.split(' ');
    const T = names.length * 2;
    const vocabulary = vocabularyTrie(lm, phones);
    const run = (impliedWordBreaks: boolean) =>
      beamSearch(said(names), T, phones, null, { beamWidth: 16, impliedWordBreaks }, { lm, vocabulary });
    expect(run(true).text).toBe('i see the blue sea');
    // Without them the search must find a break in a frame that all but rules one out (p 0.0025 each of the
    // four times): the same words, at a far lower score.
    expect(run(false).text).toBe('i see the blue sea');
    expect(run(true).score).toBeGreaterThan(run(false).score + 4 * 4);
    // Written breaks still count: the same phones with breaks decode the same either way.
    const withBreaks = 'AY | S IY | DH AH | B L UW | S IY'.split(' ');
    const search = (implied: boolean) =>
      beamSearch(
        said(withBreaks),
        withBreaks.length * 2,
        phones,
        null,
        { beamWidth: 16, impliedWordBreaks: implied },
        { lm, vocabulary },
      ).text;
    expect(search(true)).toBe(search(false));
  });

  it('writes a word still being spoken as the word it most likely becomes, when asked (live partials)', () => {
    // "i see the bl…": the last pronunciation is no word yet, but only "blue" and "blew" go on from it.
    const names = 'AY | S IY | DH AH | B L'.split(' ');
    const search = new BeamSearch(
      phones,
      null,
      { beamWidth: 16 },
      { lm, vocabulary: vocabularyTrie(lm, phones) },
    );
    search.push(said(names), names.length * 2);
    expect(search.result({ openWord: true }).text).toBe('i see the blue');
    // As a final, only whole words are written.
    expect(search.result().text).toBe('i see the');
    // A finished word is written as itself either way.
    search.push(said(['UW']), 2);
    expect(search.result({ openWord: true }).text).toBe('i see the blue');
  });

  it('hears a word by any of its pronunciations', () => {
    const names = 'DH IY | S IY'.split(' ');
    const vocabulary = vocabularyTrie(lm, phones);
    expect(beamSearch(said(names), names.length * 2, phones, null, {}, { lm, vocabulary }).text).toBe(
      'the sea',
    );
  });
});

describe('beamSearch with class priors (alphabet.decoding)', () => {
  const built = buildLanguageModel(['the ox', 'an ox', 'the ox ran'], [], { order: 2, minCount: [1] });
  const lm = new WordLm(built.arpa);
  const decoding = { lm, vocabulary: vocabularyTrie(lm, alphabet) };
  const V = alphabet.size;
  // A model that mostly writes blanks (70% of frames) and spreads the rest over the letters.
  const logPriors = Float32Array.from({ length: V }, (_, v) =>
    Math.log(v === alphabet.blank ? 0.7 : 0.3 / (V - 1)),
  );
  const withPriors = {
    ...alphabet,
    decoding: { logPriors, priorScale: 0.5, lmWeight: 0.8, wordBonus: 0, source: 'test' },
  };
  // "ox" said faintly: each letter under the blank in its own frame.
  const faint = frames([{ o: 0.3, _: 0.6 }, { _: 0.9 }, { x: 0.3, _: 0.6 }, { _: 0.9 }]);

  it('keeps a faint word the prior of the blank would delete', () => {
    expect(beamSearch(faint, 4, alphabet, null, { beamWidth: 16 }, decoding).text).toBe('');
    expect(beamSearch(faint, 4, withPriors, null, { beamWidth: 16 }, decoding).text).toBe('ox');
  });

  it('uses them only in a word search, and not when told a scale of 0', () => {
    expect(beamSearch(faint, 4, withPriors, null, { beamWidth: 16, priorScale: 0 }, decoding).text).toBe('');
    expect(beamSearch(faint, 4, withPriors, null, { beamWidth: 16 }).text).toBe('');
  });

  it("takes the model's word-search weights unless told others", () => {
    // At LM weight 0 and a word bonus of -5 nats, no word is worth writing.
    const costly = { ...withPriors, decoding: { ...withPriors.decoding, lmWeight: 0, wordBonus: -5 } };
    expect(beamSearch(faint, 4, costly, null, { beamWidth: 16 }, decoding).text).toBe('');
    expect(beamSearch(faint, 4, costly, null, { beamWidth: 16, wordBonus: 0 }, decoding).text).toBe('ox');
  });
});
