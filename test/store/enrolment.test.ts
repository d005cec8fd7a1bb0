import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrolmentTake } from '../../src-main/store/store.js';
import { expectStoreError, openTestStore, tone, type TestStore } from './store-helpers.js';

let t: TestStore;
beforeEach(() => {
  t = openTestStore();
});
afterEach(() => t.dispose());

/** A take of `seconds` of tone (what was read does not matter to the store). */
function take(promptId: string, promptText: string, heard: string, seconds = 1.5): EnrolmentTake {
  return {
    promptId,
    promptText,
    heard,
    device: 'default',
    audio: { samples: tone(seconds), sampleRate: 16000 },
  };
}

describe('enrolment takes', () => {
  it('stores a take as a segment with its clip and a pending correction to the prompt, in one Enrolment session', async () => {
    expect(t.store.enrolment.current()).toBeNull();
    expect(t.store.enrolment.everStarted()).toBe(false);
    const a = await t.store.addEnrolmentTake(take('p001', 'The cat sat.', 'the cat sad'));
    const b = await t.store.addEnrolmentTake(take('p002', 'A dog ran.', 'a dog ran', 2));

    const session = t.store.enrolment.current()!;
    expect(session).toMatchObject({ title: 'Enrolment', status: 'done', device: 'default' });
    expect(a.segment.sessionId).toBe(session.id);
    expect(b.segment.sessionId).toBe(session.id);
    expect(a.segment).toMatchObject({
      rawText: 'the cat sad',
      displayText: 'The cat sat.',
      startMs: 0,
      endMs: 1500,
    });
    // Takes follow one another on the session's timeline.
    expect(b.segment).toMatchObject({ startMs: 1500, endMs: 3500 });
    expect(existsSync(t.store.clips.absolutePath(a.segment.audioPath!))).toBe(true);
    expect(a.correction).toMatchObject({
      beforeText: 'the cat sad',
      afterText: 'The cat sat.',
      status: 'pending',
      source: 'enrolment',
    });

    // The trainer sees both as pending items with audio, whatever their source.
    expect(t.store.corrections.pending().map((i) => [i.segmentId, i.text])).toEqual([
      [a.segment.id, 'The cat sat.'],
      [b.segment.id, 'A dog ran.'],
    ]);
    expect(t.store.enrolment.items(session.id)).toEqual([
      expect.objectContaining({
        promptId: 'p001',
        status: 'recorded',
        segmentId: a.segment.id,
        durationMs: 1500,
        heard: 'the cat sad',
      }),
      expect.objectContaining({
        promptId: 'p002',
        status: 'recorded',
        segmentId: b.segment.id,
        durationMs: 2000,
      }),
    ]);
    // History lists it like any session.
    expect(t.store.sessions.list().items[0]).toMatchObject({
      id: session.id,
      segmentCount: 2,
      correctionCount: 2,
    });
  });

  it('records a take the model heard exactly: an enrolment correction that changes nothing is still trained on', async () => {
    const r = await t.store.addEnrolmentTake(take('p001', 'hello there', 'hello there'));
    expect(r.correction).toMatchObject({
      beforeText: 'hello there',
      afterText: 'hello there',
      source: 'enrolment',
    });
    expect(t.store.corrections.counts().pending).toBe(1);
    // A user's correction that changes nothing is still refused.
    expectStoreError(
      () => t.store.corrections.add(r.segment.id, 'hello there'),
      'BAD_ARGUMENT',
      'changes nothing',
    );
    const fix = t.store.corrections.add(r.segment.id, 'Hello there!');
    expect(fix.source).toBe('user');
  });

  it('replaces a re-recorded take, its clip and its correction, and keeps the others', async () => {
    const first = await t.store.addEnrolmentTake(take('p001', 'One.', 'won'));
    const other = await t.store.addEnrolmentTake(take('p002', 'Two.', 'too'));
    t.store.corrections.markHeldOut([first.correction.id]);
    const again = await t.store.addEnrolmentTake(take('p001', 'One.', 'one', 1));

    expect(again.segment.id).not.toBe(first.segment.id);
    expect(() => t.store.segments.get(first.segment.id)).toThrow(/does not exist/);
    expect(existsSync(t.store.clips.absolutePath(first.segment.audioPath!))).toBe(false);
    expect(existsSync(t.store.clips.absolutePath(other.segment.audioPath!))).toBe(true);
    expect(() => t.store.corrections.get(first.correction.id)).toThrow(/does not exist/);
    // The old take was held back; the new one is a fresh pending item, the other take untouched.
    expect(t.store.corrections.heldOut()).toEqual([]);
    expect(t.store.corrections.pending().map((i) => i.segmentId)).toEqual([
      other.segment.id,
      again.segment.id,
    ]);
    const session = t.store.enrolment.current()!;
    expect(t.store.enrolment.items(session.id).map((i) => [i.promptId, i.segmentId])).toEqual([
      ['p001', again.segment.id],
      ['p002', other.segment.id],
    ]);
  });

  it('remembers skipped prompts across reopening, and refuses to skip a recorded one', async () => {
    await t.store.addEnrolmentTake(take('p001', 'One.', 'one'));
    const session = t.store.enrolment.current()!;
    t.clock.advance(10);
    expect(t.store.enrolment.skip(session.id, 'p002')).toMatchObject({
      promptId: 'p002',
      status: 'skipped',
      segmentId: null,
    });
    expectStoreError(() => t.store.enrolment.skip(session.id, 'p001'), 'INVALID_STATE', 'already recorded');
    expectStoreError(() => t.store.enrolment.skip(session.id, 'no good'), 'BAD_ARGUMENT', 'prompt id');

    const store = t.reopen();
    // A session kept open over days is no interrupted recording.
    expect(store.info.recovered).toEqual([]);
    expect(store.enrolment.current()!.id).toBe(session.id);
    expect(store.enrolment.items(session.id).map((i) => [i.promptId, i.status])).toEqual([
      ['p001', 'recorded'],
      ['p002', 'skipped'],
    ]);
    // Recording a skipped prompt makes it recorded.
    await store.addEnrolmentTake(take('p002', 'Two.', 'two'));
    expect(store.enrolment.items(session.id).find((i) => i.promptId === 'p002')?.status).toBe('recorded');
  });

  it('starts a new enrolment when the last one is in the trash, and still knows one was started', async () => {
    await t.store.addEnrolmentTake(take('p001', 'One.', 'one'));
    const old = t.store.enrolment.current()!;
    t.store.sessions.delete(old.id);
    expect(t.store.enrolment.current()).toBeNull();
    expect(t.store.enrolment.everStarted()).toBe(true);
    const r = await t.store.addEnrolmentTake(take('p001', 'One.', 'one'));
    expect(r.segment.sessionId).not.toBe(old.id);
    // Purging the old one takes its progress with it.
    await t.store.purgeSession(old.id);
    expect(t.store.enrolment.items(old.id)).toEqual([]);
  });

  it('refuses a take when audio is not kept, and leaves nothing behind', async () => {
    t.store.settings.set('keepAudio', false);
    await expect(t.store.addEnrolmentTake(take('p001', 'One.', 'one'))).rejects.toThrow(/Keep the audio/);
    expect(t.store.sessions.list().total).toBe(0);
  });

  it('refuses an empty prompt text and bad prompt ids without storing a segment', async () => {
    await expect(t.store.addEnrolmentTake(take('p001', '  ', 'one'))).rejects.toThrow(
      /prompt text cannot be empty/,
    );
    await expect(t.store.addEnrolmentTake(take('../x', 'One.', 'one'))).rejects.toThrow(/prompt id/);
    const session = t.store.enrolment.current()!;
    expect(t.store.sessions.withSegments(session.id).segments).toEqual([]);
  });
});
