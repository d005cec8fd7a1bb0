import { spawn } from 'node:child_process';
import type { OutputCommand } from './output-command.js';

/** A typing or copying command that did not do its work; the message says which tool and why. */
export class OutputCommandError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'OutputCommandError';
  }
}

/** How long the stderr of a failed tool is waited for once it has exited. */
const STDERR_GRACE_MS = 500;

/**
 * Runs one command to completion. It succeeds when the program exits with status 0. Clipboard tools
 * (xclip, wl-copy) leave a child behind that serves the clipboard and still holds the output pipes, so the
 * program's exit is what counts, never the pipes closing; stdout is not read at all.
 */
export function runOutputCommand(
  cmd: OutputCommand,
  opts: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, {
      env: { ...opts.env, ...cmd.env },
      stdio: ['pipe', 'ignore', 'pipe'],
      windowsHide: true,
    });
    let stderr = '';
    let settled = false;
    const finish = (err: OutputCommandError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stderr?.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(
        new OutputCommandError(cmd.file, `${cmd.file} did not finish within ${opts.timeoutMs / 1000} s`),
      );
    }, opts.timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT' ? 'is not installed (or not on PATH)' : `could not start: ${err.message}`;
      finish(new OutputCommandError(cmd.file, `${cmd.file} ${why}`));
    });
    child.on('exit', (code, signal) => {
      if (code === 0) return finish(null);
      const failed = () =>
        finish(
          new OutputCommandError(
            cmd.file,
            `${cmd.file} failed (${signal ? `killed by ${signal}` : `exit status ${code}`})` +
              (stderr.trim() ? `: ${lastLines(stderr)}` : ''),
          ),
        );
      // A failed tool has left no child behind: its stderr ends soon; wait for the rest of its message.
      if (!child.stderr || child.stderr.closed) return failed();
      const grace = setTimeout(failed, STDERR_GRACE_MS);
      child.stderr.once('close', () => {
        clearTimeout(grace);
        failed();
      });
    });
    // A tool that exits before reading its input (a missing display) must not crash the app with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(cmd.input ?? '');
  });
}

/** The tool's own words, without blank lines, short enough for one line in Settings. */
function lastLines(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-2).join(' ').slice(0, 300);
}
