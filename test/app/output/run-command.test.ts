import { describe, expect, it } from 'vitest';
import { OutputCommandError, runOutputCommand } from '../../../src-main/app/output/run-command.js';

// Real programs (sh): what a tool's success, failure, absence and hanging look like to the app.
const opts = { env: process.env, timeoutMs: 5000 };

describe('running a typing or copying tool', () => {
  it('gives the text on standard input and succeeds on exit status 0', async () => {
    await expect(
      runOutputCommand({ file: 'sh', args: ['-c', 'test "$(cat)" = "héllo -n"'], input: 'héllo -n' }, opts),
    ).resolves.toBeUndefined();
  });

  it("reports a failure with the tool's own last words", async () => {
    const err = await runOutputCommand(
      { file: 'sh', args: ['-c', 'echo "Error: Can\'t open display: :9" >&2; exit 1'] },
      opts,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputCommandError);
    expect((err as Error).message).toBe("sh failed (exit status 1): Error: Can't open display: :9");
  });

  it('names a tool that is not installed', async () => {
    await expect(runOutputCommand({ file: 'attune-no-such-tool', args: [] }, opts)).rejects.toThrow(
      'attune-no-such-tool is not installed (or not on PATH)',
    );
  });

  it('returns when the tool exits, though a child it left behind (a clipboard server) keeps the pipes', async () => {
    const started = Date.now();
    await runOutputCommand({ file: 'sh', args: ['-c', '(sleep 3 &) ; exit 0'] }, opts);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops a tool that hangs', async () => {
    await expect(
      runOutputCommand({ file: 'sh', args: ['-c', 'exec sleep 10'] }, { env: process.env, timeoutMs: 200 }),
    ).rejects.toThrow('sh did not finish within 0.2 s');
  });
});
