// Full-text search over what the user sees (segments.display_text), through the FTS5 index kept by the
// schema's triggers. User input never reaches FTS5's query language as such: every word or "quoted phrase"
// becomes a quoted string, so operators (AND, NEAR, column:, ^, parentheses) are just text and no input
// can make the query fail to parse.

import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { Sessions } from './sessions.js';
import type { SessionSummary } from './types.js';
import { checkPage, MARK_END, MARK_START, show } from './validate.js';

export interface SearchOptions {
  /** Sessions per page, best match first. */
  limit?: number; // 20
  offset?: number; // 0
  /** Matching segments returned per session (all are counted). */
  matchesPerSession?: number; // 5
  /** Bare words match as prefixes ("dict" finds "dictation"), as for search-as-you-type. */
  prefix?: boolean; // true
}

/**
 * Text with the matched parts marked as [start, end) offsets into `text` (UTF-16 code units, as JS string
 * indices), so the UI renders with text nodes and never parses markup.
 */
export interface Highlighted {
  text: string;
  ranges: [number, number][];
}

export interface SegmentMatch {
  segmentId: number;
  seq: number;
  startMs: number;
  endMs: number;
  /** A few words around the match ("…" where text was left out). */
  snippet: Highlighted;
}

export interface SessionHit {
  session: SessionSummary;
  /** Matching segments in the session, of which `matches` are the best few, in reading order. */
  matchCount: number;
  matches: SegmentMatch[];
}

export interface SearchResult {
  /** The words and phrases searched for, as understood. Empty: nothing searchable was typed. */
  terms: string[];
  sessions: SessionHit[];
  /** Sessions that match in all, for paging. */
  total: number;
}

const MAX_QUERY_CHARS = 1000;
const MAX_TERMS = 32;
const MAX_MATCHES_PER_SESSION = 100;
/** unicode61 makes tokens of letters, digits and private-use characters; anything else separates them. */
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;

export interface FtsQuery {
  /** The FTS5 MATCH expression, or null when the input holds nothing to search for. */
  expr: string | null;
  terms: string[];
}

/**
 * Turns what the user typed into a safe FTS5 expression: "quoted phrases" stay phrases, other words are
 * ANDed (as prefixes when `prefix`); an unbalanced quote is ignored; words without a letter or digit
 * (punctuation, a lone "-") are dropped, since they match nothing.
 */
export function buildFtsQuery(input: string, prefix = true): FtsQuery {
  if (typeof input !== 'string')
    throw new StoreError('BAD_ARGUMENT', `search text must be text, got ${show(input)}`);
  if (input.length > MAX_QUERY_CHARS) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `search text is too long (${input.length} characters, at most ${MAX_QUERY_CHARS})`,
    );
  }
  const terms: string[] = [];
  const parts: string[] = [];
  // Control characters end an FTS5 string early (NUL) or mean nothing; they separate words here.
  // eslint-disable-next-line no-control-regex
  const clean = input.replace(/[\u0000-\u001f\u007f]/g, ' ').normalize('NFC');
  for (const m of clean.matchAll(/"([^"]*)"|([^\s"]+)/g)) {
    const phrase = m[1] !== undefined;
    const text = (phrase ? m[1] : m[2]).replace(/\s+/g, ' ').trim();
    if (!TOKEN_CHAR.test(text)) continue;
    terms.push(text);
    const quoted = `"${text.replaceAll('"', '""')}"`;
    parts.push(prefix && !phrase ? `${quoted}*` : quoted);
  }
  if (terms.length > MAX_TERMS) {
    throw new StoreError('BAD_ARGUMENT', `search has too many words (${terms.length}, at most ${MAX_TERMS})`);
  }
  return { expr: parts.length ? parts.join(' ') : null, terms };
}

/** Splits text carrying MARK_START/MARK_END markers into plain text and ranges; touching ranges merge. */
export function splitMarked(marked: string): Highlighted {
  let text = '';
  const ranges: [number, number][] = [];
  let open = -1;
  for (const ch of marked) {
    if (ch === MARK_START) {
      if (open < 0) open = text.length;
    } else if (ch === MARK_END) {
      if (open >= 0 && text.length > open) {
        const last = ranges[ranges.length - 1];
        if (last && last[1] === open) last[1] = text.length;
        else ranges.push([open, text.length]);
      }
      open = -1;
    } else {
      text += ch;
    }
  }
  return { text, ranges };
}

