// Capture through a real recorder (arecord) from a real ALSA device: the FIFO microphone of fifo-mic.ts.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Capture,
  CaptureError,
  type CaptureConfig,
  type CaptureLevel,
  type CaptureWarning,
  describeRecorderExit,
  MIN_DBFS,
  parseStderrLine,
  recorderCommand,
  type RestartInfo,
  type StoppedInfo,
} from '../../src-main/engine/capture.js';
import { listDevices, parseArecordList } from '../../src-main/engine/devices.js';
import { type FifoMic, startFifoMic } from './fifo-mic.js';

const RATE = 16000;
const TEST_TIMEOUT_MS = 15_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function mic(opts: Parameters<typeof startFifoMic>[0] = {}): FifoMic {
  const m = startFifoMic(opts);
  cleanups.push(() => m.close());
  return m;
}

/** A Capture on the FIFO microphone that records everything it emits. */
function recording(m: FifoMic, config: Partial<CaptureConfig> = {}) {
  const capture = new Capture({ recorder: 'arecord', env: m.env, ...config });
  const chunks: Float32Array[] = [];
  const levels: CaptureLevel[] = [];
  const errors: CaptureError[] = [];
  const warnings: CaptureWarning[] = [];
  const restarts: RestartInfo[] = [];
  const stopped: StoppedInfo[] = [];
  capture.on('data', (c) => chunks.push(c));
  capture.on('level', (l) => levels.push(l));
  capture.on('error', (e) => errors.push(e));
  capture.on('warning', (w) => warnings.push(w));
  capture.on('restarted', (r) => restarts.push(r));
  capture.on('stopped', (s) => stopped.push(s));
  cleanups.push(() => capture.stop());
  /** Every sample received so far as the recorder's 16-bit values (exact: each arrives as v / 32768). */
  const pcm = () => {
    const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) for (let i = 0; i < c.length; i++) all[at++] = Math.round(c[i] * 32768);
    return all;
  };
  return { capture, chunks, levels, errors, warnings, restarts, stopped, pcm };
}

/** Linear chirp 200 Hz → 4 kHz at amplitude `amp`, starting off zero so its first sample marks its start. */
function chirp(seconds: number, amp: number): Float32Array {
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  const f0 = 200;
  const f1 = 4000;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    out[i] = amp * Math.sin(Math.PI / 4 + 2 * Math.PI * (f0 * t + ((f1 - f0) / (2 * seconds)) * t * t));
  }
  return out;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function countMismatches(a: Int16Array, b: Int16Array): number {
  let bad = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) bad++;
  return bad;
}

