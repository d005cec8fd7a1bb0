import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialogExportSaver } from '../../src-main/app/export-saver.js';
import { DEFAULT_HOTKEY } from '../../src-main/app/handlers.js';
import { GlobalHotkey } from '../../src-main/app/hotkey.js';
import { toRemoteError } from '../../src-main/app/router.js';
import type {
  EventName,
  EventPayloads,
  MethodArgs,
  MethodName,
  MethodResults,
} from '../../src-main/ipc/contract.js';
import type { Segment } from '../../src-main/store/types.js';
import { saveTinyModel, startTestApp, type TestApp } from './app-helpers.js';

let t: TestApp;
const events: { event: EventName; payload: unknown }[] = [];

/** Calls a method through the router, as a renderer would. */
function call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]> {
  return t.app.router.call(method, args) as Promise<MethodResults[M]>;
}

/** The error a renderer would be told for this call. */
async function failure(method: string, args: unknown): Promise<{ code: string; message: string }> {
  try {
    await t.app.router.call(method, args);
  } catch (err) {
    return toRemoteError(err);
  }
  throw new Error(`${method} did not fail`);
}

function eventsOf<E extends EventName>(name: E): EventPayloads[E][] {
  return events.filter((e) => e.event === name).map((e) => e.payload as EventPayloads[E]);
}

/** A one-second tone: audio for a clip. */
function tone(seconds = 1, hz = 220): Float32Array {
  const s = new Float32Array(16000 * seconds);
  for (let i = 0; i < s.length; i++) s[i] = 0.3 * Math.sin((2 * Math.PI * hz * i) / 16000);
  return s;
}

/** Stores a finished session with the given segment texts (each with a clip), through the real store. */
async function seedSession(title: string, texts: string[]): Promise<{ id: number; segments: Segment[] }> {
  const { store } = t.app;
  const session = store.sessions.create({ title, device: 'default' });
  const segments: Segment[] = [];
  for (const [i, text] of texts.entries()) {
    const seg = await store.appendSegment(
      session.id,
      { startMs: i * 2000, endMs: i * 2000 + 1000, rawText: text.toLowerCase(), displayText: text },
      { samples: tone(), sampleRate: 16000 },
    );
    expect(seg.audioError).toBeNull();
    segments.push(seg);
  }
  store.sessions.end(session.id);
  return { id: session.id, segments };
}

beforeAll(async () => {
  t = await startTestApp();
  for (const name of ['sessions.changed', 'models.changed', 'training.status', 'output.status'] as const) {
    t.app.router.events.on(name, (payload: unknown) => events.push({ event: name, payload }));
  }
});

afterAll(async () => {
  await t?.close();
});

