import { parseAccelerator } from '../ipc/accelerator.js';

/** The part of Electron's globalShortcut the hotkey needs (the operating system's shortcut table). */
export interface ShortcutRegistry {
  /** False when another application holds the shortcut (or the system refuses it). */
  register(accelerator: string, callback: () => void): boolean;
  unregister(accelerator: string): void;
}

/**
 * The one global hotkey that toggles dictation. Changing it never leaves the user without one: the new
 * shortcut is taken first and the old released only once that worked; a taken or malformed one is
 * reported and the old one stays.
 */
export class GlobalHotkey {
  private current: string | null = null;

  constructor(
    private readonly registry: ShortcutRegistry,
    private readonly onPress: () => void,
  ) {}

  /** The accelerator in use (canonical spelling), or null when none could be taken. */
  get accelerator(): string | null {
    return this.current;
  }

  /**
   * Switches to `accelerator`. Returns null when it is in use now, else why not (the previous one, if
   * any, still works).
   */
  use(accelerator: string): string | null {
    let text: string;
    try {
      text = parseAccelerator(accelerator).text;
    } catch (err) {
      return `the hotkey cannot be used: ${(err as Error).message}`;
    }
    if (text === this.current) return null;
    if (!this.registry.register(text, this.onPress)) {
      return `the hotkey ${text} is taken by another application or the system; choose another`;
    }
    if (this.current !== null) this.registry.unregister(this.current);
    this.current = text;
    return null;
  }

  /** Releases the hotkey (at quit). */
  release(): void {
    if (this.current !== null) this.registry.unregister(this.current);
    this.current = null;
  }
}