describe('Capture from the FIFO microphone through arecord', () => {
  it(
    'delivers exactly the PCM played into the device, chirp and speech file alike',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const m = mic();
      const r = recording(m);
      await r.capture.start();
      const tone = await m.play(chirp(0.8, 0.5));
      await m.silence(250);
      const dir = mkdtempSync(join(tmpdir(), 'attune-capture-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const wav = join(dir, 'speech.wav');
      await promisify(execFile)('espeak-ng', ['-w', wav, 'attune listens to the microphone']);
      const speech = await m.play(wav);
      await m.silence(500);
      await r.capture.stop();

      const got = r.pcm();
      const written = m.written();
      // The recorder attached before anything was played, so it received the stream from its first sample:
      // what arrived is a prefix of what was written, bit for bit, and reaches past the speech.
      expect(got.length).toBeGreaterThanOrEqual(speech.startSample + speech.pcm.length);
      expect(countMismatches(got, written.subarray(0, got.length))).toBe(0);
      for (const played of [tone, speech]) {
        const at = got.subarray(played.startSample, played.startSample + played.pcm.length);
        expect(countMismatches(at, played.pcm)).toBe(0);
      }
      expect(speech.samples).toBeGreaterThan(RATE); // espeak-ng really spoke (> 1 s)
      expect(r.capture.stats()).toMatchObject({
        samples: got.length,
        bytes: 2 * got.length,
        restarts: 0,
        overruns: 0,
      });
      expect(r.capture.stats().seconds).toBeCloseTo(got.length / RATE, 9);
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
    },
  );

  it(
    'reports levels: about -9 dBFS RMS / -6 dBFS peak for a half-scale chirp, the floor for silence',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const m = mic();
      const r = recording(m, { levelIntervalMs: 50 });
      await r.capture.start();
      await m.silence(300);
      const tone = await m.play(chirp(0.6, 0.5));
      await m.silence(400);
      await r.capture.stop();

      const window = 800; // 50 ms at 16 kHz
      const got = r.pcm();
      expect(r.levels.length).toBe(Math.floor(got.length / window));
      r.levels.forEach((l, i) => expect(l.endSample).toBe((i + 1) * window));
      const toneEnd = tone.startSample + tone.samples;
      const inTone = r.levels.filter(
        (l) => l.endSample - window >= tone.startSample && l.endSample <= toneEnd,
      );
      const silent = r.levels.filter(
        (l) => l.endSample <= tone.startSample || l.endSample - window >= toneEnd + 100,
      );
      expect(inTone.length).toBeGreaterThanOrEqual(10);
      expect(silent.length).toBeGreaterThanOrEqual(8);
      const sineRms = 20 * Math.log10(0.5 / Math.SQRT2); // -9.03 dBFS
      for (const l of inTone) {
        expect(l.rms).toBeCloseTo(sineRms, 0);
        expect(l.peak).toBeGreaterThan(-6.1);
        expect(l.peak).toBeLessThanOrEqual(20 * Math.log10(0.5) + 1e-3);
      }
      for (const l of silent) expect(l).toMatchObject({ rms: MIN_DBFS, peak: MIN_DBFS });
    },
  );

  it('stop() ends the recorder process and emits stopped', { timeout: TEST_TIMEOUT_MS }, async () => {
    const m = mic();
    const r = recording(m);
    await r.capture.start();
    const pid = r.capture.recorderPid!;
    expect(processExists(pid)).toBe(true);
    await until(() => r.capture.stats().samples >= RATE / 2, 5000, '0.5 s of audio');
    await r.capture.stop();
    expect(processExists(pid)).toBe(false);
    expect(r.capture.running).toBe(false);
    expect(r.capture.recorderPid).toBeUndefined();
    expect(r.stopped).toHaveLength(1);
    expect(r.stopped[0]).toMatchObject({ reason: 'stopped' });
    expect(r.stopped[0].stats.samples).toBe(r.capture.stats().samples);
    const after = r.capture.stats().samples;
    await m.silence(250);
    expect(r.capture.stats().samples).toBe(after);
    expect(r.errors).toEqual([]);
  });

  it(
    'restarts the recorder when it is killed mid-capture; the audio continues',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const m = mic();
      const r = recording(m, { restartDelayMs: 100 });
      await r.capture.start();
      // A ramp 1, 2, ... 32000 (2 s, within 16-bit range): any sample tells where in the signal it came from.
      const ramp = new Float32Array(2 * RATE).map((_, i) => (1 + i) / 32768);
      const playing = m.play(ramp);
      await until(() => r.pcm().some((v) => v >= RATE / 2), 8000, 'half a second of the ramp');
      const firstPid = r.capture.recorderPid!;
      process.kill(firstPid, 'SIGKILL');
      await until(() => r.restarts.length === 1, 5000, 'the restart');
      const played = await playing;
      await m.silence(400);
      await until(() => r.pcm().includes(ramp.length), 5000, 'the end of the ramp');
      await r.capture.stop();

      expect(r.errors).toHaveLength(1);
      const err = r.errors[0];
      expect(err.code).toBe('RECORDER_DIED');
      expect(err.details).toMatchObject({ signal: 'SIGKILL', exitCode: null, willRestart: true });
      expect(err.message).toMatch(/arecord was killed by SIGKILL during capture/);
      expect(r.restarts[0]).toMatchObject({ attempt: 1, delayMs: 100 });
      expect(r.restarts[0].pid).not.toBe(firstPid);
      expect(r.restarts[0].downtimeMs).toBeGreaterThanOrEqual(100);
      expect(r.restarts[0].downtimeMs).toBeLessThan(1000);
      expect(r.capture.stats().restarts).toBe(1);
      expect(r.stopped).toEqual([expect.objectContaining({ reason: 'stopped' })]);

      // Every ramp sample received is in order; at most the period the killed recorder held is missing.
      const values = Array.from(r.pcm()).filter((v) => v !== 0);
      let backwards = 0;
      let jumps = 0;
      for (let i = 1; i < values.length; i++) {
        if (values[i] <= values[i - 1]) backwards++;
        else if (values[i] !== values[i - 1] + 1) jumps++;
      }
      expect(backwards).toBe(0);
      expect(jumps).toBeLessThanOrEqual(1);
      expect(values[0]).toBe(1);
      expect(values.at(-1)).toBe(played.samples);
      expect(played.samples - values.length).toBeLessThanOrEqual(2000); // one arecord period (125 ms)
      const discarded = r.warnings.map((w) => (w.kind === 'discarded' ? w.bytes : 0));
      expect(r.capture.stats().discardedBytes).toBe(discarded.reduce((a, b) => a + b, 0));
    },
  );

  it('ends the session with a fatal error when restarting is off', { timeout: TEST_TIMEOUT_MS }, async () => {
    const m = mic();
    const r = recording(m, { restartOnFailure: false });
    await r.capture.start();
    process.kill(r.capture.recorderPid!, 'SIGTERM');
    await until(() => r.stopped.length === 1, 5000, 'stopped');
    expect(r.errors).toHaveLength(1);
    // arecord exits with status 1 when a signal aborts it.
    expect(r.errors[0].details).toMatchObject({ exitCode: 1, signal: null, willRestart: false });
    expect(r.errors[0].message).toMatch(
      /arecord exited with code 1 during capture.*restarting is turned off/,
    );
    expect(r.stopped[0]).toMatchObject({ reason: 'error', error: r.errors[0] });
    expect(r.restarts).toEqual([]);
    expect(r.capture.running).toBe(false);
  });

  it('counts overruns reported on stderr and warns about each', { timeout: TEST_TIMEOUT_MS }, async () => {
    const m = mic();
    // arecord itself, announcing two overruns the way it does when it is not read fast enough.
    const dir = mkdtempSync(join(tmpdir(), 'attune-capture-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const wrapper = join(dir, 'arecord');
    writeFileSync(
      wrapper,
      '#!/bin/sh\n' +
        'echo "overrun!!! (at least 12.500 ms long)" >&2\n' +
        'echo "overrun!!! (at least 3.000 ms long)" >&2\n' +
        'exec arecord "$@"\n',
    );
    chmodSync(wrapper, 0o755);
    const r = recording(m, { recorderPath: wrapper });
    await r.capture.start();
    await until(() => r.warnings.length === 2, 5000, 'two overrun warnings');
    await r.capture.stop();
    expect(r.capture.stats().overruns).toBe(2);
    expect(r.warnings).toEqual([
      expect.objectContaining({ kind: 'overrun', atLeastMs: 12.5, count: 1 }),
      expect.objectContaining({ kind: 'overrun', atLeastMs: 3, count: 2 }),
    ]);
    expect(r.warnings[0].message).toMatch(/arecord lost at least 12.5 ms of audio/);
    expect(r.capture.stats().samples).toBeGreaterThan(0);
  });

  it('averages a two-channel device to mono', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Stereo arecord periods are 2000 frames × 4 bytes; the FIFO holds interleaved L, R samples.
    const m = mic({ chunkBytes: 8000 });
    const r = recording(m, { channels: 2 });
    await r.capture.start();
    const ramp = new Float32Array(RATE).map((_, i) => ((i % 2 === 0 ? 1 : 3) * (1 + i)) / 32768);
    const played = await m.play(ramp);
    await m.silence(300);
    await r.capture.stop();
    const got = r.chunks.flatMap((c) => Array.from(c));
    const start = played.startSample / 2;
    for (let f = 0; f < ramp.length / 2; f++) {
      expect(got[start + f]).toBe((played.pcm[2 * f] + played.pcm[2 * f + 1]) / 2 / 32768);
    }
    expect(r.capture.stats().samples).toBe(got.length);
  });
});

