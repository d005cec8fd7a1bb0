import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import type { DictationStatus, OutputStatus, SystemInfo } from '../../src-main/ipc/contract.js';
import IndicatorView from '../../src-renderer/src/views/IndicatorView.svelte';
import { contractApi, segmentOf, TYPING } from './contract-api.js';

const INFO = { hotkey: 'CommandOrControl+Shift+Space' } as SystemInfo;
const LISTENING: DictationStatus = {
  state: 'listening',
  sessionId: 7,
  startedAt: 1_700_000_000_000,
  device: 'default',
  error: null,
};
function setup(output: OutputStatus = TYPING) {
  const api = contractApi({
    'system.info': () => INFO,
    'dictation.status': () => LISTENING,
    'sessions.get': () => ({ session: {} as never, segments: [] }),
    'output.status': () => output,
  });
  render(IndicatorView, { api, maxChars: 30 });
  return api;
}

describe('IndicatorView', () => {
  it('shows that Attune listens, where the words go, and the hotkey that stops it', async () => {
    setup();
    await vi.waitFor(() =>
      expect(screen.getByTestId('dictation-state').textContent?.trim()).toBe('Listening'),
    );
    await vi.waitFor(() =>
      expect(screen.getByTestId('indicator-where').textContent).toBe('typing at your cursor'),
    );
    await vi.waitFor(() =>
      expect(screen.getByTestId('indicator-hotkey').textContent).toBe('Ctrl+Shift+Space'),
    );
    expect(screen.getByTestId('indicator-hotkey').parentElement?.textContent?.trim()).toBe(
      'Ctrl+Shift+Space stops',
    );
    // Nothing to click: it works by the hotkey alone.
    expect(screen.queryAllByRole('button')).toEqual([]);
  });

  it('shows the live phrase, then the written one, keeping the end of long text', async () => {
    const api = setup();
    await vi.waitFor(() =>
      expect(screen.getByTestId('dictation-state').textContent?.trim()).toBe('Listening'),
    );
    api.emit('dictation.partial', { sessionId: 7, segment: 0, committed: 'hello there', partial: 'ho' });
    await vi.waitFor(() => expect(screen.getByTestId('indicator-words').textContent).toBe('hello there ho'));
    api.emit('dictation.segment', {
      sessionId: 7,
      segment: segmentOf(7, 0, 'Hello there, how are you doing today?'),
    });
    await vi.waitFor(() =>
      expect(screen.getByTestId('indicator-words').textContent).toBe('…ere, how are you doing today?'),
    );
    expect(screen.getByTestId('indicator-words').textContent).toHaveLength(30);
  });

  it('says when a phrase could not be typed, and where the words go instead', async () => {
    const api = setup({ ...TYPING, action: 'copy', tool: 'wl-copy', problem: 'needs wtype' });
    await vi.waitFor(() =>
      expect(screen.getByTestId('indicator-where').textContent).toBe('copying to the clipboard'),
    );
    api.emit('output.status', {
      ...TYPING,
      lastError: 'The last phrase could not be typed into the focused app',
    });
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'The last phrase could not be typed into the focused app',
      ),
    );
  });
});
