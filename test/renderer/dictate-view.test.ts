import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import type { DictationStatus } from '../../src-main/ipc/contract.js';
import { Dictation } from '../../src-renderer/src/lib/dictation.svelte.js';
import DictateView from '../../src-renderer/src/views/DictateView.svelte';
import { contractApi, segmentOf } from './contract-api.js';

const STARTED_AT = 1_700_000_000_000;
const status = (patch: Partial<DictationStatus>): DictationStatus => ({
  state: 'idle',
  sessionId: null,
  startedAt: null,
  device: null,
  error: null,
  ...patch,
});

function setup() {
  const api = contractApi({
    'dictation.status': () => status({}),
    'dictation.start': () =>
      status({ state: 'listening', sessionId: 7, startedAt: Date.now(), device: 'default' }),
    'dictation.stop': () =>
      status({ state: 'stopped', sessionId: 7, startedAt: STARTED_AT, device: 'default' }),
    'sessions.get': () => {
      throw new Error('not asked for in these tests');
    },
  });
  const dictation = new Dictation(api);
  const off = dictation.connect();
  render(DictateView, { dictation, hotkey: 'Ctrl+Shift+Space' });
  return { api, dictation, off };
}

const byTestId = (id: string) => screen.getByTestId(id);

afterEach(() => {
  vi.useRealTimers();
});

