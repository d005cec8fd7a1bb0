import { spawn } from 'node:child_process';

/** A tool the corpus needs failed or is missing; the message names the command. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    message: string,
    /** True when the program is not installed at all, as opposed to failing on this input. */
    readonly missing = false,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** Bytes written to the program's standard input (then closed). */
  input?: string | Buffer;
  /** Working directory. */
  cwd?: string;
  /** Resolve whatever the exit code (for programs such as `flite --version` that exit 1 after printing). */
  anyExitCode?: boolean;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs a program to completion; rejects with the command and its error output if it fails. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? `${command} is not installed (not found on PATH)` : e.message;
      reject(new ToolError(`cannot run ${command}: ${why}`, e.code === 'ENOENT'));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0 || (options.anyExitCode && code !== null))
        resolve({ stdout: Buffer.concat(out), stderr });
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const shown = [command, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
        reject(new ToolError(`${shown} ${how}${stderr.trim() ? `: ${stderr.trim().slice(-800)}` : ''}`));
      }
    });
    // A program that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a program only to learn whether it works; never rejects. */
export async function tryRun(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult | null> {
  try {
    return await run(command, args, options);
  } catch {
    return null;
  }
}
