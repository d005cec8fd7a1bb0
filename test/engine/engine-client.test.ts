import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src-main/model/backend.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { EngineClient } from '../../src-main/engine/engine-client.js';
import type { EngineModelInfo } from '../../src-main/engine/protocol.js';
import type { FinalEvent, PartialEvent } from '../../src-main/engine/recognizer.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { saveBiasedModel } from '../model/tiny-model.js';

let dir: string;
let speech: Float32Array;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  dir = mkdtempSync(join(tmpdir(), 'attune-engine-'));
  saveBiasedModel(join(dir, 'm1'), 1, 'v1');
  saveBiasedModel(join(dir, 'm2'), 2, 'v2');
  execFileSync('espeak-ng', ['-w', join(dir, 's.wav'), 'hello there']);
  const s = (await readAudio(join(dir, 's.wav'))).samples;
  speech = new Float32Array(4800 + s.length + 16000);
  speech.set(s, 4800);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EngineClient', () => {
  it('runs the recogniser in its own process and streams partial and final text back', async () => {
    const engine = await EngineClient.start({ modelDir: join(dir, 'm1'), backend: 'wasm' });
    try {
      expect(engine.pid).not.toBe(process.pid);
      expect(engine.ready?.backend.name).toBe('wasm');
      expect(engine.ready?.model.version).toBe('v1');
      const partials: PartialEvent[] = [];
      const finals: FinalEvent[] = [];
      engine.on('partial', (p) => partials.push(p));
      engine.on('final', (f) => finals.push(f));
      for (let i = 0; i < speech.length; i += 1600) engine.sendAudio(speech.slice(i, i + 1600));
      await engine.finish();
      expect(partials.length).toBeGreaterThan(0);
      expect(finals.length).toBeGreaterThanOrEqual(1);
      expect(finals[0].text.length).toBeGreaterThan(0);
      expect(finals[0].startMs).toBe(0);
    } finally {
      engine.close();
    }
  });

  /** Dictates the test speech with the shipped LM, its snapshots kept in `cache`. */
  async function dictateWithShippedLm(cache: string) {
    const engine = await EngineClient.start({
      modelDir: BASE_MODEL_DIR,
      backend: 'wasm',
      languageModel: BASE_LM_PATH,
      languageModelCache: cache,
    });
    try {
      const finals: FinalEvent[] = [];
      engine.on('final', (f) => finals.push(f));
      for (let i = 0; i < speech.length; i += 1600) engine.sendAudio(speech.slice(i, i + 1600));
      await engine.finish();
      return { info: engine.ready?.languageModel, finals };
    } finally {
      engine.close();
    }
  }

  it('decodes finals with the shipped language model: whole words it knows', async () => {
    const { info, finals } = await dictateWithShippedLm(join(dir, 'lm-cache'));
    expect(info).toMatchObject({ path: BASE_LM_PATH, words: 72_547, order: 3, loadedFrom: 'source' });
    const lm = WordLm.load(BASE_LM_PATH);
    const words = finals.flatMap((f) => f.words);
    expect(words.length).toBeGreaterThan(0);
    for (const w of words) expect(lm.id(w.word), w.word).toBeGreaterThanOrEqual(0);
  });

  it('loads the language model from its snapshot the next time, and decodes the same', async () => {
    const cache = join(dir, 'lm-cache-2');
    const first = await dictateWithShippedLm(cache);
    const again = await dictateWithShippedLm(cache);
    expect(first.info?.loadedFrom).toBe('source');
    expect(again.info).toMatchObject({ loadedFrom: 'snapshot', words: 72_547 });
    expect(again.info?.snapshotProblem).toBeUndefined();
    expect(again.finals.map((f) => f.text)).toEqual(first.finals.map((f) => f.text));
  });

  it('dictates without a language model it cannot read, and says why', async () => {
    const engine = await EngineClient.start({
      modelDir: join(dir, 'm1'),
      backend: 'wasm',
      languageModel: join(dir, 'missing.arpa'),
    });
    try {
      expect(engine.ready?.languageModel).toBeNull();
      expect(engine.ready?.languageModelError).toMatch(/cannot read language model .*missing\.arpa/);
      const finals: FinalEvent[] = [];
      engine.on('final', (f) => finals.push(f));
      for (let i = 0; i < speech.length; i += 1600) engine.sendAudio(speech.slice(i, i + 1600));
      await engine.finish();
      expect(finals.length).toBeGreaterThanOrEqual(1);
      // Switched at run time: the shipped model now, then a bad file again (reported; finals go on without).
      expect(await engine.setLanguageModel(BASE_LM_PATH)).toMatchObject({
        languageModel: { path: BASE_LM_PATH, words: 72_547, order: 3 },
      });
      expect(engine.ready?.languageModelError).toBeUndefined();
      const bad = await engine.setLanguageModel(join(dir, 'missing.arpa'));
      expect(bad.languageModel).toBeNull();
      expect(bad.error).toMatch(/cannot read language model/);
      expect(engine.ready?.languageModel).toBeNull();
      expect(await engine.setLanguageModel(null)).toEqual({ languageModel: null });
    } finally {
      engine.close();
    }
  });

  it('swaps models without restarting and reports the new one', async () => {
    const engine = await EngineClient.start({ modelDir: join(dir, 'm1'), backend: 'wasm' });
    try {
      const pid = engine.pid;
      const info = await engine.swapModel(join(dir, 'm2'));
      expect(info.version).toBe('v2');
      expect(engine.pid).toBe(pid);
      await expect(engine.swapModel(join(dir, 'missing'))).rejects.toThrow(/missing.*does not exist/);
      expect(engine.alive).toBe(true);
    } finally {
      engine.close();
    }
  });

  it('fails a request the engine does not answer in time, stops during, or cannot take', async () => {
    const engine = await EngineClient.start({
      modelDir: join(dir, 'm1'),
      backend: 'wasm',
      restart: { max: 0 },
      requestTimeoutMs: 1, // reading the shipped language model takes a second or more
    });
    await expect(engine.setLanguageModel(BASE_LM_PATH)).rejects.toThrow(
      /did not change the language model within 0\.001 s/,
    );
    // The late answer changes nothing: the engine goes on answering in order.
    const exited = new Promise<number | null>((r) => engine.once('exit', r));
    const pending = engine.setLanguageModel(null);
    process.kill(engine.pid!, 'SIGKILL');
    await expect(pending).rejects.toThrow(/(stopped while|did not) .*change the language model/);
    await exited;
    await expect(engine.swapModel(join(dir, 'm2'))).rejects.toThrow(
      /speech engine is not running \(asked to load the model .*m2\)/,
    );
  });

  it('fails start-up with the model folder’s own error', async () => {
    await expect(EngineClient.start({ modelDir: join(dir, 'nope'), backend: 'wasm' })).rejects.toThrow(
      /model folder .*nope.*does not exist/,
    );
  });

  it('with restarting off, reports the engine process dying and stays down', async () => {
    const engine = await EngineClient.start({
      modelDir: join(dir, 'm1'),
      backend: 'wasm',
      restart: { max: 0 },
    });
    const exited = new Promise<number | null>((r) => engine.once('exit', r));
    process.kill(engine.pid!, 'SIGKILL');
    await exited;
    expect(engine.alive).toBe(false);
    await engine.finish(); // resolves instead of hanging
    engine.sendAudio(speech.slice(0, 1600)); // dropped, not thrown
  });

  it('starts a new engine process with the model in use after a crash, and stops a crash loop', async () => {
    const engine = await EngineClient.start({
      modelDir: join(dir, 'm1'),
      backend: 'wasm',
      restart: { max: 1, windowMs: 60_000 },
    });
    try {
      await engine.swapModel(join(dir, 'm2'));
      const firstPid = engine.pid!;
      const restarted = new Promise<EngineModelInfo>((r) => engine.once('restarted', r));
      process.kill(firstPid, 'SIGKILL');
      const model = await restarted;
      expect(model.version).toBe('v2'); // the swapped-in model, not the one it started with
      expect(engine.alive).toBe(true);
      expect(engine.pid).not.toBe(firstPid);

      // The new process dictates.
      const finals: FinalEvent[] = [];
      engine.on('final', (f) => finals.push(f));
      for (let i = 0; i < speech.length; i += 1600) engine.sendAudio(speech.slice(i, i + 1600));
      await engine.finish();
      expect(finals.length).toBeGreaterThanOrEqual(1);

      // A second crash within the window is one too many: it says so and stays down.
      const error = new Promise<{ message: string; fatal: boolean }>((r) => engine.once('error', r));
      process.kill(engine.pid!, 'SIGKILL');
      const e = await error;
      expect(e.fatal).toBe(true);
      expect(e.message).toMatch(/stopped 2 times within 60 s.*not started again/);
      expect(engine.alive).toBe(false);
    } finally {
      engine.close();
    }
  });
});
