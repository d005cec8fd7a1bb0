// Shared by the PyTorch recipe's tests: Debian's Python with torch, the recipe's scripts, and a real-speech
// corpus in the LibriSpeech layout (FLAC) made from pocketsphinx-testdata's LibriVox clips.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RECIPE = join(ROOT, 'recipes', 'torch');
/** Debian's python3-torch and python3-torchaudio load only under the system interpreter. */
export const PYTHON = '/usr/bin/python3';
/** pocketsphinx-testdata: five LibriVox sentences, 16 kHz mono, with their transcription. */
export const CLIP_DIR = '/usr/share/pocketsphinx/test/data/librivox';

/** Why the recipe's tests cannot run here, or null when they can. */
export function missingPrerequisite(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const torch = spawnSync(PYTHON, ['-c', 'import torch, torchaudio'], { encoding: 'utf8' });
  if (torch.status !== 0)
    return `${PYTHON} cannot import torch and torchaudio (python3-torch, python3-torchaudio)`;
  if (!existsSync(CLIP_DIR)) return `${CLIP_DIR} is missing (pocketsphinx-testdata)`;
  if (spawnSync('sox', ['--version']).status !== 0) return 'sox is not installed (it writes the FLAC corpus)';
  return null;
}

/** Runs one of the recipe's scripts (or Python code with -c): its exit code and output. */
export function python(
  script: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      [script, ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The LibriVox clips and their words: [{ name, text }] in the transcription's order. */
export function librivoxClips(): { name: string; text: string }[] {
  const lines = readFileSync(join(CLIP_DIR, 'transcription'), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const m = /^<s> (.*) <\/s> \((.*)\)$/.exec(line.trim());
    if (!m) throw new Error(`unexpected transcription line: ${line}`);
    return { name: m[2], text: m[1] };
  });
}

export function clipPath(name: string): string {
  return join(CLIP_DIR, `${name}.wav`);
}

/**
 * A LibriSpeech-layout corpus of the given clips as FLAC (sox converts them): `dir/<speaker>/1/` with its
 * transcript file; returns the corpus folder.
 */
export function flacCorpus(dir: string, speaker: string, clips: { name: string; text: string }[]): string {
  const chapter = join(dir, speaker, '1');
  mkdirSync(chapter, { recursive: true });
  const lines = clips.map((clip, i) => {
    const id = `${speaker}-1-${String(i).padStart(4, '0')}`;
    const flac = join(chapter, `${id}.flac`);
    const sox = spawnSync('sox', [clipPath(clip.name), flac], { encoding: 'utf8' });
    if (sox.status !== 0) throw new Error(`sox could not write ${flac}: ${sox.stderr}`);
    return `${id} ${clip.text.toUpperCase()}`;
  });
  writeFileSync(join(chapter, `${speaker}-1.trans.txt`), lines.join('\n') + '\n');
  return dir;
}

/** A little-endian float32 file as an array. */
export function readF32(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function writeF32(path: string, data: Float32Array): void {
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
