// The processes of a running Attune, read from /proc: the app (`attune serve` or a stand-in), its engine,
// trainer and recorder. Crash tests use it to check that nothing outlives a killed app; the soak samples each
// process's memory and open files over time.
import { readdirSync, readFileSync } from 'node:fs';

export type ProcessRole = 'app' | 'engine' | 'trainer' | 'recorder' | 'other';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  role: ProcessRole;
  /** The command line, for messages. */
  command: string;
}

/** What each child is, by its command line (entries of src-main/engine and src-main/trainer, ALSA or SoX). */
function roleOf(command: string): ProcessRole {
  if (/engine-process\.(ts|js)/.test(command)) return 'engine';
  if (/trainer-process\.(ts|js)/.test(command)) return 'trainer';
  if (/^(\S*\/)?(arecord|sox|rec)\s/.test(command)) return 'recorder';
  return 'other';
}

function readProc(pid: number): ProcessInfo | null {
  try {
    // Fields after the command name in parentheses: state, ppid, … (the name itself may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid, role: roleOf(command), command };
  } catch {
    return null; // it exited while being read
  }
}

/** The process `rootPid` and every process below it, the root first (empty when it is gone). */
export function processTree(rootPid: number): ProcessInfo[] {
  const all = new Map<number, ProcessInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) all.set(info.pid, info);
  }
  const root = all.get(rootPid);
  if (!root) return [];
  const tree: ProcessInfo[] = [{ ...root, role: 'app' }];
  for (let i = 0; i < tree.length; i++)
    for (const p of all.values()) if (p.ppid === tree[i].pid) tree.push(p);
  return tree;
}

/** Whether `pid` still runs (a zombie awaiting its parent counts as gone). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resident memory of `pid` in bytes (VmRSS); null once it has exited. */
export function residentBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of `pid` (entries of /proc/PID/fd); null once it has exited. */
export function openFiles(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Waits until none of `pids` runs; returns those still running after `timeoutMs` (the orphans), having
 * killed them so they cannot outlive the test.
 */
export async function waitGone(pids: number[], timeoutMs: number): Promise<ProcessInfo[]> {
  const infos = pids.map((pid) => readProc(pid)).filter((p): p is ProcessInfo => p !== null);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && infos.some((p) => running(p.pid)))
    await new Promise((r) => setTimeout(r, 100));
  const orphans = infos.filter((p) => running(p.pid));
  for (const p of orphans) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // it exited just now
    }
  }
  return orphans;
}
