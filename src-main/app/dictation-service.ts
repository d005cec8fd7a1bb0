import { EventEmitter } from 'node:events';
import { deviceNameProblem } from '../engine/device-name.js';
import { Capture, type CaptureConfig } from '../engine/capture.js';
import type { EngineClient } from '../engine/engine-client.js';
import { Postprocessor, type PostprocessConfig } from '../engine/postprocess.js';
import type { FinalEvent, PartialEvent } from '../engine/recognizer.js';
import type { DictationStatus, EventPayloads } from '../ipc/contract.js';
import type { Store } from '../store/store.js';

/**
 * One dictation at a time, from the hotkey to stored text: microphone → engine process → spoken
 * commands and capitals → store (segment row, then its audio clip) → events for the renderer.
 * The engine stays loaded between sessions so the next press starts listening at once.
 */
export interface DictationConfig {
  sampleRate: number;
  /** Audio kept on each side of a segment's span in its clip, so playback does not clip word edges. */
  clipPaddingMs: number;
  /** Level events to the renderer at most this often. */
  levelIntervalMs: number;
  capture: Partial<CaptureConfig>;
  postprocess: Partial<PostprocessConfig>;
}

export const DEFAULT_DICTATION: DictationConfig = {
  sampleRate: 16000,
  clipPaddingMs: 150,
  levelIntervalMs: 100,
  capture: {},
  postprocess: {},
};

type Events = { [K in keyof EventPayloads]: [EventPayloads[K]] };

/**
 * Where finished text goes besides the store and the window: typed into the focused app, or copied
 * (app/output/text-output.ts). It never throws into dictation: it reports its own failures.
 */
export interface DictationOutput {
  /** A session starts: nothing of it has gone out yet. */
  begin(): void;
  /** The session's whole text as it now reads, after each phrase. Returns at once. */
  write(text: string): void;
  /** Resolves once everything written so far has gone out. */
  idle(): Promise<void>;
}

/** The session's audio since the oldest segment not yet stored, to cut clips from. */
class SessionAudio {
  private chunks: Float32Array[] = [];
  /** Session sample index of chunks[0][0]. */
  private start = 0;
  private length = 0;

  push(samples: Float32Array): void {
    this.chunks.push(samples);
    this.length += samples.length;
  }

  /** Samples [from, to) of the session (clamped to what is held). */
  slice(from: number, to: number): Float32Array {
    from = Math.max(from, this.start);
    to = Math.min(to, this.start + this.length);
    const out = new Float32Array(Math.max(0, to - from));
    let pos = this.start;
    for (const c of this.chunks) {
      const a = Math.max(from, pos);
      const b = Math.min(to, pos + c.length);
      if (a < b) out.set(c.subarray(a - pos, b - pos), a - from);
      pos += c.length;
      if (pos >= to) break;
    }
    return out;
  }

