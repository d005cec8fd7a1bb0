import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlphabetError,
  decodeIds,
  encode,
  englishAlphabet,
  formatTokens,
  loadTokens,
  normalizeText,
  parseTokens,
} from '../../src-main/speech/alphabet.js';

describe('tokens file', () => {
  it('loads the shipped base model tokens by name: the 39 CMUdict phones, a word break and the blank', () => {
    const a = loadTokens(new URL('../../models/base/tokens.txt', import.meta.url).pathname);
    expect(a.size).toBe(41);
    expect(a.tokens[a.blank]).toBe('<blank>');
    expect(a.tokens[a.space]).toBe(' ');
    expect(a.phones?.names).toContain('AA');
    expect(a.phones?.names).toContain('ZH');
    expect(new Set(a.phones!.names.filter(Boolean)).size).toBe(39);
    // Without its folder's dictionary attached it spells nothing yet.
    expect(a.phones?.dictionary).toBeNull();
    // The tokens file round-trips.
    expect(formatTokens(parseTokens(formatTokens(a)))).toBe(formatTokens(a));
  });

  it('reads the letter tokens of a letter model', () => {
    const a = parseTokens(formatTokens(englishAlphabet()));
    expect(a.size).toBe(29);
    expect(a.tokens[a.space]).toBe(' ');
    expect(a.index.get("'")).toBe(28);
    expect(a.phones).toBeUndefined();
  });

  it('finds the blank wherever it is', () => {
    const a = parseTokens('a\nb\n<space>\n<blank>\n');
    expect(a.blank).toBe(3);
    expect(a.space).toBe(2);
    expect(decodeIds(encode('ab ba', a), a)).toBe('ab ba');
  });

  it('accepts "symbol index" lines and checks the index', () => {
    expect(parseTokens('<blank> 0\na 1\n').size).toBe(2);
    expect(() => parseTokens('<blank> 0\na 2\n')).toThrow(/index 2 does not match/);
  });

  it.each([
    ['a\nb\n', /no <blank>/],
    ['<blank>\na\na\n', /duplicate token "a"/],
    ['<blank>\n\na\n', /:2: empty token/],
    ['<blank>\nab\n', /neither one character nor a phone name/],
    ['<blank>\n', /at least a blank and one symbol/],
    ['<blank>\n<blank>\na\n', /second <blank>/],
  ])('rejects a bad tokens file %#', (text, re) => {
    expect(() => parseTokens(text, 'bad.txt')).toThrow(re);
    expect(() => parseTokens(text, 'bad.txt')).toThrow(/bad\.txt/);
  });

  it('names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attune-tokens-'));
    expect(() => loadTokens(join(dir, 'nope.txt'))).toThrow(AlphabetError);
    expect(() => loadTokens(join(dir, 'nope.txt'))).toThrow(/nope\.txt/);
    writeFileSync(join(dir, 'ok.txt'), '<blank>\r\nx\r\n');
    expect(loadTokens(join(dir, 'ok.txt')).tokens).toEqual(['<blank>', 'x']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to encode characters outside the alphabet', () => {
    const a = englishAlphabet();
    expect(() => encode('Hello', a)).toThrow(/"H" is not in the alphabet/);
    expect(() => decodeIds([99], a)).toThrow(/outside the alphabet/);
  });
});

describe('normalizeText', () => {
  it.each([
    ['Hello, World!', 'hello world'],
    ["Don't stop — it's 5 o'clock.", "don't stop it's five o'clock"],
    ['Don\u2019t', "don't"],
    ["'Quoted' words and the boys' toys", 'quoted words and the boys toys'],
    ['I have 3 cats and 21 dogs', 'i have three cats and twenty one dogs'],
    ['It cost $5.50', 'it cost five dollars fifty cents'],
    ['£1,200', 'one thousand two hundred pounds'],
    ['In 1984 and 2005 and 2024', 'in nineteen eighty four and two thousand five and twenty twenty four'],
    ['the 1990s', 'the nineteen nineties'],
    ['the 21st century, the 3rd time, the 12th', 'the twenty first century the third time the twelfth'],
    ['50% off', 'fifty percent off'],
    ['pi is 3.14', 'pi is three point one four'],
    ['at 10:30 or 7:05 or 9:00', "at ten thirty or seven oh five or nine o'clock"],
    ['1,000,000 people', 'one million people'],
    ['agent 007', 'agent zero zero seven'],
    ['-5 degrees', 'minus five degrees'],
    ['100 and 1000 and 1000000', 'one hundred and one thousand and one million'],
    ['rock & roll', 'rock and roll'],
    ['well-known e-mail', 'well known e mail'],
    ['Café déjà vu', 'cafe deja vu'],
    ['end.Start', 'end start'],
    ['  lots   of\tspace\n', 'lots of space'],
    ['日本 and text', 'and text'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    const out = normalizeText(input);
    expect(out).toBe(expected);
    // Whatever comes out must encode.
    expect(() => encode(out, englishAlphabet())).not.toThrow();
  });
});
