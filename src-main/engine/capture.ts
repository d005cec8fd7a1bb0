// Microphone capture: runs a recorder program (arecord on Linux, sox elsewhere) that writes raw 16-bit PCM
// to its stdout, and turns that byte stream into mono float chunks, level readings and clear errors.
//
// The command lines follow node-record-lpcm16, whose arecord argument builder is used as is. The recorder is
// spawned here rather than through the library's Recording class because that class
//  - starts arecord with the parent's environment only, so an ALSA configuration override (XDG_CONFIG_HOME,
//    ALSA_CONFIG_PATH) cannot be given per capture, and the program cannot be given by path;
//  - reports a dead recorder as a bare string on the audio stream, without its stderr or the signal that
//    killed it, and reads stderr only for debug logging, so "overrun!!!" warnings would be lost;
//  - has a sox builder that puts --default-device before the format options, so on ALSA the device is opened
//    at its own format (typically 48 kHz stereo) instead of 16 kHz mono.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Pcm16ChunkDecoder } from '../speech/wav.js';
import { deviceNameProblem } from './device-name.js';

/** Which program records: 'auto' picks arecord on Linux and sox on macOS and Windows. */
export type RecorderChoice = 'auto' | RecorderKind;
export type RecorderKind = 'arecord' | 'sox';

export interface CaptureConfig {
  /** Rate of the delivered audio in Hz; the recorder (or ALSA's plug layer) converts to it. */
  sampleRate: number; // 16000
  /** Channels requested from the device; chunks are always delivered as their mono average. */
  channels: number; // 1
  /** Capture device: an ALSA PCM name on Linux (see listDevices), a sox device name elsewhere. */
  device: string; // 'default'
  recorder: RecorderChoice; // 'auto'
  /** The recorder program: a name looked up on PATH or a full path; undefined = the recorder's own name. */
  recorderPath?: string; // undefined
  /** Extra environment for the recorder, over this process's (e.g. XDG_CONFIG_HOME for an ALSA override). */
  env?: Record<string, string>; // undefined
  /** Audio covered by each 'level' event, in ms of captured audio. */
  levelIntervalMs: number; // 50
  /** Give up if the recorder has delivered no audio this long after start(). */
  startTimeoutMs: number; // 5000
  /** Restart the recorder when it dies mid-session. */
  restartOnFailure: boolean; // true
  /** Restarts allowed per session (per start()); once used up, the next death ends the session. */
  maxRestarts: number; // 5
  /** Wait before the first restart; doubles for each further one, up to maxRestartDelayMs. */
  restartDelayMs: number; // 200
  maxRestartDelayMs: number; // 3000
  /** How long stop() waits after SIGTERM before it sends SIGKILL. */
  stopTimeoutMs: number; // 2000
}

export const DEFAULT_CAPTURE_CONFIG: Readonly<CaptureConfig> = Object.freeze({
  sampleRate: 16000,
  channels: 1,
  device: 'default',
  recorder: 'auto',
  levelIntervalMs: 50,
  startTimeoutMs: 5000,
  restartOnFailure: true,
  maxRestarts: 5,
  restartDelayMs: 200,
  maxRestartDelayMs: 3000,
  stopTimeoutMs: 2000,
});

/** Level readings below this (including digital silence) are reported as this; 16-bit LSB is −90.3 dBFS. */
export const MIN_DBFS = -100;

