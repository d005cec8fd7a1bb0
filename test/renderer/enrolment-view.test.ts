import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import type {
  EnrolmentStatus,
  EnrolmentTake,
  Settings,
  TrainingStatus,
} from '../../src-main/ipc/contract.js';
import type { EnrolmentItem } from '../../src-main/store/enrolment.js';
import type { ModelVersion } from '../../src-main/store/types.js';
import { Enrolment } from '../../src-renderer/src/lib/enrolment.svelte.js';
import EnrolmentView from '../../src-renderer/src/views/EnrolmentView.svelte';
import { contractApi } from './contract-api.js';

const PROMPTS = [
  { id: 'p001', text: 'The quick brown fox jumps over the lazy dog.' },
  { id: 'p002', text: 'She usually measures the flour twice.' },
  { id: 'p003', text: 'Please bring your thick winter jacket.' },
];

function idleTraining(patch: Partial<TrainingStatus> = {}): TrainingStatus {
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

/**
 * The app's enrolment side in memory: takes are recorded until enrolment.stop, stored with what "the
 * model" heard, skipped prompts come back at the end; training starts from the pending takes.
 */
function enrolmentApi(opts: { items?: EnrolmentItem[]; minTakes?: number; failNext?: string } = {}) {
  const state = {
    items: [...(opts.items ?? [])],
    recording: null as EnrolmentStatus['recording'],
    training: idleTraining({ pendingCorrections: opts.items?.length ?? 0 }),
    versions: [] as ModelVersion[],
    settings: { enrolmentDeclined: false } as Settings,
    failNext: opts.failNext ?? null,
  };
  let stopTake: ((discard: boolean) => void) | null = null;
  /** Settles when the take being recorded is stored or refused: enrolment.stop answers after it, as the app does. */
  let takeDone: Promise<unknown> = Promise.resolve();
  let nextSegment = 100;
  const status = (): EnrolmentStatus => {
    const done = new Map(state.items.map((i) => [i.promptId, i.status]));
    const next =
      PROMPTS.find((p) => !done.has(p.id)) ?? PROMPTS.find((p) => done.get(p.id) === 'skipped') ?? null;
    const recorded = state.items.filter((i) => i.status === 'recorded');
    return {
      sessionId: state.items.length > 0 ? 7 : null,
      prompts: PROMPTS.length,
      items: state.items,
      recorded: recorded.length,
      skipped: state.items.length - recorded.length,
      speechMs: recorded.reduce((n, i) => n + i.durationMs, 0),
      next: next?.id ?? null,
      recording: state.recording,
      minTakes: opts.minTakes ?? 2,
      targetMs: 300_000,
      offer: false,
    };
  };
  const record = async (promptId: string) => {
    state.recording = { promptId, startedAt: 1 };
    api.emit('enrolment.status', status());
    const discard = await new Promise<boolean>((resolve) => (stopTake = resolve));
    state.recording = null;
    if (state.failNext) {
      const message = state.failNext;
      state.failNext = null;
      api.emit('enrolment.status', status());
      throw Object.assign(new Error(message), { code: 'NO_SPEECH' });
    }
    let take: EnrolmentTake | null = null;
    if (!discard) {
      take = { promptId, segmentId: nextSegment++, heard: 'the quick brown box', durationMs: 3000 };
      state.items = [
        ...state.items.filter((i) => i.promptId !== promptId),
        {
          promptId,
          status: 'recorded',
          segmentId: take.segmentId,
          durationMs: 3000,
          heard: take.heard,
          updatedAt: 1,
        },
      ];
      state.training = { ...state.training, pendingCorrections: state.training.pendingCorrections + 1 };
      api.emit('training.status', state.training);
    }
    api.emit('enrolment.status', status());
    return { take, status: status() };
  };
  const api = contractApi({
    'enrolment.prompts': () => ({
      prompts: PROMPTS,
      source: 'Source: written for the test. Licence: CC0 1.0.',
    }),
    'enrolment.status': () => status(),
    'enrolment.record': ({ promptId }: { promptId: string }) => {
      const recording = record(promptId);
      takeDone = recording.catch(() => undefined);
      return recording;
    },
    'enrolment.stop': async ({ discard }: { discard?: boolean }) => {
      stopTake?.(discard ?? false);
      await takeDone;
      return status();
    },
    'enrolment.skip': ({ promptId }: { promptId: string }) => {
      state.items = [
        ...state.items,
        { promptId, status: 'skipped', segmentId: null, durationMs: 0, heard: null, updatedAt: 1 },
      ];
      return status();
    },
    'segments.audioUrl': ({ segmentId }: { segmentId: number }) => ({
      url: `http://127.0.0.1/audio/${segmentId}`,
    }),
    'training.status': () => state.training,
    'training.start': () => (state.training = { ...state.training, state: 'training' }),
    'models.list': () => state.versions,
    'settings.get': () => state.settings,
    'settings.set': ({ patch }: { patch: Settings }) => (state.settings = { ...state.settings, ...patch }),
  });
  const enrolment = new Enrolment(api);
  const off = enrolment.connect();
  render(EnrolmentView, { api, enrolment });
  const called = (method: string) => api.calls.filter((c) => c.method === method);
  return { api, state, status, called, enrolment, off };
}

const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, ' ').trim();
const button = (name: string | RegExp) => screen.getByRole('button', { name }) as HTMLButtonElement;

