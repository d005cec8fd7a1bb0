// Where the crash tests kill: moments drawn from a seeded generator, so that any failure can be replayed.
// Each run draws a new seed unless ATTUNE_CRASH_SEED gives one; every kill is printed with the seed and the
// moment, and replaying the seed replays the same moments (a scenario's points share one data folder, so
// point n is replayed by running points 0..n again).
import { mulberry32 } from '../../src-main/speech/prng.js';

export const CRASH_SEED_ENV = 'ATTUNE_CRASH_SEED';

/** The seed of this run: ATTUNE_CRASH_SEED when set, else a new one. */
export function crashSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[CRASH_SEED_ENV];
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`${CRASH_SEED_ENV} must be a whole number from 0 to 4294967295, got ${given}`);
  return seed;
}

/** FNV-1a of the name: each scenario its own stream, whichever others run before it. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The generator of one scenario's kill moments: uniform numbers in [0, 1). */
export function momentSource(seed: number, scenario: string): () => number {
  return mulberry32((seed ^ nameHash(scenario)) >>> 0);
}

/** The line that replays a failure at kill point `point` (0-based; null: the restart after the last one). */
export function replayHint(seed: number, scenario: string, point: number | null): string {
  const where = point === null ? 'the restart after the last kill point' : `kill point ${point + 1}`;
  return `replay with ${CRASH_SEED_ENV}=${seed} (scenario "${scenario}", ${where})`;
}
