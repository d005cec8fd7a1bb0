// A real ALSA capture device for tests: ALSA's `file` PCM plugin reads its samples from a FIFO that this
// helper feeds in real time. Recorders (arecord) run unmodified against it; only their environment differs:
// XDG_CONFIG_HOME points at a folder whose alsa/asoundrc defines the device and makes it the default.
//
// How the plugin behaves, and what the feeder does about it:
// - Each capture period it read()s one period of bytes from the FIFO over a "null" slave, which has no
//   clock: the FIFO alone paces the recorder. So the feeder writes at the real-time rate (one chunk every
//   chunkBytes / 2 / sampleRate seconds, by the wall clock) and the recorder blocks in between.
// - A short read leaves the rest of the period untouched and EOF repeats the previous period, so chunks are
//   exactly one period (4000 bytes = 2000 frames for arecord at 16 kHz mono: a 500 ms buffer in 4 periods),
//   written whole (≤ PIPE_BUF, hence atomic), and silence flows whenever nothing is playing.
// - The FIFO is opened O_RDWR | O_NONBLOCK: that open never blocks (no need to wait for a reader), this
//   process always counts as a writer so a reader never sees EOF, and a full pipe (no reader yet, or the
//   recorder was killed) gives EAGAIN instead of blocking: silence is then dropped, played audio retried.
//   A recorder that opens the FIFO later reads the backlog first (up to 64 KiB, about 2 s).

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAudio } from '../../src-main/speech/audio.js';

export interface FifoMicOptions {
  /** Folder for the FIFO and the ALSA configuration; default a new temporary folder, removed by close(). */
  dir?: string;
  sampleRate?: number; // 16000 Hz
  /** Bytes per write: must equal the recorder's period in bytes. */
  chunkBytes?: number; // 4000
  /** ALSA name of the device; also made the default device. */
  deviceName?: string; // 'filemic'
}

export interface Played {
  /** Position of the first played sample in the stream written to the FIFO (see FifoMic.written()). */
  startSample: number;
  /** The exact 16-bit samples written, padded with zeros to whole chunks. [chunks × chunkSamples] */
  pcm: Int16Array;
  /** Samples before the padding. */
  samples: number;
}

export interface FifoMic {
  /** Environment to give the recording process (and listDevices) so ALSA uses this device. */
  env: Record<string, string>;
  deviceName: string;
  dir: string;
  fifoPath: string;
  /** Queues audio (16 kHz samples in [-1, 1], or an audio file, resampled); resolves once fully written. */
  play(audio: Float32Array | string, opts?: { sampleRate?: number }): Promise<Played>;
  /** Queues silence (rounded up to whole chunks); resolves once written. */
  silence(ms: number): Promise<Played>;
  /** Everything written to the FIFO so far, in order: what a reader attached from the start receives. */
  written(): Int16Array;
  /**
   * Pulls the microphone out: the device leaves ALSA's configuration, so no recorder can open it, and the
   * recorders capturing from it die (as arecord exits on a read error when a USB microphone goes). Returns
   * the pids it ended.
   */
  unplug(): number[];
  /** Puts the device back: recorders started from now on capture from it again. */
  plugIn(): void;
  close(): void;
}

