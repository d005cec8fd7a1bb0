import { describe, expect, it } from 'vitest';
import {
  buildCues,
  formatSrt,
  formatTimestamp,
  formatVtt,
  wrapLines,
} from '../../src-main/store/subtitles.js';
import type { Segment, Word } from '../../src-main/store/types.js';

function segment(
  id: number,
  startMs: number,
  endMs: number,
  displayText: string,
  words: Word[] = [],
): Segment {
  return {
    id,
    sessionId: 1,
    seq: id,
    startMs,
    endMs,
    rawText: displayText.toLowerCase(),
    displayText,
    words,
    audioPath: null,
    createdAt: 0,
    editedAt: null,
  };
}

/** Evenly spaced word timings for a text, as the recogniser would give them. */
function timed(text: string, startMs: number, msPerWord: number): Word[] {
  return text.split(' ').map((word, i) => ({
    word,
    startMs: startMs + i * msPerWord,
    endMs: startMs + (i + 1) * msPerWord - 50,
    confidence: 0.9,
  }));
}

describe('formatTimestamp', () => {
  it('writes SRT commas and WebVTT dots with zero padding', () => {
    expect(formatTimestamp(0, ',')).toBe('00:00:00,000');
    expect(formatTimestamp(1000, ',')).toBe('00:00:01,000');
    expect(formatTimestamp(1000, '.')).toBe('00:00:01.000');
    expect(formatTimestamp(3_723_004, ',')).toBe('01:02:03,004');
    expect(formatTimestamp(59_999.6, '.')).toBe('00:01:00.000');
    expect(formatTimestamp(100 * 3_600_000 + 5, '.')).toBe('100:00:00.005');
    expect(formatTimestamp(-5, ',')).toBe('00:00:00,000');
  });
});

describe('wrapLines', () => {
  it('keeps short text on one line and balances two lines', () => {
    expect(wrapLines('short text', 42)).toEqual(['short text']);
    const two = wrapLines('this sentence is a little too long to fit on a single line', 42);
    expect(two).toHaveLength(2);
    expect(two.join(' ')).toBe('this sentence is a little too long to fit on a single line');
    for (const line of two) expect(line.length).toBeLessThanOrEqual(42);
    expect(Math.abs(two[0].length - two[1].length)).toBeLessThan(10);
  });

  it('gives an over-long word a line of its own and counts characters, not UTF-16 units', () => {
    expect(wrapLines(`a ${'x'.repeat(50)} b`, 42)).toEqual(['a', 'x'.repeat(50), 'b']);
    expect(wrapLines('😀'.repeat(42), 42)).toEqual(['😀'.repeat(42)]);
  });
});

describe('buildCues', () => {
  it('makes one cue per short segment spanning the segment', () => {
    const cues = buildCues([segment(1, 1000, 2500, 'Hello there.'), segment(2, 3000, 4000, '   ')]);
    expect(cues).toEqual([{ startMs: 1000, endMs: 2500, lines: ['Hello there.'] }]);
  });

  it('splits a long segment at word times into cues of at most two 42-character lines', () => {
    const text =
      'so this is a much longer piece of dictation that goes on and on well past what fits on two lines of subtitles';
    const words = timed(text, 10_000, 300);
    const cues = buildCues([segment(1, 10_000, 10_000 + words.length * 300, text, words)]);
    expect(cues.length).toBeGreaterThan(1);
    expect(cues.flatMap((c) => c.lines).join(' ')).toBe(text);
    for (const c of cues) {
      expect(c.lines.length).toBeLessThanOrEqual(2);
      for (const line of c.lines) expect(line.length).toBeLessThanOrEqual(42);
    }
    expect(cues[0].startMs).toBe(10_000);
    expect(cues.at(-1)!.endMs).toBe(10_000 + words.length * 300);
    for (let i = 1; i < cues.length; i++) {
      expect(cues[i].startMs).toBe(cues[i - 1].endMs); // back to back, no overlap
      // Each cue after the first starts exactly when its first word does.
      const firstWord = cues[i].lines[0].split(' ')[0];
      const index = cues.slice(0, i).flatMap((c) => c.lines.join(' ').split(' ')).length;
      expect(words[index].word).toBe(firstWord);
      expect(cues[i].startMs).toBe(words[index].startMs);
    }
  });

  it('keeps cues under maxCueMs when the words are slow', () => {
    const text = 'one two three four five six seven eight';
    const words = timed(text, 0, 2000);
    const cues = buildCues([segment(1, 0, 16_000, text, words)], { maxCueMs: 5000 });
    for (const c of cues) expect(c.endMs - c.startMs).toBeLessThanOrEqual(6000);
    expect(cues.length).toBeGreaterThanOrEqual(4);
  });

  it('spreads time by characters when edits changed the word count', () => {
    const text = 'a'.repeat(30) + ' ' + 'b'.repeat(30) + ' ' + 'c'.repeat(30);
    const cues = buildCues([segment(1, 0, 9000, text, timed('x y', 0, 100))], {
      maxLineChars: 31,
      maxLines: 1,
    });
    expect(cues.map((c) => [c.startMs, c.endMs])).toEqual([
      [0, 3000],
      [3000, 6000],
      [6000, 9000],
    ]);
  });
});

describe('SRT and WebVTT', () => {
  const cues = [
    { startMs: 0, endMs: 1500, lines: ['First line', 'second line'] },
    { startMs: 61_000, endMs: 62_250, lines: ['Use <b> & a --> arrow'] },
  ];

  it('writes numbered SRT cues', () => {
    expect(formatSrt(cues)).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nFirst line\nsecond line\n\n' +
        '2\n00:01:01,000 --> 00:01:02,250\nUse <b> & a -> arrow\n',
    );
  });

  it('writes WebVTT with a header and escaped cue text', () => {
    expect(formatVtt(cues)).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nFirst line\nsecond line\n\n' +
        '00:01:01.000 --> 00:01:02.250\nUse &lt;b&gt; &amp; a --&gt; arrow\n',
    );
  });
});