export type CaptureErrorCode =
  | 'NO_RECORDER' // the recorder program is not installed (or not at the configured path)
  | 'NO_DEVICE' // the capture device does not exist
  | 'DEVICE_BUSY' // another program holds the device
  | 'DEVICE_DENIED' // no permission to open the device
  | 'UNSUPPORTED_FORMAT' // the device cannot deliver the requested rate / channels / 16-bit samples
  | 'NO_AUDIO' // the recorder started but delivered nothing within startTimeoutMs
  | 'RECORDER_FAILED' // the recorder exited before delivering audio, for another reason
  | 'RECORDER_DIED' // the recorder exited mid-session
  | 'STOPPED' // stop() was called before the recorder delivered audio
  | 'BAD_CONFIG'; // the configuration cannot work (e.g. 0 Hz, unsupported platform)

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    readonly details: {
      /** The recorder's exit code, when it exited by itself. */
      exitCode?: number | null;
      /** The signal that ended the recorder, when one did. */
      signal?: NodeJS.Signals | null;
      /** The tail of the recorder's stderr. */
      stderr?: string;
      /** True when capture continues (the recorder is being restarted). */
      willRestart?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

export interface CaptureLevel {
  /** Root mean square of the window, in dB relative to full scale (≥ MIN_DBFS). */
  rms: number;
  /** Largest absolute sample of the window, in dBFS (≥ MIN_DBFS). */
  peak: number;
  /** Stream position (in samples since start()) where the window ends. */
  endSample: number;
}

export type CaptureWarning =
  | { kind: 'overrun'; message: string; /** As reported by arecord. */ atLeastMs?: number; count: number }
  | { kind: 'discarded'; message: string; bytes: number };

export interface RestartInfo {
  /** 1 for the first restart of the session. */
  attempt: number;
  delayMs: number;
  /**
   * Wall-clock ms from the recorder's death to the new recorder's start. A live microphone's sound in this
   * time was never read, so it is missing from the stream (a device that buffers, like a FIFO, keeps it).
   */
  downtimeMs: number;
  pid: number | undefined;
}

export interface StoppedInfo {
  reason: 'stopped' | 'error';
  error?: CaptureError;
  stats: CaptureStats;
}

export interface CaptureStats {
  /** Mono samples delivered through 'data' since start(). */
  samples: number;
  /** samples / sampleRate. */
  seconds: number;
  /** Bytes read from the recorder (all channels). */
  bytes: number;
  restarts: number;
  /** Overruns the recorder reported: audio it lost because it was not read fast enough. */
  overruns: number;
  /** Bytes of an incomplete sample or frame left when a recorder process ended. */
  discardedBytes: number;
}

export interface CaptureEvents {
  /** Mono float samples in [-1, 1) at config.sampleRate: each 16-bit value v arrives as exactly v / 32768. */
  data: [samples: Float32Array];
  level: [level: CaptureLevel];
  warning: [warning: CaptureWarning];
  /** A mid-session failure; `details.willRestart` says whether capture goes on. */
  error: [error: CaptureError];
  restarted: [info: RestartInfo];
  stopped: [info: StoppedInfo];
}

/** Debian package (and a hint for other systems) that provides each recorder. */
const INSTALL_HINTS: Record<RecorderKind, string> = {
  arecord: 'arecord comes with the alsa-utils package: `apt-get install alsa-utils`',
  sox: 'sox comes with the sox package: `apt-get install sox`, `brew install sox`, or sox.sourceforge.net',
};

/** sox's audio driver per platform. */
const SOX_DRIVERS: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'alsa',
  darwin: 'coreaudio',
  win32: 'waveaudio',
};

export function resolveRecorder(
  choice: RecorderChoice,
  platform: NodeJS.Platform = process.platform,
): RecorderKind {
  if (choice !== 'auto') return choice;
  return platform === 'linux' ? 'arecord' : 'sox';
}

export interface RecorderCommand {
  recorder: RecorderKind;
  cmd: string;
  args: string[];
}

type LibraryArgBuilder = (options: {
  sampleRate: number;
  channels: number;
  audioType: string;
  device?: string;
}) => { cmd: string; args: Array<string | number> };

