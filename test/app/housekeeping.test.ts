// The store's upkeep on a real SQLite store and audio folder: the trash empties as trashRetentionDays says,
// crash leftovers go, and no clip the database names is ever removed; at app start and periodically after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Housekeeper, type HousekeepingReport, tidyStore } from '../../src-main/app/housekeeping.js';
import { Store } from '../../src-main/store/store.js';
import { cleanUp, openTestStore, tempDir, type TestStore } from '../store/store-helpers.js';
import { startTestApp } from './app-helpers.js';

const DAY = 24 * 60 * 60 * 1000;
const stores: TestStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const t of stores.splice(0)) t.dispose();
  cleanUp(...dirs.splice(0));
});

const clip = { samples: new Float32Array(1600).fill(0.1), sampleRate: 16000 };

/** The pid of a process that has ended, as a killed writer's leftovers are named. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/** A session with `n` segments, each with its clip; returns its id and the segment ids. */
async function session(store: Store, title: string, n = 2): Promise<{ id: number; segments: number[] }> {
  const { id } = store.sessions.create({ title });
  const segments: number[] = [];
  for (let i = 0; i < n; i++)
    segments.push(
      (await store.appendSegment(id, { startMs: i, endMs: i + 1, rawText: `${title} ${i}` }, clip)).id,
    );
  return { id, segments };
}

/** Crash leftovers in a session's audio folder; returns the ones that must go and the one that must stay. */
function leftovers(dataDir: string, sessionId: number): { gone: string[]; kept: string } {
  const dir = join(dataDir, 'audio', String(sessionId));
  const dead = `.9001.wav.${deadPid()}-a1b2c3.tmp`; // a write killed before its rename
  const live = `.9002.wav.${process.pid}-d4e5f6.tmp`; // a write of this very process, in progress
  writeFileSync(join(dir, dead), 'half a clip');
  writeFileSync(join(dir, live), 'being written');
  writeFileSync(join(dir, '9003.wav'), 'a clip whose row was never written');
  mkdirSync(join(dataDir, 'audio', '4242'));
  writeFileSync(join(dataDir, 'audio', '4242', '1.wav'), 'a clip of a session that is gone');
  const rel = (name: string) => `audio/${sessionId}/${name}`;
  return { gone: [rel(dead), rel('9003.wav'), 'audio/4242/1.wav'], kept: rel(live) };
}

/** Every clip the database names exists and decodes. */
async function everyNamedClipDecodes(store: Store, segmentIds: number[]): Promise<void> {
  for (const id of segmentIds) expect((await store.segmentAudio(id)).status, `segment ${id}`).toBe('ok');
}

describe('tidyStore', () => {
  it('empties the trash past its retention and removes crash leftovers, never a clip the database names', async () => {
    const t = openTestStore();
    stores.push(t);
    const { store, clock } = t;
    const live = await session(store, 'kept');
    const old = await session(store, 'deleted long ago');
    const recent = await session(store, 'deleted yesterday');
    store.sessions.delete(old.id);
    clock.advance(30 * DAY);
    store.sessions.delete(recent.id);
    clock.advance(DAY);
    const { gone, kept } = leftovers(t.dir, live.id);

    const report = await tidyStore(store); // retention: the default 30 days
    expect(report.purgedSessions).toEqual([old.id]);
    // The purged session's clips went with it; the leftovers went; nothing else did.
    expect(report.removedClips.sort()).toEqual(gone.sort());
    expect(existsSync(join(t.dir, 'audio', String(old.id)))).toBe(false);
    expect(existsSync(join(t.dir, kept))).toBe(true);
    await everyNamedClipDecodes(store, live.segments);
    expect(store.sessions.get(recent.id).deletedAt).not.toBeNull();
    store.sessions.restore(recent.id);
    await everyNamedClipDecodes(store, recent.segments);
    expect(() => store.sessions.get(old.id)).toThrow(/does not exist/);
    // A round with nothing to do changes nothing.
    expect(await tidyStore(store)).toEqual({ purgedSessions: [], removedClips: [] });
  });

  it('follows the retention setting: 0 days empties the trash at the next round', async () => {
    const t = openTestStore();
    stores.push(t);
    const s = await session(t.store, 'deleted just now');
    t.store.sessions.delete(s.id);
    expect((await tidyStore(t.store)).purgedSessions).toEqual([]);
    t.store.settings.set('trashRetentionDays', 0);
    expect((await tidyStore(t.store)).purgedSessions).toEqual([s.id]);
  });
});

describe('Housekeeper', () => {
  it('runs a round at start and then periodically, until stopped', async () => {
    const t = openTestStore();
    stores.push(t);
    t.store.settings.set('trashRetentionDays', 0);
    const rounds: HousekeepingReport[] = [];
    const keeper = new Housekeeper(t.store, (r) => rounds.push(r!), { intervalMs: 50 });
    const first = await session(t.store, 'first');
    t.store.sessions.delete(first.id);
    expect((await keeper.start())!.purgedSessions).toEqual([first.id]);
    // Deleted while the app runs: gone by a later round, without a restart.
    const second = await session(t.store, 'second');
    t.store.sessions.delete(second.id);
    await expect
      .poll(() => rounds.flatMap((r) => r.purgedSessions), { timeout: 5000 })
      .toEqual([first.id, second.id]);
    await keeper.stop();
    const third = await session(t.store, 'third');
    t.store.sessions.delete(third.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.store.sessions.get(third.id).deletedAt).not.toBeNull();
  });

  it('reports a failed round and carries on', async () => {
    const t = openTestStore();
    stores.push(t);
    const errors: string[] = [];
    const keeper = new Housekeeper(t.store, (_r, e) => errors.push(e!.message), { intervalMs: 60_000 });
    // An audio "folder" that is a file cannot be listed.
    writeFileSync(join(t.dir, 'audio'), 'not a folder');
    expect(await keeper.start()).toBeNull();
    expect(errors[0]).toMatch(/audio/);
    await keeper.stop();
  });
});

describe('the app at start', () => {
  it('empties the expired trash and sweeps crash leftovers of the last run', async () => {
    const dataDir = tempDir('attune-housekeeping-app-');
    dirs.push(dataDir);
    let store = Store.open({ dataDir });
    const live = await session(store, 'kept');
    const trashed = await session(store, 'in the trash');
    store.sessions.delete(trashed.id);
    store.settings.set('trashRetentionDays', 0);
    store.close();
    const { gone, kept } = leftovers(dataDir, live.id);

    const t = await startTestApp({ dataDir });
    try {
      await expect
        .poll(() => gone.filter((p) => existsSync(join(dataDir, p))), { timeout: 10_000 })
        .toEqual([]);
      store = t.app.store;
      expect(() => store.sessions.get(trashed.id)).toThrow(/does not exist/);
      await everyNamedClipDecodes(store, live.segments);
      expect(existsSync(join(dataDir, kept))).toBe(true);
      expect(readdirSync(join(dataDir, 'audio')).sort()).toEqual([String(live.id)]);
    } finally {
      await t.close();
    }
  }, 60_000);
});
