import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { configDefaults, defineConfig } from 'vitest/config';

/** Folders with their own project: the Svelte components (jsdom) and the browser tests (Chromium). */
const RENDERER_TESTS = 'test/renderer/**';
const E2E_TESTS = 'test/e2e/**';

export default defineConfig({
  test: {
    // Signal-path tests run real FFTs and forward–backward passes; give slow CI machines room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, RENDERER_TESTS, E2E_TESTS],
        },
      },
      {
        extends: true,
        // svelteTesting() unmounts each test's components after it.
        plugins: [svelte(), svelteTesting()],
        // Svelte's browser build: its server build has no mount() and fails with lifecycle_function_unavailable.
        resolve: { conditions: ['browser'] },
        test: { name: 'renderer', include: [`${RENDERER_TESTS}/*.test.ts`], environment: 'jsdom' },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [`${E2E_TESTS}/*.test.ts`],
          // The real app in Chromium: one browser and one engine at a time.
          fileParallelism: false,
          globalSetup: ['test/e2e/build-renderer.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