/** The command line that records raw little-endian 16-bit PCM to stdout. */
export function recorderCommand(
  config: Pick<CaptureConfig, 'sampleRate' | 'channels' | 'device' | 'recorder' | 'recorderPath'>,
  platform: NodeJS.Platform = process.platform,
): RecorderCommand {
  const recorder = resolveRecorder(config.recorder, platform);
  const { sampleRate, channels, device } = config;
  const problem = deviceNameProblem(device);
  if (problem) throw new CaptureError('BAD_CONFIG', problem);
  if (recorder === 'arecord') {
    const require = createRequire(import.meta.url);
    const build = require('node-record-lpcm16/recorders/arecord.js') as LibraryArgBuilder;
    const { cmd, args } = build({ sampleRate, channels, audioType: 'raw', device });
    return { recorder, cmd: config.recorderPath ?? cmd, args: args.map(String) };
  }
  const driver = SOX_DRIVERS[platform];
  if (!driver) throw new CaptureError('BAD_CONFIG', `sox capture is not supported on ${platform}`);
  const format = ['-r', `${sampleRate}`, '-c', `${channels}`, '-e', 'signed-integer', '-b', '16'];
  // Format options apply to the file that follows them. On ALSA they must precede the device so it is opened
  // at this format (ALSA's plug layer converts); otherwise sox opens it at the device's own format. CoreAudio
  // and waveaudio devices run at their native rate, so there sox opens them as they are and converts to the
  // output format given before '-'.
  const input = driver === 'alsa' ? [...format, device] : [device];
  return {
    recorder,
    cmd: config.recorderPath ?? 'sox',
    args: ['-q', '-t', driver, ...input, '-t', 'raw', ...format, '-L', '-'],
  };
}

/** One line of recorder stderr, interpreted. */
export type StderrLine = { kind: 'overrun'; atLeastMs?: number } | { kind: 'message'; text: string };

/**
 * Interprets a line of recorder stderr. arecord reports lost audio as "overrun!!! (at least 12.345 ms long)"
 * and sox as "sox WARN alsa: over-run" or "sox WARN coreaudio: ... buffer overrun ..."; everything else is a message kept for error reports.
 */
export function parseStderrLine(line: string): StderrLine {
  const text = line.trim();
  const arecord = /\boverrun!!!(?:\s*\(at least ([\d.]+) ms long\))?/.exec(text);
  if (arecord) return arecord[1] ? { kind: 'overrun', atLeastMs: Number(arecord[1]) } : { kind: 'overrun' };
  if (/\bover-?run\b/i.test(text) && /\bwarn/i.test(text)) return { kind: 'overrun' };
  return { kind: 'message', text };
}

/**
 * Why a recorder exited, from its stderr: the code and a message naming the device and the recorder's own
 * words (e.g. "arecord: main:831: audio open error: No such file or directory" → NO_DEVICE).
 */
export function describeRecorderExit(
  stderr: string,
  ctx: {
    recorder: RecorderKind;
    device: string;
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    /** True when the recorder had delivered audio, so this is a death mid-session. */
    midSession: boolean;
  },
): { code: CaptureErrorCode; message: string } {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && parseStderrLine(l).kind === 'message');
  // arecord prints "arecord: main:831: audio open error: ..."; drop the source location.
  const reason = (lines.at(-1) ?? '').replace(/^arecord: \w+:\d+: /, '');
  const how =
    ctx.signal !== null ? `was killed by ${ctx.signal}` : `exited with code ${ctx.exitCode ?? 'unknown'}`;
  const said = reason ? `: ${reason}` : ' without a message';
  const dev = `capture device "${ctx.device}"`;
  const all = lines.join('\n');
  const listHint = ctx.recorder === 'arecord' ? '; `arecord -L` lists the devices' : '';

  if (/Device or resource busy/i.test(all))
    return {
      code: 'DEVICE_BUSY',
      message: `${dev} is busy: another program is using it (${ctx.recorder}${said})`,
    };
  if (/Permission denied/i.test(all))
    return { code: 'DEVICE_DENIED', message: `no permission to open ${dev} (${ctx.recorder}${said})` };
  if (
    /Unknown PCM|audio open error: No such (file|device)|Cannot get card index|can't open input|can ?not open audio device/i.test(
      all,
    )
  ) {
    return {
      code: 'NO_DEVICE',
      message: `${dev} does not exist or cannot be opened (${ctx.recorder}${said})${listHint}`,
    };
  }
  if (/non available|not available|Invalid argument|can't set sample rate/i.test(all)) {
    return {
      code: 'UNSUPPORTED_FORMAT',
      message: `${dev} cannot record 16-bit PCM at the requested rate/channels (${ctx.recorder}${said})`,
    };
  }
  if (ctx.midSession)
    return { code: 'RECORDER_DIED', message: `${ctx.recorder} ${how} during capture${said}` };
  return { code: 'RECORDER_FAILED', message: `${ctx.recorder} ${how} before delivering audio${said}` };
}

