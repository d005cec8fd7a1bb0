import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POSTPROCESS_CONFIG,
  type PushResult,
  Postprocessor,
  type RuleName,
  type SegmentDisplay,
} from '../../src-main/engine/postprocess.js';

/** Pushes the segments in order and checks what must hold for any input; returns the document text. */
function run(segments: string[], rules: Partial<Record<RuleName, boolean>> = {}) {
  const p = new Postprocessor({ rules });
  const results: PushResult[] = segments.map((s) => p.push(s));
  const shown = p.segments();
  expect(p.text()).toBe(shown.map((s) => s.leading + s.text).join(''));
  for (const s of shown) checkMapping(s);
  return { text: p.text(), results, segments: shown };
}

/** Every token's character range holds its text; every raw word produced a token or belongs to a command. */
function checkMapping(s: SegmentDisplay): void {
  for (const t of s.tokens) expect(s.text.slice(t.chars[0], t.chars[1])).toBe(t.text);
  const produced = new Map<number, number>();
  for (const span of [...s.tokens.map((t) => t.words), ...s.commands.map((c) => c.words)]) {
    for (let w = span[0]; w < span[1]; w++) produced.set(w, (produced.get(w) ?? 0) + 1);
  }
  const scratched = new Set<number>(); // words whose tokens "scratch that" removed
  for (let w = 0; w < s.words.length; w++) if (!produced.has(w)) scratched.add(w);
  for (const c of s.commands)
    for (let w = c.words[0]; w < c.words[1]; w++) expect(scratched.has(w)).toBe(false);
}

describe('Postprocessor: one segment', () => {
  it.each([
    ['hello world', 'Hello world'],
    ['hello comma how are you question mark i am fine period', 'Hello, how are you? I am fine.'],
    [
      "i think i'm right and i've said i'll go but i'd stay",
      "I think I'm right and I've said I'll go but I'd stay",
    ],
    ['the periodic table has commas in it', 'The periodic table has commas in it'],
    ['question marks and new lines and full stops', 'Question marks and new lines and full stops'],
    ['a colonial period piece', 'A colonial. Piece'], // "period" alone is always the command,
    ['wait exclamation mark really exclamation point', 'Wait! Really!'],
    ['note colon buy milk semicolon eggs semi colon bread', 'Note: buy milk; eggs; bread'],
    ['this is it full stop', 'This is it.'],
    ['first line new line second line', 'First line\nSecond line'],
    ['end of part one period new paragraph part two', 'End of part one.\n\nPart two'],
    ['he said open quote hello there close quote and left', 'He said "hello there" and left'],
    [
      'she said colon open quote stop period close quote then new line open quote go',
      'She said: "stop." Then\n"Go',
    ],
    ['hello comma i went home scratch that', 'Hello,'],
    ['hello comma i went home scratch that i stayed', 'Hello, I stayed'],
    ['good period scratch that fine', 'Fine'],
    ['one period two scratch that scratch that three', 'Three'],
    ['scratch that', ''],
    ['new paragraph scratch that okay', 'Okay'],
    ['Hello COMMA World', 'Hello, World'],
  ])('%j → %j', (words, expected) => {
    expect(run([words]).text).toBe(expected);
  });
});

describe('Postprocessor: rules turned off', () => {
  it.each<[string, Partial<Record<RuleName, boolean>>, string]>([
    ['hello comma world', { comma: false }, 'Hello comma world'],
    ['a period of time full stop', { period: false }, 'A period of time.'],
    ['stop full stop', { fullStop: false }, 'Stop full stop'],
    ['why question mark', { questionMark: false }, 'Why question mark'],
    ['wow exclamation point', { exclamationMark: false }, 'Wow exclamation point'],
    ['a colon b semicolon c', { colon: false, semicolon: false }, 'A colon b semicolon c'],
    ['one new line two new paragraph three', { newParagraph: false }, 'One\nTwo new paragraph three'],
    ['one new line two new paragraph three', { newLine: false }, 'One new line two\n\nThree'],
    ['open quote hi close quote', { quotes: false }, 'Open quote hi close quote'],
    ['i can scratch that itch', { scratchThat: false }, 'I can scratch that itch'],
    ['hello period world', { capitalizeSentences: false }, 'hello. world'],
    ["so i am sure i'm", { capitalizeI: false }, "So i am sure i'm"],
    ['i am', { capitalizeSentences: false }, 'I am'],
  ])('%j with %j → %j', (words, rules, expected) => {
    expect(run([words], rules).text).toBe(expected);
  });

  it('has every rule on by default', () => {
    expect(Object.values(DEFAULT_POSTPROCESS_CONFIG.rules).every(Boolean)).toBe(true);
    expect(new Postprocessor({ rules: { comma: false } }).config.rules).toEqual({
      ...DEFAULT_POSTPROCESS_CONFIG.rules,
      comma: false,
    });
  });
});

