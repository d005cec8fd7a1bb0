import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src-main/process/process-alive.js';

describe('processAlive', () => {
  it('tells a running process from one that has ended', () => {
    expect(processAlive(process.pid)).toBe(true);
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(processAlive(ended)).toBe(false);
  });

  // A killed writer whose parent was killed too stays a zombie where nothing collects orphans; its leftovers
  // must still count as a dead writer's. Python's fork makes one: the child exits, the parent never waits.
  it.skipIf(process.platform !== 'linux')('counts a zombie (ended, not yet collected) as ended', async () => {
    const parent = spawn('python3', [
      '-c',
      'import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)',
    ]);
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const zombie = Number(line.toString().trim());
      await new Promise((r) => setTimeout(r, 200)); // the child's exit
      expect(processAlive(zombie)).toBe(false);
      expect(processAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
