import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Signal-path tests run real FFTs and forward–backward passes; give slow CI machines room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
