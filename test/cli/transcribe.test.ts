import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src-main/model/backend.js';
import { AcousticModel } from '../../src-main/model/acoustic.js';
import { DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { saveModelFolder } from '../../src-main/model/checkpoint.js';
import { checkpointFromModel } from '../../src-main/model/model-io.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { attune } from './cli-helpers.js';

let dir: string;
let modelDir: string;
let speech: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-cli-'));
  await initBackend({ prefer: 'cpu' });
  // A small untrained model: the command's plumbing is under test here, not accuracy.
  const model = new AcousticModel({
    ...DEFAULT_ACOUSTIC,
    channels: 16,
    blocks: 2,
    blockRightContext: [1, 0],
    kernel: 5,
  });
  modelDir = join(dir, 'tiny');
  saveModelFolder(modelDir, checkpointFromModel(model, englishAlphabet()));
  model.dispose();
  speech = join(dir, 'hello.wav');
  execFileSync('espeak-ng', ['-w', speech, 'hello world']);
  void tf;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('attune transcribe', () => {
  it('prints one JSON object per file with text, word times and confidences', async () => {
    const flac = join(dir, 'hello.flac');
    execFileSync('sox', [speech, '-r', '44100', flac]);
    const r = await attune(['transcribe', speech, flac, '--model', modelDir, '--json', '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const t of lines) {
      expect(typeof t.text).toBe('string');
      expect(t.durationSec).toBeGreaterThan(0.5);
      for (const w of t.words) {
        expect(w.endMs).toBeGreaterThan(w.startMs);
        expect(w.confidence).toBeGreaterThan(0);
        expect(w.confidence).toBeLessThanOrEqual(1);
      }
    }
    // The same audio at another rate and format is resampled to the same 16 kHz input.
    expect(lines[1].durationSec).toBeCloseTo(lines[0].durationSec, 1);
  });

  it('names the bad file, carries on with the rest and exits non-zero', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not audio at all');
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, '');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const r = await attune([
      'transcribe',
      text,
      empty,
      folder,
      join(dir, 'missing.wav'),
      speech,
      '--model',
      modelDir,
      '--backend',
      'cpu',
    ]);
    expect(r.code).toBe(1);
    for (const name of ['notes.txt', 'empty.wav', 'a-folder', 'missing.wav'])
      expect(r.stderr).toContain(name);
    // The good file was still transcribed (one line on stdout for it).
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('refuses a WAV whose header lies about its format, naming the problem, instead of transcribing noise', async () => {
    // Real 16-bit speech under a header claiming 8 channels of 32-bit float at 96 kHz (byte rate to match).
    const lie = Buffer.from(readFileSync(speech));
    lie.writeUInt16LE(3, 20);
    lie.writeUInt16LE(8, 22);
    lie.writeUInt32LE(96000, 24);
    lie.writeUInt32LE(96000 * 32, 28);
    lie.writeUInt16LE(32, 32);
    lie.writeUInt16LE(32, 34);
    const file = join(dir, 'lying.wav');
    writeFileSync(file, lie);
    const r = await attune(['transcribe', file, '--model', modelDir, '--backend', 'cpu', '--no-lm']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /attune: .*lying\.wav: \d+ of \d+ frames decode to NaN or infinity: the data is not the 8-channel 32-bit float audio its header declares/,
    );
  });

  it('explains a bad model folder', async () => {
    const r = await attune(['transcribe', speech, '--model', join(dir, 'nope'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model folder .*nope.*does not exist/);
  });
});
