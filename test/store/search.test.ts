import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFtsQuery, splitMarked, toParts, type Highlighted } from '../../src-main/store/search.js';
import { expectStoreError, openTestStore, type TestStore } from './store-helpers.js';

let t: TestStore;
beforeEach(() => {
  t = openTestStore();
});
afterEach(() => t.dispose());

function session(title: string, ...texts: string[]): { id: number; segments: number[] } {
  const s = t.store.sessions.create({ title });
  t.clock.advance(1000);
  const segments = texts.map(
    (text, i) =>
      t.store.segments.append(s.id, { startMs: i * 1000, endMs: i * 1000 + 900, rawText: text }).id,
  );
  return { id: s.id, segments };
}

/** The highlighted parts of a snippet, lower-cased. */
const marked = (h: Highlighted) => h.ranges.map(([a, b]) => h.text.slice(a, b).toLowerCase());

/** FTS5's own check that the index matches the segments table. */
function indexIsConsistent(): void {
  const db = new Database(t.store.info.file);
  try {
    db.prepare(`INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)`).run();
  } finally {
    db.close();
  }
}

describe('buildFtsQuery', () => {
  it('quotes every word, keeps "phrases", and makes bare words prefixes', () => {
    expect(buildFtsQuery('hello world')).toEqual({ expr: '"hello"* "world"*', terms: ['hello', 'world'] });
    expect(buildFtsQuery('say "good   morning" now', false)).toEqual({
      expr: '"say" "good morning" "now"',
      terms: ['say', 'good morning', 'now'],
    });
    expect(buildFtsQuery('"unbalanced').expr).toBe('"unbalanced"*');
    expect(buildFtsQuery('AND OR NOT').expr).toBe('"AND"* "OR"* "NOT"*');
    expect(buildFtsQuery('col:umn ^start (x) {y}').terms).toEqual(['col:umn', '^start', '(x)', '{y}']);
    expect(buildFtsQuery('  * - " ( ) " ').expr).toBeNull();
  });

  it('refuses oversized queries clearly', () => {
    expectStoreError(() => buildFtsQuery('a'.repeat(1001)), 'BAD_ARGUMENT', 'too long');
    expectStoreError(() => buildFtsQuery('w '.repeat(33)), 'BAD_ARGUMENT', 'too many words');
    expectStoreError(() => buildFtsQuery(42 as never), 'BAD_ARGUMENT', 'search text');
  });
});

describe('splitMarked', () => {
  it('turns markers into ranges over the plain text, merging touching ones', () => {
    expect(splitMarked('a \uE000bc\uE001 d \uE000e\uE001\uE000f\uE001')).toEqual({
      text: 'a bc d ef',
      ranges: [
        [2, 4],
        [7, 9],
      ],
    });
    expect(splitMarked('no marks')).toEqual({ text: 'no marks', ranges: [] });
    expect(toParts(splitMarked('a \uE000bc\uE001 d \uE000e\uE001'))).toEqual([
      { text: 'a ', match: false },
      { text: 'bc', match: true },
      { text: ' d ', match: false },
      { text: 'e', match: true },
    ]);
    expect(toParts({ text: '', ranges: [] })).toEqual([]);
    expect(splitMarked('\uE000😀\uE001 x')).toEqual({ text: '😀 x', ranges: [[0, 2]] });
  });
});

