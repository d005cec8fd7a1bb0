// The speech engine on the compute host (recognition on WebGPU, asked for by name): headless Chromium on
// SwiftShader here. Its finals equal the wasm engine's on real speech; when the host's browser dies in the
// middle of a phrase, the user is told once (a non-fatal error) and the phrase is finished here, the same.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/engine-client.js';
import type { FinalEvent } from '../../src-main/engine/recognizer.js';
import { BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { clipPath } from '../recipes/torch/helpers.js';
import { webGpuTestsMissing } from '../compute/helpers.js';

const missing = webGpuTestsMissing();

const CHUNK = 1600; // 100 ms, as the microphone sends it

let speech: Float32Array;

/** Streams `speech` into an engine, running `during` halfway; returns its finals and errors. */
async function dictate(backend: string, during?: (engine: EngineClient) => Promise<void>) {
  const engine = await EngineClient.start({ modelDir: BASE_MODEL_DIR, backend, startTimeoutMs: 120_000 });
  const finals: FinalEvent[] = [];
  const errors: { message: string; fatal: boolean }[] = [];
  engine.on('final', (f) => finals.push(f));
  engine.on('error', (e) => errors.push(e));
  try {
    const half = Math.floor(speech.length / 2 / CHUNK) * CHUNK;
    for (let i = 0; i < half; i += CHUNK) engine.sendAudio(speech.slice(i, i + CHUNK));
    if (during) {
      // The first half is through the engine before the fault: a request waits behind the audio.
      await engine.swapModel(BASE_MODEL_DIR);
      await during(engine);
    }
    for (let i = half; i < speech.length; i += CHUNK) engine.sendAudio(speech.slice(i, i + CHUNK));
    await engine.finish();
    return { finals, errors, ready: engine.ready! };
  } finally {
    engine.close();
  }
}

/** Kills the engine's headless Chromium (found by its profile, named after the engine's pid). */
function killBrowser(enginePid: number): void {
  execFileSync('pkill', ['-KILL', '-f', `attune-host-${enginePid}-`]);
}

describe.skipIf(missing !== null)(`the engine on WebGPU${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let local: Awaited<ReturnType<typeof dictate>>;

  beforeAll(async () => {
    // One real sentence with a second of silence around it, so the phrase ends at an endpoint.
    const clip = (await readAudio(clipPath('sense_and_sensibility_01_austen_64kb-0880'))).samples;
    speech = new Float32Array(16000 + clip.length + 16000);
    speech.set(clip, 16000);
    local = await dictate('wasm');
  }, 120_000);

  it('recognises on WebGPU what the wasm engine does, and shows the ladder', async () => {
    const gpu = await dictate('webgpu');
    expect(gpu.ready.backend.name).toBe('webgpu');
    expect(gpu.ready.backend.description).toMatch(/✓ webgpu +webgpu: google swiftshader, software/);
    expect(gpu.errors).toEqual([]);
    expect(local.finals.length).toBeGreaterThan(0);
    expect(local.finals[0].text.length).toBeGreaterThan(0);
    expect(gpu.finals.map((f) => [f.text, f.startMs, f.endMs])).toEqual(
      local.finals.map((f) => [f.text, f.startMs, f.endMs]),
    );
  }, 180_000);

  it('finishes the phrase here when the browser dies mid-phrase, and says so once', async () => {
    const r = await dictate('webgpu', async (engine) => killBrowser(engine.pid!));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fatal).toBe(false);
    expect(r.errors[0].message).toMatch(/recognition moved from the GPU \(WebGPU\) to the CPU/);
    expect(r.finals.map((f) => [f.text, f.startMs, f.endMs])).toEqual(
      local.finals.map((f) => [f.text, f.startMs, f.endMs]),
    );
  }, 180_000);
});
