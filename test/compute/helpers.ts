// Shared by the tests that run the compute host in Chromium on real speech.
import { existsSync } from 'node:fs';
import { findChromium } from '../../src-main/compute/chromium-launcher.js';
import { CLIP_DIR } from '../recipes/torch/helpers.js';

/** Why the WebGPU tests cannot run here (a Debian package missing), or null when they can. */
export function webGpuTestsMissing(): string | null {
  if (findChromium() == null) return 'no Chromium (Debian package chromium)';
  if (!existsSync(CLIP_DIR)) return `no LibriVox clips (${CLIP_DIR}, Debian package pocketsphinx-testdata)`;
  return null;
}
