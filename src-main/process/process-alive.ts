/**
 * Whether a process with this id runs: what tells a dead writer's leftovers (named by its pid) from a live
 * one's. A process of another user counts: it cannot be signalled, but it exists.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
