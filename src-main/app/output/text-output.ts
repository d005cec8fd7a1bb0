import { EventEmitter } from 'node:events';
import type { OutputStatus } from '../../ipc/contract.js';
import type { OutputMode } from '../../store/types.js';
import { chooseRoute, type OutputRoute } from './choose-route.js';
import { onPath } from './find-tool.js';
import type { OutputCommand } from './output-command.js';
import { runOutputCommand } from './run-command.js';

export interface OutputConfig {
  /** The system whose tools type and copy. */
  platform: NodeJS.Platform; // process.platform
  /**
   * The environment the tools are looked up in (PATH) and run with (DISPLAY, WAYLAND_DISPLAY). Read again
   * at each dictation's start, so a tool installed meanwhile is used without restarting Attune.
   */
  env: NodeJS.ProcessEnv; // process.env
  /** Pause between typed keys: some apps drop keys that come faster. */
  keyDelayMs: number; // 12
  /** Longest text one typing command is given; longer text goes in pieces (Windows' command line is short). */
  maxCharsPerCommand: number; // 1000
  /** One command may take this long, plus keyDelayMs per key, before it is stopped and reported. */
  timeoutMs: number; // 10_000
  /**
   * macOS: whether Attune may send keystrokes, and asking the user (Electron's systemPreferences). Absent
   * outside Electron: the permission is then unknown until osascript is refused.
   */
  accessibility?: { trusted(): boolean; ask(): void };
}

export const DEFAULT_OUTPUT: Omit<OutputConfig, 'accessibility'> = {
  platform: process.platform,
  env: process.env,
  keyDelayMs: 12,
  maxCharsPerCommand: 1000,
  timeoutMs: 10_000,
};

/**
 * Writes a dictation's finished text outside Attune, as the outputMode setting says. The dictation service
 * passes the session's whole text after each phrase; this types what is new since (a final is typed once,
 * as it is written: partials never are), or copies the whole text to the clipboard. When a spoken "scratch
 * that" took back typed words, they are erased with Backspace, as long as every key this session sent went
 * through (otherwise what is on screen is unknown, and nothing is erased). Corrections made in Attune's
 * window are never typed again. Failures never reach the dictation: the phrase is stored all the same, and
 * the status (event 'status') says what went wrong.
 */
export class TextOutput extends EventEmitter<{ status: [OutputStatus] }> {
  private readonly cfg: OutputConfig;
  private route: OutputRoute;
  /** What this session has typed or copied, as far as this side knows. */
  private written = '';
  /** Every command of this session succeeded: `written` is what the focused app received. */
  private exact = true;
  private queue: Promise<void> = Promise.resolve();
  private lastError: string | null = null;
  /** macOS's permission dialog was shown (it is not shown at every dictation). */
  private asked = false;
  /**
   * Attune's own window (or page) has the keyboard focus. Phrases are not typed then: the user is looking at
   * them in Attune already, and keys typed there would press its buttons (a space on "Stop dictation").
   */
  private attuneFocused = false;

  constructor(
    /** The outputMode setting, read at each dictation's start and at refresh(). */
    private readonly mode: () => OutputMode,
    config: Partial<OutputConfig> = {},
  ) {
    super();
    this.cfg = { ...DEFAULT_OUTPUT, ...config };
    this.route = this.choose();
  }

  /** Where phrases go now: the tools are looked for again, so one installed meanwhile counts at once. */
  status(): OutputStatus {
    this.route = this.choose(false);
    return this.snapshot();
  }

  /** The setting changed: chooses the route anew, asking for macOS's permission again if it is missing. */
  refresh(): OutputStatus {
    this.lastError = null;
    this.asked = false;
    this.route = this.choose(true);
    this.emit('status', this.snapshot());
    return this.snapshot();
  }

  /** A dictation starts: nothing of it is written yet, and the tools are looked for again. */
  begin(): void {
    const before = JSON.stringify(this.snapshot());
    this.written = '';
    this.exact = true;
    this.lastError = null;
    this.route = this.choose(true);
    if (JSON.stringify(this.snapshot()) !== before) this.emit('status', this.snapshot());
  }

  /** Attune's window gained or lost the keyboard focus (Electron's window events; the browser page's). */
  setAttuneFocused(focused: boolean): void {
    this.attuneFocused = focused;
  }

  /** The session's whole text as it reads now. Returns at once; the writing is queued in order. */
  write(text: string): void {
    const route = this.route;
    if (route.action === 'none') return;
    this.queue = this.queue.then(() => this.send(route, text));
  }

  /** Resolves once everything written so far has been typed or copied (or has failed). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async send(route: OutputRoute, text: string): Promise<void> {
    try {
      if (route.action === 'copy') {
        if (text !== '' && text !== this.written) await this.run(route.clipboard!.copy(text), text.length);
      } else {
        await this.type(route, text);
      }
      this.written = text;
      if (this.lastError !== null) {
        this.lastError = null;
        this.emit('status', this.snapshot());
      }
    } catch (err) {
      this.written = text;
      this.exact = false;
      const why = route.keyboard?.explain?.((err as Error).message) ?? (err as Error).message;
      const what = route.action === 'copy' ? 'copied to the clipboard' : 'typed into the focused app';
      this.lastError = `The last phrase could not be ${what} (it is kept in Attune): ${why}`;
      this.emit('status', this.snapshot());
    }
  }

  /** Types what is new since the last phrase, after erasing what "scratch that" took back. */
  private async type(route: OutputRoute, text: string): Promise<void> {
    if (this.attuneFocused) {
      // Not typed, so the app the user switches to lacks it: later erasing would count wrong.
      this.exact = false;
      return;
    }
    const keyboard = route.keyboard!;
    // Code points, not UTF-16 units: one Backspace removes one character.
    const before = [...this.written];
    const after = [...text];
    let same = 0;
    while (same < before.length && same < after.length && before[same] === after[same]) same++;
    const erase = before.length - same;
    if (erase > 0 && this.exact && keyboard.erase) await this.run(keyboard.erase(erase), erase);
    for (let at = same; at < after.length; at += this.cfg.maxCharsPerCommand) {
      const piece = after.slice(at, at + this.cfg.maxCharsPerCommand).join('');
      await this.run(keyboard.type(piece), piece.length);
    }
  }

  private snapshot(): OutputStatus {
    const { keyboard: _k, clipboard: _c, ...route } = this.route;
    return { ...route, lastError: this.lastError };
  }

  private run(cmd: OutputCommand, keys: number): Promise<void> {
    return runOutputCommand(cmd, {
      env: this.cfg.env,
      timeoutMs: this.cfg.timeoutMs + keys * this.cfg.keyDelayMs,
    });
  }

  private choose(ask = false): OutputRoute {
    const { platform, env, keyDelayMs, accessibility } = this.cfg;
    const mode = this.mode();
    let trusted: boolean | undefined;
    if (platform === 'darwin' && mode === 'type' && accessibility) {
      trusted = accessibility.trusted();
      // macOS shows its own dialog, which opens the right page of System Settings: once a run, and again
      // when the user chooses typing in Settings.
      if (!trusted && ask && !this.asked) {
        this.asked = true;
        accessibility.ask();
      }
    }
    return chooseRoute(mode, {
      platform,
      env,
      keyDelayMs,
      trusted,
      has: (tool) => onPath(tool, env, platform),
    });
  }
}
