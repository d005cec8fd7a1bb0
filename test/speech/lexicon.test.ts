import { describe, expect, it } from 'vitest';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { introducedWords, Lexicon } from '../../src-main/speech/lexicon.js';

const alphabet = englishAlphabet();

describe('introducedWords', () => {
  it('finds the words a correction put in that the model did not write', () => {
    expect(introducedWords('call sorba at ten', 'Call Zorba at 10, Ottoline!', alphabet)).toEqual([
      'zorba',
      'ottoline',
    ]);
    // Short words and words already there are not new.
    expect(introducedWords('the cat sat', 'The cat is here.', alphabet)).toEqual(['here']);
    expect(introducedWords('same words', 'Same words.', alphabet)).toEqual([]);
  });
});

describe('Lexicon', () => {
  it('holds normalised words in a character trie', () => {
    const lex = new Lexicon(alphabet, ['Zorba', 'zorbas', 'ZORBA', "O'Neil", '']);
    expect(lex.words).toEqual(['zorba', 'zorbas', "o'neil"]);
    expect(lex.has('zorba')).toBe(true);
    expect(lex.has('zor')).toBe(false);
    let node = lex.root;
    for (const ch of 'zorba') node = node.children.get(alphabet.index.get(ch)!)!;
    expect(node.word).toBe('zorba');
    expect(node.depth).toBe(5);
    expect(node.children.get(alphabet.index.get('s')!)!.word).toBe('zorbas');
  });
});
