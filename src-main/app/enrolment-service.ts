import { Capture, CaptureError, type CaptureConfig } from '../engine/capture.js';
import type { EngineClient } from '../engine/engine-client.js';
import type { FinalEvent } from '../engine/recognizer.js';
import type {
  EnrolmentPrompt,
  EnrolmentPrompts,
  EnrolmentStatus,
  EnrolmentTake,
  EventPayloads,
} from '../ipc/contract.js';
import type { Store } from '../store/store.js';
import { AppError } from './app-error.js';
import { type SpeechSpanConfig, speechSpan } from './take-audio.js';

/**
 * Enrolment's recorder: one prompt at a time, read into the microphone while the level meter moves and the
 * engine decodes it, then stored as a take (store.addEnrolmentTake): the clip cut to the speech, what the
 * model heard, and the prompt as its transcript, which personal training learns from like a correction.
 * It shares the engine with dictation, so it records only while dictation does not.
 */
export interface EnrolmentConfig {
  sampleRate: number; // 16000 Hz
  /** A take stops by itself after this long, in seconds (a prompt takes a few). */
  maxTakeSeconds: number; // 30
  /** Takes recorded before training on them is offered: the trainer holds some back to measure on. */
  minTakes: number; // 5
  /** The reading an enrolment aims for, in minutes (about what the prompt set holds). */
  targetMinutes: number; // 5
  /** Level events to the renderer at most this often, in ms. */
  levelIntervalMs: number; // 100
  /** How a take is cut to its speech, and when it holds none. */
  speech: Partial<SpeechSpanConfig>;
  capture: Partial<CaptureConfig>;
}

export const DEFAULT_ENROLMENT: EnrolmentConfig = {
  sampleRate: 16000,
  maxTakeSeconds: 30,
  minTakes: 5,
  targetMinutes: 5,
  levelIntervalMs: 100,
  speech: {},
  capture: {},
};

export interface EnrolmentDeps {
  store: Store;
  engine: EngineClient;
  prompts: EnrolmentPrompts;
  /** Whether dictation holds the engine now, and a way to end a dictation that failed (it may hold it still). */
  dictation: { state(): string; stopFailed(): Promise<unknown> };
  /** Frees the microphone from the Settings test. */
  stopMicTest: () => Promise<void>;
  /** Training holds while a take records, as it does while the user dictates. */
  setRecording: (active: boolean) => void;
  emitLevel: (level: EventPayloads['enrolment.level']) => void;
  /** The enrolment status changed; `sessionId`: a take was stored in that session. */
  changed: (status: EnrolmentStatus, sessionId: number | null) => void;
}

interface Take {
  promptId: string;
  startedAt: number;
  discard: boolean;
  /** Ends the recording (set once capture runs). */
  end: () => void;
  /** Settles when record() has finished with this take. */
  done: Promise<unknown>;
}

const ACTIVE_DICTATION = ['starting', 'listening', 'thinking'];

export class EnrolmentService {
  private readonly cfg: EnrolmentConfig;
  private readonly byId: Map<string, EnrolmentPrompt>;
  private take: Take | null = null;