describe('app handlers on the real store and engine', () => {
  it('system.info reports the running engine, model, data folder, version and hotkey', async () => {
    const info = await call('system.info', {});
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(info.version).toBe(pkg.version);
    expect(info.backend.name).toBe('wasm');
    expect(info.backend.description).toMatch(/TensorFlow.js backend: wasm/);
    expect(info.model.dir).toBe(t.app.baseModelDir);
    expect(info.model.label).toBe('base');
    expect(info.model.parameters).toBeGreaterThan(1000);
    expect(info.dataDir).toBe(t.dataDir);
    expect(info.hotkey).toBe(DEFAULT_HOTKEY);
    expect(await call('dictation.status', {})).toMatchObject({ state: 'idle', sessionId: null });
  });

  it('lists, gets, renames, deletes and restores sessions', async () => {
    const a = await seedSession('Shopping', ['Buy apples.', 'And pears.']);
    const b = await seedSession('Letter', ['Dear Anna,']);

    const list = await call('sessions.list', {});
    const ids = list.items.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    const summary = list.items.find((s) => s.id === a.id)!;
    expect(summary).toMatchObject({ title: 'Shopping', segmentCount: 2, status: 'done', durationMs: 3000 });
    expect(summary.preview).toBe('Buy apples. And pears.');
    const page = await call('sessions.list', { limit: 1, offset: 0 });
    expect(page.items).toHaveLength(1);
    expect(page.total).toBe(list.total);

    const got = await call('sessions.get', { id: a.id });
    expect(got.session.title).toBe('Shopping');
    expect(got.segments.map((s) => s.displayText)).toEqual(['Buy apples.', 'And pears.']);
    expect(got.segments.every((s) => s.audioPath !== null)).toBe(true);

    const renamed = await call('sessions.rename', { id: a.id, title: '  Groceries ' });
    expect(renamed.title).toBe('Groceries');
    expect((await call('sessions.get', { id: a.id })).session.title).toBe('Groceries');
    expect(eventsOf('sessions.changed')).toContainEqual({ id: a.id });
    expect(await failure('sessions.rename', { id: a.id, title: '   ' })).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringMatching(/title: a title cannot be empty/),
    });

    const deleted = await call('sessions.delete', { id: b.id });
    expect(deleted.id).toBe(b.id);
    expect(deleted.deletedAt).toBeGreaterThan(0);
    expect((await call('sessions.list', {})).items.map((s) => s.id)).not.toContain(b.id);
    expect((await call('sessions.get', { id: b.id })).session.deletedAt).toBe(deleted.deletedAt);
    expect(await failure('sessions.rename', { id: b.id, title: 'x' })).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/in the trash/),
    });
    const restored = await call('sessions.restore', { id: b.id });
    expect(restored.deletedAt).toBeNull();
    expect((await call('sessions.list', {})).items.map((s) => s.id)).toContain(b.id);

    expect(await failure('sessions.get', { id: 999_999 })).toEqual({
      code: 'NOT_FOUND',
      message: 'session 999999 does not exist',
    });
  });

  it('searches text and marks the matched words, leaving out sessions in the trash', async () => {
    const a = await seedSession('Zoo', ['The zebra crossed the road.', 'Nothing here.']);
    const b = await seedSession('Zoo 2', ['Another zebra story.']);
    await call('sessions.delete', { id: b.id });

    const hits = await call('sessions.search', { query: 'zebr' });
    expect(hits.map((h) => h.session.id)).toEqual([a.id]);
    const [match] = hits[0].matches;
    expect(match.segmentId).toBe(a.segments[0].id);
    expect(match.parts.map((p) => p.text).join('')).toBe('The zebra crossed the road.');
    expect(match.parts.filter((p) => p.match).map((p) => p.text)).toEqual(['zebra']);
    expect(await call('sessions.search', { query: 'NEAR( "unbalanced' })).toEqual([]);
    await call('sessions.restore', { id: b.id });
    expect((await call('sessions.search', { query: 'zebra', limit: 1 })).length).toBe(1);
  });

  it('exports a session as txt, srt, vtt and json content, whole or in part', async () => {
    const s = await seedSession('Minutes: 3/4', ['First point.', 'Second point.', 'Third point.']);
    const txt = await call('sessions.export', { id: s.id, format: 'txt' });
    expect(txt).toMatchObject({ savedTo: null, cancelled: false }); // the browser shell: a download
    expect(txt.mimeType).toBe('text/plain; charset=utf-8');
    expect(txt.fileName).toMatch(/\.txt$/);
    expect(txt.fileName).not.toMatch(/[/\\:]/);
    expect(txt.content).toBe('Minutes: 3/4\n\nFirst point.\n\nSecond point.\n\nThird point.\n');

    const srt = await call('sessions.export', { id: s.id, format: 'srt' });
    expect(srt.content).toMatch(/^1\n00:00:00,000 --> 00:00:01,000\nFirst point\./);
    const vtt = await call('sessions.export', { id: s.id, format: 'vtt' });
    expect(vtt.content.startsWith('WEBVTT')).toBe(true);
    const json = JSON.parse((await call('sessions.export', { id: s.id, format: 'json' })).content) as {
      segments: { displayText: string }[];
    };
    expect(json.segments.map((g) => g.displayText)).toEqual([
      'First point.',
      'Second point.',
      'Third point.',
    ]);

    const part = await call('sessions.export', {
      id: s.id,
      format: 'txt',
      segmentIds: [s.segments[2].id, s.segments[0].id],
    });
    expect(part.content).toBe('Minutes: 3/4\n\nFirst point.\n\nThird point.\n');
    const other = await seedSession('Other', ['Elsewhere.']);
    expect(
      await failure('sessions.export', { id: s.id, format: 'txt', segmentIds: [other.segments[0].id] }),
    ).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/not part of session/) });
  });

  it('saves an export where the save dialog says, atomically, and reports a cancel or a failed write', async () => {
    const s = await seedSession('Plans', ['Paint the fence.']);
    const dir = mkdtempSync(join(tmpdir(), 'attune-export-'));
    let answer: string | null = join(dir, 'chosen.txt');
    const asked: string[] = [];
    t.app.exportSaver = dialogExportSaver((fileName) => {
      asked.push(fileName);
      return Promise.resolve(answer);
    });
    try {
      writeFileSync(answer, 'an older file the user chose to replace');
      const saved = await call('sessions.export', { id: s.id, format: 'txt' });
      expect(asked).toEqual([saved.fileName]);
      expect(saved).toMatchObject({ savedTo: answer, cancelled: false });
      expect(readFileSync(answer, 'utf8')).toBe('Plans\n\nPaint the fence.\n');

      answer = null; // the user closed the dialog
      expect(await call('sessions.export', { id: s.id, format: 'srt' })).toMatchObject({
        savedTo: null,
        cancelled: true,
      });

      answer = join(dir, 'no-such-folder', 'plans.txt');
      expect(await failure('sessions.export', { id: s.id, format: 'txt' })).toMatchObject({
        code: 'NOT_AVAILABLE',
        message: expect.stringMatching(
          /could not save plans\.txt to .*no-such-folder.* \(ENOENT\); nothing was changed/,
        ),
      });
      expect(readdirSync(dir)).toEqual(['chosen.txt']); // no temporary file left beside it
    } finally {
      delete t.app.exportSaver;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records corrections, shows them, and counts them for training', async () => {
    const s = await seedSession('Corrections', ['I red the book.']);
    const seg = s.segments[0];
    const before = await call('training.status', {});
    expect(before).toMatchObject({ state: 'idle', autoTrain: true, progress: null, error: null });

    const r = await call('segments.correct', { segmentId: seg.id, text: 'I read the book.' });
    expect(r.segment.displayText).toBe('I read the book.');
    expect(r.segment.rawText).toBe('i red the book.');
    expect(r.correction).toMatchObject({
      beforeText: 'I red the book.',
      afterText: 'I read the book.',
      status: 'pending',
    });
    expect((await call('sessions.get', { id: s.id })).segments[0].displayText).toBe('I read the book.');
    const after = await call('training.status', {});
    expect(after.pendingCorrections).toBe(before.pendingCorrections + 1);
    expect(eventsOf('training.status').at(-1)?.pendingCorrections).toBe(after.pendingCorrections);
    expect((await call('sessions.list', {})).items.find((x) => x.id === s.id)?.correctionCount).toBe(1);

    // The same text again changes nothing and records nothing.
    const same = await call('segments.correct', { segmentId: seg.id, text: 'I read the book.' });
    expect(same.correction).toBeNull();
    expect((await call('training.status', {})).pendingCorrections).toBe(after.pendingCorrections);

    expect(await failure('segments.correct', { segmentId: 987_654, text: 'x' })).toMatchObject({
      code: 'NOT_FOUND',
    });
    // One correction is not enough: one is kept aside to check a new model, one is needed to learn from.
    expect(await failure('training.start', {})).toEqual({
      code: 'INVALID_STATE',
      message: 'correct at least one more phrase first: one correction is kept aside to check the new model',
    });
    expect(await call('training.cancel', {})).toMatchObject({ state: 'idle', progress: null });
  });

  it('gets and sets settings, refusing unknown keys and bad values without writing anything', async () => {
    const defaults = await call('settings.get', {});
    expect(defaults).toEqual({
      keepAudio: true,
      trashRetentionDays: 30,
      exportFormat: 'txt',
      hotkey: 'CommandOrControl+Shift+Space',
      device: 'default',
      disabledCommands: [],
      autoTrain: true,
      autoTrainAfter: 20,
      lexiconBoost: true,
      languageModel: true,
      replayMargin: 0.1,
      enrolmentDeclined: false,
      outputMode: 'type',
    });

    const set = await call('settings.set', { patch: { trashRetentionDays: 7, exportFormat: 'srt' } });
    expect(set).toMatchObject({
      keepAudio: true,
      trashRetentionDays: 7,
      exportFormat: 'srt',
      device: 'default',
    });
    expect(t.app.store.settings.get('trashRetentionDays')).toBe(7);

    expect(await failure('settings.set', { patch: { fontSize: 12 } })).toEqual({
      code: 'BAD_ARGUMENT',
      message:
        'unknown setting "fontSize"; known settings: keepAudio, trashRetentionDays, exportFormat, hotkey, device, disabledCommands, autoTrain, autoTrainAfter, lexiconBoost, languageModel, replayMargin, enrolmentDeclined, outputMode',
    });
    const bad = await failure('settings.set', { patch: { trashRetentionDays: 1, keepAudio: 'yes' } });
    expect(bad.code).toBe('BAD_ARGUMENT');
    expect(bad.message).toMatch(/^setting keepAudio cannot be "yes"/);
    expect((await call('settings.get', {})).trashRetentionDays).toBe(7);
    expect(await failure('settings.set', { patch: { trashRetentionDays: -1 } })).toMatchObject({
      message: expect.stringMatching(/setting trashRetentionDays cannot be -1/),
    });

    // keepAudio off: new segments keep no clip, and their audio URL is null.
    await call('settings.set', { patch: { keepAudio: false } });
    const s = await seedSessionWithoutClip();
    expect(s.audioPath).toBeNull();
    expect(await call('segments.audioUrl', { segmentId: s.id })).toEqual({ url: null });
    await call('settings.set', { patch: { keepAudio: true } });
  });

  it('switches where phrases go, says at once whether that works here, and refuses unknown modes', async () => {
    // The test app has no desktop session (app-helpers.ts): typing cannot work, and Settings is told why.
    expect(await call('output.status', {})).toEqual({
      mode: 'type',
      action: 'none',
      tool: null,
      problem:
        "There is no desktop session to write into (neither WAYLAND_DISPLAY nor DISPLAY is set): phrases stay in Attune's window.",
      lastError: null,
      permission: 'not-needed',
    });
    const before = eventsOf('output.status').length;
    expect((await call('settings.set', { patch: { outputMode: 'window' } })).outputMode).toBe('window');
    expect(eventsOf('output.status').slice(before)).toEqual([
      {
        mode: 'window',
        action: 'none',
        tool: null,
        problem: null,
        lastError: null,
        permission: 'not-needed',
      },
    ]);
    expect(await failure('settings.set', { patch: { outputMode: 'paste' } })).toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringMatching(/^setting outputMode cannot be "paste"/),
    });
    expect((await call('output.status', {})).mode).toBe('window');
    await call('settings.set', { patch: { outputMode: 'type' } });
    expect((await call('output.status', {})).mode).toBe('type');
    // The browser page says when it has the focus; anything else is refused at the door.
    expect((await call('output.focus', { attuneFocused: true })).mode).toBe('type');
    expect(await failure('output.focus', { attuneFocused: 'yes' })).toMatchObject({ code: 'BAD_ARGUMENTS' });
    await call('output.focus', { attuneFocused: false });
  });

  it('sends the lexicon switch to the running engine as soon as it is stored', async () => {
    expect(t.app.engine.lexicon).toMatchObject({ boost: true });
    // The engine may still be reporting an earlier change (a word the test before added): wait for the
    // report of this one.
    const reported = new Promise<unknown>((resolve) => {
      const on = (info: { boost: boolean }) => {
        if (info.boost) return;
        t.app.engine.off('lexicon', on);
        resolve(info);
      };
      t.app.engine.on('lexicon', on);
    });
    await call('settings.set', { patch: { lexiconBoost: false } });
    expect(await reported).toMatchObject({ boost: false });
    expect(t.app.engine.lexicon).toMatchObject({ boost: false });
    await call('settings.set', { patch: { lexiconBoost: true } });
    await expect.poll(() => t.app.engine.lexicon?.boost).toBe(true);
  });

  it('switches the language model of the running engine as soon as the setting is stored', async () => {
    const path = t.app.languageModelPath!;
    expect(t.app.engine.ready?.languageModel).toMatchObject({ path, order: 2 });
    expect((await call('system.info', {})).languageModel).toMatchObject({ path });
    const off = new Promise((resolve) => t.app.engine.once('language-model', resolve));
    await call('settings.set', { patch: { languageModel: false } });
    expect(await off).toEqual({ languageModel: null });
    expect((await call('system.info', {})).languageModel).toBeNull();
    await call('settings.set', { patch: { languageModel: true } });
    await expect.poll(() => t.app.engine.ready?.languageModel?.path).toBe(path);
  });

  it('stores a hotkey in canonical spelling, refusing malformed ones and ones another app holds', async () => {
    // The shell has no system-wide hotkey: the setting is checked and stored.
    expect((await call('settings.set', { patch: { hotkey: 'shift+alt+d' } })).hotkey).toBe('Alt+Shift+D');
    expect(await failure('settings.set', { patch: { hotkey: 'Ctrl+Banana', keepAudio: false } })).toEqual({
      code: 'BAD_ARGUMENT',
      message: 'setting hotkey: "Banana" in "Ctrl+Banana" is not a key a hotkey can use',
    });
    expect(t.app.store.settings.get('keepAudio')).toBe(true); // nothing of a refused patch is written

    // With one (Electron), the hotkey is taken from the system before it is stored.
    const held = new Map([['Control+Alt+T', 'terminal']]);
    const registry = {
      register: (a: string) => !held.has(a) && (held.set(a, 'attune'), true),
      unregister: (a: string) => void (held.get(a) === 'attune' && held.delete(a)),
    };
    t.app.hotkey = new GlobalHotkey(registry, () => {});
    try {
      expect((await call('settings.set', { patch: { hotkey: 'Super+D' } })).hotkey).toBe('Super+D');
      expect(await failure('settings.set', { patch: { hotkey: 'ctrl+alt+t' } })).toEqual({
        code: 'INVALID_STATE',
        message: 'the hotkey Control+Alt+T is taken by another application or the system; choose another',
      });
      expect(t.app.store.settings.get('hotkey')).toBe('Super+D');
      expect([...held]).toEqual([
        ['Control+Alt+T', 'terminal'],
        ['Super+D', 'attune'],
      ]);
    } finally {
      t.app.hotkey = undefined;
      t.app.store.settings.reset('hotkey');
    }
  });

  it('lists capture devices, the system default first', async () => {
    const devices = await call('devices.list', {});
    expect(devices[0].id).toBe('default');
    for (const d of devices) expect(typeof d.description).toBe('string');
  });

  it('activates model versions in the engine and resets to the shipped model', async () => {
    expect(await call('models.list', {})).toEqual([]);
    const personal = join(t.dir, 'personal-1');
    await saveTinyModel(personal, 2);
    const v = t.app.store.models.create({ label: 'personal 1', dir: personal, metrics: { wer: 0.2 } });

    const active = await call('models.activate', { id: v.id });
    expect(active).toMatchObject({ id: v.id, status: 'active', reason: 'chosen by the user' });
    const info = await call('system.info', {});
    expect(info.model).toMatchObject({ dir: personal, label: 'personal 1' });
    expect(t.app.models.running.version).toBe('tiny-2');
    expect(eventsOf('models.changed').at(-1)?.active?.id).toBe(v.id);

    const base = await call('models.resetToBase', {});
    expect(base).toMatchObject({ label: 'base', dir: t.app.baseModelDir, status: 'active' });
    expect(t.app.models.running.version).toBe('tiny-1');
    const list = await call('models.list', {});
    expect(list.map((m) => [m.label, m.status])).toEqual([
      ['base', 'active'],
      ['personal 1', 'retired'],
    ]);
    expect((await call('system.info', {})).model.label).toBe('base');
    // Again: the same row, no second base.
    expect((await call('models.resetToBase', {})).id).toBe(base.id);
    expect(await call('models.list', {})).toHaveLength(2);

    const broken = t.app.store.models.create({ label: 'broken', dir: join(t.dir, 'no-such-model') });
    expect(await failure('models.activate', { id: broken.id })).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/"broken" cannot be used: .*no-such-model has no model files/),
    });
    expect(t.app.store.models.active()?.id).toBe(base.id);
    expect(await failure('models.activate', { id: 4242 })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses unknown methods and bad arguments before any handler runs', async () => {
    expect(await failure('sessions.drop', {})).toEqual({
      code: 'UNKNOWN_METHOD',
      message: 'unknown method "sessions.drop"',
    });
    expect(await failure('sessions.get', { id: '1' })).toMatchObject({
      code: 'BAD_ARGUMENTS',
      message: expect.stringMatching(/^bad arguments for sessions.get: id:/),
    });
  });
});

async function seedSessionWithoutClip(): Promise<Segment> {
  const { store } = t.app;
  const session = store.sessions.create({ title: 'No audio' });
  const seg = await store.appendSegment(
    session.id,
    { startMs: 0, endMs: 500, rawText: 'quiet' },
    { samples: tone(0.5), sampleRate: 16000 },
  );
  store.sessions.end(session.id);
  return seg;
}
