// Runs one measurement in a process of its own and reads back the JSON line it prints last. A process of its
// own means its peak RSS and its thread count belong to that measurement alone: the wasm backend fixes its
// thread count when it starts, and RSS never shrinks.
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ChildOptions {
  /** Kill the child after this long, ms. */
  timeoutMs: number;
  /** Extra environment variables (ATTUNE_* ones from the parent are dropped so the child sees only these). */
  env?: Record<string, string>;
}

/** Runs `command args…` from the repository root; resolves with the last stdout line parsed as JSON. */
export function runJsonChild<T>(command: string, args: string[], options: ChildOptions): Promise<T> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATTUNE_')));
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      {
        cwd: repoRoot,
        env: { ...inherited, ...options.env },
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const what = [command, ...args].join(' ');
        if (err) {
          const tail = stderr.trim().split('\n').slice(-5).join('\n');
          fail(new Error(`${what} failed: ${err.message.split('\n')[0]}${tail ? `\n${tail}` : ''}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          done(JSON.parse(last) as T);
        } catch {
          fail(new Error(`${what} printed no JSON result line (last line: ${JSON.stringify(last)})`));
        }
      },
    );
  });
}

/** Runs a TypeScript file of this repository under the same Node binary, through tsx. */
export function runTsChild<T>(file: string, args: string[], options: ChildOptions): Promise<T> {
  return runJsonChild<T>(process.execPath, ['--import', 'tsx', file, ...args], options);
}

/** The child side: peak resident set size of this process so far, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
}
