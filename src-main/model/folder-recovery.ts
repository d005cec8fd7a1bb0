// What a killed process leaves behind when it was writing or removing a folder, and how the next one cleans it
// up. Folders are written to a temporary sibling and renamed into place (saveModelFolder), and removed by first
// renaming them aside (removeFolder): each step that a kill can interrupt leaves a sibling whose name says what
// it was and which process made it, so a later process can finish the job without guessing.
//
//   .<name>.tmp-<pid>-<ms>        a folder being written; incomplete until renamed to <name>: removed
//   .<name>.tmp-<pid>-<ms>.old    the previous <name>, moved aside for the swap: put back when <name> is
//                                 missing (the save never finished, its caller repeats it), else removed
//   <name>.trash-<pid>-<ms>       a folder being removed: removed
//
// Only leftovers of processes that are no longer running are touched: a live process may still be using them.

import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../process/process-alive.js';
import { killPoint } from './kill-point.js';

const SAVING = /^\.(.+)\.tmp-(\d+)-\d+(\.old)?$/;
const REMOVING = /^(.+)\.trash-(\d+)-\d+$/;

/** What was cleaned up, one line each (for a log or a warning). */
export type Recovered = string[];

/**
 * Finishes the saves of model folders in `parent` that killed processes left half done: restores a previous
 * folder moved aside, removes half-written ones. `only` limits it to saves of that folder name.
 */
export function recoverModelFolders(parent: string, only?: string): Recovered {
  const done: Recovered = [];
  for (const entry of list(parent)) {
    const m = SAVING.exec(entry);
    if (!m || (only !== undefined && m[1] !== only) || processAlive(Number(m[2]))) continue;
    const path = join(parent, entry);
    const target = join(parent, m[1]);
    if (m[3] && !existsSync(target)) {
      renameSync(path, target);
      done.push(`${target}: put back the previous folder an interrupted save had moved aside`);
    } else {
      rmSync(path, { recursive: true, force: true });
      done.push(`${path}: removed what an interrupted save left behind`);
    }
  }
  return done;
}

/**
 * Removes a folder so that a kill at any moment leaves either all of it or none of it under its name: it is
 * renamed aside first (atomic), then deleted. What a kill leaves aside, removeFolderLeftovers deletes.
 */
export function removeFolder(dir: string): void {
  if (!existsSync(dir)) return;
  const aside = `${dir}.trash-${process.pid}-${Date.now()}`;
  renameSync(dir, aside);
  killPoint(`remove-folder:aside:${basename(dir)}`);
  rmSync(aside, { recursive: true, force: true });
}

/** Deletes what removeFolder(dir) calls of killed processes left aside. */
export function removeFolderLeftovers(dir: string): Recovered {
  return removeTrash(dirname(dir), basename(dir));
}

/** Deletes what removeFolder calls of killed processes left aside in `parent`, for folders of any name. */
export function removeTrashIn(parent: string): Recovered {
  return removeTrash(parent);
}

function removeTrash(parent: string, only?: string): Recovered {
  const done: Recovered = [];
  for (const entry of list(parent)) {
    const m = REMOVING.exec(entry);
    if (!m || (only !== undefined && m[1] !== only) || processAlive(Number(m[2]))) continue;
    rmSync(join(parent, entry), { recursive: true, force: true });
    done.push(`${join(parent, entry)}: finished removing a folder an interrupted run was removing`);
  }
  return done;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
