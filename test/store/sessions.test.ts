import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  expectStoreError,
  expectStoreErrorAsync,
  openTestStore,
  tone,
  type TestStore,
} from './store-helpers.js';

let t: TestStore;
beforeEach(() => {
  t = openTestStore();
});
afterEach(() => t.dispose());

const DAY_MS = 86_400_000;

describe('sessions', () => {
  it('creates a recording session with a default title, or the given one cleaned to one line', () => {
    const a = t.store.sessions.create();
    expect(a).toMatchObject({ status: 'recording', createdAt: t.clock.ms, endedAt: null, deletedAt: null });
    expect(a.title).toMatch(/^Dictation \d{4}-\d\d-\d\d \d\d:\d\d$/);
    const b = t.store.sessions.create({ title: '  Weekly\n  notes\t ', device: ' USB mic ' });
    expect(b.title).toBe('Weekly notes');
    expect(b.device).toBe('USB mic');
    expect(b.id).toBeGreaterThan(a.id);
  });

  it('links a session to a model version that exists, and refuses one that does not', () => {
    const model = t.store.models.create({ label: 'base', dir: '/models/base' });
    expect(t.store.sessions.create({ modelVersionId: model.id }).modelVersionId).toBe(model.id);
    expectStoreError(() => t.store.sessions.create({ modelVersionId: 77 }), 'NOT_FOUND', 'model version 77');
  });

  it('ends a recording session once', () => {
    const s = t.store.sessions.create();
    t.clock.advance(5000);
    const ended = t.store.sessions.end(s.id);
    expect(ended).toMatchObject({ status: 'done', endedAt: t.clock.ms });
    expectStoreError(() => t.store.sessions.end(s.id), 'INVALID_STATE', `session ${s.id}`, 'done');
  });

  it('renames, refusing empty and oversized titles', () => {
    const s = t.store.sessions.create();
    expect(t.store.sessions.rename(s.id, 'Call with Sam').title).toBe('Call with Sam');
    expectStoreError(() => t.store.sessions.rename(s.id, '   \n '), 'BAD_ARGUMENT', 'title', 'empty');
    expectStoreError(() => t.store.sessions.rename(s.id, 'x'.repeat(201)), 'BAD_ARGUMENT', 'too long', '201');
    expectStoreError(() => t.store.sessions.rename(s.id, 42 as unknown as string), 'BAD_ARGUMENT', 'title');
    expect(t.store.sessions.get(s.id).title).toBe('Call with Sam');
  });

  it('refuses ids that are not positive whole numbers, and reports unknown ones', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '1', null, undefined, 2 ** 60]) {
      expectStoreError(() => t.store.sessions.get(bad as number), 'BAD_ARGUMENT', 'session id');
    }
    expectStoreError(() => t.store.sessions.get(12345), 'NOT_FOUND', 'session 12345 does not exist');
    expectStoreError(() => t.store.sessions.rename(12345, 'x'), 'NOT_FOUND', 'session 12345');
  });

  it('lists newest first with pagination, counts, duration and a preview cut at a word', () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(t.store.sessions.create({ title: `S${i}` }).id);
      t.clock.advance(1000);
    }
    const busy = ids[3];
    const long = 'the quick brown fox jumps over the lazy dog '.repeat(4).trim();
    t.store.segments.append(busy, { startMs: 0, endMs: 2000, rawText: long });
    const second = t.store.segments.append(busy, { startMs: 2500, endMs: 4200, rawText: long });
    t.store.corrections.add(second.id, 'the quick red fox');

    const page1 = t.store.sessions.list({ limit: 3 });
    expect(page1.total).toBe(7);
    expect(page1.items.map((s) => s.title)).toEqual(['S6', 'S5', 'S4']);
    const page3 = t.store.sessions.list({ limit: 3, offset: 6 });
    expect(page3.items.map((s) => s.title)).toEqual(['S0']);
    const all = t.store.sessions.list().items;
    expect(all.map((s) => s.id)).toEqual([...ids].reverse());

    const summary = all.find((s) => s.id === busy)!;
    expect(summary).toMatchObject({ segmentCount: 2, correctionCount: 1, durationMs: 4200 });
    expect(summary.preview.length).toBeLessThanOrEqual(160);
    expect(summary.preview.endsWith('…')).toBe(true);
    const shown = summary.preview.slice(0, -1);
    expect(`${long} the quick red fox`.startsWith(shown)).toBe(true);
    expect(`${long} the quick red fox`[shown.length]).toBe(' '); // cut between words
    expect(all.find((s) => s.id === ids[0])).toMatchObject({ segmentCount: 0, durationMs: 0, preview: '' });
  });

  it('refuses bad paging', () => {
    expectStoreError(() => t.store.sessions.list({ limit: 0 }), 'BAD_ARGUMENT', 'limit');
    expectStoreError(() => t.store.sessions.list({ limit: 1001 }), 'BAD_ARGUMENT', 'limit');
    expectStoreError(() => t.store.sessions.list({ offset: -1 }), 'BAD_ARGUMENT', 'offset');
  });

  it('returns a session with its segments in order', () => {
    const s = t.store.sessions.create();
    for (const text of ['one', 'two', 'three'])
      t.store.segments.append(s.id, { startMs: 0, endMs: 1, rawText: text });
    const { session, segments } = t.store.sessions.withSegments(s.id);
    expect(session.id).toBe(s.id);
    expect(segments.map((g) => [g.seq, g.rawText])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [2, 'three'],
    ]);
  });
});

