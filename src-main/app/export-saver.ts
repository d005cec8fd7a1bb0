import { basename } from 'node:path';
import { writeFileAtomic } from '../process/atomic-write.js';
import { AppError } from './app-error.js';

/**
 * Saving an export where the user chooses (the desktop app's save dialog). The browser shell has none: its
 * exports are offered as downloads by the page instead.
 */
export interface ExportSaver {
  /** Writes `content` where the user chooses, starting from `fileName`; the path, or null if they cancelled. */
  save(fileName: string, content: string): Promise<string | null>;
}

/**
 * An ExportSaver that asks `choosePath` (the save dialog) where to write, then writes the file atomically, so
 * a file the export replaces is never left half-written, whatever happens while it is written.
 */
export function dialogExportSaver(choosePath: (fileName: string) => Promise<string | null>): ExportSaver {
  return {
    async save(fileName, content) {
      const path = await choosePath(fileName);
      if (path === null || path === '') return null;
      try {
        writeFileAtomic(path, content);
      } catch (err) {
        // The session is untouched in the store: the user can export it again elsewhere.
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new AppError(
          'NOT_AVAILABLE',
          `could not save ${basename(path)} to ${path} (${why}); nothing was changed`,
        );
      }
      return path;
    },
  };
}
