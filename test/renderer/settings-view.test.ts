import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { MicTestResult, OutputStatus, Settings, SystemInfo } from '../../src-main/ipc/contract.js';
import SettingsView from '../../src-renderer/src/views/SettingsView.svelte';
import { contractApi, TYPING } from './contract-api.js';

const INFO: SystemInfo = {
  version: '0.1.0',
  backend: {
    name: 'wasm',
    threads: 2,
    description:
      "TensorFlow.js backend: wasm ✗ tensorflow not tried: 'wasm' was asked for ✓ wasm wasm: 2 thread(s), SIMD",
  },
  model: { dir: '/models/base', label: 'base', parameters: 2_345_678 },
  languageModel: { path: '/models/lm/en-us.lm.bin', words: 72_547, order: 3 },
  languageModelError: null,
  dataDir: '/home/me/.local/share/attune',
  hotkey: 'CommandOrControl+Shift+Space',
};

/** A microphone test the test drives: it ends when `finish` is called. */
interface MicTestDriver {
  started: { device?: string; seconds?: number }[];
  finish?: (result: MicTestResult) => void;
}

function setup(info: SystemInfo = INFO, output: OutputStatus = TYPING) {
  const micTest: MicTestDriver = { started: [] };
  let stored: Settings = {
    keepAudio: true,
    trashRetentionDays: 30,
    exportFormat: 'txt',
    hotkey: INFO.hotkey,
    device: 'default',
    disabledCommands: [],
  };
  const api = contractApi({
    'settings.get': () => stored,
    'settings.set': ({ patch }: { patch: Settings }) => (stored = { ...stored, ...patch }),
    'output.status': () => output,
    'devices.list': () => [
      { id: 'default', description: 'System default' },
      { id: 'hw:1,0', description: 'USB headset' },
    ],
    'devices.test': (args: { device?: string; seconds?: number }) => {
      micTest.started.push(args);
      return new Promise<MicTestResult>((resolve) => (micTest.finish = resolve));
    },
  });
  const onInfoChanged = vi.fn();
  const onEnrol = vi.fn();
  render(SettingsView, { api, info, onInfoChanged, onEnrol });
  const patches = () => api.calls.filter((c) => c.method === 'settings.set').map((c) => c.args);
  return { api, patches, onInfoChanged, onEnrol, micTest };
}