describe('DictateView', () => {
  it('shows the hotkey and the engine state, and starts and stops dictation from the record button', async () => {
    const { api } = setup();
    expect(byTestId('hotkey').textContent).toBe('Ctrl+Shift+Space');
    await vi.waitFor(() => expect(byTestId('dictation-state').textContent).toContain('Ready'));
    const record = screen.getByRole('button', { name: 'Start dictation' });
    expect(record.getAttribute('aria-pressed')).toBe('false');

    await fireEvent.click(record);
    await vi.waitFor(() => expect(byTestId('dictation-state').textContent).toContain('Listening'));
    expect(screen.getByRole('button', { name: 'Stop dictation' }).getAttribute('aria-pressed')).toBe('true');

    await fireEvent.click(screen.getByRole('button', { name: 'Stop dictation' }));
    await vi.waitFor(() => expect(byTestId('dictation-state').textContent).toContain('Stopped'));
    expect(api.calls.map((c) => c.method)).toEqual(['dictation.status', 'dictation.start', 'dictation.stop']);
  });

  it('streams the phrase being heard in the partial style, then replaces it with the final segment', () => {
    const { api } = setup();
    api.emit('dictation.state', status({ state: 'listening', sessionId: 3, startedAt: Date.now() }));
    api.emit('dictation.partial', { sessionId: 3, segment: 0, committed: 'hello', partial: 'the' });
    flushSync();
    expect(byTestId('live-committed').textContent?.trim()).toBe('hello');
    const partial = byTestId('live-partial');
    expect(partial.textContent).toBe('the');
    expect(partial.className).toContain('partial');
    // The caret follows the text while listening.
    expect(partial.nextElementSibling?.className).toContain('caret');

    api.emit('dictation.partial', { sessionId: 3, segment: 0, committed: 'hello there', partial: '' });
    // The next phrase's first word arrives before the first phrase is stored: it must survive.
    api.emit('dictation.partial', { sessionId: 3, segment: 1, committed: '', partial: 'how' });
    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 0, 'Hello there.') });
    flushSync();
    expect(screen.getAllByTestId('final-segment').map((e) => e.textContent?.trim())).toEqual([
      'Hello there.',
    ]);
    expect(byTestId('live-partial').textContent).toBe('how');

    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 1, 'How are you?') });
    flushSync();
    expect(screen.queryByTestId('live-partial')).toBeNull();
    expect(byTestId('transcript').textContent).toContain('Hello there. How are you?');
  });

  it('ignores events of other sessions and shows a revised segment in place', () => {
    const { api } = setup();
    api.emit('dictation.state', status({ state: 'listening', sessionId: 3, startedAt: Date.now() }));
    api.emit('dictation.partial', { sessionId: 2, segment: 0, committed: 'stale', partial: '' });
    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 0, 'Buy milk.') });
    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 1, 'And eggs.') });
    // "Scratch that": the app sends the first segment again with its new text.
    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 0, 'Buy bread.') });
    flushSync();
    expect(screen.queryByText('stale')).toBeNull();
    expect(screen.getAllByTestId('final-segment').map((e) => e.textContent?.trim())).toEqual([
      'Buy bread.',
      'And eggs.',
    ]);
  });

  it('counts the elapsed time while listening and freezes it when stopped', () => {
    vi.useFakeTimers({ now: STARTED_AT });
    const { api } = setup();
    api.emit('dictation.state', status({ state: 'listening', sessionId: 5, startedAt: STARTED_AT }));
    flushSync();
    expect(byTestId('elapsed').textContent).toBe('0:00');
    vi.advanceTimersByTime(65_000);
    flushSync();
    expect(byTestId('elapsed').textContent).toBe('1:05');
    api.emit('dictation.state', status({ state: 'thinking', sessionId: 5, startedAt: STARTED_AT }));
    vi.advanceTimersByTime(10_000);
    flushSync();
    expect(byTestId('elapsed').textContent).toBe('1:05');
    expect(byTestId('dictation-state').textContent).toContain('Thinking');
    // Recording cannot be toggled while the last phrase is being recognised.
    expect((byTestId('record') as HTMLButtonElement).disabled).toBe(true);
  });

  it('opened after a session ended, shows no elapsed time for it', async () => {
    vi.useFakeTimers({ now: STARTED_AT + 600_000 });
    const api = contractApi({
      'dictation.status': () => status({ state: 'stopped', sessionId: 5, startedAt: STARTED_AT }),
    });
    const dictation = new Dictation(api);
    dictation.connect();
    render(DictateView, { dictation, hotkey: 'Ctrl+Shift+Space' });
    await vi.waitFor(() => expect(byTestId('dictation-state').textContent).toContain('Stopped'));
    expect(byTestId('elapsed').textContent).toBe('0:00');
  });

  it('shows the input level on an accessible meter', () => {
    const { api } = setup();
    api.emit('dictation.state', status({ state: 'listening', sessionId: 5, startedAt: Date.now() }));
    api.emit('dictation.level', { rmsDb: -18.4, peakDb: -6 });
    flushSync();
    const meter = screen.getByRole('meter', { name: 'Input level' });
    expect(meter.getAttribute('aria-valuenow')).toBe('-18');
    expect((meter.querySelector('.rms') as HTMLElement).style.transform).toBe(`scaleX(${(60 - 18.4) / 60})`);
    // Once stopped the meter falls back to silence.
    api.emit('dictation.state', status({ state: 'stopped', sessionId: 5, startedAt: Date.now() }));
    flushSync();
    expect(meter.getAttribute('aria-valuenow')).toBe('-60');
  });

  it('shows an error state and its message', () => {
    const { api } = setup();
    api.emit(
      'dictation.state',
      status({ state: 'error', sessionId: 5, error: 'microphone: arecord exited' }),
    );
    flushSync();
    expect(byTestId('dictation-state').textContent).toContain('Error');
    expect(screen.getByRole('alert').textContent).toBe('microphone: arecord exited');
  });

  it('copies the whole text at once', async () => {
    const written: string[] = [];
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (t: string) => void written.push(t) },
    });
    const { api } = setup();
    api.emit('dictation.state', status({ state: 'listening', sessionId: 3, startedAt: Date.now() }));
    api.emit('dictation.segment', { sessionId: 3, segment: segmentOf(3, 0, 'First line.') });
    api.emit('dictation.partial', { sessionId: 3, segment: 1, committed: 'and more', partial: 'te' });
    flushSync();
    await fireEvent.click(byTestId('copy'));
    expect(written).toEqual(['First line. and more te']);
    await vi.waitFor(() => expect(screen.getByText('Copied')).toBeTruthy());
  });

  it('opened in the middle of a session, shows what was said before', async () => {
    const api = contractApi({
      'dictation.status': () => status({ state: 'listening', sessionId: 9, startedAt: Date.now() }),
      'sessions.get': ({ id }: { id: number }) => ({
        session: {
          id,
          title: 'Earlier',
          createdAt: STARTED_AT,
          endedAt: null,
          device: 'default',
          modelVersionId: null,
          status: 'recording' as const,
          deletedAt: null,
        },
        segments: [segmentOf(id, 0, 'Said before.'), segmentOf(id, 1, 'Also before.')],
      }),
    });
    const dictation = new Dictation(api);
    dictation.connect();
    render(DictateView, { dictation, hotkey: 'Ctrl+Shift+Space' });
    await vi.waitFor(() =>
      expect(screen.getAllByTestId('final-segment').map((e) => e.textContent?.trim())).toEqual([
        'Said before.',
        'Also before.',
      ]),
    );
    expect(api.calls.find((c) => c.method === 'sessions.get')?.args).toEqual({ id: 9 });
  });

  it('stops listening to the app when disconnected', () => {
    const { api, off } = setup();
    expect(api.listeners('dictation.partial')).toBe(1);
    off();
    expect(api.listeners('dictation.partial')).toBe(0);
  });
});
