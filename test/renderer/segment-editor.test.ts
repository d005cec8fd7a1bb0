import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import type { Correction, Segment } from '../../src-main/store/types.js';
import SegmentEditor from '../../src-renderer/src/components/SegmentEditor.svelte';
import { SessionDetailModel } from '../../src-renderer/src/lib/session-detail.svelte.js';
import { contractApi, segmentOf } from './contract-api.js';

/** A segment whose second and fourth words the model was unsure of. */
function heardSegment(extra: Partial<Segment> = {}): Segment {
  const s = segmentOf(4, 0, 'Please coll my sistr', extra);
  s.words = s.words.map((w, i) => ({ ...w, confidence: i % 2 === 1 ? 0.3 : 0.95 }));
  return s;
}

function setup(segment: Segment, pending = 3) {
  let stored = segment;
  const api = contractApi({
    'segments.correct': ({ segmentId, text }: { segmentId: number; text: string }) => {
      if (text === stored.displayText) return { segment: stored, correction: null };
      const correction: Correction = {
        id: 1,
        segmentId,
        beforeText: stored.displayText,
        afterText: text,
        createdAt: Date.now(),
        status: 'pending',
        source: 'user',
        modelVersionId: null,
      };
      stored = { ...stored, displayText: text, editedAt: Date.now() };
      return { segment: stored, correction };
    },
    'training.status': () => ({
      state: 'idle' as const,
      pendingCorrections: pending,
      autoTrain: false,
      progress: null,
      lastResult: null,
      error: null,
    }),
    'segments.audioUrl': () => ({ url: null }),
  });
  const detail = new SessionDetailModel(api, segment.sessionId);
  detail.segments = [segment];
  // The editor shows the model's copy of the segment, as SessionDetail passes it.
  const view = render(SegmentEditor, { segment, detail });
  const sync = () => view.rerender({ segment: detail.segments[0], detail });
  return { api, detail, sync };
}

describe('SegmentEditor', () => {
  it('marks the words the model was unsure of', () => {
    setup(heardSegment());
    const low = screen.getAllByTestId('low-word').map((w) => w.textContent);
    expect(low).toEqual(['coll', 'sistr']);
    expect(screen.getByText('Heard (2 unsure):')).toBeTruthy();
    expect(screen.getAllByTestId('low-word')[0].getAttribute('aria-label')).toBe('coll, confidence 30%');
  });

  it('edits in place; saving queues the correction for training, says so, and shows the diff', async () => {
    const { api, sync } = setup(heardSegment());
    expect(screen.queryByTestId('diff')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Correct phrase 1' }));
    const draft = screen.getByTestId('draft') as HTMLTextAreaElement;
    expect(draft.value).toBe('Please coll my sistr');
    expect(document.activeElement).toBe(draft);
    await fireEvent.input(draft, { target: { value: 'Please call my sister' } });
    await fireEvent.keyDown(draft, { key: 'Enter', ctrlKey: true });
    await vi.waitFor(() =>
      expect(screen.getByTestId('correction-message').textContent?.trim()).toBe(
        'Saved. Queued for personal training (3 corrections waiting).',
      ),
    );
    sync();
    await vi.waitFor(() =>
      expect(screen.getByTestId('segment-text').textContent).toBe('Please call my sister'),
    );
    const diff = screen.getByTestId('diff');
    expect([...diff.querySelectorAll('del')].map((e) => e.textContent)).toEqual(['coll', 'sistr']);
    expect([...diff.querySelectorAll('ins')].map((e) => e.textContent)).toEqual(['call', 'sister']);
    expect(screen.getByText('corrected')).toBeTruthy();
    expect(api.calls.find((c) => c.method === 'segments.correct')?.args).toEqual({
      segmentId: 401,
      text: 'Please call my sister',
    });
  });

  it('saving the same text is no correction', async () => {
    setup(heardSegment());
    await fireEvent.click(screen.getByRole('button', { name: 'Correct phrase 1' }));
    await fireEvent.click(screen.getByTestId('save'));
    await vi.waitFor(() =>
      expect(screen.getByTestId('correction-message').textContent?.trim()).toBe('No change to save.'),
    );
  });

  it('Escape cancels the edit', async () => {
    const { api } = setup(heardSegment());
    await fireEvent.click(screen.getByRole('button', { name: 'Correct phrase 1' }));
    await fireEvent.input(screen.getByTestId('draft'), { target: { value: 'something else' } });
    await fireEvent.keyDown(screen.getByTestId('draft'), { key: 'Escape' });
    expect(screen.queryByTestId('draft')).toBeNull();
    expect(screen.getByTestId('segment-text').textContent).toBe('Please coll my sistr');
    expect(api.calls).toEqual([]);
  });

  it('shows why a correction was refused', async () => {
    setup(heardSegment());
    await fireEvent.click(screen.getByRole('button', { name: 'Correct phrase 1' }));
    await fireEvent.input(screen.getByTestId('draft'), { target: { value: 'x'.repeat(10_001) } });
    await fireEvent.click(screen.getByTestId('save'));
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toContain('bad arguments for segments.correct'),
    );
    // The editor stays open with the text, to fix and save again.
    expect(screen.getByTestId('draft')).toBeTruthy();
  });

  it('offers playback only for phrases with audio', () => {
    setup(heardSegment());
    expect(screen.queryByTestId('play')).toBeNull();
    expect((screen.getAllByTestId('word')[0] as HTMLButtonElement).disabled).toBe(true);
  });

  it('says when a phrase has no clip to play', async () => {
    setup(heardSegment({ audioPath: 'audio/4/401.wav' }));
    await fireEvent.click(screen.getByTestId('play'));
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('No audio was kept for this phrase.'),
    );
  });
});
