// Leftovers of folder saves and removals that a kill cut short: finished by the next process, never those of
// a process still running.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  recoverModelFolders,
  removeFolder,
  removeFolderLeftovers,
} from '../../src-main/model/folder-recovery.js';
import { processAlive } from '../../src-main/process/process-alive.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-folder-recovery-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const dead = () => spawnSync(process.execPath, ['-e', '0']).pid!;

/** A folder holding one file that says what it is. */
function folder(name: string, content = name): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'what'), content);
}

describe('folder recovery', () => {
  it('tells running processes from ended ones', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(dead())).toBe(false);
  });

  it('removes half-written saves of ended processes, puts back a folder moved aside, spares running ones', () => {
    const gone = dead();
    folder(`.model.tmp-${gone}-1`); // a save killed before its rename
    folder(`.moved.tmp-${gone}-2`); // a swap killed after moving the old folder aside…
    folder(`.moved.tmp-${gone}-2.old`, 'the previous model'); // …and before moving the new one in
    folder(`.other.tmp-${gone}-3.old`, 'stale'); // a swap killed after both renames
    folder('other');
    folder(`.busy.tmp-${process.pid}-4`); // a save in progress in a running process
    const done = recoverModelFolders(dir);
    expect(done).toHaveLength(4);
    expect(readdirSync(dir).sort()).toEqual([`.busy.tmp-${process.pid}-4`, 'moved', 'other'].sort());
    expect(readFileSync(join(dir, 'moved', 'what'), 'utf8')).toBe('the previous model');
    expect(readFileSync(join(dir, 'other', 'what'), 'utf8')).toBe('other');
  });

  it('limits itself to one folder name when asked', () => {
    const gone = dead();
    folder(`.a.tmp-${gone}-1`);
    folder(`.b.tmp-${gone}-1`);
    recoverModelFolders(dir, 'a');
    expect(readdirSync(dir)).toEqual([`.b.tmp-${gone}-1`]);
  });

  it('removes a folder whole or not at all, and finishes removals a kill cut short', () => {
    folder('job');
    removeFolder(join(dir, 'job'));
    expect(readdirSync(dir)).toEqual([]);
    removeFolder(join(dir, 'job')); // nothing there: nothing to do
    const gone = dead();
    folder(`job.trash-${gone}-1`);
    folder(`job.trash-${process.pid}-2`); // being removed by a running process
    folder(`jobs.trash-${gone}-1`); // another folder's
    expect(removeFolderLeftovers(join(dir, 'job'))).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual([`job.trash-${process.pid}-2`, `jobs.trash-${gone}-1`].sort());
    expect(existsSync(join(dir, 'job'))).toBe(false);
  });
});
