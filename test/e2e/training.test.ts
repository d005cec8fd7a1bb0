import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

// Personal training through the UI against the real app: phrases dictated from the FIFO microphone are
// corrected in History, "Train now" fine-tunes the shipped model on them in the trainer process, the panel
// shows the run and what came of it, and versions are switched from it. Then the microphone test of
// Settings, whose meter follows what the FIFO microphone plays.

/**
 * What the user says, with long pauses between phrases. Each phrase comes twice, as people repeat what
 * they often dictate: the held-back corrections the new model is measured on then sound like some it
 * learnt from, which is when personal training can show a gain with this few corrections.
 */
const PHRASES = [
  'please call my sister tomorrow morning',
  'send the report to the office',
  'open the door for the doctor',
  'my brother will visit next week',
].flatMap((p) => [p, p]);

let dir: string;
let mic: FifoMic;
let served: Served;
let chrome: Chromium;
let page: Page;
/** The last run's outcome as the panel showed it. */
let promoted = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-e2e-training-'));
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

/** The version rows' labels and statuses as shown, newest first. */
async function versionRows(): Promise<{ label: string; status: string; reason: string }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="version"]')].map((row) => ({
      label: row.querySelector('.label')?.textContent?.trim() ?? '',
      status: row.querySelector('[data-testid="version-status"]')?.textContent?.trim() ?? '',
      reason: row.querySelector('[data-testid="version-reason"]')?.textContent?.trim() ?? '',
    })),
  );
}

