// Subtitle cues (SRT and WebVTT) from segments: each segment's text is cut into cues of at most
// maxLines lines of maxLineChars and at most maxCueMs, timed by the recogniser's word times when they
// still fit the text, otherwise spread over the segment in proportion to characters.

import type { Segment } from './types.js';

export interface SubtitleConfig {
  /** Characters per line: the broadcast norm (BBC, Netflix) for readability at a glance. */
  maxLineChars: number; // 42
  maxLines: number; // 2
  /** Longest a cue stays on screen before the text moves on, in ms. */
  maxCueMs: number; // 7000
}

export const DEFAULT_SUBTITLES: Readonly<SubtitleConfig> = Object.freeze({
  maxLineChars: 42,
  maxLines: 2,
  maxCueMs: 7000,
});

export interface Cue {
  startMs: number; // on the session timeline
  endMs: number;
  lines: string[];
}

/** Cues for segments in order; segments with no text make none. */
export function buildCues(segments: readonly Segment[], opts: Partial<SubtitleConfig> = {}): Cue[] {
  const cfg = { ...DEFAULT_SUBTITLES, ...opts };
  const cues: Cue[] = [];
  for (const seg of segments) cues.push(...segmentCues(seg, cfg));
  return cues;
}

function segmentCues(seg: Segment, cfg: SubtitleConfig): Cue[] {
  const words = seg.displayText.split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const times = wordTimes(seg, words);

  // Greedy: grow a cue while it still fits the lines and the time; a single word always makes a cue.
  const chunks: [number, number][] = []; // [first word, last word + 1)
  let first = 0;
  for (let i = 1; i <= words.length; i++) {
    if (i === words.length) {
      chunks.push([first, i]);
      break;
    }
    const fits =
      wrapLines(words.slice(first, i + 1).join(' '), cfg.maxLineChars).length <= cfg.maxLines &&
      times[i].endMs - times[first].startMs <= cfg.maxCueMs;
    if (!fits) {
      chunks.push([first, i]);
      first = i;
    }
  }

  // The first cue starts with the segment and the last ends with it; between cues there is no gap.
  return chunks.map(([a, b], k) => {
    const startMs = k === 0 ? seg.startMs : times[a].startMs;
    const endMs = k === chunks.length - 1 ? seg.endMs : times[chunks[k + 1][0]].startMs;
    return {
      startMs,
      endMs: Math.max(endMs, startMs + 1),
      lines: wrapLines(words.slice(a, b).join(' '), cfg.maxLineChars),
    };
  });
}

/**
 * Start and end of each display word. The recogniser's timings describe rawText; they are used when the
 * display text still has as many words (post-processing that only capitalises or punctuates keeps that).
 */
function wordTimes(seg: Segment, words: string[]): { startMs: number; endMs: number }[] {
  const clamp = (ms: number) => Math.min(seg.endMs, Math.max(seg.startMs, ms));
  if (seg.words.length === words.length) {
    return seg.words.map((w) => ({ startMs: clamp(w.startMs), endMs: clamp(w.endMs) }));
  }
  const totalChars = words.reduce((n, w) => n + w.length + 1, 0);
  const span = seg.endMs - seg.startMs;
  let at = 0;
  return words.map((w) => {
    const startMs = seg.startMs + Math.round((span * at) / totalChars);
    at += w.length + 1;
    return { startMs, endMs: seg.startMs + Math.round((span * (at - 1)) / totalChars) };
  });
}

/**
 * Breaks text into lines of at most maxChars (a longer single word gets a line of its own), using as few
 * lines as greedy filling does; two lines are balanced, as subtitle guidelines ask.
 */
export function wrapLines(text: string, maxChars: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const len = (s: string) => [...s].length;
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.length - 1;
    if (last >= 0 && len(lines[last]) + 1 + len(w) <= maxChars) lines[last] += ` ${w}`;
    else lines.push(w);
  }
  if (lines.length !== 2) return lines;
  let best = lines;
  let bestWidth = Math.max(len(lines[0]), len(lines[1]));
  for (let k = 1; k < words.length; k++) {
    const pair = [words.slice(0, k).join(' '), words.slice(k).join(' ')];
    const width = Math.max(len(pair[0]), len(pair[1]));
    if (width <= maxChars && width < bestWidth) {
      best = pair;
      bestWidth = width;
    }
  }
  return best;
}

/** 00:00:01,000 for SRT (sep ','), 00:00:01.000 for WebVTT (sep '.'). Hours grow past 99 if needed. */
export function formatTimestamp(ms: number, sep: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const frac = total % 1000;
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  return `${p(h, 2)}:${p(m, 2)}:${p(s, 2)}${sep}${p(frac, 3)}`;
}

/** SRT has no escaping; a "-->" in the text becomes "->" so that no reader takes the line for a timing. */
export function formatSrt(cues: readonly Cue[]): string {
  const clean = (s: string) => s.replace(/-->/g, '->');
  return cues
    .map(
      (c, i) =>
        `${i + 1}\n${formatTimestamp(c.startMs, ',')} --> ${formatTimestamp(c.endMs, ',')}\n${c.lines.map(clean).join('\n')}\n`,
    )
    .join('\n');
}

/** WebVTT; cue text is escaped (&, <, >), so a transcript can never open a tag or fake a "-->". */
export function formatVtt(cues: readonly Cue[]): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = cues.map(
    (c) =>
      `${formatTimestamp(c.startMs, '.')} --> ${formatTimestamp(c.endMs, '.')}\n${c.lines.map(escape).join('\n')}\n`,
  );
  return ['WEBVTT\n', ...body].join('\n');
}