describe('Postprocessor: across segments', () => {
  it.each<[string[], string[], string]>([
    // segments → each segment's display text → the document
    [
      ['hello world period', 'how are you question mark', 'fine'],
      ['Hello world.', 'How are you?', 'Fine'],
      'Hello world. How are you? Fine',
    ],
    [['hello', 'world'], ['Hello', 'world'], 'Hello world'],
    [['first new line', 'second'], ['First\n', 'Second'], 'First\nSecond'],
    [
      ['dear sam comma', 'new paragraph thanks for the letter period'],
      ['Dear sam,', '\n\nThanks for the letter.'],
      'Dear sam,\n\nThanks for the letter.',
    ],
    [['i went to the store', 'scratch that i went home'], ['', 'I went home'], 'I went home'],
    [['hello comma', 'scratch that'], ['', ''], ''],
    [['good morning period', 'i went out', 'scratch that'], ['Good morning.', '', ''], 'Good morning.'],
    [['we met comma', 'and then scratch that and later'], ['We met,', 'and later'], 'We met, and later'],
    [['we met comma and then', 'scratch that so'], ['We met,', 'so'], 'We met, so'],
    [['question', 'mark'], ['Question', 'mark'], 'Question mark'],
    [['ok period', '', 'next'], ['Ok.', '', 'Next'], 'Ok. Next'],
  ])('%j', (segments, texts, document) => {
    const r = run(segments);
    expect(r.segments.map((s) => s.text)).toEqual(texts);
    expect(r.text).toBe(document);
  });

  it('capitalises a segment that follows a sentence end, and only then', () => {
    const p = new Postprocessor();
    expect(p.push('this is fine period').segment).toMatchObject({ text: 'This is fine.', leading: '' });
    expect(p.push('so it goes').segment).toMatchObject({ text: 'So it goes', leading: ' ' });
    expect(p.push('on and on').segment).toMatchObject({ text: 'on and on', leading: ' ' });
    expect(p.push('new line done').segment).toMatchObject({ text: '\nDone', leading: '' });
  });

  it('reports the earlier segments that "scratch that" revised', () => {
    const p = new Postprocessor();
    p.push('keep this period');
    p.push('drop this');
    const r = p.push('scratch that');
    expect(r.segment).toMatchObject({
      text: '',
      tokens: [],
      commands: [{ rule: 'scratchThat', words: [0, 2] }],
    });
    expect(r.revised.map((s) => [s.index, s.text])).toEqual([[1, '']]);
    expect(p.text()).toBe('Keep this.');
    // The next word starts a sentence again: the document ends with a period.
    expect(p.push('new start').segment.text).toBe('New start');
    // Scratching twice reaches back across two segments: first "New start", then "Keep this."
    p.push('scratch that');
    const again = p.push('scratch that');
    expect(again.revised.map((s) => s.index)).toEqual([0]);
    expect(p.text()).toBe('');
  });

  it('maps raw words to display tokens for the correction editor', () => {
    const p = new Postprocessor();
    p.push('hi');
    const { segment } = p.push('comma how are you question mark new paragraph i');
    expect(segment.leading).toBe('');
    expect(segment.text).toBe(', how are you?\n\nI');
    expect(segment.tokens).toEqual([
      { text: ',', kind: 'punctuation', words: [0, 1], chars: [0, 1], rule: 'comma' },
      { text: 'how', kind: 'word', words: [1, 2], chars: [2, 5] },
      { text: 'are', kind: 'word', words: [2, 3], chars: [6, 9] },
      { text: 'you', kind: 'word', words: [3, 4], chars: [10, 13] },
      { text: '?', kind: 'punctuation', words: [4, 6], chars: [13, 14], rule: 'questionMark' },
      { text: '\n\n', kind: 'lineBreak', words: [6, 8], chars: [14, 16], rule: 'newParagraph' },
      { text: 'I', kind: 'word', words: [8, 9], chars: [16, 17] },
    ]);
    expect(segment.commands).toEqual([
      { rule: 'comma', words: [0, 1] },
      { rule: 'questionMark', words: [4, 6] },
      { rule: 'newParagraph', words: [6, 8] },
    ]);
    expect(segment.words).toEqual([
      'comma',
      'how',
      'are',
      'you',
      'question',
      'mark',
      'new',
      'paragraph',
      'i',
    ]);
  });

  it('accepts word arrays as well as strings', () => {
    const a = new Postprocessor();
    const b = new Postprocessor();
    expect(a.push(['hello', 'comma', 'world']).segment).toEqual(b.push('  hello comma\tworld ').segment);
  });
});