/** Amplitude in [0, 1] → dBFS, floored at MIN_DBFS. */
function toDbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(MIN_DBFS, 20 * Math.log10(amplitude)) : MIN_DBFS;
}

const STDERR_KEEP_CHARS = 4000;

/** One recorder process and the state of its byte stream. */
interface Run {
  child: ChildProcess;
  decoder: Pcm16ChunkDecoder;
  /** Interleaved samples of an incomplete frame (multi-channel only). */
  frameCarry: Float32Array;
  stderr: string;
  stderrPartial: string;
  delivered: boolean;
  ended: boolean;
  spawnError?: NodeJS.ErrnoException;
}

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/**
 * Live microphone capture. `await start()` resolves once audio flows (or rejects with a CaptureError naming
 * the problem: no recorder, no such device, busy, ...). Then 'data' delivers mono float chunks as the
 * recorder writes them, 'level' one reading per levelIntervalMs of audio, 'warning' any audio the recorder
 * lost or that had to be discarded. If the recorder dies mid-session, 'error' reports its exit code/signal
 * and stderr, and it is restarted (with backoff, up to maxRestarts, emitting 'restarted') while the
 * session's stream and counters carry on; everything it delivered before dying has been emitted.
 * 'stopped' ends every session, after stop() or a fatal error. Listen to 'error' (Node's rule for emitters).
 */
export class Capture extends EventEmitter<CaptureEvents> {
  readonly config: Readonly<CaptureConfig>;
  readonly recorder: RecorderKind;
  private readonly command: RecorderCommand;
  private readonly levelWindow: number; // samples per 'level' event

  private state: State = 'idle';
  private run: Run | null = null;
  private pendingStart: { resolve: () => void; reject: (e: CaptureError) => void } | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private lastDelayMs = 0; // backoff before the latest restart
  private diedAt = 0; // performance.now() when the latest recorder died
  private counters: Omit<CaptureStats, 'seconds'> = emptyCounters();
  private levelCount = 0;
  private levelSumSq = 0;
  private levelPeak = 0;

  constructor(config: Partial<CaptureConfig> = {}) {
    super();
    const c = { ...DEFAULT_CAPTURE_CONFIG, ...config };
    for (const key of ['sampleRate', 'channels', 'levelIntervalMs'] as const) {
      if (!Number.isInteger(c[key]) || c[key] <= 0)
        throw new CaptureError('BAD_CONFIG', `capture ${key} must be a positive whole number, got ${c[key]}`);
    }
    this.config = Object.freeze(c);
    this.command = recorderCommand(c);
    this.recorder = this.command.recorder;
    this.levelWindow = Math.max(1, Math.round((c.sampleRate * c.levelIntervalMs) / 1000));
  }

  /** Process id of the running recorder, if one is running. */
  get recorderPid(): number | undefined {
    return this.run && !this.run.ended ? this.run.child.pid : undefined;
  }

  get running(): boolean {
    return this.state === 'starting' || this.state === 'running' || this.state === 'restarting';
  }

  stats(): CaptureStats {
    return { ...this.counters, seconds: this.counters.samples / this.config.sampleRate };
  }

  /** Starts recording; resolves when the first audio arrives. A stopped Capture may be started again. */
  start(): Promise<void> {
    if (this.running || this.state === 'stopping')
      return Promise.reject(new CaptureError('BAD_CONFIG', 'capture is already running'));
    this.counters = emptyCounters();
    this.levelCount = this.levelSumSq = this.levelPeak = 0;
    this.state = 'starting';
    return new Promise<void>((resolve, reject) => {
      this.pendingStart = { resolve, reject };
      this.startTimer = setTimeout(() => {
        this.startTimer = null;
        const err = new CaptureError(
          'NO_AUDIO',
          `${this.recorder} started but delivered no audio from capture device "${this.config.device}" ` +
            `within ${this.config.startTimeoutMs} ms`,
          { stderr: this.run?.stderr },
        );
        this.failStart(err);
        this.run?.child.kill('SIGKILL');
      }, this.config.startTimeoutMs);
      this.spawnRecorder();
    });
  }

