// The crash checks themselves: each finds what it is there to find in a data folder broken on purpose, and
// nothing in a sound one.
import {
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src-main/store/config.js';
import { Store } from '../../src-main/store/store.js';
import { saveTinyModel } from '../app/app-helpers.js';
import { cleanUp, tempDir } from '../store/store-helpers.js';
import { clipProblems, databaseProblems, modelFolderProblems, oneOf } from './invariants.js';

const dirs: string[] = [];
afterEach(() => cleanUp(...dirs.splice(0)));

/** A data folder with one session of three segments, each with its clip; returns the clips' paths. */
async function dataFolder(): Promise<{ dataDir: string; clips: string[] }> {
  const dataDir = tempDir('attune-invariants-');
  dirs.push(dataDir);
  const store = Store.open({ dataDir });
  const session = store.sessions.create({ title: 'Checked' });
  const clips: string[] = [];
  for (let i = 0; i < 3; i++) {
    const samples = new Float32Array(1600).fill(0.1); // [1600] 0.1 s
    const seg = await store.appendSegment(
      session.id,
      { startMs: i * 100, endMs: i * 100 + 100, rawText: `phrase ${i}` },
      { samples, sampleRate: 16000 },
    );
    clips.push(store.clips.absolutePath(seg.audioPath!));
  }
  store.close();
  return { dataDir, clips };
}

describe('the crash invariants', () => {
  it('find nothing wrong in a sound data folder', async () => {
    const { dataDir } = await dataFolder();
    expect(databaseProblems(dataDir)).toEqual([]);
    expect(await clipProblems(dataDir)).toEqual([]);
  });

  it('find a clip the database names that is gone, or cut short', async () => {
    const { dataDir, clips } = await dataFolder();
    rmSync(clips[0]);
    truncateSync(clips[1], 30);
    const problems = await clipProblems(dataDir);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^the clip of segment \d+ \(audio\/\d+\/\d+\.wav\)/);
  });

  it('find a database whose pages were overwritten', async () => {
    const { dataDir } = await dataFolder();
    const file = join(dataDir, DB_FILE_NAME);
    const fd = openSync(file, 'r+');
    // Every page after the first (the header) filled with noise.
    const noise = Buffer.alloc(statSync(file).size - 4096, 0xa5);
    writeSync(fd, noise, 0, noise.length, 4096);
    closeSync(fd);
    expect(databaseProblems(dataDir)).not.toEqual([]);
  });

  it('find a model folder that does not load under a visible name, and leftovers once they must be gone', async () => {
    const modelsDir = tempDir('attune-invariants-models-');
    dirs.push(modelsDir);
    await saveTinyModel(join(modelsDir, 'whole'), 1);
    mkdirSync(join(modelsDir, 'half'));
    writeFileSync(join(modelsDir, 'half', 'config.json'), '{}');
    mkdirSync(join(modelsDir, '.next.tmp-123-456'));
    const during = modelFolderProblems(modelsDir, true);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^a model folder that does not load is visible: .*half/);
    const after = modelFolderProblems(modelsDir, false);
    expect(after).toHaveLength(2);
    expect(after).toEqual(
      expect.arrayContaining([
        during[0],
        expect.stringMatching(/\.next\.tmp-123-456: an interrupted save or removal is left$/),
      ]),
    );
  });

  it('accept any allowed value and name the expected ones otherwise', () => {
    expect(oneOf('x', { a: 1 }, [{ a: 0 }, { a: 1 }])).toEqual([]);
    expect(oneOf('the setting', 3, [1, 2])).toEqual(['the setting is 3, expected 1 or 2']);
  });
});
