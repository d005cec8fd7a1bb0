import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { connectAttune } from '../../src-main/app/web-client.js';
import type { AttuneApi, DictationState, EventPayloads } from '../../src-main/ipc/contract.js';
import { parseWav } from '../../src-main/speech/wav.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { saveTinyModel, startTestApp, type TestApp } from './app-helpers.js';

let t: TestApp;
let mic: FifoMic;
let api: AttuneApi;

beforeAll(async () => {
  mic = startFifoMic();
  // The FIFO microphone is the default ALSA device for recorders started with its environment.
  t = await startTestApp({ shell: true, capture: { env: mic.env } });
  const shell = t.shell!;
  api = await connectAttune(shell.origin, shell.token, {
    createSocket: (u) => new WebSocket(u, { origin: shell.origin }),
  });
});

afterAll(async () => {
  await t?.close();
  mic?.close();
});

/** The dictation events from now on. */
function watchDictation() {
  const segments: EventPayloads['dictation.segment'][] = [];
  const states: EventPayloads['dictation.state'][] = [];
  api.on('dictation.segment', (s) => segments.push(s));
  api.on('dictation.state', (s) => states.push(s));
  return { segments, states };
}

/** Says a recorded phrase into the microphone, with silence around it, and waits for its first segment. */
async function sayPhrase(wav: string, segments: readonly unknown[]): Promise<void> {
  await mic.silence(400);
  await mic.play(wav);
  await mic.silence(1500);
  await expect.poll(() => segments.length, { timeout: 15_000 }).toBeGreaterThan(0);
}

