import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStoreError, openTestStore, type TestStore } from './store-helpers.js';

let t: TestStore;
beforeEach(() => {
  t = openTestStore();
});
afterEach(() => t.dispose());

describe('model versions', () => {
  it('creates candidates with metrics, lists newest first, and reads them back', () => {
    const base = t.store.models.create({ label: 'base', dir: '/models/base', metrics: { wer: 0.21 } });
    t.clock.advance(1000);
    const tuned = t.store.models.create({
      label: ' tuned 1 ',
      dir: '/data/models/1',
      parentId: base.id,
      metrics: { wer: 0.18, perSpeaker: { me: 0.12 }, steps: [1, 2] },
    });
    expect(base).toMatchObject({ status: 'candidate', parentId: null, reason: null, metrics: { wer: 0.21 } });
    expect(tuned).toMatchObject({ label: 'tuned 1', parentId: base.id, createdAt: base.createdAt + 1000 });
    expect(t.store.models.get(tuned.id).metrics).toEqual({
      wer: 0.18,
      perSpeaker: { me: 0.12 },
      steps: [1, 2],
    });
    expect(t.store.models.list().map((m) => m.id)).toEqual([tuned.id, base.id]);
    expect(t.store.models.active()).toBeNull();
  });

  it('refuses bad specs', () => {
    expectStoreError(() => t.store.models.create({ label: '  ', dir: '/m' }), 'BAD_ARGUMENT', 'label');
    expectStoreError(() => t.store.models.create({ label: 'x', dir: '' }), 'BAD_ARGUMENT', 'folder');
    expectStoreError(
      () => t.store.models.create({ label: 'x', dir: '/m', parentId: 9 }),
      'NOT_FOUND',
      'model version 9',
    );
    expectStoreError(
      () => t.store.models.create({ label: 'x', dir: '/m', metrics: [1] as never }),
      'BAD_ARGUMENT',
      'metrics',
    );
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expectStoreError(
      () => t.store.models.create({ label: 'x', dir: '/m', metrics: loop }),
      'BAD_ARGUMENT',
      'JSON',
    );
    expectStoreError(
      () => t.store.models.create({ label: 'x', dir: '/m', status: 'active' as never }),
      'BAD_ARGUMENT',
      'setActive',
    );
    expectStoreError(() => t.store.models.get(0), 'BAD_ARGUMENT', 'model version id');
    expect(t.store.models.list()).toEqual([]);
  });

  it('keeps exactly one active: setActive retires the previous one in the same transaction', () => {
    const base = t.store.models.create({ label: 'base', dir: '/m/base' });
    const v1 = t.store.models.create({ label: 'v1', dir: '/m/v1', parentId: base.id });
    expect(t.store.models.setActive(base.id).status).toBe('active');
    const active = t.store.models.setActive(v1.id, 'WER 0.18 < 0.21 on held-out');
    expect(active).toMatchObject({ id: v1.id, status: 'active', reason: 'WER 0.18 < 0.21 on held-out' });
    expect(t.store.models.get(base.id)).toMatchObject({
      status: 'retired',
      reason: 'replaced by v1 (version 2)',
    });
    expect(
      t.store.models
        .list()
        .filter((m) => m.status === 'active')
        .map((m) => m.id),
    ).toEqual([v1.id]);
    expect(t.store.models.setActive(v1.id).status).toBe('active'); // already active: unchanged
    expect(t.store.models.active()?.id).toBe(v1.id);
    expectStoreError(() => t.store.models.setActive(99), 'NOT_FOUND', 'model version 99');
    expect(t.store.models.active()?.id).toBe(v1.id);
  });

  it('has the database refuse a second active version whatever writes it', () => {
    const a = t.store.models.create({ label: 'a', dir: '/a' });
    const b = t.store.models.create({ label: 'b', dir: '/b' });
    t.store.models.setActive(a.id);
    const db = new Database(t.store.info.file);
    expect(() => db.prepare(`UPDATE model_versions SET status = 'active' WHERE id = ?`).run(b.id)).toThrow(
      /UNIQUE/,
    );
    db.close();
  });

  it('updates label, metrics, status and reason, but never into or out of active', () => {
    const a = t.store.models.create({ label: 'a', dir: '/a' });
    const updated = t.store.models.update(a.id, {
      metrics: { wer: 0.3 },
      status: 'rejected',
      reason: 'worse WER',
    });
    expect(updated).toMatchObject({
      label: 'a',
      metrics: { wer: 0.3 },
      status: 'rejected',
      reason: 'worse WER',
    });
    expectStoreError(
      () => t.store.models.update(a.id, { status: 'active' as never }),
      'BAD_ARGUMENT',
      'setActive',
    );
    t.store.models.setActive(a.id);
    expectStoreError(() => t.store.models.update(a.id, { status: 'retired' }), 'INVALID_STATE', 'active');
    expect(t.store.models.update(a.id, { label: 'renamed' })).toMatchObject({
      label: 'renamed',
      status: 'active',
    });
  });

  it('deletes a non-active version, clearing references to it; refuses to delete the active one', () => {
    const base = t.store.models.create({ label: 'base', dir: '/base' });
    const child = t.store.models.create({ label: 'child', dir: '/child', parentId: base.id });
    t.store.models.setActive(child.id);
    const session = t.store.sessions.create({ modelVersionId: base.id });
    const seg = t.store.segments.append(session.id, { startMs: 0, endMs: 1, rawText: 'a' });
    const c = t.store.corrections.add(seg.id, 'b');
    t.store.corrections.markTrained([c.id], base.id);

    expectStoreError(() => t.store.models.delete(child.id), 'INVALID_STATE', 'active');
    t.store.models.delete(base.id);
    expectStoreError(() => t.store.models.get(base.id), 'NOT_FOUND');
    expect(t.store.models.get(child.id).parentId).toBeNull();
    expect(t.store.sessions.get(session.id).modelVersionId).toBeNull();
    expect(t.store.corrections.get(c.id)).toMatchObject({ status: 'trained', modelVersionId: null });
  });
});
