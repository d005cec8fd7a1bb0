import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../src-main/app/app-error.js';
import { ModelActivation } from '../../src-main/app/model-activation.js';
import { EngineClient } from '../../src-main/engine/engine-client.js';
import { initBackend } from '../../src-main/model/backend.js';
import { Store } from '../../src-main/store/store.js';
import type { ModelVersion } from '../../src-main/store/types.js';
import { saveBiasedModel } from '../model/tiny-model.js';

let dir: string;
let store: Store;
let engine: EngineClient;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  dir = mkdtempSync(join(tmpdir(), 'attune-activation-'));
  saveBiasedModel(join(dir, 'm1'), 1, 'v1');
  saveBiasedModel(join(dir, 'm2'), 2, 'v2');
  saveBiasedModel(join(dir, 'broken'), 3, 'v3');
  writeFileSync(join(dir, 'broken', 'config.json'), '{ "format": '); // files there, but unreadable
  store = Store.open({ dataDir: join(dir, 'data') });
  engine = await EngineClient.start({ modelDir: join(dir, 'm1'), backend: 'wasm' });
});

afterAll(() => {
  engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ModelActivation', () => {
  it('loads a version in the engine before the store names it active, and says so once', async () => {
    const changed: ModelVersion[] = [];
    const models = new ModelActivation(
      { store, engine, changed: (v) => changed.push(v) },
      engine.ready!.model,
    );
    const v1 = store.models.create({ label: 'one', dir: join(dir, 'm1') });
    const v2 = store.models.create({ label: 'two', dir: join(dir, 'm2') });
    expect(models.runningDir).toBe(join(dir, 'm1'));
    expect(models.isRunning(v1)).toBe(false); // running, but not yet recorded as active

    const active = await models.activate(v2, 'chosen by the user');
    expect(active).toMatchObject({ id: v2.id, status: 'active', reason: 'chosen by the user' });
    expect(models.running.version).toBe('v2');
    expect(models.isRunning(active)).toBe(true);
    expect(changed.map((v) => v.id)).toEqual([v2.id]);

    // A folder the engine cannot load: the engine's reason, and nothing changes.
    const broken = store.models.create({ label: 'broken', dir: join(dir, 'broken') });
    const err = await models.activate(broken, 'chosen by the user').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'ENGINE',
      message: expect.stringMatching(/could not load the model .*broken/),
    });
    expect(store.models.active()?.id).toBe(v2.id);
    expect(models.running.version).toBe('v2');
    expect(changed).toHaveLength(1);

    // A folder without model files never reaches the engine.
    const empty = store.models.create({ label: 'empty', dir: join(dir, 'nothing') });
    await expect(models.activate(empty, 'chosen by the user')).rejects.toThrow(
      /"empty" cannot be used: .*nothing has no model files/,
    );
    expect(store.models.active()?.id).toBe(v2.id);
  });
});