describe('the training panel against the real app', () => {
  it('dictates phrases and corrects them in History', async () => {
    await expect.poll(() => textOf(page, 'dictation-state'), { timeout: 30_000 }).toBe('Ready');
    await page.getByTestId('record').click();
    await expect.poll(() => textOf(page, 'dictation-state')).toBe('Listening');
    await mic.silence(800);
    // Where each phrase sits in the microphone's stream, in seconds, to match segments to phrases by time.
    const played: { startSec: number; endSec: number }[] = [];
    for (const [i, phrase] of PHRASES.entries()) {
      const wav = join(dir, `phrase-${i}.wav`);
      execFileSync('flite', ['-voice', 'slt', '-t', phrase, '-o', wav]);
      const p = await mic.play(wav);
      played.push({ startSec: p.startSample / 16000, endSec: (p.startSample + p.samples) / 16000 });
      await mic.silence(2500);
    }
    await expect
      .poll(() => countOf(page, 'final-segment'), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(PHRASES.length);
    await page.getByTestId('record').click();
    await expect.poll(() => textOf(page, 'dictation-state'), { timeout: 20_000 }).toBe('Stopped');

    await page.getByTestId('nav-history').click();
    await page.getByTestId('session-open').first().click();
    await expect
      .poll(() => countOf(page, 'segment'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(PHRASES.length);
    // Segment start times (shown as m:ss) relative to the first one, against the phrases' relative starts.
    const starts = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="segment"] .time')].map((el) => {
        const [m, s] = el.textContent!.trim().split(':').map(Number);
        return m * 60 + s;
      }),
    );
    const phraseOf = starts.map((t) =>
      played.findIndex(
        (p) =>
          t - starts[0] >= p.startSec - played[0].startSec - 1.5 &&
          t - starts[0] <= p.endSec - played[0].startSec,
      ),
    );
    const heardTexts = await page.getByTestId('segment-text').allTextContents();
    console.log(
      `segments: ${JSON.stringify(heardTexts.map((text, j) => ({ at: starts[j], phrase: phraseOf[j], text })))}`,
    );
    let corrected = 0;
    for (const [j, i] of phraseOf.entries()) {
      // A phrase heard as more than one segment is corrected as a user would: its longest part gets the
      // phrase's text, the rest is left alone.
      const longest = phraseOf
        .map((k, at) => (k === i ? at : -1))
        .filter((at) => at >= 0)
        .sort((a, b) => heardTexts[b].length - heardTexts[a].length)[0];
      if (i < 0 || longest !== j) continue;
      const segment = page.getByTestId('segment').nth(j);
      const heard = heardTexts[j].trim();
      await segment.getByTestId('edit').click();
      await page.keyboard.press('Control+A');
      const phrase = PHRASES[i];
      const truth = phrase[0].toUpperCase() + phrase.slice(1) + '.';
      await page.keyboard.type(truth);
      await page.keyboard.press('Control+Enter');
      // A phrase the model heard right is no correction.
      if (heard !== truth) corrected++;
      await expect
        .poll(() => segment.getByTestId('correction-message').textContent(), { timeout: 10_000 })
        .toMatch(/^Saved\.|^No change to save\./);
    }
    console.log(`corrected ${corrected} of ${PHRASES.length} phrases (${starts.length} segments)`);
    expect(corrected).toBeGreaterThanOrEqual(2);

    await page.getByTestId('nav-training').click();
    await expect.poll(() => textOf(page, 'pending-corrections')).toBe(String(corrected));
    expect(await textOf(page, 'train-why')).toBe('');
    expect(await textOf(page, 'training-state')).toBe('Idle');
    expect(await countOf(page, 'version')).toBe(0);
    await screenshot(page, 'training-ready');
  });

  it('trains on them from "Train now": progress with phase, step, loss and ETA, then the result', async () => {
    // Everything the progress line shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const log: { phase: string; step: string; loss: string; eta: string; value: number }[] = [];
      (window as unknown as { progressLog: typeof log }).progressLog = log;
      const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '';
      new MutationObserver(() => {
        const bar = document.querySelector('progress');
        if (!bar) return;
        log.push({
          phase: text('training-phase'),
          step: text('training-step'),
          loss: text('training-loss'),
          eta: text('training-eta'),
          value: bar.value,
        });
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Train now' }).click();
    await expect.poll(() => textOf(page, 'train-why')).toBe('Training is running.');
    expect(await page.getByRole('button', { name: 'Train now' }).isDisabled()).toBe(true);
    // Training steps with a loss, a planned length and a time left.
    await expect
      .poll(() => textOf(page, 'training-loss'), { timeout: 120_000, interval: 250 })
      .toMatch(/^loss \d+\.\d{3}$/);
    await expect.poll(() => countOf(page, 'loss-line'), { timeout: 60_000 }).toBe(1);
    await screenshot(page, 'training-progress');
    expect(await page.getByRole('button', { name: 'Cancel' }).isEnabled()).toBe(true);

    await expect.poll(() => countOf(page, 'last-result'), { timeout: 600_000, interval: 500 }).toBe(1);
    const seconds = (Date.now() - t0) / 1000;
    const log = await page.evaluate(
      () =>
        (
          window as unknown as {
            progressLog: { phase: string; step: string; loss: string; eta: string; value: number }[];
          }
        ).progressLog,
    );
    const steps = log.filter((l) => l.phase === 'Training' && /^loss \d/.test(l.loss));
    expect(steps.length).toBeGreaterThan(3);
    // The bar moved forward through the steps, and an ETA was shown.
    expect(steps.at(-1)!.value).toBeGreaterThan(steps[0].value);
    expect(steps.some((l) => /^about \d+:\d\d left$/.test(l.eta))).toBe(true);
    expect(steps[0].step).toMatch(/^step \d+ \/ \d+$/);
    expect(log.some((l) => l.phase === 'Measuring')).toBe(true);

    const result = await textOf(page, 'last-result');
    promoted = result.startsWith('Last run: new model kept.');
    // It says how the word error rates on the held-back phrases compare: in its own sentence, or (when
    // neither model made an error) in the guard's reason.
    expect(result).toMatch(
      /^Last run: new model (not )?kept\.\s+(Word errors on your held-back phrases \d+\.\d% → \d+\.\d%|.*word error rate is \d+\.\d%)/,
    );
    await expect.poll(() => countOf(page, 'version')).toBeGreaterThan(0);
    const rows = await versionRows();
    const personal = rows.find((r) => r.label === 'personal 1')!;
    expect(personal.status).toBe(promoted ? 'In use' : 'Rejected');
    expect(personal.reason).toMatch(promoted ? /^promoted: / : /^kept the current model: /);
    expect(result).toContain(personal.reason);
    expect((await textOf(page, 'version-user-wer')).replace(/\s+/g, ' ')).toMatch(
      /^\d+\.\d% → \d+\.\d% on \d+ phrases?$/,
    );
    expect(await textOf(page, 'pending-corrections')).toMatch(/^\d+$/);
    // The loss curve of the run stays drawn.
    const points = await page.getByTestId('loss-line').getAttribute('points');
    expect(points!.split(' ').length).toBeGreaterThan(3);
    console.log(`training through the UI: ${seconds.toFixed(0)} s, ${steps.length} step updates; ${result}`);
    await screenshot(page, 'training-result');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'training-result-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(chrome.errors).toEqual([]);
  });

  it('rolls back to the shipped model and forward again in one click each', async () => {
    const reset = page.getByRole('button', { name: 'Reset to base' });
    if (!promoted) {
      // Nothing was kept: the shipped model is still in use and there is nothing to switch to.
      expect(await reset.isDisabled()).toBe(true);
      expect(await countOf(page, 'use-version')).toBe(0);
      console.log('the run was rejected: rollback has nothing to switch to');
      return;
    }
    await reset.click();
    await expect
      .poll(() => textOf(page, 'training-notice'), { timeout: 60_000 })
      .toBe('Now using the model Attune ships with.');
    await expect
      .poll(versionRows)
      .toEqual([
        expect.objectContaining({ label: 'base', status: 'In use' }),
        expect.objectContaining({ label: 'personal 1', status: 'Retired' }),
      ]);
    expect(await reset.isDisabled()).toBe(true);
    await screenshot(page, 'training-reset-to-base');
    // Keyboard: the version's button is reachable and pressed with Enter.
    const use = page.getByRole('button', { name: 'Use personal 1' });
    await use.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => textOf(page, 'training-notice'), { timeout: 60_000 })
      .toBe('Now using personal 1.');
    await expect
      .poll(versionRows)
      .toEqual([
        expect.objectContaining({ label: 'base', status: 'Retired' }),
        expect.objectContaining({ label: 'personal 1', status: 'In use' }),
      ]);
    expect(await reset.isEnabled()).toBe(true);
  });

  it('tests the microphone in Settings: the meter follows what it hears, without a session', async () => {
    await page.getByTestId('nav-settings').click();
    const button = page.getByRole('button', { name: 'Test microphone' });
    await button.waitFor();
    await page.evaluate(() => {
      const log: number[] = [];
      (window as unknown as { micLog: number[] }).micLog = log;
      const meter = document.querySelector('[data-testid="mic-test-meter"] [role="meter"]')!;
      new MutationObserver(() => log.push(Number(meter.getAttribute('aria-valuenow')))).observe(meter, {
        attributes: true,
      });
    });
    await button.click();
    await expect.poll(() => textOf(page, 'mic-test')).toBe('Listening…');
    await mic.silence(1000);
    const tone = Float32Array.from(
      { length: 16000 * 2 },
      (_, i) => 0.3 * Math.sin((2 * Math.PI * 330 * i) / 16000),
    );
    const playing = mic.play(tone);
    await expect
      .poll(() => page.evaluate(() => Math.max(-60, ...(window as unknown as { micLog: number[] }).micLog)))
      .toBeGreaterThan(-20);
    await screenshot(page, 'settings-mic-test');
    await playing;
    await expect
      .poll(() => textOf(page, 'mic-test-result'), { timeout: 15_000 })
      .toMatch(/^The microphone works \(loudest -1\d dB\)\.$/);
    const levels = await page.evaluate(() => (window as unknown as { micLog: number[] }).micLog);
    // The level moved: silence at the floor, the tone near its −13.5 dBFS, and back to the floor at the end.
    expect(levels).toContain(-60);
    expect(Math.max(...levels)).toBeGreaterThanOrEqual(-15);
    expect(Math.max(...levels)).toBeLessThanOrEqual(-12);
    expect(levels.at(-1)).toBe(-60);
    expect(await textOf(page, 'mic-test')).toBe('Test microphone');
    console.log(`mic test: ${levels.length} meter changes, loudest ${Math.max(...levels)} dB`);
    // No session was recorded by it: History still lists the one dictated above.
    await page.getByTestId('nav-history').click();
    await expect.poll(() => countOf(page, 'session-row')).toBe(1);
    expect(chrome.errors).toEqual([]);
  });
});
