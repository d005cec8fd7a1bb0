import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStoreError, openTestStore, tone, type TestStore } from './store-helpers.js';

let t: TestStore;
let sessionId: number;
beforeEach(() => {
  t = openTestStore();
  sessionId = t.store.sessions.create().id;
});
afterEach(() => t.dispose());

const clip = () => ({ samples: tone(0.2), sampleRate: 16000 });

async function segmentWithAudio(text: string, session = sessionId) {
  return t.store.appendSegment(session, { startMs: 0, endMs: 200, rawText: text }, clip());
}

describe('corrections', () => {
  it('records the fix and shows it, in one step', () => {
    const seg = t.store.segments.append(sessionId, { startMs: 0, endMs: 1, rawText: 'wreck a nice beach' });
    t.clock.advance(100);
    const c = t.store.corrections.add(seg.id, 'recognize speech');
    expect(c).toMatchObject({
      segmentId: seg.id,
      beforeText: 'wreck a nice beach',
      afterText: 'recognize speech',
      status: 'pending',
      modelVersionId: null,
      createdAt: t.clock.ms,
    });
    expect(t.store.segments.get(seg.id)).toMatchObject({
      displayText: 'recognize speech',
      editedAt: t.clock.ms,
    });
    const again = t.store.corrections.add(seg.id, 'recognise speech');
    expect(again.beforeText).toBe('recognize speech');
    expect(t.store.corrections.forSegment(seg.id).map((x) => x.id)).toEqual([c.id, again.id]);
  });

  it('refuses a correction that changes nothing, too long a text, unknown or trashed segments', () => {
    const seg = t.store.segments.append(sessionId, { startMs: 0, endMs: 1, rawText: 'same' });
    expectStoreError(() => t.store.corrections.add(seg.id, 'same'), 'BAD_ARGUMENT', 'changes nothing');
    expectStoreError(() => t.store.corrections.add(seg.id, 'x'.repeat(20_001)), 'BAD_ARGUMENT', 'too long');
    expectStoreError(() => t.store.corrections.add(31337, 'x'), 'NOT_FOUND', 'segment 31337');
    expectStoreError(() => t.store.corrections.add(0, 'x'), 'BAD_ARGUMENT', 'segment id');
    t.store.sessions.delete(sessionId);
    expectStoreError(() => t.store.corrections.add(seg.id, 'other'), 'INVALID_STATE', 'trash');
    expect(t.store.corrections.forSegment(seg.id)).toEqual([]);
  });

  it('writes neither the correction nor the text when the text update fails', () => {
    const seg = t.store.segments.append(sessionId, { startMs: 0, endMs: 1, rawText: 'before' });
    // Make the display-text update fail from another connection, after the correction row is inserted.
    const other = new Database(t.store.info.file);
    other.exec(
      `CREATE TRIGGER refuse BEFORE UPDATE OF display_text ON segments BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
    );
    expect(() => t.store.corrections.add(seg.id, 'after')).toThrow(/disk says no/);
    other.exec('DROP TRIGGER refuse');
    other.close();
    expect(t.store.corrections.forSegment(seg.id)).toEqual([]);
    expect(t.store.segments.get(seg.id).displayText).toBe('before');
  });

  it('gives the trainer one item per segment with its newest text, audio only, trash excluded', async () => {
    const a = await segmentWithAudio('i scream');
    const b = await segmentWithAudio('for candles');
    const noAudio = t.store.segments.append(sessionId, { startMs: 0, endMs: 1, rawText: 'silent' });
    const trashedSession = t.store.sessions.create().id;
    const trashed = await segmentWithAudio('gone soon', trashedSession);

    const a1 = t.store.corrections.add(a.id, 'ice cream');
    const b1 = t.store.corrections.add(b.id, 'four candles');
    const a2 = t.store.corrections.add(a.id, 'ice-cream');
    t.store.corrections.add(noAudio.id, 'spoken');
    t.store.corrections.add(trashed.id, 'gone');
    t.store.sessions.delete(trashedSession);

    const pending = t.store.corrections.pending();
    expect(pending).toEqual([
      {
        segmentId: a.id,
        sessionId,
        correctionIds: [a1.id, a2.id],
        text: 'ice-cream',
        rawText: 'i scream',
        audioPath: `audio/${sessionId}/${a.id}.wav`,
        startMs: 0,
        endMs: 200,
      },
      expect.objectContaining({ segmentId: b.id, correctionIds: [b1.id], text: 'four candles' }),
    ]);
    expect(t.store.corrections.pending({ requireAudio: false }).map((p) => p.segmentId)).toEqual([
      a.id,
      b.id,
      noAudio.id,
    ]);
    expect(t.store.corrections.pending({ limit: 1 }).map((p) => p.segmentId)).toEqual([a.id]);
    expectStoreError(() => t.store.corrections.pending({ limit: 0 }), 'BAD_ARGUMENT', 'limit');
    expect(t.store.corrections.counts()).toEqual({ pending: 4, trained: 0, 'held-out': 0 });
  });

  it('marks corrections trained by a model version, or held out, all or none', async () => {
    const a = await segmentWithAudio('one');
    const b = await segmentWithAudio('two');
    const ca = t.store.corrections.add(a.id, 'won');
    const cb = t.store.corrections.add(b.id, 'too');
    const model = t.store.models.create({ label: 'v2', dir: '/m/v2' });

    expectStoreError(
      () => t.store.corrections.markTrained([ca.id, 999], model.id),
      'NOT_FOUND',
      'correction 999',
    );
    expect(t.store.corrections.get(ca.id).status).toBe('pending'); // nothing changed
    expectStoreError(() => t.store.corrections.markTrained([ca.id], 555), 'NOT_FOUND', 'model version 555');
    expectStoreError(() => t.store.corrections.markTrained('x' as never, model.id), 'BAD_ARGUMENT', 'list');

    expect(t.store.corrections.markHeldOut([cb.id])).toBe(1);
    expect(t.store.corrections.markTrained([ca.id, ca.id], model.id)).toBe(1);
    expect(t.store.corrections.get(ca.id)).toMatchObject({ status: 'trained', modelVersionId: model.id });
    expectStoreError(
      () => t.store.corrections.markTrained([ca.id], model.id),
      'INVALID_STATE',
      'trained, not pending',
    );
    expect(t.store.corrections.pending()).toEqual([]);
    expect(t.store.corrections.learnt().map((h) => [h.segmentId, h.text])).toEqual([[a.id, 'won']]);
    expect(t.store.corrections.heldOut().map((h) => [h.segmentId, h.text])).toEqual([[b.id, 'too']]);
    expect(t.store.corrections.counts()).toEqual({ pending: 0, trained: 1, 'held-out': 1 });

    // A later fix of a trained segment is pending again, with the newest text (learnt shows it too).
    const again = t.store.corrections.add(a.id, 'one!');
    expect(t.store.corrections.pending()).toEqual([
      expect.objectContaining({ correctionIds: [again.id], text: 'one!' }),
    ]);
    expect(t.store.corrections.learnt()).toEqual([
      expect.objectContaining({ correctionIds: [ca.id], text: 'one!' }),
    ]);
  });

  it('goes with its segment when the session is purged (cascade)', async () => {
    const seg = await segmentWithAudio('cascade');
    const c = t.store.corrections.add(seg.id, 'cascaded');
    t.store.sessions.delete(sessionId);
    await t.store.purgeDeleted(0);
    expectStoreError(() => t.store.corrections.get(c.id), 'NOT_FOUND');
    const db = new Database(t.store.info.file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM corrections').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM segments').pluck().get()).toBe(0);
    db.close();
  });
});