/** The same text as consecutive runs, each matched or not, for renderers that build text nodes in order. */
export function toParts(h: Highlighted): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  let at = 0;
  for (const [start, end] of h.ranges) {
    if (start > at) parts.push({ text: h.text.slice(at, start), match: false });
    parts.push({ text: h.text.slice(start, end), match: true });
    at = end;
  }
  if (at < h.text.length) parts.push({ text: h.text.slice(at), match: false });
  return parts;
}

/** [session id, segment id, seq, start ms, end ms, bm25 rank] */
type HitRow = [number, number, number, number, number, number];

export class Search {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
    private readonly sessions: Sessions,
  ) {}

  /** Sessions (not in the trash) whose text matches every term, best first, with highlighted snippets. */
  run(input: string, opts: SearchOptions = {}): SearchResult {
    const { limit, offset } = checkPage({ limit: opts.limit ?? 20, offset: opts.offset });
    const perSession = opts.matchesPerSession ?? 5;
    if (!Number.isInteger(perSession) || perSession < 1 || perSession > MAX_MATCHES_PER_SESSION) {
      throw new StoreError(
        'BAD_ARGUMENT',
        `matchesPerSession must be 1–${MAX_MATCHES_PER_SESSION}, got ${show(perSession)}`,
      );
    }
    const { expr, terms } = buildFtsQuery(input, opts.prefix ?? true);
    if (expr === null) return { terms, sessions: [], total: 0 };

    return this.db.transaction(() => {
      // One pass over the index: every matching segment with its bm25 rank (lower is better). Grouping and
      // picking the page happen here rather than in three SQL queries, each of which would run the MATCH
      // (and rank every hit) again.
      const hits = this.db
        .prepare(
          `SELECT g.session_id, g.id, g.seq, g.start_ms, g.end_ms, h.rank FROM
             (SELECT rowid AS id, rank FROM segments_fts WHERE segments_fts MATCH ?) h
             JOIN segments g ON g.id = h.id
             JOIN sessions se ON se.id = g.session_id
           WHERE se.deleted_at IS NULL`,
        )
        .raw()
        .all(expr) as HitRow[];
      const bySession = new Map<number, HitRow[]>();
      for (const hit of hits) {
        const list = bySession.get(hit[0]);
        if (list) list.push(hit);
        else bySession.set(hit[0], [hit]);
      }
      // Sessions by their best segment, then newest; within one, segments by rank, then reading order.
      const byRank = (x: HitRow, y: HitRow) => x[5] - y[5] || x[2] - y[2];
      const ranked = [...bySession.values()]
        .map((list) => list.sort(byRank))
        .sort((x, y) => x[0][5] - y[0][5] || y[0][0] - x[0][0]);
      const total = ranked.length;
      const page = ranked.slice(offset, offset + limit);
      if (page.length === 0) return { terms, sessions: [], total };

      const shown = page.map((list) => list.slice(0, perSession).sort((x, y) => x[2] - y[2]));
      const snippets = new Map(
        this.db
          .prepare(
            // "+rowid": filter the scan instead of seeking each rowid. A seek restarts the merge of every
            // term a prefix expands to (~1 ms each for a common prefix); the scan is one merge.
            `SELECT rowid, snippet(segments_fts, 0, ?, ?, '…', ?) FROM segments_fts
               WHERE segments_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))`,
          )
          .raw()
          .all(
            MARK_START,
            MARK_END,
            this.config.snippetTokens,
            expr,
            JSON.stringify(shown.flat().map((h) => h[1])),
          ) as [number, string][],
      );
      const ids = page.map((list) => list[0][0]);
      const summaries = new Map(this.sessions.summaries(ids).map((x) => [x.id, x]));
      const sessions = page.flatMap((list, k): SessionHit[] => {
        const session = summaries.get(list[0][0]);
        if (!session) return [];
        const matches = shown[k].map(([, segmentId, seq, startMs, endMs]) => ({
          segmentId,
          seq,
          startMs,
          endMs,
          snippet: splitMarked(snippets.get(segmentId) ?? ''),
        }));
        return [{ session, matchCount: list.length, matches }];
      });
      return { terms, sessions, total };
    })();
  }
}
