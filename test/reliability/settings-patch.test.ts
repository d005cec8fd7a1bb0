// A settings patch applies whole or not at all (handlers.ts says so of its checks): it must also be stored
// whole. A reader of the database sees exactly what a SIGKILL at that instant would leave on disk (every
// commit is durable against the death of the process), so a reader that ever finds half a patch shows that a
// kill can leave one. The settings crash scenario finds the same by killing `attune serve` (see the soak).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src-main/store/config.js';
import type { RunningApp } from './app-process.js';
import { appFolder, type AppFolder } from './scenarios/app-scenario.js';
import { fromRows, type Patch, patchFor } from './scenarios/settings.js';

/** How long the reader watches the patches go by, in ms. */
const WATCH_MS = 3000;

/** Whether `state` is some patch whole: disabledCommands names the patch, every other key must agree. */
function wholePatch(state: Patch): boolean {
  const n = Number(/^command-(\d+)$/.exec(state.disabledCommands?.[0] ?? '')?.[1] ?? NaN);
  return Number.isInteger(n) && JSON.stringify(state) === JSON.stringify(patchFor(n));
}

let f: AppFolder;
let app: RunningApp;
/** Patches the app said it saved while the reader watched, and the states it found that are no whole patch. */
let saved = 0;
const halves: Patch[] = [];

beforeAll(async () => {
  f = await appFolder('settings-patch', undefined, { settings: patchFor(0) });
  app = await f.launch();
  const db = new Database(join(f.dataDir, DB_FILE_NAME), { readonly: true });
  try {
    const read = db.prepare('SELECT key, value FROM settings');
    let sending = true;
    let next = 1;
    // Twenty requests in flight at a time, so the app commits without pause while the reader looks.
    const sender = (async () => {
      while (sending) {
        const batch = Array.from({ length: 20 }, () => patchFor(next++));
        await Promise.all(batch.map((patch) => app.api.call('settings.set', { patch })));
        saved += batch.length;
      }
    })();
    const deadline = Date.now() + WATCH_MS;
    while (Date.now() < deadline && halves.length === 0) {
      for (let i = 0; i < 50; i++) {
        const state = fromRows(read.all() as { key: string; value: string }[]);
        if (!wholePatch(state)) halves.push(state);
      }
      await new Promise((r) => setImmediate(r));
    }
    sending = false;
    await sender;
  } finally {
    db.close();
  }
}, 60_000);

afterAll(async () => {
  await app?.stop();
  f?.remove();
});

describe('settings patches in the database', () => {
  it('were saved back to back while the reader watched', () => {
    expect(saved).toBeGreaterThanOrEqual(20);
  });

  // The handler stores a patch with SettingsStore.setAll: one transaction.
  it('never hold half a patch, for a reader or a kill to find', () => {
    expect(halves).toEqual([]);
  });
});
