// Headless Chromium as the compute host's browser: found where Debian installs it (or where
// ATTUNE_CHROMIUM says), a clear error where it is not, and never left running by a killed process.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it, onTestFinished } from 'vitest';
import { chromiumLauncher, findChromium } from '../../src-main/compute/chromium-launcher.js';
import { processAlive } from '../../src-main/process/process-alive.js';

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('chromiumLauncher', () => {
  it('takes the browser ATTUNE_CHROMIUM names, and none when that file is missing', () => {
    expect(findChromium({ ATTUNE_CHROMIUM: process.execPath })).toBe(process.execPath);
    expect(findChromium({ ATTUNE_CHROMIUM: '/nowhere/chromium' })).toBeNull();
  });

  it('says when ATTUNE_CHROMIUM names a browser that is not there', async () => {
    const before = process.env.ATTUNE_CHROMIUM;
    process.env.ATTUNE_CHROMIUM = '/nowhere/chromium';
    try {
      await expect(chromiumLauncher()('about:blank')).rejects.toThrow(
        'ATTUNE_CHROMIUM names /nowhere/chromium, which does not exist',
      );
    } finally {
      if (before === undefined) delete process.env.ATTUNE_CHROMIUM;
      else process.env.ATTUNE_CHROMIUM = before;
    }
  });

  it('names the executable that failed to start', async () => {
    const launched = await chromiumLauncher({ executable: '/nowhere/chromium' })('about:blank');
    expect(await launched.exited).toMatch(/\/nowhere\/chromium failed to start: .*ENOENT/);
  });

  it.skipIf(findChromium() == null)(
    'the browser ends with the process that started it, killed or not, and its profile is swept',
    async () => {
      // node itself (not tsx's wrapper process), so the pid that names the profile is the one killed.
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/compute/launch-probe.ts'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      onTestFinished(() => {
        child.kill('SIGKILL');
      });
      const line = await new Promise<string>((resolve) =>
        child.stdout!.once('data', (c: Buffer) => resolve(c.toString())),
      );
      const { browser } = JSON.parse(line) as { browser: number };
      expect(processAlive(browser)).toBe(true);
      const profiles = () =>
        readdirSync(os.tmpdir()).filter((n) => n.startsWith(`attune-host-${child.pid}-`));
      expect(profiles()).toHaveLength(1);
      child.kill('SIGKILL');
      expect(await until(() => !processAlive(browser), 15_000)).toBe(true);
      // The killed process could not remove its profile; the next launch does.
      expect(profiles()).toHaveLength(1);
      const next = await chromiumLauncher()('about:blank');
      expect(profiles()).toHaveLength(0);
      await next.close();
    },
    60_000,
  );
});
