import { readFileSync, unwatchFile, watchFile } from 'node:fs';

/**
 * The personal lexicon file (one word a line, written whole and renamed into place by the app after each
 * correction that adds a word), read now and watched for changes. The file is polled by stat rather than
 * watched by inotify: it is replaced, not edited, and may not exist yet, which a poll handles without
 * re-arming; a stat every half second costs nothing.
 */
export interface LexiconFileConfig {
  /** How often the file is checked for a change, in ms. */
  pollMs: number; // 500
}

export const DEFAULT_LEXICON_FILE: LexiconFileConfig = { pollMs: 500 };

export class LexiconFile {
  private readonly listener: () => void;

  constructor(
    readonly path: string,
    onChange: (words: string[]) => void,
    onError: (err: Error) => void,
    config: Partial<LexiconFileConfig> = {},
  ) {
    const cfg = { ...DEFAULT_LEXICON_FILE, ...config };
    this.listener = () => {
      let words: string[];
      try {
        words = this.read();
      } catch (err) {
        onError(err as Error);
        return;
      }
      onChange(words);
    };
    // Not persistent: a watched file must not keep the process alive on its own.
    watchFile(path, { interval: cfg.pollMs, persistent: false }, this.listener);
  }

  /** The file's words now; a file that does not exist (yet) holds none. */
  read(): string[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`cannot read the personal lexicon ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return text
      .split('\n')
      .map((w) => w.trim())
      .filter((w) => w !== '');
  }

  close(): void {
    unwatchFile(this.path, this.listener);
  }
}
