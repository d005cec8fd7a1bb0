import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { StoreOptions } from '../../src-main/store/config.js';
import { StoreError, type StoreErrorCode } from '../../src-main/store/errors.js';
import { Store } from '../../src-main/store/store.js';

/** A clock the test moves by hand: records get known times. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 0, 2, 3, 4, 5)) {}
  now = (): number => this.ms;
  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }
}

/** A fresh temporary folder; remove it with cleanUp. */
export function tempDir(prefix = 'attune-store-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cleanUp(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export interface TestStore {
  store: Store;
  clock: TestClock;
  dir: string;
  reopen(opts?: Partial<StoreOptions>): Store;
  dispose(): void;
}

/** A store in its own temporary folder, on a test clock. */
export function openTestStore(opts: Partial<StoreOptions> = {}): TestStore {
  const dir = tempDir();
  const clock = new TestClock();
  const t: TestStore = {
    store: Store.open({ dataDir: dir, now: clock.now, ...opts }),
    clock,
    dir,
    reopen(more = {}) {
      t.store.close();
      t.store = Store.open({ dataDir: dir, now: clock.now, ...opts, ...more });
      return t.store;
    },
    dispose() {
      t.store.close();
      cleanUp(dir);
    },
  };
  return t;
}

/** Runs fn and checks it throws a StoreError with this code whose message mentions each given part. */
export function expectStoreError(
  fn: () => unknown,
  code: StoreErrorCode,
  ...mentions: (string | RegExp)[]
): StoreError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  return checkStoreError(thrown, code, mentions);
}

export async function expectStoreErrorAsync(
  promise: Promise<unknown>,
  code: StoreErrorCode,
  ...mentions: (string | RegExp)[]
): Promise<StoreError> {
  const thrown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return checkStoreError(thrown, code, mentions);
}

function checkStoreError(thrown: unknown, code: StoreErrorCode, mentions: (string | RegExp)[]): StoreError {
  expect(thrown, 'expected a StoreError to be thrown').toBeInstanceOf(StoreError);
  const err = thrown as StoreError;
  expect(err.code, err.message).toBe(code);
  for (const m of mentions) {
    if (typeof m === 'string') expect(err.message).toContain(m);
    else expect(err.message).toMatch(m);
  }
  return err;
}

/** A 16 kHz tone, as a segment's clip. */
export function tone(seconds: number, freqHz = 440, sampleRate = 16000): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = 0.3 * Math.sin((2 * Math.PI * freqHz * i) / sampleRate);
  return out;
}
