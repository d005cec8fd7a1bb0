import type { AttuneApi, DictationStatus, EventPayloads } from '../../../src-main/ipc/contract.js';
import type { Segment } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

export interface DictationConfig {
  /** How often the elapsed time is refreshed while listening, in ms. */
  tickMs: number; // 250
  /** Level shown when no level has arrived (or the microphone stopped), in dB full scale. */
  floorDb: number; // -60
}

export const DEFAULT_DICTATION_VIEW: DictationConfig = { tickMs: 250, floorDb: -60 };

/** The words the engine is still hearing: the current phrase's complete words and the word in progress. */
export interface LiveText {
  /** The phrase's index in the session (the seq its final segment will have). */
  segment: number;
  committed: string;
  partial: string;
}

const IDLE: DictationStatus = { state: 'idle', sessionId: null, startedAt: null, device: null, error: null };

/**
 * The dictation screen's state: the engine's status, the session's finished segments, the phrase being
 * heard, the input level and the elapsed time, kept in step with the app's events.
 */
export class Dictation {
  status = $state.raw<DictationStatus>(IDLE);
  /** Finished segments of the current session, in order. */
  segments = $state.raw<Segment[]>([]);
  live = $state.raw<LiveText | null>(null);
  rmsDb: number;
  peakDb: number;
  /** A start or stop is in flight. */
  busy = $state(false);
  /** Why the last start or stop failed. */
  actionError = $state<string | null>(null);
  /** The clock the elapsed time is measured against, refreshed while listening. */
  now = $state(Date.now());
  /** When listening ended, to freeze the elapsed time. */
  private endedAt = $state<number | null>(null);
  private readonly cfg: DictationConfig;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly api: AttuneApi,
    config: Partial<DictationConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_DICTATION_VIEW, ...config };
    this.rmsDb = $state(this.cfg.floorDb);
    this.peakDb = $state(this.cfg.floorDb);
  }

  get recording(): boolean {
    return this.status.state === 'starting' || this.status.state === 'listening';
  }

  /**
   * Milliseconds since the session started; frozen once listening ends. A session that ended before this
   * page saw it listening shows no time (its length is in History).
   */
  get elapsedMs(): number {
    const start = this.status.startedAt;
    // While starting, startedAt is still the previous session's.
    if (start === null || this.status.state === 'starting') return 0;
    const end = this.status.state === 'listening' ? this.now : this.endedAt;
    return end === null ? 0 : Math.max(0, end - start);
  }

  /** Everything heard so far as plain text: finished segments, then the phrase in progress. */
  get text(): string {
    const live = this.live ? [this.live.committed, this.live.partial].filter(Boolean).join(' ') : '';
    return [...this.segments.map((s) => s.displayText.trim()), live].filter(Boolean).join(' ');
  }

  /** Subscribes to the app's events and reads the current status; returns the unsubscribe. */
  connect(): () => void {
    const offs = [
      this.api.on('dictation.state', (s) => this.onStatus(s)),
      this.api.on('dictation.partial', (p) => this.onPartial(p)),
      this.api.on('dictation.segment', (s) => this.onSegment(s)),
      this.api.on('dictation.level', (l) => this.onLevel(l)),
    ];
    void this.api
      .call('dictation.status', {})
      .then((s) => {
        this.onStatus(s);
        // Opened mid-session: show what was said before this page was there.
        if (s.state === 'listening' && s.sessionId !== null) void this.loadSession(s.sessionId);
      })
      .catch((err: unknown) => (this.actionError = messageOf(err)));
    return () => {
      for (const off of offs) off();
      this.stopClock();
    };
  }

  async toggle(): Promise<void> {
    if (this.recording) await this.stop();
    else if (this.status.state !== 'thinking') await this.start();
  }

  async start(): Promise<void> {
    await this.act(() => this.api.call('dictation.start', {}));
  }

  async stop(): Promise<void> {
    await this.act(() => this.api.call('dictation.stop', {}));
  }

  private async act(call: () => Promise<DictationStatus>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.actionError = null;
    try {
      this.onStatus(await call());
    } catch (err) {
      this.actionError = messageOf(err);
    } finally {
      this.busy = false;
    }
  }

  private onStatus(s: DictationStatus): void {
    const previous = this.status;
    const fresh = s.state === 'starting' && previous.state !== 'starting';
    const newSession = s.sessionId !== previous.sessionId ? s.sessionId : null;
    if (fresh || newSession !== null) {
      // A new session: its text starts empty.
      this.segments = [];
      this.live = null;
      this.endedAt = null;
    }
    this.status = s;
    if (s.state === 'listening' || s.state === 'starting') {
      this.endedAt = null;
      this.startClock();
    } else {
      const wasListening = previous.state === 'listening' || previous.state === 'starting';
      if (wasListening && this.endedAt === null) this.endedAt = Date.now();
      this.stopClock();
      if (s.state === 'stopped' || s.state === 'error') {
        this.live = null;
        this.rmsDb = this.peakDb = this.cfg.floorDb;
      }
    }
  }

  private onPartial(p: EventPayloads['dictation.partial']): void {
    if (p.sessionId !== this.status.sessionId) return;
    this.live = { segment: p.segment, committed: p.committed, partial: p.partial };
  }

  private onSegment({ sessionId, segment }: EventPayloads['dictation.segment']): void {
    if (sessionId !== this.status.sessionId) return;
    // A segment may arrive again when a spoken command ("scratch that") revised it.
    const others = this.segments.filter((s) => s.id !== segment.id);
    this.segments = [...others, segment].sort((a, b) => a.seq - b.seq);
    // Its words were the live phrase; a later phrase's partials may already have arrived and stay.
    if (this.live && this.live.segment <= segment.seq) this.live = null;
  }

  private onLevel(l: EventPayloads['dictation.level']): void {
    if (!this.recording) return;
    this.rmsDb = Math.max(this.cfg.floorDb, l.rmsDb);
    this.peakDb = Math.max(this.cfg.floorDb, l.peakDb);
  }

  private async loadSession(id: number): Promise<void> {
    try {
      const { segments } = await this.api.call('sessions.get', { id });
      if (this.status.sessionId !== id) return;
      const known = (id: number) => this.segments.some((s) => s.id === id);
      this.segments = [...this.segments, ...segments.filter((s) => !known(s.id))].sort(
        (a, b) => a.seq - b.seq,
      );
    } catch {
      // The session may have ended meanwhile; its live events still show.
    }
  }

  private startClock(): void {
    this.now = Date.now();
    this.timer ??= setInterval(() => (this.now = Date.now()), this.cfg.tickMs);
  }

  private stopClock(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
