import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DICTIONARY_FILE, loadModelFolder, saveModelFolder } from '../../src-main/model/checkpoint.js';
import { BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import {
  loadedText,
  sharedDictionary,
  sharedLetterToSound,
} from '../../src-main/model/pronunciation-files.js';
import { LetterToSound } from '../../src-main/speech/g2p/letter-to-sound.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';

describe('shared pronunciation files', () => {
  it('parses the same text once, and keeps the text it came from', () => {
    let parses = 0;
    const parse = (text: string) => {
      parses++;
      return parseDictionary(text);
    };
    const text = 'see S IY\nsea S IY\n;;; a comment\n';
    const a = sharedDictionary(text, parse);
    expect(sharedDictionary(text, parse)).toBe(a);
    expect(parses).toBe(1);
    expect(loadedText(a)).toBe(text);
    // Other text, another dictionary; made in memory, no text.
    expect(sharedDictionary('the DH AH\n', parse)).not.toBe(a);
    expect(loadedText(parseDictionary(text))).toBeUndefined();
  });

  it('keeps the most recently used few, parsing again what it let go', () => {
    let parses = 0;
    const parse = (text: string) => {
      parses++;
      return parseDictionary(text);
    };
    const keep = { keep: 2 };
    const [one, two, three] = ['a EY\n', 'b B IY\n', 'c S IY\n'];
    const first = sharedDictionary(one, parse, keep);
    sharedDictionary(two, parse, keep);
    sharedDictionary(one, parse, keep); // one is now the most recent
    sharedDictionary(three, parse, keep); // two goes
    expect(parses).toBe(3);
    expect(sharedDictionary(one, parse, keep)).toBe(first);
    expect(parses).toBe(3);
    sharedDictionary(two, parse, keep);
    expect(parses).toBe(4);
  });

  it("gives every load of the shipped model's folder the same dictionary and rules, and saves them as read", () => {
    const a = loadModelFolder(BASE_MODEL_DIR).alphabet.phones!;
    const b = loadModelFolder(BASE_MODEL_DIR).alphabet.phones!;
    expect(b.dictionary).toBe(a.dictionary);
    expect(b.letterToSound).toBe(a.letterToSound);
    expect(a.letterToSound).toBeInstanceOf(LetterToSound);
    const dir = mkdtempSync(join(tmpdir(), 'attune-pronunciations-'));
    try {
      saveModelFolder(join(dir, 'copy'), loadModelFolder(BASE_MODEL_DIR));
      expect(readFileSync(join(dir, 'copy', DICTIONARY_FILE), 'utf8')).toBe(
        readFileSync(join(BASE_MODEL_DIR, DICTIONARY_FILE), 'utf8'),
      );
      expect(loadModelFolder(join(dir, 'copy')).alphabet.phones!.dictionary).toBe(a.dictionary);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Rules are shared by their text too.
    const rulesText = readFileSync(join(BASE_MODEL_DIR, 'letter-to-sound.json'), 'utf8');
    expect(sharedLetterToSound(rulesText, () => LetterToSound.fromJSON(JSON.parse(rulesText)))).toBe(
      a.letterToSound,
    );
  });
});
