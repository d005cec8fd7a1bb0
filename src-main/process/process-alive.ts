import { readFileSync } from 'node:fs';

/**
 * Whether a process with this id runs: what tells a dead writer's leftovers (named by its pid) from a live
 * one's. A process of another user counts: it cannot be signalled, but it exists. A zombie does not: it has
 * ended and only waits for its parent to collect its exit status, which a killed parent never does where the
 * system's first process does not collect orphans (as in some containers).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux only (/proc/PID/stat: "pid (name) state …"); elsewhere a process that answers counts as running. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
