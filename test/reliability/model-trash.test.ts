// What a kill leaves in the models folder is gone after the next start. Removing a folder renames it aside
// first (model/folder-recovery.ts), so a kill mid-removal leaves "<name>.trash-<pid>-<ms>" beside it. The app
// removes such leftovers at start: its job folder's, the half-saves of model folders, and a model folder's own
// trash, which a discarded model leaves when the kill comes mid-removal (personal-training.ts discardJob: a
// job cancelled after its trainer saved the model, before it reported the result).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src-main/store/store.js';
import { PersonalTraining } from '../../src-main/personal/personal-training.js';
import { cleanUp, tempDir } from '../store/store-helpers.js';

const dirs: string[] = [];
afterEach(() => cleanUp(...dirs.splice(0)));

/** The pid of a process that has ended: what a killed process's leftovers are named by. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/** A data folder holding the leftovers a killed removal and a killed save left in models/. */
function leftovers(): { dataDir: string; modelsDir: string } {
  const dataDir = tempDir('attune-model-trash-');
  dirs.push(dataDir);
  const modelsDir = join(dataDir, 'models');
  const pid = deadPid();
  for (const name of [`personal-2.trash-${pid}-1`, `.personal-3.tmp-${pid}-1`]) {
    mkdirSync(join(modelsDir, name), { recursive: true });
    writeFileSync(join(modelsDir, name, 'model.safetensors'), 'half');
  }
  return { dataDir, modelsDir };
}

/** What the app does with a data folder at start, before any job: PersonalTraining.resumeUnfinished. */
function startUp(dataDir: string): void {
  const store = Store.open({ dataDir });
  try {
    const training = new PersonalTraining({
      store,
      dataDir,
      baseModelDir: join(dataDir, 'base'),
      models: { runningDir: join(dataDir, 'base'), activate: async () => undefined },
      emit: () => {},
    });
    training.resumeUnfinished();
  } finally {
    store.close();
  }
}

describe('leftovers in the models folder after a restart', () => {
  it('a killed save is removed', () => {
    const { dataDir, modelsDir } = leftovers();
    startUp(dataDir);
    expect(readdirSync(modelsDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a killed removal of a model folder is finished', () => {
    const { dataDir, modelsDir } = leftovers();
    startUp(dataDir);
    expect(readdirSync(modelsDir).filter((n) => n.includes('.trash-'))).toEqual([]);
  });
});