  /** Forgets audio before session sample `before` (whole chunks only). */
  drop(before: number): void {
    while (this.chunks.length > 0 && this.start + this.chunks[0].length <= before) {
      this.start += this.chunks[0].length;
      this.length -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  get end(): number {
    return this.start + this.length;
  }
}

export class DictationService extends EventEmitter<Events> {
  private readonly cfg: DictationConfig;
  private status: DictationStatus = {
    state: 'idle',
    sessionId: null,
    startedAt: null,
    device: null,
    error: null,
  };
  private capture: Capture | null = null;
  private audio = new SessionAudio();
  private post: Postprocessor;
  private segmentIds: number[] = [];
  private pending: Promise<unknown> = Promise.resolve();
  private lastLevel = 0;
  /**
   * The engine's stream is this service's: from start() until stop() has stored the last phrase. Enrolment
   * takes use the same engine between dictations, and their text must not land in the last session.
   */
  private streaming = false;

  constructor(
    private readonly store: Store,
    private readonly engine: EngineClient,
    config: Partial<DictationConfig> = {},
    /** The model version the engine is running (null: a model folder that is no version), for new sessions. */
    private readonly runningVersion: () => number | null = () => null,
    /** Where finished phrases go outside Attune (null: its window only). */
    private readonly output: DictationOutput | null = null,
  ) {
    super();
    this.cfg = { ...DEFAULT_DICTATION, ...config };
    this.post = new Postprocessor(this.cfg.postprocess);
    engine.on('partial', (p) => this.onPartial(p));
    engine.on('final', (f) => this.onFinal(f));
    engine.on('error', (e) => this.fail(`speech engine: ${e.message}`, e.fatal));
    engine.on('exit', (code) => {
      if (this.status.state === 'listening' || this.status.state === 'thinking') {
        this.fail(`speech engine stopped unexpectedly (exit code ${code}); the text so far is kept`, true);
      }
    });
    // The engine client starts a new process by itself: the next dictation can begin.
    engine.on('restarted', () => {
      if (this.status.state === 'error') {
        this.setStatus({ error: `${this.status.error ?? 'speech engine stopped'}; it is running again` });
      }
    });
  }

  getStatus(): DictationStatus {
    return { ...this.status };
  }

  private setStatus(patch: Partial<DictationStatus>): void {
    this.status = { ...this.status, ...patch };
    this.emit('dictation.state', this.getStatus());
  }

  /** Starts a new session listening on `device` (default: the system's default microphone). */
  async start(device: string = this.store.settings.get('device')): Promise<DictationStatus> {
    if (
      this.status.state === 'listening' ||
      this.status.state === 'starting' ||
      this.status.state === 'thinking'
    ) {
      return this.getStatus();
    }
    // Refused before a session is opened: the recorder would misread such a name (device-name.ts).
    const problem = deviceNameProblem(device);
    if (problem) {
      this.setStatus({ state: 'error', error: `microphone: ${problem}`, device });
      return this.getStatus();
    }
    this.setStatus({ state: 'starting', error: null, device });
    const session = this.store.sessions.create({ device, modelVersionId: this.runningVersion() });
    this.audio = new SessionAudio();
    // Spoken-command rules the user switched off in Settings apply from this session on.
    const off = Object.fromEntries(this.store.settings.get('disabledCommands').map((r) => [r, false]));
    this.post = new Postprocessor({ rules: { ...this.cfg.postprocess.rules, ...off } });
    this.segmentIds = [];
    this.output?.begin();
    this.engine.reset();
    this.streaming = true;
    const capture = new Capture({ ...this.cfg.capture, device, sampleRate: this.cfg.sampleRate });
    capture.on('data', (samples) => {
      this.audio.push(samples);
      this.engine.sendAudio(samples);
    });
    capture.on('level', (l) => {
      const now = Date.now();
      if (now - this.lastLevel >= this.cfg.levelIntervalMs) {
        this.lastLevel = now;
        this.emit('dictation.level', { rmsDb: l.rms, peakDb: l.peak });
      }
    });
    capture.on('error', (e) => {
      // A recorder that restarts is a hiccup; one that cannot is the end of this session (its text is kept).
      if (e.details.willRestart) this.setStatus({ error: `microphone: ${e.message} (restarting)` });
      else this.fail(`microphone: ${e.message}; the text so far is kept`, true);
    });
    capture.on('restarted', () => this.setStatus({ error: null }));
    // Lost audio is never silent: overruns and discarded bytes are shown with the state.
    capture.on('warning', (w) => this.setStatus({ error: `microphone: ${w.message}` }));
    this.capture = capture;
    try {
      await capture.start();
    } catch (err) {
      this.capture = null;
      this.streaming = false;
      this.store.sessions.end(session.id);
      this.setStatus({
        state: 'error',
        sessionId: session.id,
        error: `microphone: ${(err as Error).message}`,
      });
      return this.getStatus();
    }
    this.setStatus({ state: 'listening', sessionId: session.id, startedAt: session.createdAt });
    this.emit('sessions.changed', { id: session.id });
    return this.getStatus();
  }

  /** Stops listening, waits for the last phrase to be recognised and stored, and ends the session. */
  async stop(): Promise<DictationStatus> {
    if (this.status.state !== 'listening' && this.status.state !== 'error') return this.getStatus();
    const sessionId = this.status.sessionId;
    this.setStatus({ state: 'thinking' });
    await this.capture?.stop().catch(() => undefined);
    this.capture = null;
    await this.engine.finish();
    await this.pending;
    // "Stopped" means the last phrase is also where the user wanted it (typed, copied).
    await this.output?.idle();
    this.streaming = false;
    // A failure may have ended the session already (its text is stored either way).
    if (sessionId !== null && this.store.sessions.get(sessionId).status === 'recording')
      this.store.sessions.end(sessionId);
    this.setStatus({ state: 'stopped', error: this.status.error });
    if (sessionId !== null) this.emit('sessions.changed', { id: sessionId });
    return this.getStatus();
  }

  /** Waits until every recognised segment so far has been stored (tests, shutdown). */
  async idle(): Promise<void> {
    await this.pending;
  }

  private onPartial(p: PartialEvent): void {
    const sessionId = this.status.sessionId;
    if (sessionId === null || !this.streaming) return;
    this.emit('dictation.partial', {
      sessionId,
      segment: p.segment,
      committed: p.committed,
      partial: p.partial,
    });
  }

  private onFinal(f: FinalEvent): void {
    const sessionId = this.status.sessionId;
    if (sessionId === null || !this.streaming) return;
    // Segments are stored strictly in order, each after the previous one's clip is written.
    this.pending = this.pending
      .then(() => this.storeSegment(sessionId, f))
      .catch((err: unknown) => {
        this.fail(`could not save a segment: ${(err as Error).message}`, false);
      });
  }

  private async storeSegment(sessionId: number, f: FinalEvent): Promise<void> {
    const sr = this.cfg.sampleRate;
    const pad = Math.round((this.cfg.clipPaddingMs / 1000) * sr);
    const from = Math.max(0, Math.round((f.startMs / 1000) * sr) - pad);
    const to = Math.round((f.endMs / 1000) * sr) + pad;
    const samples = this.audio.slice(from, to);
    const shown = this.post.push(f.text);
    // Out at once, beside the store: a full disk does not stop the typing, nor a failed typing the storing.
    this.output?.write(this.post.text());
    const segment = await this.store.appendSegment(
      sessionId,
      {
        startMs: f.startMs,
        endMs: f.endMs,
        rawText: f.text,
        displayText: shown.segment.text,
        words: f.words,
      },
      samples.length > 0 ? { samples, sampleRate: sr } : undefined,
    );
    this.segmentIds.push(segment.id);
    this.audio.drop(from);
    // The text is stored; its clip is not (a full disk, a folder gone read-only): say so, dictation goes on.
    if (segment.audioError)
      this.fail(
        `the audio of a phrase could not be saved (${segment.audioError.message}); its text is kept`,
        false,
      );
    // "Scratch that" may have removed text from earlier segments: store and show them as they now read.
    for (const r of shown.revised) {
      const revisedId = this.segmentIds[r.index];
      if (revisedId !== undefined) {
        const updated = this.store.segments.setDisplayText(revisedId, r.text);
        this.emit('dictation.segment', { sessionId, segment: updated });
      }
    }
    const { audioError: _e, ...row } = segment;
    this.emit('dictation.segment', { sessionId, segment: row });
    if (segment.audioError) this.setStatus({ error: `audio not saved: ${segment.audioError.message}` });
  }

  private fail(message: string, fatal: boolean): void {
    if (!fatal) {
      this.setStatus({ error: message });
      return;
    }
    const sessionId = this.status.sessionId;
    void this.capture?.stop().catch(() => undefined);
    this.capture = null;
    if (sessionId !== null) {
      try {
        this.store.sessions.end(sessionId);
      } catch {
        // The session may already be ended; its text is stored either way.
      }
    }
    this.setStatus({ state: 'error', error: message });
  }
}
