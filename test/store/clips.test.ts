import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  expectStoreError,
  expectStoreErrorAsync,
  openTestStore,
  tone,
  type TestStore,
} from './store-helpers.js';

let t: TestStore;
let sessionId: number;
beforeEach(() => {
  t = openTestStore();
  sessionId = t.store.sessions.create().id;
});
afterEach(() => t.dispose());

const at16k = (samples: Float32Array) => ({ samples, sampleRate: 16000 });
const seg = (text = 'words') => ({ startMs: 0, endMs: 500, rawText: text });

/** Every file under a folder, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

describe('audio clips', () => {
  it('stores a 16 kHz mono 16-bit WAV at audio/<session>/<segment>.wav and reads it back', async () => {
    const audio = tone(0.5);
    const s = await t.store.appendSegment(sessionId, seg(), at16k(audio));
    expect(s.audioError).toBeNull();
    expect(s.audioPath).toBe(`audio/${sessionId}/${s.id}.wav`);
    expect(t.store.segments.get(s.id).audioPath).toBe(s.audioPath);

    // Check the header bytes independently of the reader.
    const bytes = readFileSync(join(t.dir, 'audio', String(sessionId), `${s.id}.wav`));
    expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
    expect(bytes.toString('latin1', 8, 12)).toBe('WAVE');
    expect(bytes.readUInt16LE(20)).toBe(1); // PCM
    expect(bytes.readUInt16LE(22)).toBe(1); // mono
    expect(bytes.readUInt32LE(24)).toBe(16000);
    expect(bytes.readUInt16LE(34)).toBe(16);
    expect(bytes.length).toBe(44 + audio.length * 2);

    const back = await t.store.segmentAudio(s.id);
    expect(back.status).toBe('ok');
    if (back.status !== 'ok') return;
    expect(back.sampleRate).toBe(16000);
    expect(back.samples.length).toBe(audio.length);
    let worst = 0;
    for (let i = 0; i < audio.length; i++) worst = Math.max(worst, Math.abs(back.samples[i] - audio[i]));
    expect(worst).toBeLessThanOrEqual(1 / 32768); // 16-bit quantisation, nothing more
    expect(filesUnder(join(t.dir, 'audio'))).toEqual([`${sessionId}/${s.id}.wav`]); // no temporary files
  });

  it('stores no audio at all when keepAudio is off', async () => {
    t.store.settings.set('keepAudio', false);
    const s = await t.store.appendSegment(sessionId, seg(), at16k(tone(0.3)));
    expect(s.audioPath).toBeNull();
    expect(existsSync(join(t.dir, 'audio'))).toBe(false);
    expect(await t.store.segmentAudio(s.id)).toEqual({ status: 'none' });
  });

  it('deletes all stored audio on request: files gone, rows forget them, setting unchanged', async () => {
    const a = await t.store.appendSegment(sessionId, seg('a'), at16k(tone(0.2)));
    const other = t.store.sessions.create().id;
    await t.store.appendSegment(other, seg('b'), at16k(tone(0.1)));
    const removed = await t.store.deleteAllAudio();
    expect(removed).toEqual({ files: 2, bytes: 2 * 44 + (3200 + 1600) * 2 });
    expect(existsSync(join(t.dir, 'audio'))).toBe(false);
    expect(t.store.segments.get(a.id).audioPath).toBeNull();
    expect(await t.store.segmentAudio(a.id)).toEqual({ status: 'none' });
    expect(t.store.settings.get('keepAudio')).toBe(true);
    expect(await t.store.deleteAllAudio()).toEqual({ files: 0, bytes: 0 });
  });

  it('reports a missing or broken clip file instead of crashing', async () => {
    const s = await t.store.appendSegment(sessionId, seg(), at16k(tone(0.2)));
    const file = join(t.dir, 'audio', String(sessionId), `${s.id}.wav`);
    writeFileSync(file, 'this is not audio');
    const broken = await t.store.segmentAudio(s.id);
    expect(broken).toMatchObject({ status: 'unreadable', file });
    rmSync(file);
    const missing = await t.store.segmentAudio(s.id);
    expect(missing).toEqual({ status: 'missing', file, message: `audio clip ${file} is missing` });
    await expectStoreErrorAsync(t.store.clips.read(s.audioPath!), 'CLIP_MISSING', file);
  });

  it('checks audio before writing the segment, so a bad clip leaves no segment behind', async () => {
    const cases: [unknown, unknown, string][] = [
      [new Float32Array(0), 16000, 'non-empty'],
      [[0.1, 0.2], 16000, 'Float32Array'],
      [tone(0.1, 440, 44100), 44100, 'stored at 16000 Hz'],
      [new Float32Array([0, Number.NaN]), 16000, 'sample 1 is NaN'],
    ];
    for (const [samples, sampleRate, message] of cases) {
      await expectStoreErrorAsync(
        t.store.appendSegment(sessionId, seg(), { samples, sampleRate } as never),
        'BAD_ARGUMENT',
        message,
      );
    }
    expect(t.store.sessions.withSegments(sessionId).segments).toEqual([]);
  });

  it('keeps the segment and reports the clip when the audio folder cannot be written', async () => {
    writeFileSync(join(t.dir, 'audio'), 'a file where the audio folder should be');
    const s = await t.store.appendSegment(sessionId, seg('text survives'), at16k(tone(0.1)));
    expect(s.audioError?.code).toBe('UNWRITABLE');
    expect(s.audioError?.message).toContain(join(t.dir, 'audio', String(sessionId), `${s.id}.wav`));
    expect(t.store.segments.get(s.id)).toMatchObject({ rawText: 'text survives', audioPath: null });
  });

  it('refuses clip paths that could leave the audio folder', async () => {
    for (const bad of [
      '../attune.db',
      'audio/1/../../x.wav',
      '/etc/passwd',
      'audio/1/2.mp3',
      'audio/01/2.wav',
      '',
    ]) {
      expectStoreError(() => t.store.clips.absolutePath(bad), 'BAD_ARGUMENT', 'not an audio clip path');
      await expectStoreErrorAsync(t.store.clips.read(bad), 'BAD_ARGUMENT');
    }
  });

  it('sweeps files no row refers to and temporary files from killed writes, sparing referenced clips and live writes', async () => {
    const kept = await t.store.appendSegment(sessionId, seg(), at16k(tone(0.1)));
    const dir = join(t.dir, 'audio', String(sessionId));
    writeFileSync(join(dir, '999.wav'), 'orphan'); // a crash between clip and row update
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a writer killed before its rename
    writeFileSync(join(dir, `.${kept.id}.wav.${dead}-abcdef.tmp`), 'partial');
    // A write of a running process (this one, mid-dictation) keeps its temporary file.
    writeFileSync(join(dir, `.${kept.id + 1}.wav.${process.pid}-abcdef.tmp`), 'being written');
    mkdirSync(join(t.dir, 'audio', '777'));
    writeFileSync(join(t.dir, 'audio', '777', '778.wav'), 'orphan of a purged session');

    const removed = await t.store.sweepAudio();
    expect(removed.sort()).toEqual(
      [
        `audio/${sessionId}/.${kept.id}.wav.${dead}-abcdef.tmp`,
        `audio/${sessionId}/999.wav`,
        'audio/777/778.wav',
      ].sort(),
    );
    expect(filesUnder(join(t.dir, 'audio'))).toEqual([
      `${sessionId}/.${kept.id + 1}.wav.${process.pid}-abcdef.tmp`,
      `${sessionId}/${kept.id}.wav`,
    ]);
    expect(existsSync(join(t.dir, 'audio', '777'))).toBe(false);
    expect((await t.store.segmentAudio(kept.id)).status).toBe('ok');
  });

  it('spares a clip being written while the sweep runs', async () => {
    const pending = t.store.appendSegment(sessionId, seg(), at16k(tone(1)));
    const [removed, appended] = await Promise.all([t.store.sweepAudio(), pending]);
    expect(removed).toEqual([]);
    expect((await t.store.segmentAudio(appended.id)).status).toBe('ok');
  });
});
