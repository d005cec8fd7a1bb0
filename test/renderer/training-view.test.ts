import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { Settings, TrainingStatus } from '../../src-main/ipc/contract.js';
import type { ModelVersion } from '../../src-main/store/types.js';
import TrainingView from '../../src-renderer/src/views/TrainingView.svelte';
import { contractApi } from './contract-api.js';

const T0 = 1_700_000_000_000;

function status(patch: Partial<TrainingStatus> = {}): TrainingStatus {
  return {
    state: 'idle',
    pendingCorrections: 0,
    autoTrain: true,
    progress: null,
    lastResult: null,
    error: null,
    lossCurve: [],
    ...patch,
  };
}

/** Metrics as the app stores them for a measured version (see training/guard.ts). */
function measured(userBefore: number, userAfter: number, replayBefore: number, replayAfter: number) {
  const set = (wer: number, utterances: number) => ({ wer, cer: wer / 2, utterances });
  return {
    user: { before: set(userBefore, 4), after: set(userAfter, 4) },
    replay: { before: set(replayBefore, 30), after: set(replayAfter, 30) },
    lossCurve: [
      { step: 1, loss: 3 },
      { step: 2, loss: 2 },
    ],
  };
}

const BASE: ModelVersion = {
  id: 1,
  label: 'base',
  dir: '/models/base',
  parentId: null,
  createdAt: T0,
  metrics: {},
  status: 'active',
  reason: 'the model Attune ships with',
};

/** The app's training side in memory: the handlers change it as the main process would. */
function trainingApi(initial: Partial<TrainingStatus> = {}, versions: ModelVersion[] = [BASE]) {
  const state = { status: status(initial), versions };
  let settings: Settings = { autoTrain: true, autoTrainAfter: 20, lexiconBoost: true };
  const activate = (id: number, reason: string) => {
    state.versions = state.versions.map((v) =>
      v.id === id
        ? { ...v, status: 'active' as const, reason }
        : v.status === 'active'
          ? { ...v, status: 'retired' as const, reason: `replaced by version ${id}` }
          : v,
    );
    return state.versions.find((v) => v.id === id)!;
  };
  const api = contractApi({
    'training.status': () => state.status,
    'training.start': () => {
      if (state.status.pendingCorrections === 0)
        throw new Error('there are no new corrections with audio to learn from');
      state.status = { ...state.status, state: 'training', progress: null, lossCurve: [] };
      return state.status;
    },
    'training.cancel': () => (state.status = { ...state.status, state: 'idle', progress: null }),
    'models.list': () => state.versions,
    'models.activate': ({ id }: { id: number }) => activate(id, 'chosen by the user'),
    'models.resetToBase': () => activate(1, 'reset to the model Attune ships with'),
    'settings.get': () => settings,
    'settings.set': ({ patch }: { patch: Settings }) => (settings = { ...settings, ...patch }),
  });
  render(TrainingView, { api });
  const called = (method: string) => api.calls.filter((c) => c.method === method);
  return { api, state, called };
}

const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, ' ').trim();

