// The store as the app uses it: one object over attune.db and the audio folder. The database parts are
// synchronous (better-sqlite3: a commit has reached the OS when the call returns); anything touching clip
// files is async.

import { join } from 'node:path';
import { ClipStore, type ClipAudio, type RemovedAudio } from './clips.js';
import { DB_FILE_NAME, resolveStoreConfig, type StoreConfig, type StoreOptions } from './config.js';
import { Corrections } from './corrections.js';
import { openDatabase, type Db, writeError } from './db.js';
import { Enrolment } from './enrolment.js';
import { StoreError } from './errors.js';
import { ModelVersions } from './models.js';
import { Search, type SearchOptions, type SearchResult } from './search.js';
import { Segments } from './segments.js';
import { Sessions } from './sessions.js';
import { SettingsStore } from './settings.js';
import type { Correction, NewSegment, Segment } from './types.js';

/** A segment's audio: there, never kept (keepAudio off, or deleted on request), or lost. */
export type SegmentAudio =
  | ({ status: 'ok' } & ClipAudio)
  | { status: 'none' }
  | { status: 'missing' | 'unreadable'; file: string; message: string };

export interface AppendedSegment extends Segment {
  /** Why the clip could not be stored (the segment itself was); null when it was, or none was asked. */
  audioError: StoreError | null;
}

/** A prompted recording to store as an enrolment take. */
export interface EnrolmentTake {
  promptId: string;
  /** What the user was asked to read: the take's transcript. */
  promptText: string;
  /** What the model heard. */
  heard: string;
  /** The microphone, recorded on a new enrolment session. */
  device: string | null;
  audio: { samples: Float32Array; sampleRate: number };
}

export interface StoreInfo {
  file: string;
  journalMode: string;
  /** Schema version found on disk when opening (0: a new database) and the version now. */
  migratedFrom: number;
  migratedTo: number;
  /** Sessions found still recording at open and marked interrupted. */
  recovered: number[];
}

export class Store {
  readonly sessions: Sessions;
  readonly segments: Segments;
  readonly corrections: Corrections;
  readonly models: ModelVersions;
  readonly settings: SettingsStore;
  readonly enrolment: Enrolment;
  readonly clips: ClipStore;
  readonly info: StoreInfo;
  /** Clip paths being written: written to disk but not yet recorded in their row (sweep must spare them). */
  private readonly writing = new Set<string>();
  private readonly searcher: Search;

  private constructor(
    private readonly db: Db,
    readonly config: StoreConfig,
    opened: Omit<StoreInfo, 'recovered'>,
  ) {
    this.sessions = new Sessions(db, config);
    this.segments = new Segments(db, config);
    this.corrections = new Corrections(db, config, this.segments);
    this.models = new ModelVersions(db, config);
    this.settings = new SettingsStore(db, config);
    this.enrolment = new Enrolment(db, config, this.sessions, this.corrections);
    this.clips = new ClipStore(config.dataDir, config.clipSampleRate);
    this.searcher = new Search(db, config, this.sessions);
    const recovered = config.recoverOnOpen ? this.sessions.recoverInterrupted() : [];
    this.info = { ...opened, recovered };
  }

