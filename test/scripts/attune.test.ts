// The `attune` program that a global install puts on PATH: the CLI runs in the launcher's own process.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../scripts/attune.mjs', import.meta.url));

describe('scripts/attune.mjs', () => {
  it('runs the command line from any folder and passes on its exit code and messages', async () => {
    const run = promisify(execFile);
    const help = await run(process.execPath, [bin, 'eval', '--help'], { cwd: tmpdir() });
    expect(help.stdout).toContain('Usage: attune eval [options] <dir>');
    const bad = await run(process.execPath, [bin, 'eval', '/no/such/corpus'], { cwd: tmpdir() }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain(
      'attune: corpus folder /no/such/corpus does not exist',
    );
  }, 60_000);
});
