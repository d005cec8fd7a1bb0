import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src-main/process/process-alive.js';

describe('processAlive', () => {
  it('tells a running process from one that has ended', () => {
    expect(processAlive(process.pid)).toBe(true);
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(processAlive(ended)).toBe(false);
  });
});