  /** Stops the recorder; resolves after 'stopped' has been emitted. */
  stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.once('stopped', () => resolve()));
    if (this.state === 'stopping') return done;
    this.failStart(new CaptureError('STOPPED', 'capture was stopped before the recorder delivered audio'));
    this.state = 'stopping';
    this.clearTimer('restartTimer');
    const run = this.run;
    if (!run || run.ended) {
      this.finish('stopped');
    } else {
      run.child.kill('SIGTERM');
      this.killTimer = setTimeout(() => run.child.kill('SIGKILL'), this.config.stopTimeoutMs);
    }
    return done;
  }

  private spawnRecorder(): void {
    const { cmd, args } = this.command;
    const child = spawn(cmd, args, {
      env: this.config.env ? { ...process.env, ...this.config.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = {
      child,
      decoder: new Pcm16ChunkDecoder(),
      frameCarry: new Float32Array(0),
      stderr: '',
      stderrPartial: '',
      delivered: false,
      ended: false,
    };
    this.run = run;
    child.stdout!.on('data', (chunk: Buffer) => this.onAudio(run, chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.onStderr(run, text));
    child.on('spawn', () => {
      if (this.state === 'restarting') {
        this.state = 'running';
        this.emit('restarted', {
          attempt: this.counters.restarts,
          delayMs: this.lastDelayMs,
          downtimeMs: performance.now() - this.diedAt,
          pid: child.pid,
        });
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come only as 'error'; a failed kill() also lands here and is harmless.
      if (child.pid === undefined) {
        run.spawnError = err;
        this.onExit(run, null, null);
      }
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => this.onExit(run, code, signal));
  }

  private onAudio(run: Run, chunk: Buffer): void {
    if (this.run !== run || this.state === 'stopped') return;
    this.counters.bytes += chunk.length;
    let samples = run.decoder.push(chunk); // [n × channels] interleaved
    const channels = this.config.channels;
    if (channels > 1) samples = this.downmix(run, samples);
    if (samples.length === 0) return;
    if (!run.delivered) {
      run.delivered = true;
      if (this.pendingStart) {
        this.clearTimer('startTimer');
        this.state = 'running';
        const { resolve } = this.pendingStart;
        this.pendingStart = null;
        resolve();
      }
    }
    this.counters.samples += samples.length;
    this.emit('data', samples);
    this.meter(samples);
  }

  /** Interleaved → mono average, holding back an incomplete trailing frame. */
  private downmix(run: Run, interleaved: Float32Array): Float32Array {
    const channels = this.config.channels;
    let all = interleaved;
    if (run.frameCarry.length) {
      all = new Float32Array(run.frameCarry.length + interleaved.length);
      all.set(run.frameCarry);
      all.set(interleaved, run.frameCarry.length);
    }
    const frames = Math.floor(all.length / channels);
    run.frameCarry = all.slice(frames * channels);
    const mono = new Float32Array(frames); // [frames]
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += all[f * channels + c];
      mono[f] = sum / channels;
    }
    return mono;
  }

  private meter(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i];
      this.levelSumSq += v * v;
      const a = Math.abs(v);
      if (a > this.levelPeak) this.levelPeak = a;
      if (++this.levelCount === this.levelWindow) {
        const endSample = this.counters.samples - samples.length + i + 1;
        this.emit('level', {
          rms: toDbfs(Math.sqrt(this.levelSumSq / this.levelWindow)),
          peak: toDbfs(this.levelPeak),
          endSample,
        });
        this.levelCount = this.levelSumSq = this.levelPeak = 0;
      }
    }
  }

  private onStderr(run: Run, text: string): void {
    run.stderr = (run.stderr + text).slice(-STDERR_KEEP_CHARS);
    const lines = (run.stderrPartial + text).split('\n');
    run.stderrPartial = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = parseStderrLine(line);
      if (parsed.kind !== 'overrun' || this.run !== run) continue;
      const count = ++this.counters.overruns;
      const lost = parsed.atLeastMs === undefined ? 'audio' : `at least ${parsed.atLeastMs} ms of audio`;
      this.emit('warning', {
        kind: 'overrun',
        message: `${this.recorder} lost ${lost}: it was not read fast enough (overrun ${count})`,
        atLeastMs: parsed.atLeastMs,
        count,
      });
    }
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.ended) return;
    run.ended = true;
    if (this.run !== run) return;
    this.onStderr(run, '\n'); // a last line without a newline
    const leftover = run.decoder.pendingBytes + run.frameCarry.length * 2;
    if (leftover > 0 && this.state !== 'stopped') {
      this.counters.discardedBytes += leftover;
      this.emit('warning', {
        kind: 'discarded',
        message: `${this.recorder} ended in the middle of a sample frame: ${leftover} bytes discarded`,
        bytes: leftover,
      });
    }

    if (this.state === 'stopping') return this.finish('stopped');
    if (this.state === 'stopped') return;

    const error = this.exitError(run, code, signal);
    if (this.pendingStart) {
      // Never delivered audio: a configuration problem, not worth retrying.
      this.failStart(error);
      return;
    }
    const canRestart = this.config.restartOnFailure && this.counters.restarts < this.config.maxRestarts;
    if (!canRestart) {
      const detail = this.config.restartOnFailure
        ? ` (gave up after ${this.counters.restarts} restarts)`
        : ' (restarting is turned off)';
      const fatal = new CaptureError(error.code, error.message + detail, {
        ...error.details,
        willRestart: false,
      });
      this.emit('error', fatal);
      return this.finish('error', fatal);
    }
    error.details.willRestart = true;
    this.diedAt = performance.now();
    this.emit('error', error);
    this.state = 'restarting';
    const delay = Math.min(
      this.config.restartDelayMs * 2 ** this.counters.restarts,
      this.config.maxRestartDelayMs,
    );
    this.counters.restarts++;
    this.lastDelayMs = delay;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state === 'restarting') this.spawnRecorder();
    }, delay);
  }

  private exitError(run: Run, code: number | null, signal: NodeJS.Signals | null): CaptureError {
    const stderr = run.stderr.trim();
    const err = run.spawnError;
    if (err) {
      const what = this.command.cmd;
      if (err.code === 'ENOENT') {
        return new CaptureError(
          'NO_RECORDER',
          `recorder program not found: ${what} (${INSTALL_HINTS[this.recorder]})`,
          { cause: err },
        );
      }
      return new CaptureError(
        'NO_RECORDER',
        `cannot run recorder program ${what}: ${err.code === 'EACCES' ? 'not executable' : err.message}`,
        { cause: err },
      );
    }
    const { code: errCode, message } = describeRecorderExit(stderr, {
      recorder: this.recorder,
      device: this.config.device,
      exitCode: code,
      signal,
      midSession: run.delivered || this.state === 'running',
    });
    return new CaptureError(errCode, message, { exitCode: code, signal, stderr });
  }

  /** Rejects a pending start() and ends the session. */
  private failStart(error: CaptureError): void {
    if (!this.pendingStart) return;
    const { reject } = this.pendingStart;
    this.pendingStart = null;
    this.clearTimer('startTimer');
    if (error.code !== 'STOPPED') this.finish('error', error);
    reject(error);
  }

  private finish(reason: StoppedInfo['reason'], error?: CaptureError): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.clearTimer('startTimer');
    this.clearTimer('restartTimer');
    this.clearTimer('killTimer');
    this.emit('stopped', error ? { reason, error, stats: this.stats() } : { reason, stats: this.stats() });
  }

  private clearTimer(name: 'startTimer' | 'restartTimer' | 'killTimer'): void {
    const t = this[name];
    if (t) clearTimeout(t);
    this[name] = null;
  }
}

function emptyCounters(): Omit<CaptureStats, 'seconds'> {
  return { samples: 0, bytes: 0, restarts: 0, overruns: 0, discardedBytes: 0 };
}
