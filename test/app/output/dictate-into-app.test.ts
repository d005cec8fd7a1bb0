import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventPayloads, MethodArgs, MethodName, MethodResults } from '../../../src-main/ipc/contract.js';
import { type FifoMic, startFifoMic } from '../../engine/fifo-mic.js';
import { startTestApp, type TestApp } from '../app-helpers.js';
import {
  clipboard,
  openTextWindow,
  startXvfb,
  type TextWindow,
  type X11Session,
  x11ToolsMissing,
} from './x11-session.js';

// Dictation into another app, end to end: the FIFO microphone speaks, the real engine recognises, and the
// finals land in a real X11 window (an xterm on Xvfb whose shell writes what it is typed to a file), or on
// the X clipboard.
const missing = x11ToolsMissing();

describe.skipIf(missing !== null)(
  `dictating into the focused X11 app${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let x: X11Session;
    let mic: FifoMic;
    let t: TestApp;
    let win: TextWindow;
    let typedFile: string;
    const segments: EventPayloads['dictation.segment'][] = [];
    const partials: EventPayloads['dictation.partial'][] = [];
    const outputEvents: EventPayloads['output.status'][] = [];

    const call = <M extends MethodName>(method: M, args: MethodArgs<M>) =>
      t.app.router.call(method, args) as Promise<MethodResults[M]>;

    beforeAll(async () => {
      x = await startXvfb();
      mic = startFifoMic();
      t = await startTestApp({ capture: { env: mic.env }, output: { env: x.env } });
      t.app.router.events.on('dictation.segment', (s) => segments.push(s));
      t.app.router.events.on('dictation.partial', (p) => partials.push(p));
      t.app.router.events.on('output.status', (s) => outputEvents.push(s));
      typedFile = join(t.dir, 'typed.txt');
      // Every key as it comes: the file holds what was typed without a Return at the end.
      win = await openTextWindow(x, typedFile, { title: 'attune-mail', canonical: false });
      execFileSync('espeak-ng', ['-w', join(t.dir, 'phrase.wav'), 'hello there, the cat sat on the mat']);
    });

    afterAll(async () => {
      await t?.close();
      await win?.close();
      await x?.close();
      mic?.close();
    });

    /** One dictation of the phrase; returns its session's stored text as the store has it. */
    async function dictate(): Promise<{ sessionId: number; text: string }> {
      segments.length = 0;
      partials.length = 0;
      const started = await call('dictation.start', {});
      expect(started).toMatchObject({ state: 'listening', error: null });
      await mic.silence(400);
      await mic.play(join(t.dir, 'phrase.wav'));
      await mic.silence(1500);
      await expect.poll(() => segments.length, { timeout: 15_000 }).toBeGreaterThan(0);
      const stopped = await call('dictation.stop', {});
      // Typing is no error of dictation's.
      expect(stopped).toMatchObject({ state: 'stopped', error: null });
      const { segments: stored } = await call('sessions.get', { id: started.sessionId! });
      // The small test language model writes words only (no spoken punctuation): one space between phrases.
      const text = stored
        .map((s) => s.displayText)
        .filter(Boolean)
        .join(' ');
      expect(text.length).toBeGreaterThan(0);
      return { sessionId: started.sessionId!, text };
    }

    it('types each final into the focused window as it is written, and never a partial', async () => {
      expect(await call('settings.get', {})).toMatchObject({ outputMode: 'type' });
      expect(await call('output.status', {})).toEqual({
        mode: 'type',
        action: 'type',
        tool: 'xdotool',
        problem: null,
        lastError: null,
        permission: 'not-needed',
      });
      const { text } = await dictate();
      expect(partials.length).toBeGreaterThan(0);
      // dictation.stop resolved once the last phrase was typed: the window holds the finals exactly.
      await expect.poll(() => readFileSync(typedFile, 'utf8'), { timeout: 5000 }).toBe(text);
    });

    it('copies the dictation to the clipboard in clipboard mode, typing nothing', async () => {
      const typedBefore = readFileSync(typedFile, 'utf8');
      outputEvents.length = 0;
      expect(await call('settings.set', { patch: { outputMode: 'clipboard' } })).toMatchObject({
        outputMode: 'clipboard',
      });
      expect(outputEvents).toEqual([
        expect.objectContaining({ mode: 'clipboard', action: 'copy', tool: 'xclip' }),
      ]);
      const { text } = await dictate();
      await expect.poll(() => clipboard(x)).toBe(text);
      expect(readFileSync(typedFile, 'utf8')).toBe(typedBefore);
      // The setting is stored: a new app on this data folder reads it (the store test reopens it too).
      expect(t.app.store.settings.get('outputMode')).toBe('clipboard');
    });

    it('stores the transcript and says so when typing fails (the X server has gone)', async () => {
      await call('settings.set', { patch: { outputMode: 'type' } });
      await win.close();
      await x.close();
      outputEvents.length = 0;
      const { sessionId, text } = await dictate();
      // The phrase is in the store and History all the same.
      expect((await call('sessions.get', { id: sessionId })).segments.length).toBeGreaterThan(0);
      expect(text.length).toBeGreaterThan(0);
      const failed = outputEvents.find((s) => s.lastError !== null);
      expect(failed?.lastError).toMatch(
        /^The last phrase could not be typed into the focused app \(it is kept in Attune\): xdotool failed/,
      );
      expect((await call('output.status', {})).lastError).toBe(failed!.lastError);
    });
  },
);
