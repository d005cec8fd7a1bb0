import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import type { DictationStatus, EnrolmentStatus, Settings, SystemInfo } from '../../src-main/ipc/contract.js';
import App from '../../src-renderer/src/App.svelte';
import { Connection } from '../../src-renderer/src/lib/connection.svelte.js';
import { contractApi, type Handlers, TYPING } from './contract-api.js';

const INFO: SystemInfo = {
  version: '0.1.0',
  backend: { name: 'wasm', threads: 2, description: 'WebAssembly with SIMD' },
  model: { dir: '/models/base', label: 'base', parameters: 1_200_000 },
  languageModel: { path: '/models/lm/en-us.lm.bin', words: 72_547, order: 3 },
  languageModelError: null,
  dataDir: '/home/me/.local/share/attune',
  hotkey: 'CommandOrControl+Shift+Space',
};

function appApi(info: () => SystemInfo = () => INFO, more: Handlers = {}) {
  let state: DictationStatus = { state: 'idle', sessionId: null, startedAt: null, device: null, error: null };
  return contractApi({
    'system.info': info,
    'dictation.status': () => state,
    'dictation.start': () => (state = { ...state, state: 'listening', sessionId: 1, startedAt: Date.now() }),
    'dictation.stop': () => (state = { ...state, state: 'stopped' }),
    'sessions.list': () => ({ items: [], total: 0 }),
    'settings.get': () => ({ keepAudio: true, hotkey: INFO.hotkey, device: 'default', disabledCommands: [] }),
    'devices.list': () => [{ id: 'default', description: 'System default' }],
    'output.focus': () => TYPING,
    'output.status': () => TYPING,
    ...more,
  });
}

