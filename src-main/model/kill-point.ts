// Named points where crash tests kill a process deterministically. With ATTUNE_KILL_POINT=<name> in its
// environment, a process that reaches killPoint(<name>) says so on stderr ("kill point <name>") and stops
// there for good, so the test can SIGKILL it at exactly that moment (e.g. between writing a folder and
// renaming it into place). Without the variable, which nothing but tests sets, a kill point does nothing.

import { writeSync } from 'node:fs';

export const KILL_POINT_ENV = 'ATTUNE_KILL_POINT';

export function killPoint(name: string): void {
  if (process.env[KILL_POINT_ENV] !== name) return;
  writeSync(2, `kill point ${name}\n`);
  // Block the thread itself: no timer, callback or pending write may move the process past this point.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}