  constructor(
    private readonly deps: EnrolmentDeps,
    config: Partial<EnrolmentConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_ENROLMENT, ...config };
    this.byId = new Map(deps.prompts.prompts.map((p) => [p.id, p]));
  }

  get prompts(): EnrolmentPrompts {
    return this.deps.prompts;
  }

  get recording(): boolean {
    return this.take !== null;
  }

  status(): EnrolmentStatus {
    const { store, prompts } = this.deps;
    const session = store.enrolment.current();
    // Takes of prompts a later prompt set no longer has still count as speech, not as prompts done.
    const all = session ? store.enrolment.items(session.id) : [];
    const items = all.filter((i) => this.byId.has(i.promptId));
    const done = new Map(items.map((i) => [i.promptId, i.status]));
    const next =
      prompts.prompts.find((p) => !done.has(p.id)) ??
      prompts.prompts.find((p) => done.get(p.id) === 'skipped') ??
      null;
    const offer =
      !store.enrolment.everStarted() &&
      !store.settings.get('enrolmentDeclined') &&
      store.sessions.list({ limit: 1 }).total === 0;
    return {
      sessionId: session?.id ?? null,
      prompts: prompts.prompts.length,
      items,
      recorded: items.filter((i) => i.status === 'recorded').length,
      skipped: items.filter((i) => i.status === 'skipped').length,
      speechMs: all.reduce((sum, i) => sum + i.durationMs, 0),
      next: next?.id ?? null,
      recording: this.take && { promptId: this.take.promptId, startedAt: this.take.startedAt },
      minTakes: this.cfg.minTakes,
      targetMs: this.cfg.targetMinutes * 60_000,
      offer,
    };
  }

  /**
   * Records a reading of the prompt from `device` until stop() (or the longest take), then stores it.
   * Resolves with the stored take, or null when it was discarded.
   */
  async record(
    promptId: string,
    device: string,
  ): Promise<{ take: EnrolmentTake | null; status: EnrolmentStatus }> {
    const prompt = this.prompt(promptId);
    if (this.take) throw new AppError('INVALID_STATE', 'a prompt is being recorded already: stop it first');
    if (ACTIVE_DICTATION.includes(this.deps.dictation.state())) {
      throw new AppError('INVALID_STATE', 'stop dictation before recording a prompt');
    }
    if (!this.deps.store.settings.get('keepAudio')) {
      throw new AppError(
        'INVALID_STATE',
        'enrolment needs its recordings kept: turn on "Keep the audio of what I dictate" in Settings',
      );
    }
    let finish!: (v?: unknown) => void;
    const take: Take = {
      promptId,
      startedAt: Date.now(),
      discard: false,
      end: () => {},
      done: new Promise((resolve) => (finish = resolve)),
    };
    this.take = take;
    let kept: EnrolmentTake | null = null;
    try {
      await this.deps.dictation.stopFailed();
      await this.deps.stopMicTest();
      this.changed(null);
      const audio = await this.capture(take, device);
      if (!take.discard) kept = await this.keep(prompt, audio, device);
    } finally {
      this.take = null;
      finish();
      this.changed(null);
    }
    return { take: kept, status: this.status() };
  }

  /** Ends the take being recorded; resolves once it is stored (or thrown away, with `discard`). */
  async stop(discard = false): Promise<EnrolmentStatus> {
    const take = this.take;
    if (take) {
      take.discard ||= discard;
      take.end();
      await take.done;
    }
    return this.status();
  }

  /** Passes over a prompt for now: it comes back once every other prompt is done. */
  skip(promptId: string): EnrolmentStatus {
    this.prompt(promptId);
    if (this.take?.promptId === promptId) {
      throw new AppError('INVALID_STATE', `prompt ${promptId} is being recorded: stop it before skipping it`);
    }
    const session = this.deps.store.enrolment.open(null);
    this.deps.store.enrolment.skip(session.id, promptId);
    return this.changed(null);
  }

  private prompt(promptId: string): EnrolmentPrompt {
    const prompt = this.byId.get(promptId);
    if (!prompt) {
      const ids = this.deps.prompts.prompts;
      throw new AppError(
        'BAD_ARGUMENT',
        `unknown prompt ${JSON.stringify(promptId)}: the prompts are ${ids[0].id} to ${ids.at(-1)!.id}`,
      );
    }
    return prompt;
  }

  private changed(sessionId: number | null): EnrolmentStatus {
    const status = this.status();
    this.deps.changed(status, sessionId);
    return status;
  }

  /** Captures until the take is ended, feeding the engine as dictation does; returns the audio and what it heard. */
  private async capture(take: Take, device: string): Promise<{ samples: Float32Array; heard: string }> {
    const { engine } = this.deps;
    const chunks: Float32Array[] = [];
    const heard: string[] = [];
    const onFinal = (f: FinalEvent) => heard.push(f.text);
    let failure: CaptureError | null = null;
    let lastLevel = 0;
    const capture = new Capture({ ...this.cfg.capture, device, sampleRate: this.cfg.sampleRate });
    capture.on('data', (samples) => {
      chunks.push(samples);
      engine.sendAudio(samples);
    });
    capture.on('level', (l) => {
      const now = Date.now();
      if (now - lastLevel < this.cfg.levelIntervalMs) return;
      lastLevel = now;
      this.deps.emitLevel({ rmsDb: l.rms, peakDb: l.peak });
    });
    capture.on('error', (e) => {
      if (!e.details.willRestart) failure = e;
    });
    engine.reset();
    engine.on('final', onFinal);
    this.deps.setRecording(true);
    try {
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.cfg.maxTakeSeconds * 1000);
        capture.once('stopped', () => resolve());
        take.end = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      try {
        await capture.start();
      } catch (err) {
        // Stopped before the recorder delivered audio: the take is simply not there.
        if (take.discard && err instanceof CaptureError && err.code === 'STOPPED')
          return { samples: new Float32Array(0), heard: '' };
        throw err instanceof CaptureError ? new AppError('NOT_AVAILABLE', `microphone: ${err.message}`) : err;
      }
      if (!take.discard) await ended;
    } finally {
      await capture.stop();
      // The last phrase's final comes on finish(); a discarded take's stream is simply forgotten.
      if (take.discard) engine.reset();
      else await engine.finish();
      engine.off('final', onFinal);
      this.deps.setRecording(false);
    }
    if (failure) throw new AppError('NOT_AVAILABLE', `microphone: ${(failure as CaptureError).message}`);
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      samples.set(c, at);
      at += c.length;
    }
    return { samples, heard: heard.join(' ').replace(/\s+/g, ' ').trim() };
  }

  /** Stores a take cut to its speech; refuses one in which nothing was heard. */
  private async keep(
    prompt: EnrolmentPrompt,
    audio: { samples: Float32Array; heard: string },
    device: string,
  ): Promise<EnrolmentTake> {
    const span = speechSpan(audio.samples, this.cfg.sampleRate, this.cfg.speech);
    if (span.to <= span.from) {
      const loudest = Number.isFinite(span.loudestDb) ? ` (loudest ${Math.round(span.loudestDb)} dB)` : '';
      throw new AppError(
        'NO_SPEECH',
        `nothing was heard in this take${loudest}: check the microphone, then read the sentence again`,
      );
    }
    const { segment } = await this.deps.store.addEnrolmentTake({
      promptId: prompt.id,
      promptText: prompt.text,
      heard: audio.heard,
      device,
      audio: { samples: audio.samples.slice(span.from, span.to), sampleRate: this.cfg.sampleRate },
    });
    this.changed(segment.sessionId);
    return {
      promptId: prompt.id,
      segmentId: segment.id,
      heard: segment.rawText,
      durationMs: segment.endMs - segment.startMs,
    };
  }
}
