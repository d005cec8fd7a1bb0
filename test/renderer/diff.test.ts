import { describe, expect, it } from 'vitest';
import { diffWords } from '../../src-renderer/src/lib/diff.js';

describe('diffWords', () => {
  it('marks words removed and added between what was heard and the correction', () => {
    expect(diffWords('please coll my sister', 'Please call my sister.')).toEqual([
      { kind: 'same', text: 'Please' },
      { kind: 'removed', text: 'coll' },
      { kind: 'added', text: 'call' },
      { kind: 'same', text: 'my sister.' },
    ]);
  });

  it('ignores case and punctuation, which the model does not hear', () => {
    expect(diffWords('hello there', 'Hello, there!')).toEqual([{ kind: 'same', text: 'Hello, there!' }]);
  });

  it('handles empty texts and whole insertions', () => {
    expect(diffWords('', 'new words')).toEqual([{ kind: 'added', text: 'new words' }]);
    expect(diffWords('old words', '')).toEqual([{ kind: 'removed', text: 'old words' }]);
    expect(diffWords('', '')).toEqual([]);
    expect(diffWords('a c', 'a b c')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'added', text: 'b' },
      { kind: 'same', text: 'c' },
    ]);
  });
});
