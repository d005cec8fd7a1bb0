// Registers tfjs-core's gradient functions. Bare @tensorflow/tfjs-core ships its kernels' gradients only as
// ES modules that are not part of its Node bundle, so without this step no op has a gradient.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prodGradConfig } from './prod-gradient.js';

export { prodGradConfig };

/** What registering the core gradients did: how, and any gradient modules that would not load. */
export interface CoreGradients {
  /**
   * 'built' when the app's build bundled them next to this file; 'bundle' when tfjs-core's own
   * register_all_gradients loaded; 'per-file' when each module was loaded alone.
   */
  via: 'built' | 'bundle' | 'per-file';
  /** Gradient modules that failed to load, each with the reason (Prod's is replaced below anyway). */
  failed: string[];
}

let loaded: Promise<CoreGradients> | null = null;

/** Registers every gradient tfjs-core ships (once per process; later calls return the first result). */
export function registerCoreGradients(): Promise<CoreGradients> {
  loaded ??= load();
  return loaded;
}

/**
 * In the built app (plain Node, no tsx) tfjs-core's ES modules do not resolve at all (their imports have no
 * file extensions), so scripts/build-main.mjs bundles them into this file beside the compiled module.
 */
const BUILT_GRADIENTS = new URL('./tfjs-gradients.js', import.meta.url);

async function load(): Promise<CoreGradients> {
  if (existsSync(fileURLToPath(BUILT_GRADIENTS))) {
    await import(BUILT_GRADIENTS.href);
    tf.registerGradient(prodGradConfig);
    return { via: 'built', failed: [] };
  }
  try {
    // Works wherever the dist ES modules resolve as a bundler would (vite, esbuild, webpack).
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    tf.registerGradient(prodGradConfig);
    return { via: 'bundle', failed: [] };
  } catch {
    // Plain Node ESM loaders (tsx) stop at one directory import in tfjs-core's dist before anything runs, so
    // load the gradient modules one by one: all but Prod's resolve.
  }
  const gradientsDir = join(coreDir(), 'dist', 'gradients');
  const failed: string[] = [];
  for (const file of readdirSync(gradientsDir).filter((f) => f.endsWith('_grad.js'))) {
    try {
      const mod = (await import(pathToFileURL(join(gradientsDir, file)).href)) as Record<string, unknown>;
      for (const value of Object.values(mod)) if (isGradConfig(value)) tf.registerGradient(value);
    } catch (err) {
      failed.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  tf.registerGradient(prodGradConfig);
  return { via: 'per-file', failed };
}

function coreDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'));
}

function isGradConfig(value: unknown): value is tf.GradConfig {
  return typeof value === 'object' && value != null && 'kernelName' in value && 'gradFunc' in value;
}