describe('App', () => {
  it('connects, then moves between Dictate, History and Settings from the navigation', async () => {
    const api = appApi();
    const connection = new Connection();
    render(App, { connection });
    expect(screen.getByRole('status').textContent).toContain('Connecting');
    await connection.open(async () => api);
    flushSync();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Dictate' }).getAttribute('aria-current')).toBe('page');
    await vi.waitFor(() => expect(screen.getByTestId('hotkey').textContent).toBe('Ctrl+Shift+Space'));

    await fireEvent.click(screen.getByRole('button', { name: 'History' }));
    expect(screen.getByRole('button', { name: 'History' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByLabelText('Search transcripts')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    expect(screen.getByRole('heading', { name: 'Settings' })).toBeTruthy();
    expect(screen.queryByTestId('record')).toBeNull();
  });

  it('shows only the dictation indicator in the indicator window', async () => {
    const api = appApi();
    const connection = new Connection();
    render(App, { connection, view: 'indicator' });
    await connection.open(async () => api);
    flushSync();
    await vi.waitFor(() => expect(screen.getByTestId('indicator')).toBeTruthy());
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
    expect(screen.queryByTestId('record')).toBeNull();
  });

  it('tells the app when the page has the keyboard focus, so phrases are not typed into it', async () => {
    const api = appApi();
    const connection = new Connection();
    render(App, { connection });
    await connection.open(async () => api);
    flushSync();
    const reports = () =>
      api.calls.filter((c) => c.method === 'output.focus').map((c) => c.args as { attuneFocused: boolean });
    await vi.waitFor(() => expect(reports()).toHaveLength(1));
    await fireEvent.blur(window);
    await fireEvent.focus(window);
    expect(reports().slice(1)).toEqual([{ attuneFocused: false }, { attuneFocused: true }]);
  });

  it('reads the app info again when another model version comes into use', async () => {
    let label = 'base';
    const api = appApi(() => ({ ...INFO, model: { ...INFO.model, label } }));
    const connection = new Connection();
    render(App, { connection });
    await connection.open(async () => api);
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    await vi.waitFor(() => expect(screen.getByText(/^base · /)).toBeTruthy());
    label = 'personal 2';
    api.emit('models.changed', { active: null });
    await vi.waitFor(() => expect(screen.getByText(/^personal 2 · /)).toBeTruthy());
  });

  it('toggles dictation with the shortcut pressed inside the window', async () => {
    const api = appApi();
    const connection = new Connection();
    render(App, { connection });
    await connection.open(async () => api);
    await vi.waitFor(() => expect(screen.getByTestId('hotkey').textContent).toBe('Ctrl+Shift+Space'));
    await fireEvent.keyDown(window, { key: ' ', code: 'Space', ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(screen.getByTestId('dictation-state').textContent).toContain('Listening'));
    // Without the modifiers it is just a space.
    await fireEvent.keyDown(window, { key: ' ', code: 'Space' });
    await fireEvent.keyDown(window, { key: ' ', code: 'Space', ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(screen.getByTestId('dictation-state').textContent).toContain('Stopped'));
    expect(api.calls.filter((c) => c.method.startsWith('dictation.s')).map((c) => c.method)).toEqual([
      'dictation.status',
      'dictation.start',
      'dictation.stop',
    ]);
  });

  it('offers enrolment at first launch, opens it from the offer, and remembers "Not now"', async () => {
    let declined = false;
    const status = (): EnrolmentStatus => ({
      sessionId: null,
      prompts: 1,
      items: [],
      recorded: 0,
      skipped: 0,
      speechMs: 0,
      next: 'p001',
      recording: null,
      minTakes: 5,
      targetMs: 300_000,
      offer: !declined,
    });
    const api = appApi(() => INFO, {
      'enrolment.prompts': () => ({
        prompts: [{ id: 'p001', text: 'The cat sat.' }],
        source: 'Source: a test.',
      }),
      'enrolment.status': status,
      'settings.set': ({ patch }: { patch: Settings }) => {
        declined = patch.enrolmentDeclined === true;
        return { enrolmentDeclined: declined };
      },
      'training.status': () => ({
        state: 'idle',
        pendingCorrections: 0,
        autoTrain: true,
        progress: null,
        lastResult: null,
        error: null,
      }),
      'models.list': () => [],
    });
    const connection = new Connection();
    render(App, { connection });
    await connection.open(async () => api);
    const offer = await vi.waitFor(() => screen.getByTestId('enrolment-offer'));
    expect(offer.textContent).toContain('Read a few sentences aloud');
    await fireEvent.click(screen.getByRole('button', { name: 'Teach Attune your voice' }));
    await vi.waitFor(() => expect(screen.getByTestId('prompt-text').textContent).toBe('The cat sat.'));
    expect(screen.getByRole('button', { name: 'Your voice' }).getAttribute('aria-current')).toBe('page');
    // Not shown over enrolment itself; back on Dictate it is, until declined.
    expect(screen.queryByTestId('enrolment-offer')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Dictate' }));
    await fireEvent.click(await vi.waitFor(() => screen.getByRole('button', { name: 'Not now' })));
    await vi.waitFor(() => expect(screen.queryByTestId('enrolment-offer')).toBeNull());
    expect(api.calls.filter((c) => c.method === 'settings.set').map((c) => c.args)).toEqual([
      { patch: { enrolmentDeclined: true } },
    ]);
  });

  it('says why it cannot connect, and offers a reload', async () => {
    const reload = vi.fn();
    const connection = new Connection();
    render(App, { connection, reload });
    await connection.open(async () => {
      throw new Error('this page address has no access token');
    });
    flushSync();
    expect(screen.getByRole('alert').textContent).toContain('this page address has no access token');
    await fireEvent.click(screen.getByRole('button', { name: 'Reload' }));
    expect(reload).toHaveBeenCalledOnce();
  });

  it('when the connection is lost, says so, keeps the page readable but inert, and offers a reload', async () => {
    const reload = vi.fn();
    let lose: (reason: string) => void = () => undefined;
    const connection = new Connection();
    render(App, { connection, reload });
    await connection.open(async (onLost) => {
      lose = onLost;
      return appApi();
    });
    flushSync();
    expect(screen.queryByTestId('connection-lost')).toBeNull();
    lose('Attune is shutting down');
    flushSync();
    expect(screen.getByTestId('connection-lost').textContent).toContain('Connection lost — reload');
    const body = screen.getByTestId('app-body');
    expect(body.contains(screen.getByTestId('record'))).toBe(true);
    // (jsdom has no inert attribute reflection; Svelte sets the property, as browsers reflect it.)
    expect((body as HTMLElement & { inert: boolean }).inert).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Reload' }));
    expect(reload).toHaveBeenCalledOnce();
  });
});
