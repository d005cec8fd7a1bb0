import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Builds the Svelte renderer (src-renderer/) into src-renderer/dist/: the folder the Electron window
 * loads and `attune serve` serves (RENDERER_DIR in src-main/app/paths.ts).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  // Relative asset URLs: the same build loads from file:// in Electron and from http:// in the browser.
  base: './',
  // The root is src-renderer/, so the shared svelte.config.js is named explicitly.
  plugins: [svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or styles anywhere: the shell's Content-Security-Policy allows 'self' only.
    assetsInlineLimit: 0,
  },
});