describe('trash: soft delete, restore, purge', () => {
  it('hides a deleted session from lists and search, and restores it whole', () => {
    const s = t.store.sessions.create({ title: 'Oops' });
    t.store.segments.append(s.id, { startMs: 0, endMs: 1, rawText: 'findable words' });
    const deleted = t.store.sessions.delete(s.id);
    expect(deleted.deletedAt).toBe(t.clock.ms);
    expect(t.store.sessions.list().total).toBe(0);
    expect(t.store.sessions.list({ deleted: true }).items.map((x) => x.id)).toEqual([s.id]);
    expect(t.store.search('findable').total).toBe(0);
    expectStoreError(() => t.store.sessions.rename(s.id, 'x'), 'INVALID_STATE', 'trash');
    expectStoreError(
      () => t.store.segments.append(s.id, { startMs: 0, endMs: 1, rawText: 'x' }),
      'INVALID_STATE',
      'trash',
    );

    t.clock.advance(1000);
    t.store.sessions.delete(s.id); // deleting again keeps the first time
    expect(t.store.sessions.get(s.id).deletedAt).toBe(deleted.deletedAt);

    expect(t.store.sessions.restore(s.id).deletedAt).toBeNull();
    expect(t.store.sessions.list().items[0]).toMatchObject({ id: s.id, segmentCount: 1 });
    expect(t.store.search('findable').sessions.map((h) => h.session.id)).toEqual([s.id]);
  });

  it('purges only sessions deleted long enough ago, with segments, corrections and audio', async () => {
    const old = t.store.sessions.create({ title: 'old' });
    const seg = await t.store.appendSegment(
      old.id,
      { startMs: 0, endMs: 500, rawText: 'old words' },
      { samples: tone(0.5), sampleRate: 16000 },
    );
    const fix = t.store.corrections.add(seg.id, 'older words');
    const keep = t.store.sessions.create({ title: 'kept' });
    t.store.sessions.delete(old.id);
    t.clock.advance(2 * DAY_MS);
    t.store.sessions.delete(keep.id); // deleted just now
    const audioDir = join(t.dir, 'audio', String(old.id));
    expect(existsSync(audioDir)).toBe(true);

    expect(await t.store.purgeDeleted(30 * DAY_MS)).toEqual([]);
    expect(await t.store.purgeDeleted(DAY_MS)).toEqual([old.id]);
    expectStoreError(() => t.store.sessions.get(old.id), 'NOT_FOUND');
    expectStoreError(() => t.store.segments.get(seg.id), 'NOT_FOUND');
    expectStoreError(() => t.store.corrections.get(fix.id), 'NOT_FOUND');
    expect(existsSync(audioDir)).toBe(false);
    expect(t.store.sessions.get(keep.id).deletedAt).not.toBeNull();

    expect(await t.store.purgeDeleted(0)).toEqual([keep.id]);
    expectStoreError(() => t.store.sessions.purgeDeleted(-1), 'BAD_ARGUMENT', 'olderThanMs');
  });

  it('purges a single session only from the trash', async () => {
    const s = t.store.sessions.create();
    await expectStoreErrorAsync(t.store.purgeSession(s.id), 'INVALID_STATE', 'not in the trash');
    t.store.sessions.delete(s.id);
    await t.store.purgeSession(s.id);
    expect(t.store.sessions.find(s.id)).toBeUndefined();
  });
});

describe('recovery after a crash', () => {
  it('marks sessions left recording as interrupted on open, ended at their last segment, segments kept', () => {
    const crashed = t.store.sessions.create({ title: 'crashed' });
    t.clock.advance(1000);
    t.store.segments.append(crashed.id, { startMs: 0, endMs: 900, rawText: 'first' });
    t.clock.advance(1000);
    const lastAt = t.clock.ms;
    t.store.segments.append(crashed.id, { startMs: 900, endMs: 1900, rawText: 'second' });
    const empty = t.store.sessions.create({ title: 'no segments' });
    const done = t.store.sessions.create({ title: 'done' });
    t.store.sessions.end(done.id);
    t.clock.advance(60_000);

    const store = t.reopen();
    expect(store.info.recovered).toEqual([crashed.id, empty.id]);
    expect(store.sessions.get(crashed.id)).toMatchObject({ status: 'interrupted', endedAt: lastAt });
    expect(store.sessions.get(empty.id)).toMatchObject({ status: 'interrupted', endedAt: empty.createdAt });
    expect(store.sessions.get(done.id).status).toBe('done');
    expect(store.sessions.withSegments(crashed.id).segments.map((s) => s.rawText)).toEqual([
      'first',
      'second',
    ]);
    expect(t.reopen().info.recovered).toEqual([]);
  });

  it('leaves recording sessions alone when recoverOnOpen is off (a second, reading process)', () => {
    const s = t.store.sessions.create();
    const store = t.reopen({ recoverOnOpen: false });
    expect(store.info.recovered).toEqual([]);
    expect(store.sessions.get(s.id).status).toBe('recording');
  });
});