describe('EnrolmentView', () => {
  it('shows one prompt at a time with the progress in minutes, and where the sentences come from', async () => {
    enrolmentApi();
    await vi.waitFor(() => expect(text('prompt-text')).toBe(PROMPTS[0].text));
    expect(text('prompt-number')).toBe('Sentence 1 of 3');
    expect(text('enrolment-progress')).toBe('0.0 min of about 5.0 min recorded 0 of 3 sentences recorded');
    expect(text('enrolment-source')).toBe(
      'About the sentences: Source: written for the test. Licence: CC0 1.0.',
    );
    expect(button('Record').disabled).toBe(false);
    expect(screen.queryByRole('button', { name: 'Play back' })).toBeNull();
  });

  it('records a take with the live level, then offers to play it back, record it again or go on', async () => {
    const { api, called } = enrolmentApi();
    await fireEvent.click(await vi.waitFor(() => button('Record')));
    await vi.waitFor(() => expect(button('Stop')).toBeTruthy());
    expect(text('enrol-state')).toBe('Recording… read the sentence, then press Stop.');
    expect(called('enrolment.record').map((c) => c.args)).toEqual([{ promptId: 'p001' }]);
    const meter = screen.getByRole('meter', { name: 'Input level' });
    api.emit('enrolment.level', { rmsDb: -18.4, peakDb: -6 });
    await vi.waitFor(() => expect(meter.getAttribute('aria-valuenow')).toBe('-18'));

    await fireEvent.click(button('Stop'));
    await vi.waitFor(() => expect(button('Record again')).toBeTruthy());
    // The meter falls back to its floor once the take is over.
    expect(meter.getAttribute('aria-valuenow')).toBe('-60');
    expect(text('prompt-text')).toBe(PROMPTS[0].text);
    expect(text('enrol-heard')).toBe('Attune heard: the quick brown box');
    expect(text('enrolment-minutes')).toBe('0.1 min');
    expect(text('enrolment-counts')).toBe('1 of 3 sentences recorded');

    await fireEvent.click(button('Next sentence'));
    expect(text('prompt-text')).toBe(PROMPTS[1].text);
    expect(text('prompt-number')).toBe('Sentence 2 of 3');
  });

  it('records a prompt again in place of its take, and skips one to come back to at the end', async () => {
    const { called } = enrolmentApi();
    await fireEvent.click(await vi.waitFor(() => button('Record')));
    await fireEvent.click(await vi.waitFor(() => button('Stop')));
    await fireEvent.click(await vi.waitFor(() => button('Record again')));
    await fireEvent.click(await vi.waitFor(() => button('Stop')));
    await vi.waitFor(() => expect(button('Record again')).toBeTruthy());
    expect(called('enrolment.record').map((c) => c.args)).toEqual([
      { promptId: 'p001' },
      { promptId: 'p001' },
    ]);
    expect(text('enrolment-counts')).toBe('1 of 3 sentences recorded');

    await fireEvent.click(button('Next sentence'));
    await fireEvent.click(button('Skip'));
    await vi.waitFor(() => expect(text('prompt-text')).toBe(PROMPTS[2].text));
    expect(called('enrolment.skip').map((c) => c.args)).toEqual([{ promptId: 'p002' }]);
    expect(text('enrolment-counts')).toBe('1 of 3 sentences recorded, 1 skipped');
    await fireEvent.click(button('Record'));
    await fireEvent.click(await vi.waitFor(() => button('Stop')));
    await fireEvent.click(await vi.waitFor(() => button('Next sentence')));
    // Every other prompt done: the skipped one comes back.
    expect(text('prompt-text')).toBe(PROMPTS[1].text);
  });

  it('goes on where the user stopped, as the app remembers it', async () => {
    enrolmentApi({
      items: [
        { promptId: 'p001', status: 'recorded', segmentId: 5, durationMs: 90_000, heard: 'x', updatedAt: 1 },
      ],
    });
    await vi.waitFor(() => expect(text('prompt-text')).toBe(PROMPTS[1].text));
    expect(text('enrolment-minutes')).toBe('1.5 min');
    expect((screen.getByRole('progressbar') as HTMLProgressElement).value).toBeCloseTo(0.3);
  });

  it('says why a take was not kept', async () => {
    enrolmentApi({
      failNext:
        'nothing was heard in this take (loudest -71 dB): check the microphone, then read the sentence again',
    });
    await fireEvent.click(await vi.waitFor(() => button('Record')));
    await fireEvent.click(await vi.waitFor(() => button('Stop')));
    await vi.waitFor(() =>
      expect(text('enrolment-error')).toBe(
        'nothing was heard in this take (loudest -71 dB): check the microphone, then read the sentence again',
      ),
    );
    expect(button('Record').disabled).toBe(false);
    expect(text('enrolment-counts')).toBe('0 of 3 sentences recorded');
  });

  it('offers "Train on my voice" once enough is recorded, shows the run, then what changed in words', async () => {
    const { api, state, called } = enrolmentApi({ minTakes: 2 });
    const train = await vi.waitFor(() => button('Train on my voice'));
    expect(train.disabled).toBe(true);
    expect(train.getAttribute('aria-describedby')).toBe('enrol-train-why');
    expect(text('enrol-train-why')).toBe('Record 2 more sentences first.');
    for (const next of [true, false]) {
      await fireEvent.click(button(/^Record/));
      await fireEvent.click(await vi.waitFor(() => button('Stop')));
      await vi.waitFor(() => button('Next sentence'));
      if (next) await fireEvent.click(button('Next sentence'));
    }
    await vi.waitFor(() => expect(text('enrol-train-why')).toBe(''));
    expect(train.disabled).toBe(false);
    await fireEvent.click(train);
    await vi.waitFor(() => expect(called('training.start')).toHaveLength(1));
    api.emit(
      'training.status',
      idleTraining({
        state: 'training',
        pendingCorrections: 2,
        progress: { step: 40, steps: 200, loss: 1.25, etaSec: 65, phase: 'training' },
      }),
    );
    await vi.waitFor(() => expect(text('training-step')).toBe('step 40 / 200'));
    expect(text('training-state')).toBe('Training');
    expect(text('enrol-train-why')).toBe('Training is running.');

    const reason = 'promoted: word errors on your 2 held-back corrections fell from 85.0% to 52.0%';
    state.versions = [
      {
        id: 2,
        label: 'personal 1',
        dir: '/data/models/personal-1',
        parentId: null,
        createdAt: 1,
        metrics: {
          user: { before: { wer: 0.85, utterances: 2 }, after: { wer: 0.52, utterances: 2 } },
          replay: { before: { wer: 0.16 }, after: { wer: 0.18 } },
        },
        status: 'active',
        reason,
      },
    ];
    api.emit(
      'training.status',
      idleTraining({ lastResult: { promoted: true, reason, before: 0.85, after: 0.52 } }),
    );
    await vi.waitFor(() =>
      expect(text('last-result')).toBe(
        'Last run: new model kept. Word errors on your held-back phrases 85.0% → 52.0%, 39% fewer errors. ' +
          `Other voices (general speech): 16.0% → 18.0%, 12% more errors. ${reason}`,
      ),
    );
    expect(text('enrol-train-why')).toBe(
      'Everything recorded so far has been trained on: record more sentences first.',
    );
  });
});
