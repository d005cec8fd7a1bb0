import type { DictationStatus, OutputStatus } from '../ipc/contract.js';

/**
 * When the dictation indicator (the small always-on-top window of the desktop app) shows: from the moment
 * dictation starts until a little after it stops, so the last words can be read; longer when something
 * went wrong, so the message can be. It never takes the keyboard focus (see indicator-window.ts): the
 * app being dictated into keeps it, and the hotkey alone starts and stops.
 */
export interface IndicatorConfig {
  /** How long it stays after dictation stops. */
  lingerMs: number; // 1500
  /** How long it stays after an error (of dictation, or of typing a phrase). */
  errorLingerMs: number; // 6000
}

export const DEFAULT_INDICATOR: IndicatorConfig = { lingerMs: 1500, errorLingerMs: 6000 };

/** The window, as far as showing goes. */
export interface IndicatorSurface {
  /** Shows it without activating it. */
  show(): void;
  hide(): void;
}

export class Indicator {
  private readonly cfg: IndicatorConfig;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dictating = false;
  private shown = false;
  /** A phrase of this dictation could not be typed or copied. */
  private failed = false;

  constructor(
    private readonly surface: IndicatorSurface,
    config: Partial<IndicatorConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_INDICATOR, ...config };
  }

  /** Follows dictation's state events. */
  dictation(status: DictationStatus): void {
    const state = status.state;
    if (state === 'starting') this.failed = false;
    this.dictating = state === 'starting' || state === 'listening' || state === 'thinking';
    if (this.dictating) return this.show(null);
    if (state === 'error') return this.show(this.cfg.errorLingerMs);
    const troubled = status.error !== null || this.failed;
    if (this.shown) this.hideAfter(troubled ? this.cfg.errorLingerMs : this.cfg.lingerMs);
  }

  /** Follows the output's status: a phrase that could not be typed keeps the message on screen a while. */
  output(status: OutputStatus): void {
    if (status.lastError === null) return;
    this.failed = true;
    if (!this.dictating) this.show(this.cfg.errorLingerMs);
  }

  dispose(): void {
    this.clear();
  }

  /** Shows it, then hides it after `ms` (null: until dictation stops). */
  private show(ms: number | null): void {
    this.clear();
    if (!this.shown) this.surface.show();
    this.shown = true;
    if (ms !== null) this.hideAfter(ms);
  }

  private hideAfter(ms: number): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.shown = false;
      this.surface.hide();
    }, ms);
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