describe('TrainingView', () => {
  it('says why Train now cannot be pressed while there is nothing to learn from', async () => {
    trainingApi();
    const button = (await vi.waitFor(() =>
      screen.getByRole('button', { name: 'Train now' }),
    )) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(text('pending-corrections')).toBe('0');
    // The reason is the button's description, so a screen reader reads it with the button.
    expect(button.getAttribute('aria-describedby')).toBe('train-why');
    expect(text('train-why')).toBe('No corrections to learn from yet: correct a phrase in History first.');
    expect(text('training-state')).toBe('Idle');
  });

  it('starts a run; shows phase, step, loss, ETA and the growing loss curve; cancels it', async () => {
    const { api, called } = trainingApi({ pendingCorrections: 5 });
    const button = (await vi.waitFor(() =>
      screen.getByRole('button', { name: 'Train now' }),
    )) as HTMLButtonElement;
    await vi.waitFor(() => expect(button.disabled).toBe(false));
    expect(text('train-why')).toBe('');
    await fireEvent.click(button);
    await vi.waitFor(() => expect(called('training.start')).toHaveLength(1));
    await vi.waitFor(() => expect(text('training-state')).toBe('Training'));
    expect(button.disabled).toBe(true);
    expect(text('train-why')).toBe('Training is running.');

    const curve = [
      { step: 1, loss: 2.5 },
      { step: 2, loss: 2.1 },
      { step: 3, loss: 1.8 },
    ];
    api.emit(
      'training.status',
      status({
        state: 'training',
        pendingCorrections: 5,
        progress: { step: 3, steps: 200, loss: 1.8, etaSec: 83, phase: 'training' },
        lossCurve: curve,
      }),
    );
    await vi.waitFor(() => expect(text('training-step')).toBe('step 3 / 200'));
    expect(text('training-phase')).toBe('Training');
    expect(text('training-loss')).toBe('loss 1.800');
    expect(text('training-eta')).toBe('about 1:23 left');
    const bar = screen.getByRole('progressbar') as HTMLProgressElement;
    expect(bar.value).toBe(3);
    expect(bar.max).toBe(200);
    expect(screen.getByLabelText('Training: step 3 of 200')).toBe(bar);
    // One vertex per loss point, falling as the loss falls (SVG y grows downwards).
    const ys = screen
      .getByTestId('loss-line')
      .getAttribute('points')!
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    expect(ys).toHaveLength(3);
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[2]);
    expect(screen.getByTestId('loss-curve').getAttribute('aria-label')).toBe(
      'Training loss from 2.50 at step 1 to 1.80 at step 3',
    );

    api.emit(
      'training.status',
      status({
        state: 'evaluating',
        pendingCorrections: 5,
        progress: { step: 40, steps: 200, loss: 0, etaSec: 0, phase: 'evaluating' },
        lossCurve: curve,
      }),
    );
    await vi.waitFor(() => expect(text('training-phase')).toBe('Measuring'));
    expect(text('training-state')).toBe('Measuring the new model');
    expect(text('training-eta')).toBe('');

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await vi.waitFor(() => expect(called('training.cancel')).toHaveLength(1));
    await vi.waitFor(() =>
      expect(text('training-notice')).toBe('Training cancelled: nothing of the run was kept.'),
    );
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('shows what came of a run and lists the new version with its accuracy, status and reason', async () => {
    const { api, state, called } = trainingApi({ state: 'training', pendingCorrections: 6 });
    await vi.waitFor(() => expect(text('training-state')).toBe('Training'));
    const listed = called('models.list').length;
    const reason =
      'kept the current model: on your 4 held-back corrections the new model\u2019s word error rate is 50.0%, which does not improve on the current 40.0%';
    state.versions = [
      {
        ...BASE,
        id: 2,
        label: 'personal 1',
        dir: '/data/models/personal-1',
        parentId: 1,
        createdAt: T0 + 1000,
        metrics: measured(0.4, 0.5, 0.2, 0.21),
        status: 'rejected',
        reason,
      },
      BASE,
    ];
    api.emit(
      'training.status',
      status({
        pendingCorrections: 6,
        lastResult: { promoted: false, reason, before: 0.4, after: 0.5 },
        lossCurve: [
          { step: 1, loss: 3 },
          { step: 2, loss: 2 },
        ],
      }),
    );
    // The run ended: the versions are read again.
    await vi.waitFor(() => expect(called('models.list').length).toBe(listed + 1));
    await vi.waitFor(() => expect(screen.getAllByTestId('version')).toHaveLength(2));
    expect(text('last-result')).toBe(
      'Last run: new model not kept. Word errors on your held-back phrases 40.0% → 50.0%, 25% more errors. ' +
        `Other voices (general speech): 20.0% → 21.0%, 5% more errors. ${reason}`,
    );
    const [rejected, base] = screen.getAllByTestId('version');
    expect(within(rejected).getByTestId('version-status').textContent).toBe('Rejected');
    expect(within(rejected).getByTestId('version-user-wer').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      '40.0% → 50.0% on 4 phrases',
    );
    expect(within(rejected).getByTestId('version-replay-wer').textContent?.trim()).toBe('20.0% → 21.0%');
    expect(within(rejected).getByTestId('version-reason').textContent).toBe(reason);
    // A rejected model was never kept: it cannot be used.
    expect(within(rejected).queryByRole('button')).toBeNull();
    expect(within(base).getByTestId('version-status').textContent).toBe('In use');
    expect((screen.getByRole('button', { name: 'Reset to base' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('loss-curve').getAttribute('aria-label')).toBe(
      'Training loss from 3.00 at step 1 to 2.00 at step 2',
    );
  });

  it('rolls back to a retired version in one click, and resets to base', async () => {
    const personal: ModelVersion = {
      ...BASE,
      id: 2,
      label: 'personal 1',
      dir: '/data/models/personal-1',
      parentId: 1,
      createdAt: T0 + 1000,
      metrics: measured(0.4, 0.2, 0.2, 0.2),
      status: 'active',
      reason: 'promoted: word errors on your 4 held-back corrections fell from 40.0% to 20.0%',
    };
    const { api, called } = trainingApi({}, [
      personal,
      { ...BASE, status: 'retired', reason: 'replaced by personal 1' },
    ]);
    const reset = (await vi.waitFor(() =>
      screen.getByRole('button', { name: 'Reset to base' }),
    )) as HTMLButtonElement;
    await vi.waitFor(() => expect(reset.disabled).toBe(false));
    expect(screen.getAllByRole('button', { name: /^Use / }).map((b) => b.getAttribute('aria-label'))).toEqual(
      ['Use base'],
    );

    await fireEvent.click(reset);
    await vi.waitFor(() => expect(called('models.resetToBase')).toHaveLength(1));
    await vi.waitFor(() => expect(text('training-notice')).toBe('Now using the model Attune ships with.'));
    await vi.waitFor(() => expect(reset.disabled).toBe(true));
    const use = screen.getByRole('button', { name: 'Use personal 1' });
    expect(use.textContent).toBe('Use this version');
    await fireEvent.click(use);
    await vi.waitFor(() => expect(called('models.activate').map((c) => c.args)).toEqual([{ id: 2 }]));
    await vi.waitFor(() => expect(text('training-notice')).toBe('Now using personal 1.'));
    const statuses = screen.getAllByTestId('version-status').map((s) => s.textContent);
    expect(statuses).toEqual(['In use', 'Retired']);
    // models.changed from another window is followed too.
    const before = called('models.list').length;
    api.emit('models.changed', { active: null });
    await vi.waitFor(() => expect(called('models.list').length).toBe(before + 1));
  });

  it('switches automatic training and sets after how many corrections', async () => {
    const { called } = trainingApi();
    const toggle = (await vi.waitFor(() => screen.getByRole('switch'))) as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    const after = screen.getByLabelText('after') as HTMLInputElement;
    await vi.waitFor(() => expect(after.value).toBe('20'));
    await fireEvent.input(after, { target: { value: '5' } });
    await fireEvent.change(after);
    await vi.waitFor(() =>
      expect(called('settings.set').map((c) => c.args)).toEqual([{ patch: { autoTrainAfter: 5 } }]),
    );
    await fireEvent.input(after, { target: { value: '0' } });
    await fireEvent.change(after);
    await vi.waitFor(() => expect(text('training-error')).toMatch(/whole number of corrections from 1/));
    await fireEvent.click(toggle);
    await vi.waitFor(() =>
      expect(called('settings.set').at(-1)!.args).toEqual({ patch: { autoTrain: false } }),
    );
    await vi.waitFor(() => expect(after.disabled).toBe(true));
  });

  it('says once, while it trains on, that training left the GPU', async () => {
    const { api } = trainingApi({ pendingCorrections: 5 });
    await vi.waitFor(() => expect(text('training-state')).toBe('Idle'));
    expect(screen.queryByTestId('training-moved')).toBeNull();
    const notice =
      'Training moved from the GPU (WebGPU) to the CPU (wasm) at step 12: the GPU device was lost';
    api.emit(
      'training.status',
      status({
        state: 'training',
        progress: { step: 13, steps: 200, loss: 1, etaSec: 60, phase: 'training' },
        notice,
      }),
    );
    await vi.waitFor(() => expect(text('training-moved')).toBe(notice));
    expect(screen.getByTestId('training-moved').getAttribute('role')).toBe('status');
    expect(text('training-step')).toBe('step 13 / 200');
  });

  it('says where training computes, with the reason for every backend it did not use', async () => {
    const { api } = trainingApi({ pendingCorrections: 5 });
    await vi.waitFor(() => expect(text('training-state')).toBe('Idle'));
    expect(screen.queryByTestId('training-backend')).toBeNull();
    const description = [
      'TensorFlow.js backend: wasm (1 thread(s), SIMD)',
      '  ✗ webgpu          webgpu: no GPU device (/dev/dri has no render node)',
      '  ✗ tensorflow-gpu  tfjs-node-gpu: not installed',
      '  ✓ wasm            wasm: 1 thread(s), SIMD',
    ].join('\n');
    api.emit('training.status', status({ state: 'training', backend: { name: 'wasm', description } }));
    await vi.waitFor(() => expect(screen.queryByTestId('training-backend')).not.toBeNull());
    const rungs = within(screen.getByTestId('training-backend-why')).getAllByRole('listitem');
    expect(rungs.map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '✗ webgpu webgpu: no GPU device (/dev/dri has no render node)',
      '✗ tensorflow-gpu tfjs-node-gpu: not installed',
      '✓ wasm wasm: 1 thread(s), SIMD',
    ]);
    expect(text('training-backend')!.startsWith('wasm')).toBe(true);
  });

  it('shows the reason the app refuses a run', async () => {
    const { state } = trainingApi({ pendingCorrections: 1 });
    const button = (await vi.waitFor(() =>
      screen.getByRole('button', { name: 'Train now' }),
    )) as HTMLButtonElement;
    await vi.waitFor(() => expect(button.disabled).toBe(false));
    state.status = { ...state.status, pendingCorrections: 0 };
    await fireEvent.click(button);
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'there are no new corrections with audio to learn from',
      ),
    );
  });
});