describe('SettingsView', () => {
  it('shows the compute backend and why, the model and the data folder', () => {
    setup();
    expect(screen.getByTestId('backend').textContent?.replace(/\s+/g, ' ').trim()).toBe('wasm (2 threads)');
    // Each backend tried, on its own line.
    expect([...screen.getByTestId('backend-why').querySelectorAll('li')].map((l) => l.textContent)).toEqual([
      'TensorFlow.js backend: wasm',
      "✗ tensorflow not tried: 'wasm' was asked for",
      '✓ wasm wasm: 2 thread(s), SIMD',
    ]);
    expect(screen.getByText('base · 2.3 M parameters')).toBeTruthy();
    expect(screen.getByTestId('data-dir').textContent).toBe('/home/me/.local/share/attune');
    expect(screen.getByTestId('language-model').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'en-us.lm.bin · 72,547 words, 3-grams',
    );
  });

  it('says why the language model is not used', () => {
    setup({ ...INFO, languageModel: null, languageModelError: 'cannot read language model /x.arpa: ENOENT' });
    expect(screen.getByTestId('language-model').textContent?.trim()).toBe(
      'not used: cannot read language model /x.arpa: ENOENT',
    );
  });

  it('chooses the microphone from the devices the app lists', async () => {
    const { patches } = setup();
    const select = (await vi.waitFor(() => screen.getByLabelText('Record from'))) as HTMLSelectElement;
    await vi.waitFor(() => expect(select.options).toHaveLength(2));
    expect([...select.options].map((o) => o.textContent)).toEqual(['System default', 'USB headset']);
    await fireEvent.change(select, { target: { value: 'hw:1,0' } });
    await vi.waitFor(() =>
      expect(screen.getByTestId('settings-saved').textContent).toBe('Microphone saved.'),
    );
    expect(patches()).toEqual([{ patch: { device: 'hw:1,0' } }]);
  });

  it('chooses how much a new model may forget other voices, from a few levels explained in words', async () => {
    const { patches } = setup();
    const group = await vi.waitFor(() =>
      screen.getByRole('group', { name: 'How much it may forget other voices' }),
    );
    // The sentence that explains it is the group's description.
    expect(group.getAttribute('aria-describedby')).toBe('replay-margin-help');
    expect(
      screen.getByText(/A new model is kept only if its mistakes on other voices grow by no more than this/),
    ).toBeTruthy();
    const radios = within(group).getAllByRole('radio') as HTMLInputElement[];
    expect(radios.map((r) => r.parentElement?.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Very little (5% more errors at most)',
      'Some (10% more errors at most)',
      'More (25% more errors at most)',
    ]);
    // Not stored yet: the app's default, 10%.
    expect(radios.map((r) => r.checked)).toEqual([false, true, false]);
    await fireEvent.click(screen.getByTestId('replay-margin-25'));
    await vi.waitFor(() => expect(patches()).toEqual([{ patch: { replayMargin: 0.25 } }]));
    await vi.waitFor(() => expect(radios.map((r) => r.checked)).toEqual([false, false, true]));
    expect(screen.getByTestId('settings-saved').textContent).toBe('How much it may forget saved.');
  });

  it('opens enrolment from "Teach Attune your voice"', async () => {
    const { onEnrol } = setup();
    await fireEvent.click(
      await vi.waitFor(() => screen.getByRole('button', { name: 'Teach Attune your voice' })),
    );
    expect(onEnrol).toHaveBeenCalledTimes(1);
  });

  it('switches the language model and the personal words off and on', async () => {
    const { patches } = setup();
    const lm = (await vi.waitFor(() =>
      screen.getByLabelText('Write whole words, in likely order'),
    )) as HTMLInputElement;
    const boost = screen.getByLabelText('Prefer the words my corrections taught it') as HTMLInputElement;
    // Not stored yet: both on, as the app's defaults are.
    expect(lm.checked).toBe(true);
    expect(boost.checked).toBe(true);
    await fireEvent.click(lm);
    await vi.waitFor(() => expect(patches()).toEqual([{ patch: { languageModel: false } }]));
    await fireEvent.click(boost);
    await vi.waitFor(() => expect(patches().at(-1)).toEqual({ patch: { lexiconBoost: false } }));
    await vi.waitFor(() => expect(lm.checked).toBe(false));
  });

  it('switches keeping audio off and spoken commands on and off', async () => {
    const { patches } = setup();
    const keep = (await vi.waitFor(() => screen.getByTestId('keep-audio'))) as HTMLInputElement;
    expect(keep.checked).toBe(true);
    await fireEvent.click(keep);
    await vi.waitFor(() => expect(patches()).toEqual([{ patch: { keepAudio: false } }]));
    const scratch = screen.getByLabelText('“scratch that” removes the last phrase') as HTMLInputElement;
    expect(scratch.checked).toBe(true);
    await fireEvent.click(scratch);
    await vi.waitFor(() =>
      expect(patches().at(-1)).toEqual({ patch: { disabledCommands: ['scratchThat'] } }),
    );
    await fireEvent.click(screen.getByLabelText('“comma” types ,'));
    await vi.waitFor(() =>
      expect(patches().at(-1)).toEqual({ patch: { disabledCommands: ['scratchThat', 'comma'] } }),
    );
    await fireEvent.click(scratch);
    await vi.waitFor(() => expect(patches().at(-1)).toEqual({ patch: { disabledCommands: ['comma'] } }));
  });

  it('captures a new shortcut, shows conflicts, and saves a free one', async () => {
    const { patches, onInfoChanged } = setup();
    await fireEvent.click(await vi.waitFor(() => screen.getByTestId('hotkey-change')));
    const capture = screen.getByTestId('hotkey-capture');
    await vi.waitFor(() => expect(document.activeElement).toBe(capture));
    await fireEvent.keyDown(capture, { key: 'c', code: 'KeyC', ctrlKey: true });
    expect(capture.textContent?.trim()).toBe('Ctrl+C');
    expect(screen.getByTestId('hotkey-conflict').textContent).toBe(
      'Already used by the system or other apps for Copy',
    );
    expect((screen.getByTestId('hotkey-save') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.keyDown(capture, { key: 'D', code: 'KeyD', ctrlKey: true, altKey: true });
    expect(capture.textContent?.trim()).toBe('Ctrl+Alt+D');
    expect(screen.queryByTestId('hotkey-conflict')).toBeNull();
    await fireEvent.click(screen.getByTestId('hotkey-save'));
    await vi.waitFor(() => expect(screen.getByTestId('current-hotkey').textContent).toBe('Ctrl+Alt+D'));
    expect(patches()).toEqual([{ patch: { hotkey: 'CommandOrControl+Alt+D' } }]);
    expect(onInfoChanged).toHaveBeenCalledOnce();
  });

  it('Escape leaves shortcut capture without a change', async () => {
    const { patches } = setup();
    await fireEvent.click(await vi.waitFor(() => screen.getByTestId('hotkey-change')));
    await fireEvent.keyDown(screen.getByTestId('hotkey-capture'), { key: 'Escape', code: 'Escape' });
    expect(screen.queryByTestId('hotkey-capture')).toBeNull();
    expect(screen.getByTestId('current-hotkey').textContent).toBe('Ctrl+Shift+Space');
    expect(patches()).toEqual([]);
  });

  it('tests the chosen microphone: its live level moves, then what was heard', async () => {
    const { api, micTest } = setup();
    const select = (await vi.waitFor(() => screen.getByLabelText('Record from'))) as HTMLSelectElement;
    await vi.waitFor(() => expect(select.options).toHaveLength(2));
    await fireEvent.change(select, { target: { value: 'hw:1,0' } });
    await vi.waitFor(() => expect(select.value).toBe('hw:1,0'));

    const button = screen.getByRole('button', { name: 'Test microphone' }) as HTMLButtonElement;
    const meter = within(screen.getByTestId('mic-test-meter')).getByRole('meter');
    expect(meter.getAttribute('aria-valuenow')).toBe('-60');
    await fireEvent.click(button);
    await vi.waitFor(() => expect(micTest.started).toEqual([{ device: 'hw:1,0', seconds: 5 }]));
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Listening…');

    // Levels of this device move the meter; another device's do not.
    const levels: string[] = [];
    for (const rmsDb of [-42, -18, -30]) {
      api.emit('devices.level', { device: 'hw:1,0', rmsDb, peakDb: rmsDb + 6 });
      await vi.waitFor(() => expect(meter.getAttribute('aria-valuenow')).toBe(String(rmsDb)));
      levels.push(meter.getAttribute('aria-valuetext')!);
    }
    expect(levels).toEqual(['-42 dB', '-18 dB', '-30 dB']);
    api.emit('devices.level', { device: 'default', rmsDb: -5, peakDb: -1 });
    expect(meter.getAttribute('aria-valuenow')).toBe('-30');

    micTest.finish!({ device: 'hw:1,0', seconds: 5, maxRmsDb: -18.2, maxPeakDb: -12, readings: 3 });
    await vi.waitFor(() =>
      expect(screen.getByTestId('mic-test-result').textContent).toBe(
        'The microphone works (loudest -18 dB).',
      ),
    );
    expect(button.disabled).toBe(false);
    expect(meter.getAttribute('aria-valuenow')).toBe('-60');
    expect(api.listeners('devices.level')).toBe(0);
  });

  it('says when the microphone heard almost nothing', async () => {
    const { micTest } = setup();
    await fireEvent.click(await vi.waitFor(() => screen.getByRole('button', { name: 'Test microphone' })));
    await vi.waitFor(() => expect(micTest.finish).toBeDefined());
    micTest.finish!({ device: 'default', seconds: 5, maxRmsDb: -100, maxPeakDb: -100, readings: 50 });
    await vi.waitFor(() =>
      expect(screen.getByTestId('mic-test-result').textContent).toBe(
        'Almost nothing was heard (loudest -100 dB): check that the microphone is on and not muted.',
      ),
    );
  });

  it('chooses where the words go, and says how they get there', async () => {
    const { patches } = setup();
    const group = await vi.waitFor(() => screen.getByRole('group', { name: 'Where your words go' }));
    const radios = within(group).getAllByRole('radio') as HTMLInputElement[];
    expect(radios.map((r) => r.parentElement?.textContent?.trim())).toEqual([
      'Type into the app I am working in',
      'Copy to the clipboard',
      "Keep it in Attune's window",
    ]);
    // Not stored yet: the app's default, typing.
    expect(radios.map((r) => r.checked)).toEqual([true, false, false]);
    // Each choice is explained, and read with it.
    expect(screen.getByLabelText('Copy to the clipboard').getAttribute('aria-describedby')).toBe(
      'output-help-clipboard',
    );
    await vi.waitFor(() =>
      expect(screen.getByTestId('output-status').textContent).toBe(
        'Phrases are typed where the cursor is (with xdotool).',
      ),
    );
    await fireEvent.click(screen.getByTestId('output-clipboard'));
    await vi.waitFor(() => expect(patches()).toEqual([{ patch: { outputMode: 'clipboard' } }]));
    await vi.waitFor(() => expect(radios.map((r) => r.checked)).toEqual([false, true, false]));
    expect(screen.getByTestId('settings-saved').textContent).toBe('Where your words go saved.');
  });

  it('shows the one message that names the fix, and follows the app as it changes', async () => {
    const problem = 'Typing into other apps needs xdotool: install it with sudo apt-get install xdotool.';
    const { api } = setup(INFO, { ...TYPING, action: 'none', tool: null, problem });
    await vi.waitFor(() => expect(screen.getByTestId('output-problem').textContent).toBe(problem));
    expect(screen.getByRole('alert').textContent).toBe(problem);
    expect(screen.queryByTestId('output-status')).toBeNull();
    // Installed meanwhile: the next report clears it.
    api.emit('output.status', TYPING);
    await vi.waitFor(() => expect(screen.queryByTestId('output-problem')).toBeNull());
    expect(screen.getByTestId('output-status').textContent).toBe(
      'Phrases are typed where the cursor is (with xdotool).',
    );
    // A phrase that could not be typed is said too.
    api.emit('output.status', {
      ...TYPING,
      lastError: 'The last phrase could not be typed into the focused app',
    });
    await vi.waitFor(() =>
      expect(screen.getByTestId('output-problem').textContent).toBe(
        'The last phrase could not be typed into the focused app',
      ),
    );
  });
});
