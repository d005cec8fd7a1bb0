/**
 * What the platform back-ends build: one program run per action, with the text on its standard input where
 * the tool can read it from there (text on a command line could be read as an option, and is size-limited).
 */
export interface OutputCommand {
  /** The program, looked up on PATH. */
  file: string;
  args: string[];
  /** Written to the program's standard input, then closed. */
  input?: string;
  /** Added to the environment the program runs in. */
  env?: Record<string, string>;
}

/** Types text into the app that has the keyboard focus. */
export interface Keyboard {
  /** The tool, as Settings names it ("xdotool"). */
  tool: string;
  type(text: string): OutputCommand;
  /**
   * Presses Backspace `count` times, to take back typed text a spoken "scratch that" removed. Absent where
   * the tool has no one way to do it across its versions.
   */
  erase?(count: number): OutputCommand;
  /** Turns a failure of the tool into what the user can do about it (a permission, a missing protocol). */
  explain?(message: string): string;
}

/** Puts text on the system clipboard. */
export interface Clipboard {
  tool: string;
  copy(text: string): OutputCommand;
}