/** Pids of the processes whose environment points ALSA at this folder (the recorders of this device). */
function recordersOf(dir: string): number[] {
  const mark = `XDG_CONFIG_HOME=${dir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const comm = readFileSync(`/proc/${entry}/comm`, 'latin1').trim();
      if (env.includes(mark) && (comm === 'arecord' || comm === 'sox' || comm === 'rec'))
        pids.push(Number(entry));
    } catch {
      // The process ended while it was read, or is not ours to read.
    }
  }
  return pids;
}

interface Chunk {
  buf: Buffer;
  /** Called when the last chunk of a play() has been written. */
  done?: () => void;
  fail?: (e: Error) => void;
}

export function startFifoMic(opts: FifoMicOptions = {}): FifoMic {
  const sampleRate = opts.sampleRate ?? 16000;
  const chunkBytes = opts.chunkBytes ?? 4000;
  const deviceName = opts.deviceName ?? 'filemic';
  const chunkSamples = chunkBytes / 2;
  const chunkMs = (chunkSamples / sampleRate) * 1000;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'attune-fifo-mic-'));
  const fifoPath = join(dir, 'mic.fifo');

  mkdirSync(join(dir, 'alsa'), { recursive: true });
  rmSync(fifoPath, { force: true });
  execFileSync('mkfifo', [fifoPath]);
  const asoundrc = join(dir, 'alsa', 'asoundrc');
  const plugIn = () =>
    writeFileSync(
      asoundrc,
      `pcm.${deviceName} {
  type file
  slave.pcm "null"
  file "/dev/null"
  infile ${JSON.stringify(fifoPath)}
  format "raw"
  hint { show on; description "Attune test microphone (FIFO)" }
}
pcm.!default "${deviceName}"
`,
    );
  plugIn();
  const fd = openSync(fifoPath, constants.O_RDWR | constants.O_NONBLOCK);

  const queue: Chunk[] = [];
  const log: Buffer[] = [];
  let queuedChunks = 0; // chunks written + queued: where the next play() starts
  let closed = false;
  const silentChunk = Buffer.alloc(chunkBytes);
  let nextDue = performance.now();

  const tick = () => {
    const now = performance.now();
    while (now >= nextDue) {
      const chunk = queue[0];
      const buf = chunk?.buf ?? silentChunk;
      try {
        writeSync(fd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        if (chunk) return; // pipe full: keep the played chunk for the next tick
        nextDue += chunkMs; // nobody is reading: drop this silence
        continue;
      }
      log.push(buf);
      if (chunk) {
        queue.shift();
        chunk.done?.();
      } else {
        queuedChunks++;
      }
      nextDue += chunkMs;
    }
  };
  const timer = setInterval(tick, chunkMs / 4);
  tick();

  const enqueue = (pcm: Int16Array, samples: number): Promise<Played> => {
    if (closed) return Promise.reject(new Error('fifo mic: already closed'));
    const startSample = queuedChunks * chunkSamples;
    const chunks = Math.max(1, Math.ceil(pcm.length / chunkSamples));
    const padded = new Int16Array(chunks * chunkSamples);
    padded.set(pcm);
    queuedChunks += chunks;
    const bytes = Buffer.from(padded.buffer, padded.byteOffset, padded.byteLength);
    const p = new Promise<Played>((resolve, reject) => {
      for (let c = 0; c < chunks; c++) {
        const last = c === chunks - 1;
        queue.push({
          buf: bytes.subarray(c * chunkBytes, (c + 1) * chunkBytes),
          done: last ? () => resolve({ startSample, pcm: padded, samples }) : undefined,
          fail: last ? reject : undefined,
        });
      }
    });
    p.catch(() => {}); // close() before the end rejects; callers that never await must not crash the run
    return p;
  };

  return {
    env: { XDG_CONFIG_HOME: dir },
    deviceName,
    dir,
    fifoPath,
    async play(audio, playOpts = {}) {
      let samples: Float32Array;
      if (typeof audio === 'string') {
        samples = (await readAudio(audio, { sampleRate })).samples;
      } else {
        const rate = playOpts.sampleRate ?? sampleRate;
        if (rate !== sampleRate)
          throw new Error(
            `fifo mic: samples must be at ${sampleRate} Hz, got ${rate} (pass a file to resample)`,
          );
        samples = audio;
      }
      const pcm = new Int16Array(samples.length);
      for (let i = 0; i < samples.length; i++) {
        const v = Math.round(samples[i] * 32768);
        pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      return enqueue(pcm, samples.length);
    },
    silence(ms) {
      const n = Math.round((ms / 1000) * sampleRate);
      return enqueue(new Int16Array(n), n);
    },
    written() {
      const all = Buffer.concat(log);
      return new Int16Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength));
    },
    unplug() {
      writeFileSync(asoundrc, '# the microphone was unplugged\n');
      const pids = recordersOf(dir);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      return pids;
    },
    plugIn,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const c of queue.splice(0)) c.fail?.(new Error('fifo mic closed before the audio was written'));
      closeSync(fd);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      else rmSync(fifoPath, { force: true });
    },
  };
}
