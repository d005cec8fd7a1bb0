// Checks on what callers pass in. The store is the last line before the disk: a bad id or a megabyte of
// text from a confused renderer becomes a clear StoreError here instead of a row nobody can display.

import { z } from 'zod';
import { StoreError } from './errors.js';
import type { PageOptions, Word } from './types.js';

/**
 * Private-use characters that mark search hits inside snippets (see search.ts). Stored text never contains
 * them (cleanText removes them), so a marker in a snippet is always one the search put there.
 */
export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function checkId(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new StoreError('BAD_ARGUMENT', `${what} id must be a positive whole number, got ${show(value)}`);
  }
  return value;
}

export function checkIds(values: unknown, what: string): number[] {
  if (!Array.isArray(values)) {
    throw new StoreError('BAD_ARGUMENT', `${what} ids must be a list, got ${show(values)}`);
  }
  return [...new Set(values.map((v) => checkId(v, what)))];
}

/**
 * Text as it will be stored: NFC, line breaks as \n, no control characters other than tab and line break,
 * no unpaired surrogates (they cannot be encoded), no search markers. Empty is allowed (a segment where
 * the model heard nothing is exactly what a correction fixes).
 */
export function cleanText(value: unknown, what: string, maxChars: number): string {
  if (typeof value !== 'string') {
    throw new StoreError('BAD_ARGUMENT', `${what} must be text, got ${show(value)}`);
  }
  // Refuse absurd input before doing any work on it.
  if (value.length > maxChars * 4) throw tooLong(what, value.length, maxChars);
  const text = value
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\uE000\uE001]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .normalize('NFC');
  if (text.length > maxChars) throw tooLong(what, text.length, maxChars);
  return text;
}

/** One line, trimmed, not empty. */
export function cleanTitle(value: unknown, maxChars: number): string {
  const title = cleanText(value, 'title', maxChars).replace(/\s+/g, ' ').trim();
  if (title === '') throw new StoreError('BAD_ARGUMENT', 'title must not be empty');
  return title;
}

export function cleanOptionalLine(value: unknown, what: string, maxChars: number): string | null {
  if (value === undefined || value === null) return null;
  const line = cleanText(value, what, maxChars).replace(/\s+/g, ' ').trim();
  return line === '' ? null : line;
}

/** Segment times: whole ms ≥ 0, end not before start. */
export function checkSpan(startMs: unknown, endMs: unknown): { startMs: number; endMs: number } {
  const ms = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
      throw new StoreError('BAD_ARGUMENT', `${name} must be a number of ms ≥ 0, got ${show(v)}`);
    }
    return Math.round(v);
  };
  const span = { startMs: ms(startMs, 'startMs'), endMs: ms(endMs, 'endMs') };
  if (span.endMs < span.startMs) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `segment ends (${span.endMs} ms) before it starts (${span.startMs} ms)`,
    );
  }
  return span;
}

const wordSchema = z
  .object({
    word: z.string().max(1000),
    startMs: z.number().finite().min(0),
    endMs: z.number().finite().min(0),
    confidence: z.number().min(0).max(1),
  })
  .refine((w) => w.endMs >= w.startMs, { message: 'a word ends before it starts' });

export function checkWords(value: unknown, maxWords: number): Word[] {
  if (value === undefined) return [];
  const parsed = z.array(wordSchema).max(maxWords).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` at words[${issue.path.join('].')}` : '';
    throw new StoreError('BAD_ARGUMENT', `bad word timings${where}: ${issue.message}`);
  }
  // Keep exactly the four fields: nothing else a caller attached ends up in the file.
  return parsed.data.map(({ word, startMs, endMs, confidence }) => ({ word, startMs, endMs, confidence }));
}

export function checkPage(opts: PageOptions = {}): { limit: number; offset: number } {
  const limit = opts.limit ?? DEFAULT_PAGE_SIZE;
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new StoreError('BAD_ARGUMENT', `limit must be 1–${MAX_PAGE_SIZE}, got ${show(limit)}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new StoreError('BAD_ARGUMENT', `offset must be a whole number ≥ 0, got ${show(offset)}`);
  }
  return { limit, offset };
}

/** A JSON object (metrics): plain data that survives a round trip, at most maxBytes when written. */
export function checkJsonObject(value: unknown, what: string, maxBytes: number): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StoreError('BAD_ARGUMENT', `${what} must be an object, got ${show(value)}`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreError('BAD_ARGUMENT', `${what} cannot be stored as JSON: ${(err as Error).message}`);
  }
  if (Buffer.byteLength(json) > maxBytes) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `${what} is too large (${Buffer.byteLength(json)} bytes, at most ${maxBytes})`,
    );
  }
  return json;
}

function tooLong(what: string, length: number, max: number): StoreError {
  return new StoreError('BAD_ARGUMENT', `${what} is too long (${length} characters, at most ${max})`);
}

/** A short rendering of a bad value for a message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value;
}
