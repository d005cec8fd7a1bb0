import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The way `npm run attune` runs it: one node process with tsx's loader, no launcher in between.
const NODE_ARGS = ['--import', 'tsx', 'src-main/cli/main.ts'];

/** The real `attune` command line, as a command to spawn. */
export function attuneCommand(args: string[]): { command: string; args: string[]; cwd: string } {
  return { command: process.execPath, args: [...NODE_ARGS, ...args], cwd: root };
}

/** Runs the real `attune` command line in a child process. */
export function attune(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * One speaker's chapter of a LibriSpeech-layout corpus, spoken by an espeak-ng voice:
 * `corpus/split/speaker/1/*.wav` and the chapter's transcript file.
 */
export async function espeakChapter(
  corpus: string,
  split: string,
  speaker: string,
  voice: string,
  lines: string[],
): Promise<void> {
  const folder = join(corpus, split, speaker, '1');
  mkdirSync(folder, { recursive: true });
  const trans: string[] = [];
  for (const [i, text] of lines.entries()) {
    const id = `${speaker}-1-${String(i).padStart(4, '0')}`;
    await promisify(execFile)('espeak-ng', ['-v', voice, '-w', join(folder, `${id}.wav`), text]);
    trans.push(`${id} ${text.toUpperCase()}`);
  }
  writeFileSync(join(folder, `${speaker}-1.trans.txt`), trans.join('\n') + '\n');
}
