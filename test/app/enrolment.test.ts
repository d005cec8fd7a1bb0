// Enrolment in the real app (store, engine process with a tiny model, the FIFO microphone as a real ALSA
// device): takes are recorded, cut to their speech and stored as trainable corrections; bad requests are
// refused with messages that name the problem; dictation and enrolment never mix their text.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrolmentStatus, EnrolmentTake, EventPayloads } from '../../src-main/ipc/contract.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { startTestApp, type TestApp } from './app-helpers.js';

let t: TestApp;
let mic: FifoMic;
const statuses: EnrolmentStatus[] = [];
const levels: EventPayloads['enrolment.level'][] = [];

type Recorded = { take: EnrolmentTake | null; status: EnrolmentStatus };
const call = (method: string, args: unknown) => t.app.router.call(method, args);

beforeAll(async () => {
  mic = startFifoMic();
  t = await startTestApp({ capture: { env: mic.env } });
  t.app.router.events.on('enrolment.status', (s) => statuses.push(s));
  t.app.router.events.on('enrolment.level', (l) => levels.push(l));
}, 120_000);

afterAll(async () => {
  await t?.close();
  mic?.close();
});

/** Records `promptId` while the microphone plays `play`, then stops the take; resolves with the result. */
async function recordWhile(promptId: string, play: () => Promise<unknown>): Promise<Recorded> {
  const recording = call('enrolment.record', { promptId }) as Promise<Recorded>;
  recording.catch(() => undefined);
  await expect.poll(() => t.app.enrolment.recording).toBe(true);
  await expect.poll(() => statuses.at(-1)?.recording?.promptId).toBe(promptId);
  await mic.silence(600);
  await play();
  await mic.silence(1200);
  await call('enrolment.stop', {});
  return recording;
}

function speech(name: string, text: string): string {
  const wav = join(t.dir, `${name}.wav`);
  execFileSync('espeak-ng', ['-w', wav, text]);
  return wav;
}

