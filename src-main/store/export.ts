// Exporting a session (or some of its segments) to a file: .txt, .srt, .vtt or .json.
//
// Existing files are never replaced unless asked: by default the name gets a number, "Title (2).txt",
// as file managers do; ifExists 'fail' reports EXISTS instead, 'replace' overwrites. Every write is atomic:
// the content goes to a temporary file in the target folder, is flushed, then linked (which cannot
// replace an existing file, so two exports racing for a name cannot clobber each other) or renamed into
// place. A failed export leaves no partial file behind; the hidden temporary file of an export a crash cut short
// is removed by the next export into that folder (removeExportLeftovers).

import { randomBytes } from 'node:crypto';
import { link, lstat, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { processAlive } from '../process/process-alive.js';
import { describeFsError, StoreError } from './errors.js';
import { numberedName, safeFileStem } from './filenames.js';
import type { Store } from './store.js';
import { buildCues, formatSrt, formatVtt, type SubtitleConfig } from './subtitles.js';
import { EXPORT_FORMATS, type Correction, type ExportFormat, type Segment, type Session } from './types.js';
import { checkIds, show } from './validate.js';

export type IfExists = 'number' | 'fail' | 'replace';

export interface ExportOptions {
  format: ExportFormat;
  /** Folder to write into; it must exist. */
  dir: string;
  /** Export only these segments (in session order); all when absent. */
  segmentIds?: number[];
  /** What to do when the file name is taken. */
  ifExists?: IfExists; // 'number'
  /** File name without extension; derived from the session title when absent. Sanitised either way. */
  fileName?: string;
  subtitles?: Partial<SubtitleConfig>;
}

export interface ExportResult {
  /** Absolute path of the written file. */
  path: string;
  bytes: number;
  segments: number;
}

export interface ExportData {
  session: Session;
  segments: Segment[];
  /** Corrections of these segments (for .json). */
  corrections: Correction[];
  /** When the export was made, ms since the epoch (for .json). */
  exportedAt: number;
}

/** Highest "(n)" tried before giving up on finding a free name. */
const MAX_NUMBERED = 9999;
/** writeExportFile's temporary files: ".<stem>.<pid>-<12 hex>.tmp". */
const EXPORT_TEMP = /^\..+\.(\d+)-[0-9a-f]{12}\.tmp$/;
/** A temporary file of a dead process this old is a crash's leftover: an export takes milliseconds. */
const LEFTOVER_AGE_MS = 60_000;
/** Errors from link() that mean "this file system has no hard links": fall back to rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** An export as content, not yet written: what a browser download or a save dialog needs. */
export interface RenderedExport {
  /** Sanitised file name with extension, e.g. "Team sync.txt". */
  fileName: string;
  mimeType: string;
  content: string;
  segments: number;
}

export const MIME_TYPES: Readonly<Record<ExportFormat, string>> = {
  txt: 'text/plain; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  json: 'application/json',
};

/** Renders a session (or some of its segments) without writing anything. */
export function renderSession(
  store: Store,
  sessionId: number,
  opts: Omit<ExportOptions, 'dir' | 'ifExists'>,
): RenderedExport {
  const format = checkFormat(opts?.format);
  const data = collect(store, sessionId, opts.segmentIds);
  const stem = safeFileStem(opts.fileName ?? data.session.title);
  return {
    fileName: numberedName(stem, format, 1),
    mimeType: MIME_TYPES[format],
    content: renderExport(data, format, opts.subtitles),
    segments: data.segments.length,
  };
}

/** Renders and writes an export into opts.dir (see the top of this file for name clashes). */
export async function exportSession(
  store: Store,
  sessionId: number,
  opts: ExportOptions,
): Promise<ExportResult> {
  const rendered = renderSession(store, sessionId, opts);
  const stem = rendered.fileName.slice(0, -(opts.format.length + 1));
  const path = await writeExportFile(
    opts.dir,
    stem,
    opts.format,
    rendered.content,
    opts.ifExists ?? 'number',
  );
  return { path, bytes: Buffer.byteLength(rendered.content), segments: rendered.segments };
}

export function renderExport(
  data: ExportData,
  format: ExportFormat,
  subtitles?: Partial<SubtitleConfig>,
): string {
  switch (checkFormat(format)) {
    case 'txt':
      return renderTxt(data);
    case 'srt':
      return formatSrt(buildCues(data.segments, subtitles));
    case 'vtt':
      return formatVtt(buildCues(data.segments, subtitles));
    case 'json':
      return renderJson(data);
  }
}

/** The title, a blank line, then one paragraph per segment (line breaks the user dictated are kept). */
export function renderTxt(data: Pick<ExportData, 'session' | 'segments'>): string {
  const paragraphs = data.segments.map((s) => s.displayText.trim()).filter((t) => t !== '');
  return [data.session.title, ...paragraphs].join('\n\n') + '\n';
}

/** Everything about the session, readable without Attune: absolute times as ISO 8601, offsets in ms. */
export function renderJson(data: ExportData): string {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const bySegment = new Map<number, Correction[]>();
  for (const c of data.corrections) bySegment.set(c.segmentId, [...(bySegment.get(c.segmentId) ?? []), c]);
  const s = data.session;
  const doc = {
    format: 'attune-session',
    version: 1,
    exportedAt: iso(data.exportedAt),
    session: {
      id: s.id,
      title: s.title,
      createdAt: iso(s.createdAt),
      endedAt: iso(s.endedAt),
      device: s.device,
      modelVersionId: s.modelVersionId,
      status: s.status,
    },
    segments: data.segments.map((g) => ({
      id: g.id,
      seq: g.seq,
      startMs: g.startMs,
      endMs: g.endMs,
      rawText: g.rawText,
      displayText: g.displayText,
      words: g.words,
      corrections: (bySegment.get(g.id) ?? []).map((c) => ({
        beforeText: c.beforeText,
        afterText: c.afterText,
        createdAt: iso(c.createdAt),
        status: c.status,
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * Writes content to dir/stem.ext atomically and returns the path written. See the top of this file for
 * what happens when the name is taken.
 */
export async function writeExportFile(
  dir: string,
  stem: string,
  ext: string,
  content: string,
  ifExists: IfExists = 'number',
): Promise<string> {
  if (!['number', 'fail', 'replace'].includes(ifExists)) {
    throw new StoreError('BAD_ARGUMENT', `ifExists must be number, fail or replace, got ${show(ifExists)}`);
  }
  const folder = resolve(dir);
  const info = await stat(folder).catch((err: unknown) => {
    throw new StoreError('UNWRITABLE', `cannot export to ${folder}: ${describeFsError(err)}`, folder, {
      cause: err,
    });
  });
  if (!info.isDirectory())
    throw new StoreError('UNWRITABLE', `cannot export to ${folder}: it is not a folder`, folder);

  // Leftovers of exports into this folder that a crash interrupted go first.
  await removeExportLeftovers(folder);
  const temp = join(folder, `.${stem}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  await writeDurably(temp, content, folder);
  try {
    if (ifExists === 'replace') {
      const target = join(folder, numberedName(stem, ext, 1));
      await rename(temp, target).catch((err: unknown) => {
        throw writeError(err, target);
      });
      await syncFolder(folder);
      return target;
    }
    for (let n = 1; n <= MAX_NUMBERED; n++) {
      const target = join(folder, numberedName(stem, ext, n));
      if (await placeWithoutReplacing(temp, target)) {
        await syncFolder(folder);
        return target;
      }
      if (ifExists === 'fail') {
        throw new StoreError(
          'EXISTS',
          `${target} already exists; choose another name, or allow numbering or replacing`,
          target,
        );
      }
    }
    throw new StoreError(
      'EXISTS',
      `${join(folder, stem)}.${ext} and ${MAX_NUMBERED - 1} numbered names are taken`,
      folder,
    );
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes the hidden temporary files of exports into `dir` that a crash interrupted (".<name>.<pid>-<12 hex>
 * .tmp", writeExportFile's own): those whose process is gone and that are older than any export takes. A
 * folder is cleaned the next time something is exported into it. Returns the paths removed.
 */
export async function removeExportLeftovers(dir: string): Promise<string[]> {
  const folder = resolve(dir);
  const removed: string[] = [];
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    const m = EXPORT_TEMP.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const path = join(folder, name);
    const info = await lstat(path).catch(() => null);
    // Not too young: on a shared folder, a process of the same number on another machine may be writing it.
    if (!info?.isFile() || Date.now() - info.mtimeMs < LEFTOVER_AGE_MS) continue;
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}

/** Puts temp at target unless target exists; false when it does. */
async function placeWithoutReplacing(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target); // atomic, and fails with EEXIST rather than replacing
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw writeError(err, target);
  }
  // No hard links here (FAT, exFAT, some network shares): check, then rename. Another writer could take
  // the name between the two steps; nothing better exists on such file systems.
  if (
    await lstat(target).then(
      () => true,
      () => false,
    )
  )
    return false;
  await rename(temp, target).catch((err: unknown) => {
    throw writeError(err, target);
  });
  return true;
}

async function writeDurably(file: string, content: string, folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'wx');
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle?.close().catch(() => undefined);
    handle = undefined;
    await rm(file, { force: true }).catch(() => undefined);
    throw new StoreError('UNWRITABLE', `cannot write to ${folder}: ${describeFsError(err)}`, folder, {
      cause: err,
    });
  } finally {
    await handle?.close();
  }
}

/** Makes the new name durable; not possible everywhere (Windows), where it is skipped. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Best effort: the content itself is already on disk.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function writeError(err: unknown, target: string): StoreError {
  return new StoreError('UNWRITABLE', `cannot write ${target}: ${describeFsError(err)}`, target, {
    cause: err,
  });
}

function checkFormat(format: unknown): ExportFormat {
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `export format must be one of ${EXPORT_FORMATS.join(', ')}, got ${show(format)}`,
    );
  }
  return format as ExportFormat;
}

function collect(store: Store, sessionId: number, segmentIds: number[] | undefined): ExportData {
  const { session, segments: all } = store.sessions.withSegments(sessionId);
  let segments = all;
  if (segmentIds !== undefined) {
    const wanted = new Set(checkIds(segmentIds, 'segment'));
    if (wanted.size === 0) throw new StoreError('BAD_ARGUMENT', 'no segments selected to export');
    segments = all.filter((g) => wanted.has(g.id));
    const found = new Set(segments.map((g) => g.id));
    const stray = [...wanted].filter((id) => !found.has(id));
    if (stray.length > 0) {
      throw new StoreError(
        'NOT_FOUND',
        `segment${stray.length > 1 ? 's' : ''} ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} not part of session ${sessionId}`,
      );
    }
  }
  const corrections = segments.flatMap((g) => store.corrections.forSegment(g.id));
  return { session, segments, corrections, exportedAt: store.config.now() };
}
