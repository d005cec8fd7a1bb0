import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Indicator } from '../../src-main/app/indicator.js';
import type { DictationState, DictationStatus, OutputStatus } from '../../src-main/ipc/contract.js';

// When the always-on-top indicator shows, on dictation's and the output's real event payloads; the window
// itself is Electron's (indicator-window.ts) and is stood in for by a record of what it was told.
const status = (state: DictationState, error: string | null = null): DictationStatus => ({
  state,
  sessionId: 1,
  startedAt: 0,
  device: 'default',
  error,
});
const output = (lastError: string | null): OutputStatus => ({
  mode: 'type',
  action: 'type',
  tool: 'xdotool',
  problem: null,
  lastError,
  permission: 'not-needed',
});

let calls: string[];
let indicator: Indicator;
beforeEach(() => {
  vi.useFakeTimers();
  calls = [];
  indicator = new Indicator(
    { show: () => calls.push('show'), hide: () => calls.push('hide') },
    { lingerMs: 1000, errorLingerMs: 5000 },
  );
});
afterEach(() => {
  indicator.dispose();
  vi.useRealTimers();
});

describe('the dictation indicator', () => {
  it('shows from the start of dictation until a moment after it stops', () => {
    indicator.dictation(status('starting'));
    indicator.dictation(status('listening'));
    indicator.dictation(status('thinking'));
    expect(calls).toEqual(['show']);
    vi.advanceTimersByTime(60_000);
    expect(calls).toEqual(['show']); // stays up however long the dictation
    indicator.dictation(status('stopped'));
    vi.advanceTimersByTime(999);
    expect(calls).toEqual(['show']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['show', 'hide']);
  });

  it('a new dictation within the moment keeps it up', () => {
    indicator.dictation(status('listening'));
    indicator.dictation(status('stopped'));
    vi.advanceTimersByTime(500);
    indicator.dictation(status('starting'));
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(['show']);
  });

  it('stays longer when dictation failed or a phrase could not be typed', () => {
    indicator.dictation(status('listening'));
    indicator.dictation(status('error', 'microphone: device gone'));
    vi.advanceTimersByTime(4999);
    expect(calls).toEqual(['show']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['show', 'hide']);

    calls.length = 0;
    indicator.dictation(status('starting'));
    indicator.output(output('The last phrase could not be typed…'));
    indicator.dictation(status('stopped'));
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['show']);
    vi.advanceTimersByTime(4000);
    expect(calls).toEqual(['show', 'hide']);
  });

  it('shows a typing failure that comes after dictation stopped, and not an all-clear', () => {
    indicator.output(output(null));
    expect(calls).toEqual([]);
    indicator.output(output('The last phrase could not be typed…'));
    expect(calls).toEqual(['show']);
    vi.advanceTimersByTime(5000);
    expect(calls).toEqual(['show', 'hide']);
  });

  it('does nothing while idle', () => {
    indicator.dictation(status('idle'));
    indicator.dictation(status('stopped'));
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual([]);
  });
});
