import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openFiles, processTree, residentBytes, running, waitGone } from './process-tree.js';

describe('the process tree', () => {
  it('finds the processes below one, their memory and files, and ends those that outlive a wait', async () => {
    // A shell with two sleepers below it.
    const shell = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    await expect.poll(() => processTree(shell.pid!).length).toBe(3);
    const tree = processTree(shell.pid!);
    expect(tree[0]).toMatchObject({ pid: shell.pid, role: 'app' });
    expect(tree.slice(1).every((p) => p.ppid === shell.pid && p.command === 'sleep 30')).toBe(true);
    expect(residentBytes(shell.pid!)).toBeGreaterThan(0);
    expect(openFiles(shell.pid!)).toBeGreaterThan(0);

    const sleepers = tree.slice(1).map((p) => p.pid);
    shell.kill('SIGKILL');
    // Nothing ends the sleepers: they are the orphans, ended by the wait.
    const orphans = await waitGone(sleepers, 300);
    expect(orphans.map((p) => p.pid).sort()).toEqual([...sleepers].sort());
    await expect.poll(() => sleepers.some(running)).toBe(false);
    expect(residentBytes(sleepers[0])).toBeNull();
  });
});
