import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewSegment } from '../../src-main/store/types.js';
import { expectStoreError, openTestStore, type TestStore } from './store-helpers.js';

let t: TestStore;
let sessionId: number;
beforeEach(() => {
  t = openTestStore();
  sessionId = t.store.sessions.create().id;
});
afterEach(() => t.dispose());

const words = [
  { word: 'hello', startMs: 100, endMs: 400, confidence: 0.9 },
  { word: 'there', startMs: 450, endMs: 800, confidence: 0.75 },
];

describe('segments', () => {
  it('appends in order with seq 0, 1, 2 and keeps every field', () => {
    const a = t.store.segments.append(sessionId, { startMs: 100, endMs: 800, rawText: 'hello there', words });
    t.clock.advance(10);
    const b = t.store.segments.append(sessionId, {
      startMs: 900,
      endMs: 1500,
      rawText: 'how are you',
      displayText: 'How are you?',
    });
    expect(a).toMatchObject({
      sessionId,
      seq: 0,
      displayText: 'hello there',
      words,
      audioPath: null,
      editedAt: null,
    });
    expect(b).toMatchObject({ seq: 1, rawText: 'how are you', displayText: 'How are you?', words: [] });
    expect(b.createdAt).toBe(a.createdAt + 10);
    expect(t.store.segments.get(a.id)).toEqual(a);
    // A second session numbers from 0 again.
    const other = t.store.sessions.create().id;
    expect(t.store.segments.append(other, { startMs: 0, endMs: 1, rawText: 'x' }).seq).toBe(0);
  });

  it('stores only the four word fields, and rounds times to whole ms', () => {
    const seg = t.store.segments.append(sessionId, {
      startMs: 10.4,
      endMs: 20.6,
      rawText: 'hi',
      words: [{ word: 'hi', startMs: 10, endMs: 20, confidence: 1, secret: 'dropped' } as never],
    });
    expect(seg.words).toEqual([{ word: 'hi', startMs: 10, endMs: 20, confidence: 1 }]);
    expect([seg.startMs, seg.endMs]).toEqual([10, 21]);
  });

  it('cleans text: CRLF, control characters, unpaired surrogates, search markers; NFC', () => {
    const seg = t.store.segments.append(sessionId, {
      startMs: 0,
      endMs: 1,
      rawText: 'line one\r\nline\u0000 two\u0007 \ud800 cafe\u0301 \uE000x\uE001 😀',
    });
    expect(seg.rawText).toBe('line one\nline two \ufffd caf\u00e9 x 😀');
  });

  it('accepts empty text (the model heard nothing: what a correction fixes)', () => {
    expect(t.store.segments.append(sessionId, { startMs: 0, endMs: 5, rawText: '' }).rawText).toBe('');
  });

  it('refuses bad segments with clear messages, writing nothing', () => {
    const ok: NewSegment = { startMs: 0, endMs: 10, rawText: 'fine' };
    const cases: [Partial<NewSegment> | null, RegExp][] = [
      [null, /must be an object/],
      [{ ...ok, endMs: 5, startMs: 10 }, /ends \(5 ms\) before it starts \(10 ms\)/],
      [{ ...ok, startMs: -1 }, /startMs must be a number of ms/],
      [{ ...ok, endMs: Number.NaN }, /endMs/],
      [{ ...ok, rawText: undefined }, /segment text must be text/],
      [
        { ...ok, rawText: 'x'.repeat(20_001) },
        /segment text is too long \(20001 characters, at most 20000\)/,
      ],
      [{ ...ok, displayText: 'y'.repeat(1_000_000) }, /display text is too long/],
      [
        { ...ok, words: [{ word: 'a', startMs: 0, endMs: 1, confidence: 2 }] },
        /bad word timings at words\[0\]/,
      ],
      [{ ...ok, words: [{ word: 'a', startMs: 5, endMs: 1, confidence: 0.5 }] }, /ends before it starts/],
      [{ ...ok, words: 'hello' as never }, /bad word timings/],
    ];
    for (const [segment, message] of cases) {
      expectStoreError(
        () => t.store.segments.append(sessionId, segment as NewSegment),
        'BAD_ARGUMENT',
        message,
      );
    }
    expectStoreError(() => t.store.segments.append(999, ok), 'NOT_FOUND', 'session 999');
    expectStoreError(() => t.store.segments.append(-3, ok), 'BAD_ARGUMENT', 'session id');
    expect(t.store.sessions.withSegments(sessionId).segments).toEqual([]);
  });

  it('refuses more word timings than configured', () => {
    const many = Array.from({ length: 5001 }, (_, i) => ({ word: 'w', startMs: i, endMs: i, confidence: 1 }));
    expectStoreError(
      () => t.store.segments.append(sessionId, { startMs: 0, endMs: 6000, rawText: 'w', words: many }),
      'BAD_ARGUMENT',
      'word timings',
    );
  });

  it('updates the display text (not a correction) and keeps the raw text', () => {
    const seg = t.store.segments.append(sessionId, { startMs: 0, endMs: 1, rawText: 'hello there' });
    t.clock.advance(500);
    const updated = t.store.segments.setDisplayText(seg.id, 'Hello there.');
    expect(updated).toMatchObject({
      rawText: 'hello there',
      displayText: 'Hello there.',
      editedAt: t.clock.ms,
    });
    expect(t.store.corrections.forSegment(seg.id)).toEqual([]);
    expectStoreError(
      () => t.store.segments.setDisplayText(seg.id, 'z'.repeat(20_001)),
      'BAD_ARGUMENT',
      'too long',
    );
    expectStoreError(() => t.store.segments.setDisplayText(4242, 'x'), 'NOT_FOUND', 'segment 4242');
    t.store.sessions.delete(sessionId);
    expectStoreError(() => t.store.segments.setDisplayText(seg.id, 'x'), 'INVALID_STATE', 'trash');
  });
});
