// The microphone test of Settings against a real ALSA capture device (the FIFO microphone): its level
// follows what the device hears, it stores nothing, it is refused while dictating and gives the device
// up when dictation starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicTest } from '../../src-main/app/mic-test.js';
import { MIN_DBFS } from '../../src-main/engine/capture.js';
import type { EventPayloads } from '../../src-main/ipc/contract.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { startTestApp, type TestApp } from './app-helpers.js';

type Level = EventPayloads['devices.level'];

let mic: FifoMic;

/** A sine of this amplitude (full scale 1) for `ms`: its RMS is amplitude / √2. */
function tone(ms: number, amplitude: number, hz = 440): Float32Array {
  const n = Math.round((ms / 1000) * 16000);
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 16000));
}

const dbfs = (x: number) => 20 * Math.log10(x);

beforeAll(() => {
  mic = startFifoMic();
});

afterAll(() => mic?.close());

describe('MicTest', () => {
  it('reports the level of what the device hears: silence, then a tone at its measured loudness', async () => {
    const levels: Level[] = [];
    const test = new MicTest((l) => levels.push(l), { capture: { env: mic.env }, levelIntervalMs: 100 });
    const running = test.run(mic.deviceName, 2.5);
    // The recorder reads what the FIFO gets from now on: a moment of silence, then a tone.
    await mic.silence(500);
    void mic.play(tone(1000, 0.5));
    const result = await running;

    expect(test.running).toBe(false);
    expect(result.device).toBe(mic.deviceName);
    expect(result.seconds).toBeGreaterThan(2);
    expect(result.seconds).toBeLessThan(3.5);
    // About one event per 100 ms, not one per 50 ms capture reading.
    expect(result.readings).toBe(levels.length);
    expect(levels.length).toBeGreaterThan(12);
    expect(levels.length).toBeLessThan(30);
    expect(levels.every((l) => l.device === mic.deviceName)).toBe(true);

    const expected = dbfs(0.5 / Math.SQRT2); // −9.0 dBFS
    expect(levels.some((l) => l.rmsDb === MIN_DBFS)).toBe(true);
    const loud = levels.filter((l) => l.rmsDb > -20);
    expect(loud.length).toBeGreaterThan(5);
    for (const l of loud.slice(1, -1)) {
      expect(l.rmsDb).toBeCloseTo(expected, 0);
      expect(l.peakDb).toBeCloseTo(dbfs(0.5), 0);
    }
    expect(result.maxRmsDb).toBeCloseTo(expected, 0);
  });

  it('ends early when stopped, with what it measured so far', async () => {
    const test = new MicTest(() => {}, { capture: { env: mic.env } });
    const t0 = Date.now();
    const running = test.run(mic.deviceName, 20);
    await expect.poll(() => test.running).toBe(true);
    await new Promise((r) => setTimeout(r, 800));
    await test.stop();
    const result = await running;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(result.seconds).toBeGreaterThan(0.3);
    expect(result.seconds).toBeLessThan(3);
  });

  it('rejects with the capture error when the device does not exist', async () => {
    const test = new MicTest(() => {}, { capture: { env: mic.env } });
    await expect(test.run('no-such-device', 1)).rejects.toMatchObject({
      name: 'CaptureError',
      code: 'NO_DEVICE',
    });
    expect(test.running).toBe(false);
  });
});

describe('devices.test in the app', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ capture: { env: mic.env } });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('sends the level as devices.level events and answers with the loudest reading', async () => {
    const levels: Level[] = [];
    t.app.router.events.on('devices.level', (l) => levels.push(l));
    const running = t.app.router.call('devices.test', { seconds: 1.5 });
    void mic.play(tone(1500, 0.25));
    const result = (await running) as { device: string; maxRmsDb: number; readings: number };
    // No device named: the one chosen in Settings (the FIFO microphone is the system default here).
    expect(result.device).toBe('default');
    expect(result.readings).toBe(levels.length);
    expect(levels.length).toBeGreaterThan(5);
    expect(result.maxRmsDb).toBeCloseTo(dbfs(0.25 / Math.SQRT2), 0);
    // Nothing was recorded as a session.
    expect(t.app.store.sessions.list({}).items).toHaveLength(0);
  });

  it('refuses arguments outside the contract', async () => {
    await expect(t.app.router.call('devices.test', { seconds: 120 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENTS',
    });
  });

  it('is refused while dictating, and gives the device up when dictation starts', async () => {
    const testing = t.app.router.call('devices.test', { seconds: 20 });
    await expect.poll(() => t.app.micTest.running).toBe(true);
    const status = (await t.app.router.call('dictation.start', {})) as { state: string };
    expect(status.state).toBe('listening');
    // The test ended (early) when dictation took the device.
    const result = (await testing) as { seconds: number };
    expect(result.seconds).toBeLessThan(10);
    await expect(t.app.router.call('devices.test', {})).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: 'stop dictation before testing the microphone',
    });
    await t.app.router.call('dictation.stop', {});
    expect(t.app.micTest.running).toBe(false);
  });
});