  /** Opens the store in config.dataDir (creating it), migrating and recovering as StoreConfig says. */
  static open(opts: StoreOptions): Store {
    const config = resolveStoreConfig(opts);
    const { db, ...opened } = openDatabase(config);
    try {
      return new Store(db, config, opened);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /**
   * Appends a segment and, when the user keeps audio, its clip. The row is committed first (the text is
   * what matters most); the clip is written after and its path recorded. A clip that cannot be written
   * (disk full, folder unwritable) does not undo the segment: it comes back with audioError set, so the
   * caller can warn without appending twice. If the app dies between row and clip, the segment is kept
   * without audio and sweepAudio() removes the unreferenced file.
   */
  async appendSegment(
    sessionId: number,
    segment: NewSegment,
    audio?: { samples: Float32Array; sampleRate: number },
  ): Promise<AppendedSegment> {
    const keep = audio !== undefined && this.settings.get('keepAudio');
    if (keep) this.clips.checkAudio(audio.samples, audio.sampleRate);
    let row: Segment;
    try {
      row = this.segments.append(sessionId, segment);
    } catch (err) {
      throw writeError(err, join(this.config.dataDir, DB_FILE_NAME));
    }
    if (!keep) return { ...row, audioError: null };
    const relative = this.clips.relativePath(sessionId, row.id);
    this.writing.add(relative);
    try {
      await this.clips.write(sessionId, row.id, audio.samples, audio.sampleRate);
      this.segments.setAudioPath(row.id, relative);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      return { ...row, audioError: err };
    } finally {
      this.writing.delete(relative);
    }
    return { ...this.segments.get(row.id), audioError: null };
  }

  /**
   * Stores an enrolment take in the current enrolment (opening one if needed): a segment with its clip
   * placed after the earlier takes, and the prompt's text as its correction. A prompt recorded before gets
   * this take instead of the old one, whose clip is removed. Refused when audio is not kept: a take without
   * its clip teaches nothing.
   */
  async addEnrolmentTake(take: EnrolmentTake): Promise<{ segment: Segment; correction: Correction }> {
    if (!this.settings.get('keepAudio')) {
      throw new StoreError(
        'INVALID_STATE',
        'enrolment needs its recordings kept: turn on "Keep the audio of what I dictate" in Settings',
      );
    }
    const session = this.enrolment.open(take.device);
    const startMs = this.enrolment.endOfTakes(session.id);
    const durationMs = Math.round((take.audio.samples.length / take.audio.sampleRate) * 1000);
    const appended = await this.appendSegment(
      session.id,
      { startMs, endMs: startMs + durationMs, rawText: take.heard },
      take.audio,
    );
    if (appended.audioError || appended.audioPath === null) {
      this.enrolment.discardSegment(appended.id);
      throw appended.audioError ?? new StoreError('INVALID_STATE', 'the recording was not kept');
    }
    let attached: ReturnType<Enrolment['attachTake']>;
    try {
      attached = this.enrolment.attachTake(session.id, take.promptId, appended.id, take.promptText);
    } catch (err) {
      this.enrolment.discardSegment(appended.id);
      await this.clips.deleteClip(appended.audioPath).catch(() => undefined);
      throw err;
    }
    const { correction, replaced } = attached;
    // A clip that cannot be removed now is swept later: its row is gone either way.
    if (replaced?.audioPath) await this.clips.deleteClip(replaced.audioPath).catch(() => undefined);
    return { segment: this.segments.get(appended.id), correction };
  }

  /** A segment's audio for playback or training; a missing file is a result, not an exception. */
  async segmentAudio(segmentId: number): Promise<SegmentAudio> {
    const { audioPath } = this.segments.get(segmentId);
    if (audioPath === null) return { status: 'none' };
    try {
      return { status: 'ok', ...(await this.clips.read(audioPath)) };
    } catch (err) {
      if (err instanceof StoreError && (err.code === 'CLIP_MISSING' || err.code === 'CLIP_UNREADABLE')) {
        return {
          status: err.code === 'CLIP_MISSING' ? 'missing' : 'unreadable',
          file: err.file ?? audioPath,
          message: err.message,
        };
      }
      throw err;
    }
  }

  search(query: string, opts?: SearchOptions): SearchResult {
    return this.searcher.run(query, opts);
  }

  /** Empties the trash of sessions deleted at least olderThanMs ago, with their audio. Returns their ids. */
  async purgeDeleted(olderThanMs: number): Promise<number[]> {
    const ids = this.sessions.purgeDeleted(olderThanMs);
    for (const id of ids) await this.clips.deleteSession(id);
    return ids;
  }

  /** Erases one session from the trash now, with its audio. */
  async purgeSession(id: number): Promise<void> {
    this.sessions.purge(id);
    await this.clips.deleteSession(id);
  }

  /**
   * Deletes every stored clip, on the user's request. The rows forget their clips first, so no row ever
   * points at a deleted file. This does not change keepAudio: new segments keep audio if it is on.
   */
  async deleteAllAudio(): Promise<RemovedAudio> {
    this.db.prepare('UPDATE segments SET audio_path = NULL WHERE audio_path IS NOT NULL').run();
    return this.clips.deleteAll();
  }

  /**
   * Removes clip files no segment refers to (left by a crash between a row and its clip). Each file is
   * checked against its row just before removal, so a segment appended meanwhile keeps its clip.
   */
  async sweepAudio(): Promise<string[]> {
    const refers = this.db.prepare('SELECT 1 FROM segments WHERE id = ? AND audio_path = ?');
    return this.clips.sweep(
      (p) => this.writing.has(p) || refers.get(this.clips.segmentIdOf(p), p) !== undefined,
    );
  }

  /** Lets SQLite refresh its planner statistics, checkpoints the WAL and closes. Safe to call twice. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      // Statistics only: on a full disk it cannot write them, and closing must not fail for that (the WAL
      // keeps every commit, and the next open replays it).
    } finally {
      this.db.close();
    }
  }
}
