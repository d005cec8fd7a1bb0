import { describe, expect, it } from 'vitest';
import { renderReliability, summariseLatency, summariseProcesses } from '../../bench/soak-report.js';
import type { DictationSoakResult, Sample } from '../../bench/soak-dictation.js';
import { DEFAULT_DICTATION_SOAK } from '../../bench/soak-dictation.js';

const MB = 1e6;

/**
 * Readings every 10 s for 10 minutes: the engine flat, the app growing by half, a trainer from minute 5 that
 * returns some of its start-up memory once, 40 s after its warm-up.
 */
function samples(): Sample[] {
  return Array.from({ length: 61 }, (_, i) => ({
    t: i * 10,
    processes: [
      { role: 'app' as const, pid: 1, rssBytes: (100 + i) * MB, openFiles: 30 + (i > 50 ? 5 : 0) },
      { role: 'engine' as const, pid: 2, rssBytes: (i === 0 ? 400 : 300) * MB, openFiles: 25 },
      ...(i >= 30
        ? [{ role: 'trainer' as const, pid: 3, rssBytes: (i < 40 ? 250 : 180) * MB, openFiles: 20 }]
        : []),
    ],
  }));
}

describe('the soak report', () => {
  it('reads each process as the medians of the first fifth after its own warm-up and of the last fifth', () => {
    const byRole = Object.fromEntries(summariseProcesses(samples(), 600).map((p) => [p.role, p]));
    // A minute's warm-up: the engine's loading peak is not its start.
    expect(byRole.engine).toMatchObject({
      startT: 60,
      rssStart: 300 * MB,
      rssEnd: 300 * MB,
      rssMax: 400 * MB,
    });
    // The app grows a megabyte a reading: the medians of t 60–180 s and 480–600 s are its readings at 120 and 540 s.
    expect(byRole.app).toMatchObject({ rssStart: 112 * MB, rssEnd: 154 * MB, filesStart: 30, filesEnd: 35 });
    // The trainer, from minute 5, is read a minute after it appeared; its step down at 400 s (4 readings of the
    // 13 in its first fifth) is not taken for its level, and its peak still shows it.
    expect(byRole.trainer).toMatchObject({
      startT: 360,
      rssStart: 180 * MB,
      rssEnd: 180 * MB,
      rssMax: 250 * MB,
      endT: 600,
    });
  });

  it('takes the latencies of the first and the last fifth of the run', () => {
    const lat = Array.from({ length: 100 }, (_, i) => ({ t: i * 6, ms: i < 50 ? 100 : 300 }));
    const { start, end } = summariseLatency(lat, 600);
    expect(start).toEqual({ count: 20, median: 100, p95: 100 });
    expect(end).toEqual({ count: 20, median: 300, p95: 300 });
  });

  it('writes what it measured, and says which process did not stay flat', () => {
    const dictation: DictationSoakResult = {
      config: DEFAULT_DICTATION_SOAK,
      model: 'models/base',
      backend: 'wasm',
      seconds: 600,
      samples: samples(),
      partial: [{ t: 1, ms: 350 }],
      final: [{ t: 1, ms: 270 }],
      phrases: 150,
      segments: 150,
      corrections: 40,
      training: null,
      storm: null,
      orphans: [],
    };
    const md = renderReliability({
      command: 'npx tsx bench/soak.ts --minutes 10',
      machine: {
        date: '2026-01-02T03:04:05Z',
        cores: 2,
        cpuModel: 'test CPU',
        memoryGiB: 8,
        node: 'v20',
        os: 'Linux',
        loadAtStart: [0.5, 0.5, 0.5],
        loadAtEnd: [0.5, 0.5, 0.5],
        backends: [],
        elapsedSeconds: 600,
      },
      crash: null,
      dictation,
    });
    expect(md).toContain('## Dictation soak: 10 minutes');
    expect(md).toMatch(/\| app \| 112 \| 154 \| \+37\.5 % \| 160 \| \*\*no\*\* \| 30 \| 35 \| 35 \|/);
    expect(md).toMatch(/\| trainer \| 180 \| 180 \| \+0\.0 % \| 250 \| yes \|/);
    expect(md).toMatch(/\| engine \| 300 \| 300 \| \+0\.0 % \| 400 \| yes \|/);
    expect(md).not.toContain('busy');
  });
});
