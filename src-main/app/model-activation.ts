import type { EngineClient } from '../engine/engine-client.js';
import type { EngineModelInfo } from '../engine/protocol.js';
import { isModelFolder } from '../model/checkpoint.js';
import type { Store } from '../store/store.js';
import type { ModelVersion } from '../store/types.js';
import type { ActiveModel } from '../personal/personal-training.js';
import { AppError } from './app-error.js';

export interface ModelActivationDeps {
  store: Store;
  engine: EngineClient;
  /** Tells every renderer which version is now active. */
  changed: (active: ModelVersion) => void;
}

/**
 * Which model the engine runs, and the one way to make a version the active one: the user choosing it, a
 * reset to the shipped model and personal training promoting a new version all come through activate().
 */
export class ModelActivation implements ActiveModel {
  private model: EngineModelInfo;

  constructor(
    private readonly deps: ModelActivationDeps,
    /** What the engine runs at start-up. */
    running: EngineModelInfo,
  ) {
    this.model = running;
  }

  /** The model the engine runs now. */
  get running(): EngineModelInfo {
    return this.model;
  }

  get runningDir(): string {
    return this.model.dir;
  }

  /** Whether the version is the active one and the engine runs it (activating it would change nothing). */
  isRunning(version: ModelVersion): boolean {
    return version.status === 'active' && version.dir === this.model.dir;
  }

  /**
   * Loads the version's model in the engine, then records it as active: the store never names a model
   * that is not running. The engine swaps between phrases, so dictation goes on.
   */
  async activate(version: ModelVersion, reason: string): Promise<ModelVersion> {
    if (!isModelFolder(version.dir)) {
      throw new AppError(
        'INVALID_STATE',
        `model version "${version.label}" cannot be used: ${version.dir} has no model files (config.json and model.safetensors)`,
      );
    }
    try {
      this.model = await this.deps.engine.swapModel(version.dir);
    } catch (err) {
      throw new AppError('ENGINE', (err as Error).message);
    }
    const active = this.deps.store.models.setActive(version.id, reason);
    this.deps.changed(active);
    return active;
  }
}
