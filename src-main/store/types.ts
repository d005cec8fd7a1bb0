// The store's records as the rest of the app sees them: camelCase, times in ms, JSON columns parsed.

import type { DecodedWord } from '../speech/decode.js';

export type SessionStatus = 'recording' | 'done' | 'interrupted';
export type CorrectionStatus = 'pending' | 'trained' | 'held-out';
/** 'user': a fix typed by the user; 'enrolment': the prompt the user read for an enrolment take. */
export type CorrectionSource = 'user' | 'enrolment';
export type ModelStatus = 'active' | 'candidate' | 'rejected' | 'retired';

export interface Session {
  id: number;
  title: string;
  createdAt: number; // ms since the epoch
  endedAt: number | null;
  /** Microphone the session was recorded from, as the capture layer names it. */
  device: string | null;
  /** Model version that transcribed it (null when unknown or since deleted). */
  modelVersionId: number | null;
  status: SessionStatus;
  /** Set while the session is in the trash. */
  deletedAt: number | null;
}

/** A session as a list shows it. */
export interface SessionSummary extends Session {
  segmentCount: number;
  correctionCount: number;
  /** End of the last segment, in ms from the session's start. */
  durationMs: number;
  /** The start of the transcript, cut to previewChars at a word boundary. */
  preview: string;
}

/** A recognised word with its time span on the session timeline. */
export type Word = DecodedWord;

export interface Segment {
  id: number;
  sessionId: number;
  /** Position within the session: 0, 1, 2, … */
  seq: number;
  startMs: number; // from the session's start
  endMs: number;
  /** The model's own text, kept as it was. */
  rawText: string;
  /** What the user sees: the raw text after post-processing and the user's edits. */
  displayText: string;
  /** Word timings of rawText (they do not follow later edits). */
  words: Word[];
  /** The clip's path relative to the data folder (audio/<session>/<segment>.wav), or null. */
  audioPath: string | null;
  createdAt: number;
  editedAt: number | null;
}

export interface NewSegment {
  startMs: number;
  endMs: number;
  rawText: string;
  /** Defaults to rawText. */
  displayText?: string;
  words?: Word[];
}

export interface Correction {
  id: number;
  segmentId: number;
  beforeText: string;
  afterText: string;
  createdAt: number;
  status: CorrectionStatus;
  source: CorrectionSource;
  /** The model version that was trained on it (null until then). */
  modelVersionId: number | null;
}

/** One segment's corrections, as the trainer uses them: the audio and what it really said. */
export interface TrainingItem {
  segmentId: number;
  sessionId: number;
  /** The corrections this item stands for, oldest first; mark them all when it is used. */
  correctionIds: number[];
  /** The newest correction's text: the segment's true transcript. */
  text: string;
  rawText: string;
  audioPath: string | null;
  startMs: number;
  endMs: number;
}

export interface ModelVersion {
  id: number;
  label: string;
  /** Folder of the model's files. */
  dir: string;
  parentId: number | null;
  createdAt: number;
  /** Evaluation results (WER on held-out corrections, …), as the trainer wrote them. */
  metrics: Record<string, unknown>;
  status: ModelStatus;
  /** Why it has its status ("worse WER on held-out", "replaced by v3"), when one was given. */
  reason: string | null;
}

export interface Page<T> {
  items: T[];
  /** Count of all matching records, for "page 2 of 7". */
  total: number;
}

export interface PageOptions {
  limit?: number; // 50
  offset?: number; // 0
}

export const EXPORT_FORMATS = ['txt', 'srt', 'vtt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Where finished phrases go besides the store: typed into the app that has the keyboard focus, copied to
 * the clipboard (the dictation's whole text, to paste), or nowhere (Attune's own window only).
 */
export const OUTPUT_MODES = ['type', 'clipboard', 'window'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];