describe('Capture errors', () => {
  it('names a device that does not exist', { timeout: TEST_TIMEOUT_MS }, async () => {
    const m = mic();
    const r = recording(m, { device: 'attune-no-such-device' });
    const err = await r.capture.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('NO_DEVICE');
    expect((err as CaptureError).message).toMatch(
      /^capture device "attune-no-such-device" does not exist or cannot be opened \(arecord: audio open error: No such file or directory\); `arecord -L` lists the devices$/,
    );
    expect((err as CaptureError).details.stderr).toMatch(/Unknown PCM attune-no-such-device/);
    expect(r.stopped).toEqual([expect.objectContaining({ reason: 'error', error: err })]);
    expect(r.errors).toEqual([]); // start() rejected; nothing was running
  });

  it(
    'names the missing recorder program and the package that provides it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const m = mic();
      const r = recording(m, { recorderPath: '/nonexistent/bin/arecord' });
      await expect(r.capture.start()).rejects.toMatchObject({
        code: 'NO_RECORDER',
        message: expect.stringMatching(
          /recorder program not found: \/nonexistent\/bin\/arecord \(.*alsa-utils/,
        ),
      });
      await expect(listDevices({ recorderPath: '/nonexistent/bin/arecord' })).rejects.toMatchObject({
        code: 'NO_RECORDER',
        message: expect.stringContaining('alsa-utils'),
      });
      const sox = new Capture({ recorder: 'sox', recorderPath: '/nonexistent/bin/sox' });
      await expect(sox.start()).rejects.toThrow(
        /recorder program not found: \/nonexistent\/bin\/sox \(sox comes with the sox package/,
      );
    },
  );

  it(
    'gives up with NO_AUDIO when the recorder runs but delivers nothing',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'attune-capture-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const silent = join(dir, 'silent-recorder'); // the shape of a recorder stuck on a device that never delivers
      writeFileSync(silent, '#!/bin/sh\nexec sleep 30\n');
      chmodSync(silent, 0o755);
      const stuck = new Capture({ recorderPath: silent, startTimeoutMs: 300 });
      const t0 = Date.now();
      await expect(stuck.start()).rejects.toMatchObject({
        code: 'NO_AUDIO',
        message: expect.stringContaining('delivered no audio from capture device "default" within 300 ms'),
      });
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(stuck.running).toBe(false);
    },
  );

  it(
    'reports a recorder that exits before delivering audio, with its own words',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // sleep rejects arecord's options and exits 1 at once.
      const r = recording(mic(), { recorderPath: 'sleep' });
      await expect(r.capture.start()).rejects.toMatchObject({
        code: 'RECORDER_FAILED',
        message: expect.stringMatching(/^arecord exited with code 1 before delivering audio: .*sleep/),
        details: { exitCode: 1, signal: null },
      });
    },
  );

  it('describes arecord exits from its real stderr', { timeout: TEST_TIMEOUT_MS }, async () => {
    const m = mic();
    const run = await promisify(execFile)('arecord', ['-D', 'attune-missing', '-q', '-d', '1', '/dev/null'], {
      env: { ...process.env, ...m.env },
    }).then(
      () => null,
      (e: { stderr: string; code: number }) => e,
    );
    expect(run).not.toBeNull();
    const described = describeRecorderExit(run!.stderr, {
      recorder: 'arecord',
      device: 'attune-missing',
      exitCode: run!.code,
      signal: null,
      midSession: true,
    });
    expect(described.code).toBe('NO_DEVICE');
    expect(described.message).toContain('"attune-missing"');
    const busy = describeRecorderExit('arecord: main:831: audio open error: Device or resource busy\n', {
      recorder: 'arecord',
      device: 'hw:0,0',
      exitCode: 1,
      signal: null,
      midSession: false,
    });
    expect(busy).toEqual({
      code: 'DEVICE_BUSY',
      message:
        'capture device "hw:0,0" is busy: another program is using it (arecord: audio open error: Device or resource busy)',
    });
    const died = describeRecorderExit('overrun!!! (at least 1.000 ms long)\nsomething broke\n', {
      recorder: 'arecord',
      device: 'default',
      exitCode: 3,
      signal: null,
      midSession: true,
    });
    expect(died).toEqual({
      code: 'RECORDER_DIED',
      message: 'arecord exited with code 3 during capture: something broke',
    });
  });
});

