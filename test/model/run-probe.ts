// Runs backend-probe.ts in a child process and parses its one JSON line.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeRequest, ProbeResult } from './backend-probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const probe = join(here, 'backend-probe.ts');

export interface ProbeOptions {
  /** Extra environment variables; ATTUNE_* ones from the parent are removed first. */
  env?: Record<string, string>;
  /** Extra node flags, before the script. */
  nodeFlags?: string[];
  /** Kill the child after this long: it must finish and exit by itself before then. */
  timeoutMs?: number;
}

export interface ProbeRun {
  result: ProbeResult;
  /** Wall time until the process exited. */
  elapsedMs: number;
  stderr: string;
}

export function runProbe(request: ProbeRequest, options: ProbeOptions = {}): Promise<ProbeRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATTUNE_')));
  const args = [...(options.nodeFlags ?? []), '--import', 'tsx', probe, JSON.stringify(request)];
  const startedAt = performance.now();
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: repoRoot,
        env: { ...env, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err) {
          fail(new Error(`backend probe failed (${err.message}); stderr:\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').at(-1) ?? '';
        done({ result: JSON.parse(line) as ProbeResult, elapsedMs: performance.now() - startedAt, stderr });
      },
    );
  });
}