describe('dictation end to end: microphone → engine → store → browser', () => {
  it('streams partial and final text over the WebSocket, then stores and exports the session', async () => {
    const wav = join(t.dir, 'speech.wav');
    execFileSync('espeak-ng', ['-w', wav, 'hello there, this is a dictation test']);

    const partials: EventPayloads['dictation.partial'][] = [];
    const segments: EventPayloads['dictation.segment'][] = [];
    const states: DictationState[] = [];
    let levels = 0;
    api.on('dictation.partial', (p) => partials.push(p));
    api.on('dictation.segment', (s) => segments.push(s));
    api.on('dictation.state', (s) => states.push(s.state));
    api.on('dictation.level', () => levels++);

    const started = await api.call('dictation.start', {});
    expect(started).toMatchObject({ state: 'listening', device: 'default', error: null });
    const sessionId = started.sessionId!;
    expect(sessionId).toBeGreaterThan(0);

    await mic.silence(400);
    await mic.play(wav);
    // A pause long enough for the endpointer to close the phrase while still listening.
    await mic.silence(1500);
    await expect.poll(() => segments.length, { timeout: 15_000 }).toBeGreaterThan(0);

    const stopped = await api.call('dictation.stop', {});
    expect(stopped).toMatchObject({ state: 'stopped', sessionId });
    expect(states.slice(0, 2)).toEqual(['starting', 'listening']);
    expect(states.slice(-2)).toEqual(['thinking', 'stopped']);
    expect(levels).toBeGreaterThan(0);

    // Text streamed while speaking: partials for this session came before the first final segment.
    expect(partials.length).toBeGreaterThan(0);
    expect(partials.every((p) => p.sessionId === sessionId)).toBe(true);
    expect(partials.some((p) => (p.committed + p.partial).length > 0)).toBe(true);
    const first = segments[0].segment;
    expect(segments[0].sessionId).toBe(sessionId);
    expect(first.rawText.length).toBeGreaterThan(0);
    expect(first.endMs).toBeGreaterThan(first.startMs);

    // The store has the segment as the browser saw it, with its clip.
    const { session, segments: stored } = await api.call('sessions.get', { id: sessionId });
    // The shipped model was never registered as a version: nothing to name.
    expect(session).toMatchObject({ status: 'done', device: 'default', modelVersionId: null });
    expect(session.endedAt).not.toBeNull();
    const last = new Map(segments.map((s) => [s.segment.id, s.segment]));
    expect(stored.map((s) => s.id)).toEqual([...last.keys()]);
    expect(stored[0].displayText).toBe(last.get(stored[0].id)!.displayText);
    expect(stored[0].audioPath).toBe(`audio/${sessionId}/${stored[0].id}.wav`);

    // Its clip plays from the shell: the segment's span, with padding at the edges.
    const { url } = await api.call('segments.audioUrl', { segmentId: stored[0].id });
    const clip = await fetch(url!);
    expect(clip.status).toBe(200);
    const audio = parseWav(Buffer.from(await clip.arrayBuffer()), 'clip.wav');
    const spanSec = (stored[0].endMs - stored[0].startMs) / 1000;
    expect(audio.mono.length / audio.sampleRate).toBeGreaterThan(spanSec);
    expect(audio.mono.length / audio.sampleRate).toBeLessThan(spanSec + 0.35);
    expect(Math.max(...audio.mono.map(Math.abs))).toBeGreaterThan(0.05); // speech, not silence

    const txt = await api.call('sessions.export', { id: sessionId, format: 'txt' });
    expect(txt.content.startsWith(`${session.title}\n\n`)).toBe(true);
    for (const s of stored) if (s.displayText.trim()) expect(txt.content).toContain(s.displayText.trim());

    const listed = await api.call('sessions.list', {});
    expect(listed.items[0]).toMatchObject({ id: sessionId, segmentCount: stored.length });
  });

  it('records in each session the model version that transcribed it', async () => {
    const personal = join(t.dir, 'personal-1');
    await saveTinyModel(personal, 2);
    const v = t.app.store.models.create({ label: 'personal 1', dir: personal });
    await api.call('models.activate', { id: v.id });
    const started = await api.call('dictation.start', {});
    await api.call('dictation.stop', {});
    expect((await api.call('sessions.get', { id: started.sessionId! })).session.modelVersionId).toBe(v.id);

    const base = await api.call('models.resetToBase', {});
    const again = await api.call('dictation.start', {});
    await api.call('dictation.stop', {});
    expect((await api.call('sessions.get', { id: again.sessionId! })).session.modelVersionId).toBe(base.id);
  });

  it('keeps the text when the engine process dies mid-dictation, and dictates again on a new one', async () => {
    const wav = join(t.dir, 'crash.wav');
    execFileSync('espeak-ng', ['-w', wav, 'the first phrase is kept']);
    const { segments, states } = watchDictation();

    const started = await api.call('dictation.start', {});
    await sayPhrase(wav, segments);

    const firstPid = t.app.engine.pid!;
    const restarted = new Promise((r) => t.app.engine.once('restarted', r));
    process.kill(firstPid, 'SIGKILL');
    await expect
      .poll(() => states.at(-1)?.error ?? '', { timeout: 10_000 })
      .toMatch(/speech engine stopped unexpectedly.*the text so far is kept/);
    expect(states.at(-1)!.state).toBe('error');
    await restarted;
    expect(t.app.engine.pid).not.toBe(firstPid);
    await expect.poll(() => states.at(-1)?.error ?? '', { timeout: 5000 }).toMatch(/running again/);

    // The session ended with what was said before the crash.
    const { session, segments: stored } = await api.call('sessions.get', { id: started.sessionId! });
    expect(session.endedAt).not.toBeNull();
    expect(stored.map((x) => x.id)).toEqual(segments.map((x) => x.segment.id));

    // The next dictation runs on the new engine process.
    segments.length = 0;
    const again = await api.call('dictation.start', {});
    expect(again).toMatchObject({ state: 'listening', error: null });
    await sayPhrase(wav, segments);
    expect(segments[0].sessionId).toBe(again.sessionId);
    await api.call('dictation.stop', {});
  });

  it('keeps the text when the microphone is unplugged mid-dictation, and dictates again once it is back', async () => {
    const wav = join(t.dir, 'unplug.wav');
    execFileSync('espeak-ng', ['-w', wav, 'this phrase was said before it went']);
    const { segments, states } = watchDictation();

    const started = await api.call('dictation.start', {});
    await sayPhrase(wav, segments);
    const said = segments.map((x) => x.segment.id);

    expect(mic.unplug().length).toBe(1);
    // The recorder is restarted a few times (a loose plug comes back), then the session ends with one
    // message naming the microphone, and what was said is kept.
    await expect.poll(() => states.at(-1)?.state, { timeout: 20_000 }).toBe('error');
    const error = states.at(-1)!.error!;
    expect(error).toMatch(/microphone|capture device|recorder/i);
    expect(error).toMatch(/text so far is kept/);
    expect(states.filter((s) => s.state === 'error')).toHaveLength(1);
    const { session, segments: stored } = await api.call('sessions.get', { id: started.sessionId! });
    expect(session.endedAt).not.toBeNull();
    expect(stored.map((x) => x.id)).toEqual(said);

    // Plugged back in: the next dictation captures from it.
    mic.plugIn();
    segments.length = 0;
    const again = await api.call('dictation.start', {});
    expect(again).toMatchObject({ state: 'listening', error: null });
    await sayPhrase(wav, segments);
    await api.call('dictation.stop', {});
  }, 60_000);
});