describe('recorder stderr', () => {
  it.each([
    ['overrun!!! (at least 42.195 ms long)', { kind: 'overrun', atLeastMs: 42.195 }],
    ['overrun!!!', { kind: 'overrun' }],
    ['sox WARN alsa: over-run', { kind: 'overrun' }],
    ['sox WARN coreaudio: coreaudio: unhandled buffer overrun.  Data discarded.', { kind: 'overrun' }],
    [
      '  arecord: main:831: audio open error: No such file or directory',
      { kind: 'message', text: 'arecord: main:831: audio open error: No such file or directory' },
    ],
    ['the overrun was reported earlier', { kind: 'message', text: 'the overrun was reported earlier' }],
  ])('%s', (line, expected) => {
    expect(parseStderrLine(line)).toEqual(expected);
  });
});

describe('recorder command lines', () => {
  const base = { sampleRate: 16000, channels: 1, device: 'default', recorderPath: undefined };
  it('uses arecord on Linux with the raw format node-record-lpcm16 builds', () => {
    const c = recorderCommand({ ...base, recorder: 'auto' }, 'linux');
    expect(c.recorder).toBe('arecord');
    expect(c.cmd).toBe('arecord');
    expect(c.args).toEqual([
      '-D',
      'default',
      '-q',
      '-r',
      '16000',
      '-c',
      '1',
      '-t',
      'raw',
      '-f',
      'S16_LE',
      '-',
    ]);
  });
  it('opens an ALSA device with sox at the requested format (format options before the device)', () => {
    const c = recorderCommand({ ...base, recorder: 'sox', device: 'hw:1' }, 'linux');
    const dev = c.args.indexOf('hw:1');
    expect(c.args.slice(0, 3)).toEqual(['-q', '-t', 'alsa']);
    expect(c.args.slice(3, dev)).toEqual(['-r', '16000', '-c', '1', '-e', 'signed-integer', '-b', '16']);
    expect(c.args.slice(dev + 1)).toEqual([
      '-t',
      'raw',
      '-r',
      '16000',
      '-c',
      '1',
      '-e',
      'signed-integer',
      '-b',
      '16',
      '-L',
      '-',
    ]);
  });
  it('uses sox with the native driver on macOS and Windows', () => {
    expect(recorderCommand({ ...base, recorder: 'auto' }, 'darwin').args.slice(0, 4)).toEqual([
      '-q',
      '-t',
      'coreaudio',
      'default',
    ]);
    expect(recorderCommand({ ...base, recorder: 'auto' }, 'win32').args.slice(0, 4)).toEqual([
      '-q',
      '-t',
      'waveaudio',
      'default',
    ]);
  });
});

describe('listDevices', () => {
  it(
    'lists the FIFO microphone and the default device under its ALSA configuration',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const m = mic();
      const devices = await listDevices({ env: m.env });
      expect(devices[0].id).toBe('default');
      expect(devices).toContainEqual({ id: 'filemic', description: 'Attune test microphone (FIFO)' });
      expect(devices.map((d) => d.id)).not.toContain('null'); // ALSA's silence generator is no microphone
    },
  );

  it('parses multi-line descriptions', () => {
    const text =
      'default:CARD=PCH\n    HDA Intel PCH, ALC3246 Analog\n    Default Audio Device\nsysdefault:CARD=PCH\n    HDA Intel PCH\n';
    expect(parseArecordList(text)).toEqual([
      { id: 'default:CARD=PCH', description: 'HDA Intel PCH, ALC3246 Analog, Default Audio Device' },
      { id: 'sysdefault:CARD=PCH', description: 'HDA Intel PCH' },
    ]);
  });

  it('offers the system default on macOS and Windows', async () => {
    expect(await listDevices({ platform: 'darwin' })).toEqual([
      { id: 'default', description: 'System default capture device' },
    ]);
  });
});
