import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import {
  type Chromium,
  countOf,
  launchChromium,
  screenshot,
  type Served,
  startServe,
  textOf,
} from './e2e-helpers.js';

// The whole app through its UI: `attune serve` with the real engine and the shipped model, dictation from
// a FIFO microphone fed with synthetic speech, and the page in Debian's Chromium.

let dir: string;
let mic: FifoMic;
let served: Served;
let chrome: Chromium;
let page: Page;
/** What the page showed as final text after dictating. */
let dictated = '';

/** What the page's transcript shows over time, recorded in the page as it changes. */
interface Snapshot {
  t: number;
  committed: string;
  partial: string;
  finals: number;
  levelDb: number;
  /** The level bar's scale as drawn (its style is set by script, which the page's CSP must allow). */
  levelScale: string;
  /** Where the controls below the transcript sit: text streaming in must not move them. */
  copyTop: number;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-e2e-'));
  mic = startFifoMic();
  served = await startServe({ dataDir: join(dir, 'data'), env: mic.env });
  chrome = await launchChromium();
  page = chrome.page;
  await page.goto(served.url);
});

afterAll(async () => {
  await chrome?.close();
  await served?.stop();
  mic?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the renderer against the real app', () => {
  it('dictates: partial text streams in while speaking, then final text; state, time and level show', async () => {
    const wav = join(dir, 'speech.wav');
    execFileSync('flite', ['-voice', 'slt', '-t', 'please call my sister tomorrow morning', '-o', wav]);

    await expect.poll(() => textOf(page, 'dictation-state')).toBe('Ready');
    // Record every change of the transcript and the level meter, in the page, as it happens.
    await page.evaluate(() => {
      const log: Snapshot[] = [];
      (window as unknown as { transcriptLog: Snapshot[] }).transcriptLog = log;
      const t0 = performance.now();
      const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      const observer = new MutationObserver(() => {
        log.push({
          t: performance.now() - t0,
          committed: text('live-committed'),
          partial: text('live-partial'),
          finals: document.querySelectorAll('[data-testid="final-segment"]').length,
          levelDb: Number(document.querySelector('[role="meter"]')?.getAttribute('aria-valuenow')),
          levelScale: getComputedStyle(document.querySelector('[role="meter"] .rms')!).transform,
          copyTop: document.querySelector('[data-testid="copy"]')!.getBoundingClientRect().top,
        });
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
      (window as unknown as { stopLog: () => void }).stopLog = () => observer.disconnect();
    });

    await page.getByTestId('record').click();
    await expect.poll(() => textOf(page, 'dictation-state')).toBe('Listening');
    expect(await page.getByTestId('record').getAttribute('aria-pressed')).toBe('true');
    await mic.silence(800);
    const playing = mic.play(wav);
    // Mid-phrase: the words being heard show, in the live (partial) style.
    await expect
      .poll(async () => (await textOf(page, 'live-committed')) + (await textOf(page, 'live-partial')), {
        timeout: 20_000,
      })
      .not.toBe('');
    // The word in progress looks different from the words already heard.
    expect(await page.getByTestId('live-partial').evaluate((el) => getComputedStyle(el).fontStyle)).toBe(
      'italic',
    );
    await screenshot(page, 'dictate-listening');
    await playing;
    await mic.silence(1500);
    await expect.poll(() => textOf(page, 'final-segment'), { timeout: 20_000 }).not.toBe('');
    await page.getByTestId('record').click();
    await expect.poll(() => textOf(page, 'dictation-state'), { timeout: 20_000 }).toBe('Stopped');
    await screenshot(page, 'dictate-stopped');

    const log = await page.evaluate(() => {
      (window as unknown as { stopLog: () => void }).stopLog();
      return (window as unknown as { transcriptLog: Snapshot[] }).transcriptLog;
    });
    const firstPartial = log.findIndex((s) => (s.committed + s.partial).trim() !== '');
    const firstFinal = log.findIndex((s) => s.finals > 0);
    expect(firstPartial).toBeGreaterThanOrEqual(0);
    expect(firstFinal).toBeGreaterThan(firstPartial);
    // The meter moved with the speech.
    expect(Math.max(...log.map((s) => s.levelDb))).toBeGreaterThan(-40);
    // matrix(sx, 0, 0, 1, 0, 0): the bar was drawn at more than a third of its width at some point.
    const scales = log.map((s) => Number(/^matrix\(([\d.]+),/.exec(s.levelScale)?.[1] ?? 0));
    expect(Math.max(...scales)).toBeGreaterThan(0.33);
    // Nothing pushes the page around while dictating; a failure shows what changed when it moved.
    const moves = log.filter((s, i) => i > 0 && s.copyTop !== log[i - 1].copyTop);
    const errors = await page.getByRole('alert').allTextContents();
    expect(moves, JSON.stringify({ moves, errors })).toEqual([]);
    dictated = (await page.getByTestId('final-segment').allTextContents()).join(' ').trim();
    expect(dictated.length).toBeGreaterThan(0);
    // The live words are gone: everything heard is now final text, and the elapsed time stands still.
    expect(await countOf(page, 'live-partial')).toBe(0);
    // The whole text copies at once.
    await chrome.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    await page.getByTestId('copy').click();
    await expect.poll(() => textOf(page, 'copy-status')).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.replace(/\s+/g, ' ')).toBe(dictated.replace(/\s+/g, ' '));
    const elapsed = await page.getByTestId('elapsed').textContent();
    expect(elapsed).toMatch(/^0:0[2-9]|0:[1-5]\d$/);
    await page.waitForTimeout(1200);
    expect(await page.getByTestId('elapsed').textContent()).toBe(elapsed);
    console.log(
      `dictated: "${dictated}" (${log.length} transcript changes, first partial at ${log[firstPartial].t.toFixed(0)} ms, ` +
        `first final at ${log[firstFinal].t.toFixed(0)} ms, loudest ${Math.max(...log.map((s) => s.levelDb))} dB, elapsed ${elapsed})`,
    );
    expect(chrome.errors).toEqual([]);
  });

  it('finds the session in History by a word it heard, with the word highlighted', async () => {
    await page.getByTestId('nav-history').click();
    await expect.poll(() => countOf(page, 'session-row')).toBe(1);
    await screenshot(page, 'history');
    // A word of the recognised text, whatever the model made of the speech.
    const word = dictated
      .split(/\s+/)
      .map((w) => w.replace(/[^\p{L}\p{N}']/gu, ''))
      .sort((a, b) => b.length - a.length)[0];
    await page.getByLabel('Search transcripts').fill(word);
    await expect.poll(() => textOf(page, 'search-match'), { timeout: 10_000 }).not.toBe('');
    const marked = await page.locator('[data-testid="search-match"] mark').allTextContents();
    expect(marked.map((m) => m.toLowerCase())).toContain(word.toLowerCase());
    await screenshot(page, 'history-search');
    // A word that was never said finds nothing.
    await page.getByLabel('Search transcripts').fill('xylophonequartz');
    await expect.poll(() => countOf(page, 'session-row')).toBe(0);
    await page.getByLabel('Search transcripts').fill('');
    await expect.poll(() => countOf(page, 'session-row')).toBe(1);
  });

  it('corrects a phrase: the diff shows and the correction is queued for training', async () => {
    await page.getByTestId('session-open').first().click();
    await expect.poll(() => countOf(page, 'segment'), { timeout: 10_000 }).toBeGreaterThan(0);
    const segment = page.getByTestId('segment').first();
    // Its clip plays from the shell (same origin, token in the address the app gives).
    await segment.getByTestId('play').click();
    const audio = segment.locator('audio');
    await expect
      .poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime > 0 || el.ended), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(await audio.evaluate((el: HTMLAudioElement) => el.error)).toBeNull();
    const clipSec = await audio.evaluate((el: HTMLAudioElement) => el.duration);
    expect(clipSec).toBeGreaterThan(0.3);
    // One word's span: playback starts inside the clip and stops at the word's end.
    await segment
      .getByTestId(/^(low-)?word$/)
      .first()
      .click();
    await expect
      .poll(() => audio.evaluate((el: HTMLAudioElement) => el.paused), { timeout: 10_000 })
      .toBe(true);
    expect(await audio.evaluate((el: HTMLAudioElement) => el.currentTime)).toBeLessThan(clipSec);
    const before = (await segment.getByTestId('segment-text').textContent())!.trim();
    expect(before).not.toBe('');
    await segment.getByTestId('edit').click();
    const draft = segment.getByTestId('draft');
    expect(await draft.inputValue()).toBe(before);
    // Keyboard only: the editor has focus; replace the text and save with Ctrl+Enter.
    expect(await draft.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Please call my sister Ingrid tomorrow morning.');
    await page.keyboard.press('Control+Enter');
    await expect
      .poll(() => textOf(page, 'correction-message'), { timeout: 10_000 })
      .toBe('Saved. Queued for personal training (1 correction waiting).');
    expect(await segment.getByTestId('segment-text').textContent()).toBe(
      'Please call my sister Ingrid tomorrow morning.',
    );
    // What the model heard against the correction: every corrected word it did not hear shows as added
    // (which words those are depends on what the model made of this take; the name was never said).
    const added = (await segment.locator('[data-testid="diff"] ins').allTextContents()).join(' ');
    const word = (w: string) => w.toLowerCase().replace(/[^a-z']/g, '');
    const heard = new Set(before.split(/\s+/).map(word));
    const missed = 'Please call my sister Ingrid tomorrow morning.'
      .split(' ')
      .filter((w) => !heard.has(word(w)));
    expect(missed.length).toBeGreaterThan(0);
    for (const w of missed) expect(added).toContain(w);
    await screenshot(page, 'correction');
  });

  it('exports the session as .txt through a download, and the file reads back', async () => {
    await page.getByTestId('export-format').selectOption('txt');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toMatch(/\.txt$/);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    const text = readFileSync(path, 'utf8');
    const title = (await page.locator('#detail-title').textContent())!.trim();
    expect(text.startsWith(`${title}\n\n`)).toBe(true);
    expect(text).toContain('Please call my sister Ingrid tomorrow morning.');
    expect(await textOf(page, 'export-message')).toBe(`Downloaded ${download.suggestedFilename()}`);
  });

  it('renames, deletes and restores the session', async () => {
    await page.getByRole('button', { name: /^Rename / }).click();
    await page.getByTestId('rename-input').fill('Call my sister');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('[data-testid="session-row"] .title').first().textContent())
      .toBe('Call my sister');
    await page.getByRole('button', { name: 'Delete Call my sister' }).click();
    await expect.poll(() => countOf(page, 'session-row')).toBe(0);
    expect(await textOf(page, 'undo-bar')).toContain('Deleted “Call my sister”');
    await screenshot(page, 'history-deleted');
    await page.getByTestId('undo').click();
    await expect.poll(() => countOf(page, 'session-row')).toBe(1);
    expect(await page.locator('[data-testid="session-row"] .title').first().textContent()).toBe(
      'Call my sister',
    );
  });

  it('shows and changes settings: backend, data folder, spoken commands, shortcut', async () => {
    await page.getByTestId('nav-settings').click();
    await expect
      .poll(async () => (await textOf(page, 'backend')).replace(/\s+/g, ' '))
      .toMatch(/^wasm \(\d+ threads?\)$/);
    expect(await textOf(page, 'data-dir')).toBe(join(dir, 'data'));
    // The FIFO microphone is the default ALSA device here; the app lists what ALSA offers.
    await expect.poll(() => page.getByTestId('device').locator('option').count()).toBeGreaterThan(0);
    await page.getByLabel('“scratch that” removes the last phrase').uncheck();
    await expect.poll(() => textOf(page, 'settings-saved')).toBe('Spoken commands saved.');
    // Where the words go: this server has no desktop session (e2e-helpers.ts), and Settings says so.
    await expect
      .poll(() => textOf(page, 'output-problem'))
      .toMatch(/^There is no desktop session to write into/);
    await page.getByTestId('output-clipboard').check();
    await expect.poll(() => textOf(page, 'settings-saved')).toBe('Where your words go saved.');
    await page.getByTestId('hotkey-change').click();
    await page.keyboard.press('Control+Alt+D');
    expect(await textOf(page, 'hotkey-capture')).toBe('Ctrl+Alt+D');
    await page.getByTestId('hotkey-save').click();
    await expect.poll(() => textOf(page, 'current-hotkey')).toBe('Ctrl+Alt+D');
    await screenshot(page, 'settings');
    // Stored by the app: a reload reads them back.
    await page.reload();
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => textOf(page, 'current-hotkey')).toBe('Ctrl+Alt+D');
    expect(await page.getByLabel('“scratch that” removes the last phrase').isChecked()).toBe(false);
    expect(await page.getByLabel('“comma” types ,').isChecked()).toBe(true);
    expect(await page.getByTestId('output-clipboard').isChecked()).toBe(true);
    await page.getByTestId('output-type').check();
    await expect.poll(() => textOf(page, 'settings-saved')).toBe('Where your words go saved.');
    await page.getByTestId('nav-history').click();
  });

  it('works from the keyboard, with a visible focus ring', async () => {
    await page.reload();
    await page.getByTestId('record').waitFor();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return { label: el.textContent?.trim() ?? '', outline: getComputedStyle(el).outlineStyle };
      });
    // The first stops are the navigation: Dictate, History, Your voice, Training, Settings.
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ label: 'Dictate', outline: 'solid' });
    await page.keyboard.press('Tab');
    expect((await focused()).label).toBe('History');
    await page.keyboard.press('Enter');
    await expect.poll(() => countOf(page, 'session-row')).toBe(1);
    // Past Your voice, Training and Settings, the search field.
    const tabs: string[] = [];
    while (tabs.length < 6 && tabs.at(-1) !== 'history-search') {
      await page.keyboard.press('Tab');
      tabs.push(
        await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ''),
      );
    }
    expect(tabs).toEqual(['Your voice', 'Training', 'Settings', 'history-search']);
    await page.keyboard.type('sister');
    await expect
      .poll(() => page.locator('[data-testid="search-match"] mark').allTextContents())
      .toEqual(['sister']);
    await page.keyboard.press('Tab');
    expect((await focused()).label).toMatch(/^Call my sister/);
    await page.keyboard.press('Enter');
    await expect.poll(() => countOf(page, 'segment')).toBeGreaterThan(0);
    await screenshot(page, 'history-keyboard');
  });

  it('follows the dark theme of the system', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg).toBe('rgb(22, 22, 21)');
    await screenshot(page, 'history-dark');
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => textOf(page, 'backend')).not.toBe('');
    await screenshot(page, 'settings-dark');
    await page.getByTestId('nav-dictate').click();
    await expect.poll(() => textOf(page, 'dictation-state')).toBe('Stopped');
    await screenshot(page, 'dictate-dark');
    await page.getByTestId('nav-history').click();
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(
      'rgb(247, 247, 245)',
    );
    expect(chrome.errors).toEqual([]);
  });

  it('starts and stops dictation with the shortcut pressed in the page, the indicator following', async () => {
    // The page the desktop app's always-on-top indicator window loads, at that window's size.
    const indicator = await chrome.context.newPage();
    await indicator.setViewportSize({ width: 440, height: 96 });
    await indicator.goto(`${served.url}&view=indicator`);
    await expect.poll(() => textOf(indicator, 'indicator-hotkey')).toBe('Ctrl+Alt+D');
    // No desktop session for this server (e2e-helpers.ts): the words stay in Attune.
    expect(await textOf(indicator, 'indicator-where')).toBe('kept in Attune');
    expect(await indicator.getByRole('navigation').count()).toBe(0);

    await page.getByTestId('nav-dictate').click();
    // The shortcut chosen in Settings above.
    expect(await textOf(page, 'hotkey')).toBe('Ctrl+Alt+D');
    await page.keyboard.press('Control+Alt+D');
    await expect.poll(() => textOf(page, 'dictation-state'), { timeout: 10_000 }).toBe('Listening');
    await expect.poll(() => textOf(indicator, 'dictation-state')).toBe('Listening');
    expect(
      await indicator.getByTestId('indicator-hotkey').evaluate((k) => k.parentElement?.textContent),
    ).toBe('Ctrl+Alt+D stops');
    await screenshot(indicator, 'indicator-listening');
    await mic.silence(500);
    await page.keyboard.press('Control+Alt+D');
    await expect.poll(() => textOf(page, 'dictation-state'), { timeout: 10_000 }).toBe('Stopped');
    await expect.poll(() => textOf(indicator, 'dictation-state')).toBe('Stopped');
    await indicator.close();
    expect(chrome.errors).toEqual([]);
  });

  it('says the connection is lost when the app stops, and offers a reload', async () => {
    expect(await served.stop()).toBe(0);
    await expect
      .poll(() => textOf(page, 'connection-lost'), { timeout: 10_000 })
      .toContain('Connection lost');
    expect(await page.getByTestId('app-body').getAttribute('inert')).not.toBeNull();
    await screenshot(page, 'connection-lost');
  });
});
