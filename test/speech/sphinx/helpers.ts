// Shared fixtures for the sphinx tests: Debian's en-us model and test clips, tool availability, and writers
// for small synthetic sphinx files.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  DEBIAN_EN_US_MODEL_DIR,
  hasSphinxModel,
  loadSphinxModel,
  type SphinxAcousticModel,
} from '../../../src-main/speech/sphinx/load-model.js';
import { parseWav } from '../../../src-main/speech/wav.js';

export const MODEL_DIR = DEBIAN_EN_US_MODEL_DIR;
/** Packages pocketsphinx-en-us and pocketsphinx-testdata; tests needing them skip without them. */
export const HAVE_MODEL = hasSphinxModel(MODEL_DIR);
export const CLIP_DIR = '/usr/share/pocketsphinx/test/data/librivox';
export const HAVE_CLIPS = existsSync(CLIP_DIR);
/** Package sphinxbase-utils. */
export const HAVE_SPHINX_FE = spawnSync('sphinx_fe', ['-help', 'yes'], { stdio: 'ignore' }).status !== null;
/** The Python reference needs the system Python with numpy. */
export const PYTHON = '/usr/bin/python3';
export const HAVE_NUMPY = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

let model: SphinxAcousticModel | undefined;
/** The en-us model, loaded once per test file. */
export function enUsModel(): SphinxAcousticModel {
  model ??= loadSphinxModel(MODEL_DIR);
  return model;
}

/** The librivox clips (16 kHz mono 16-bit), by name without extension. */
export function clipNames(): string[] {
  return readdirSync(CLIP_DIR)
    .filter((f) => f.endsWith('.wav'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function readClip(name: string): Float32Array {
  const wav = parseWav(readFileSync(join(CLIP_DIR, `${name}.wav`)), name);
  if (wav.sampleRate !== 16000) throw new Error(`${name}: expected 16 kHz`);
  return wav.mono;
}

/** A temporary directory removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attune-sphinx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeTemp(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Little-endian byte builder for synthetic model files. */
export class Bytes {
  private readonly parts: Buffer[] = [];

  text(s: string): this {
    this.parts.push(Buffer.from(s, 'latin1'));
    return this;
  }

  int32(...values: number[]): this {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
    this.parts.push(b);
    return this;
  }

  uint32(...values: number[]): this {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
    this.parts.push(b);
    return this;
  }

  int16(...values: number[]): this {
    const b = Buffer.alloc(2 * values.length);
    values.forEach((v, i) => b.writeInt16LE(v, 2 * i));
    this.parts.push(b);
    return this;
  }

  float32(values: ArrayLike<number>): this {
    const b = Buffer.alloc(4 * values.length);
    for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i], 4 * i);
    this.parts.push(b);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The s3 checksum of 32-bit words: sum = rotl(sum, 20) + word. */
export function s3Checksum(words: Buffer): number {
  let sum = 0;
  for (let i = 0; i < words.length; i += 4)
    sum = ((((sum << 20) | (sum >>> 12)) >>> 0) + words.readUInt32LE(i)) >>> 0;
  return sum;
}

/** An s3 file: header, magic, the int32 dims, the count and the floats, and the checksum. */
export function s3File(dims: number[], values: ArrayLike<number>, checksum = true): Buffer {
  const body = new Bytes()
    .int32(...dims, values.length)
    .float32(values)
    .build();
  const head = new Bytes()
    .text(`s3\nversion 1.0\n${checksum ? 'chksum0 yes\n' : ''}endhdr\n`)
    .uint32(0x11223344);
  if (checksum) return Buffer.concat([head.build(), body, new Bytes().uint32(s3Checksum(body)).build()]);
  return Buffer.concat([head.build(), body]);
}