describe('search', () => {
  it('finds sessions by prefix, accent-insensitively, with highlighted snippets in reading order', () => {
    const a = session(
      'Café',
      'We met at the café on Monday.',
      'Nothing here.',
      'The cafe was full of dictation fans.',
    );
    const b = session('Other', 'Dictation is faster than typing.');
    session('Unrelated', 'Completely different words.');

    const byPrefix = t.store.search('dict');
    expect(byPrefix.total).toBe(2);
    expect(byPrefix.terms).toEqual(['dict']);
    expect(byPrefix.sessions.map((h) => h.session.id).sort()).toEqual([a.id, b.id].sort());
    for (const hit of byPrefix.sessions) {
      for (const m of hit.matches) expect(marked(m.snippet)).toEqual(['dictation']);
    }

    const cafe = t.store.search('CAFE');
    expect(cafe.sessions.map((h) => h.session.id)).toEqual([a.id]);
    const hit = cafe.sessions[0];
    expect(hit.matchCount).toBe(2);
    expect(hit.matches.map((m) => m.segmentId)).toEqual([a.segments[0], a.segments[2]]);
    expect(hit.matches.map((m) => marked(m.snippet))).toEqual([['café'], ['cafe']]);
    expect(hit.matches[1]).toMatchObject({ seq: 2, startMs: 2000, endMs: 2900 });
    expect(hit.session).toMatchObject({ title: 'Café', segmentCount: 3 });
  });

  it('needs whole words without prefix, matches phrases in order, and ANDs terms within a segment', () => {
    const s = session('S', 'the quick brown fox', 'brown bread and quick thinking');
    expect(t.store.search('qui', { prefix: false }).total).toBe(0);
    expect(t.store.search('quick', { prefix: false }).sessions[0].matchCount).toBe(2);
    const phrase = t.store.search('"quick brown"');
    expect(phrase.sessions[0].matches.map((m) => m.segmentId)).toEqual([s.segments[0]]);
    expect(marked(phrase.sessions[0].matches[0].snippet)).toEqual(['quick brown']);
    expect(t.store.search('"brown quick"').total).toBe(0);
    expect(t.store.search('bread quick').sessions[0].matches.map((m) => m.segmentId)).toEqual([
      s.segments[1],
    ]);
  });

  it('never fails on FTS syntax in user input', () => {
    session('S', 'and or not near: (x) "quoted" star* col:umn caret^ a-b {c} plus+');
    const nasty = [
      '"foo',
      'AND',
      'OR',
      'NOT x',
      'x NOT',
      'NEAR(',
      'NEAR(a b, 3)',
      '(',
      ')',
      '*',
      '**',
      '^',
      '"',
      '""',
      '"""',
      'a:b',
      'display_text:and',
      '{display_text}: x',
      '-x',
      '+',
      'a AND',
      '\u0000',
      'a\u0000b',
      'a\ud800b',
      '\udc00',
      '\uE000',
      "'; DROP TABLE segments; --",
      '😀',
      'ǅ ﬁ ß',
    ];
    // And a seeded pile of random strings over the characters FTS5 treats specially.
    const alphabet = [
      '\u0000',
      '"',
      '*',
      '(',
      ')',
      ':',
      '^',
      '-',
      '+',
      '{',
      '}',
      ' ',
      'AND',
      'OR',
      'NOT',
      'NEAR',
      'a',
      'x',
    ];
    let seed = 12345;
    const next = () => (seed = (seed * 48271) % 2147483647); // MINSTD: exact in doubles
    for (let i = 0; i < 300; i++) {
      let q = '';
      for (let k = next() % 12; k >= 0; k--) q += alphabet[next() % alphabet.length];
      nasty.push(q);
    }
    for (const q of nasty) expect(() => t.store.search(q), JSON.stringify(q)).not.toThrow();
    expect(t.store.search('"foo').total).toBe(0);
    expect(t.store.search('AND').total).toBe(1); // the word "and", not the operator
    expect(t.store.search('col:umn').total).toBe(1);
    expect(t.store.search('  ').sessions).toEqual([]);
    expect(t.store.segments.get(1).rawText).toContain('and or not'); // the table is fine, of course
  });

  it('returns text, never markup: transcript angle brackets stay text, ranges index the plain text', () => {
    session('S', 'type <b>bold</b> & <script>alert(1)</script> here');
    const hit = t.store.search('bold').sessions[0].matches[0].snippet;
    expect(hit.text).toBe('type <b>bold</b> & <script>alert(1)</script> here');
    expect(marked(hit)).toEqual(['bold']);
  });

  it('cuts long segments to a snippet around the match', () => {
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    session('Long', `${filler} needle ${filler}`);
    const { snippet } = t.store.search('needle').sessions[0].matches[0];
    expect(snippet.text.length).toBeLessThan(200);
    expect(snippet.text.startsWith('…')).toBe(true);
    expect(snippet.text.endsWith('…')).toBe(true);
    expect(marked(snippet)).toEqual(['needle']);
  });

  it('pages sessions, caps matches per session but counts them all', () => {
    for (let i = 0; i < 5; i++)
      session(`S${i}`, ...Array.from({ length: 4 }, (_, k) => `topic alpha ${i} ${k}`));
    const page = t.store.search('alpha', { limit: 2, offset: 2, matchesPerSession: 3 });
    expect(page.total).toBe(5);
    expect(page.sessions).toHaveLength(2);
    for (const hit of page.sessions) {
      expect(hit.matchCount).toBe(4);
      expect(hit.matches).toHaveLength(3);
      const seqs = hit.matches.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    const all = t.store.search('alpha', { limit: 10 }).sessions.map((h) => h.session.id);
    expect(new Set(all).size).toBe(5);
    expect(t.store.search('alpha', { offset: 10 }).sessions).toEqual([]);
    expectStoreError(
      () => t.store.search('alpha', { matchesPerSession: 0 }),
      'BAD_ARGUMENT',
      'matchesPerSession',
    );
    expectStoreError(() => t.store.search('alpha', { limit: -2 }), 'BAD_ARGUMENT', 'limit');
  });

  it('follows edits, corrections, trash and purges (triggers keep the index in step)', async () => {
    const s = session('S', 'original wording');
    const [seg] = s.segments;
    t.store.segments.setDisplayText(seg, 'edited wording');
    expect(t.store.search('original').total).toBe(0);
    expect(t.store.search('edited').total).toBe(1);
    t.store.corrections.add(seg, 'corrected wording');
    expect(t.store.search('edited').total).toBe(0);
    expect(t.store.search('corrected').total).toBe(1);
    indexIsConsistent();

    t.store.sessions.delete(s.id);
    expect(t.store.search('wording').total).toBe(0);
    t.store.sessions.restore(s.id);
    expect(t.store.search('wording').total).toBe(1);
    t.store.sessions.delete(s.id);
    await t.store.purgeDeleted(0);
    expect(t.store.search('wording').total).toBe(0);
    indexIsConsistent();
    const db = new Database(t.store.info.file, { readonly: true });
    expect(
      db.prepare(`SELECT count(*) FROM segments_fts WHERE segments_fts MATCH 'wording'`).pluck().get(),
    ).toBe(0);
    db.close();
  });
});