describe('enrolment in the app', () => {
  it('offers itself at first launch, with the built-in prompts and where they come from', async () => {
    const status = (await call('enrolment.status', {})) as EnrolmentStatus;
    expect(status).toMatchObject({
      sessionId: null,
      recorded: 0,
      skipped: 0,
      speechMs: 0,
      next: 'p001',
      offer: true,
    });
    const { prompts, source } = (await call('enrolment.prompts', {})) as {
      prompts: { id: string; text: string }[];
      source: string;
    };
    expect(status.prompts).toBe(prompts.length);
    expect(prompts.length).toBeGreaterThanOrEqual(120);
    expect(source).toMatch(/^Source: .*Licence: .*CC0/);
  });

  it('records a take: level events while it records, the clip cut to the speech, a pending correction to the prompt', async () => {
    const wav = speech('p001', 'the quick brown fox jumps over the lazy dog near the river');
    let playedMs = 0;
    const r = await recordWhile('p001', async () => {
      const p = await mic.play(wav);
      playedMs = (p.samples / 16000) * 1000;
    });
    const take = r.take!;
    expect(take.promptId).toBe('p001');
    // Cut to the speech: about what was played (plus a little padding), not the silences around it.
    expect(take.durationMs).toBeGreaterThan(playedMs - 400);
    expect(take.durationMs).toBeLessThan(playedMs + 900);
    expect(levels.length).toBeGreaterThan(5);
    expect(Math.max(...levels.map((l) => l.rmsDb))).toBeGreaterThan(-30);

    const segment = t.app.store.segments.get(take.segmentId);
    expect(segment.displayText).toBe('The quick brown fox jumps over the lazy dog near the river.');
    expect(segment.rawText).toBe(take.heard);
    expect(existsSync(t.app.store.clips.absolutePath(segment.audioPath!))).toBe(true);
    const pending = t.app.store.corrections.pending();
    expect(pending.map((i) => i.segmentId)).toEqual([take.segmentId]);
    expect(r.status).toMatchObject({ recorded: 1, next: 'p002', offer: false, recording: null });
    expect(r.status.speechMs).toBe(take.durationMs);
    expect(((await call('training.status', {})) as { pendingCorrections: number }).pendingCorrections).toBe(
      1,
    );
  });

  it('refuses a take in which nothing was heard, and stores nothing', async () => {
    await expect(recordWhile('p002', () => mic.silence(500))).rejects.toMatchObject({
      code: 'NO_SPEECH',
      message: expect.stringMatching(/^nothing was heard in this take/),
    });
    const status = (await call('enrolment.status', {})) as EnrolmentStatus;
    expect(status).toMatchObject({ recorded: 1, next: 'p002', recording: null });
  });

  it('answers every bad request with an error that names the problem', async () => {
    await expect(call('enrolment.record', { promptId: 'p999' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'unknown prompt "p999": the prompts are p001 to p125',
    });
    await expect(call('enrolment.record', { promptId: '../etc' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringContaining('promptId: a prompt id is 1 to 40 letters'),
    });
    await expect(call('enrolment.record', {})).rejects.toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringContaining('promptId'),
    });
    await expect(call('enrolment.skip', { promptId: 'p002', why: 'x' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringMatching(/Unrecognized key.*why/),
    });
    await expect(call('enrolment.stop', { discard: 'yes' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringContaining('discard'),
    });
    await expect(call('settings.set', { patch: { replayMargin: 3 } })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringMatching(/^setting replayMargin cannot be 3: /),
    });
    await expect(call('enrolment.skip', { promptId: 'p001' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('p001 is already recorded'),
    });
    // One take at a time; the microphone test waits for it.
    const first = call('enrolment.record', { promptId: 'p002' });
    first.catch(() => undefined);
    await expect.poll(() => t.app.enrolment.recording).toBe(true);
    await expect(call('enrolment.record', { promptId: 'p003' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: 'a prompt is being recorded already: stop it first',
    });
    await expect(call('devices.test', {})).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(call('enrolment.stop', { discard: true })).resolves.toMatchObject({ recording: null });
    await expect(first).resolves.toMatchObject({ take: null });
  });

  it('skips a prompt, re-records another, and keeps every other take', async () => {
    const skipped = (await call('enrolment.skip', { promptId: 'p002' })) as EnrolmentStatus;
    expect(skipped).toMatchObject({ skipped: 1, next: 'p003' });
    const before = t.app.store.corrections.pending().map((i) => i.segmentId);
    const wav = speech('p001-again', 'the quick brown fox jumps over the lazy dog');
    const again = (await recordWhile('p001', () => mic.play(wav))).take!;
    const after = t.app.store.corrections.pending().map((i) => i.segmentId);
    expect(after).toEqual([again.segmentId]);
    expect(before).not.toContain(again.segmentId);
    const status = (await call('enrolment.status', {})) as EnrolmentStatus;
    expect(status).toMatchObject({ recorded: 1, skipped: 1, next: 'p003', speechMs: again.durationMs });
  });

  it('gives the engine back to dictation, and no enrolment text lands in a dictation session', async () => {
    // A take is thrown away when dictation starts.
    const take = call('enrolment.record', { promptId: 'p003' }) as Promise<Recorded>;
    await expect.poll(() => t.app.enrolment.recording).toBe(true);
    const started = (await call('dictation.start', {})) as { state: string; sessionId: number };
    expect(started.state).toBe('listening');
    await expect(take).resolves.toMatchObject({ take: null });
    await mic.silence(300);
    await call('dictation.stop', {});
    const dictated = t.app.store.sessions.withSegments(started.sessionId).segments.length;

    const wav = speech('p003', 'please bring your thick winter jacket');
    const r = await recordWhile('p003', () => mic.play(wav));
    expect(r.take).not.toBeNull();
    expect(t.app.store.sessions.withSegments(started.sessionId).segments).toHaveLength(dictated);
    // The enrolment session is listed in History with its takes.
    const enrolment = t.app.store.sessions.list({}).items.find((s) => s.id === r.status.sessionId)!;
    expect(enrolment).toMatchObject({ title: 'Enrolment', segmentCount: 2, correctionCount: 2 });
  });
});
