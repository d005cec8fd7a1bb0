// The stand-in app (node --import tsx test/reliability/app-child.ts '<json config>'): what `attune serve`
// runs — startApp, with its engine and trainer processes, behind the web shell — but with what a crash test
// needs and the command has no option for: a tiny base model, a training recipe sized for it, no language
// model. Prints the address as serve does; stops on SIGTERM, and by itself after maxMs so it can never
// outlive a test that died.
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { startApp } from '../../src-main/app/app.js';
import { startWebShell, type WebShell } from '../../src-main/app/web-shell.js';
import type { PersonalTrainingConfig } from '../../src-main/personal/personal-training.js';

export interface StandInConfig {
  dataDir: string;
  /** The model the app treats as shipped: the fallback, and what a personal model replays. */
  baseModelDir: string;
  /** Personal training settings (a small recipe for a tiny model). */
  training?: Partial<PersonalTrainingConfig>;
  /** Word language model for finals; null: none (faster to start). */
  languageModel?: string | null; // null
  /** The stand-in exits by itself after this long, in ms. */
  maxMs?: number; // 600_000
}

async function main(config: StandInConfig): Promise<void> {
  setTimeout(() => process.exit(1), config.maxMs ?? 600_000).unref();
  // The shell starts after the app, whose clip addresses it gives.
  const started: { shell?: WebShell } = {};
  const app = await startApp({
    dataDir: config.dataDir,
    baseModelDir: config.baseModelDir,
    backend: 'wasm',
    languageModel: config.languageModel ?? null,
    training: config.training,
    audioUrl: (id) => started.shell?.audioUrl(id) ?? null,
    output: { env: { PATH: process.env.PATH ?? '' } },
  });
  const shell = await startWebShell({
    router: app.router,
    staticDir: join(config.dataDir, 'no-renderer'),
    segmentAudio: (id) => app.store.segmentAudio(id),
  });
  started.shell = shell;
  writeSync(1, `Attune (stand-in) is running:\n${shell.url}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await shell.close();
      await app.close();
      process.exit(0);
    })();
  });
}

if (process.argv[1] && /app-child\.ts$/.test(process.argv[1])) {
  const arg = process.argv[2];
  if (!arg) throw new Error("usage: app-child.ts '<json config>'");
  await main(JSON.parse(arg) as StandInConfig);
}
