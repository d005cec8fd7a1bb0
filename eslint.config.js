import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

// Layering (see README "Layout"): each folder may import only from folders listed above it.
// speech/ is pure TypeScript; model/ adds tfjs; only app/ may touch Electron.
const noElectron = { name: 'electron', message: 'Only src-main/app/ may import electron.' };
const noTf = {
  group: ['@tensorflow/*'],
  message: 'src-main/speech/ and process/ are pure TypeScript: no tfjs.',
};
// The renderer talks only to window.attune: of the main process it may import the contract (and its hotkey
// syntax), the browser shell's client and the store's record types; types alone (erased from the bundle) from
// anywhere.
const rendererOnly = {
  regex: 'src-main/(?!ipc/contract\\.js$|ipc/accelerator\\.js$|app/web-client\\.js$|store/types\\.js$)',
  message:
    'The renderer may import only the contract (src-main/ipc/contract.ts, ipc/accelerator.ts), web-client.ts and store/types.ts.',
};
const upward = (dirs) =>
  dirs.map((d) => ({ group: [`**/${d}/*`, `../${d}/*`], message: `This layer may not import from ${d}/.` }));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'src-renderer/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
  },
  {
    files: ['src-renderer/**/*.{ts,svelte}', 'test/renderer/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src-renderer/**/*.{ts,svelte}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [noElectron], patterns: [{ ...rendererOnly, allowTypeImports: true }] },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A function is read in one go: about a screen long, a hundred lines at the most (comments included).
    files: ['src-main/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, IIFEs: true }] },
  },
  {
    // Process utilities (child processes, the parent's channel, atomic writes): the floor under every layer.
    files: ['src-main/process/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            noTf,
            ...upward([
              'speech',
              'model',
              'compute',
              'training',
              'engine',
              'store',
              'ipc',
              'personal',
              'app',
              'cli',
            ]),
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/speech/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            noTf,
            ...upward(['model', 'compute', 'training', 'engine', 'store', 'ipc', 'personal', 'app', 'cli']),
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: upward(['compute', 'training', 'engine', 'store', 'ipc', 'personal', 'app', 'cli']),
        },
      ],
    },
  },
  {
    // The compute host (a browser page running the model on WebGPU) and the channel to it: above the model.
    files: ['src-main/compute/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: upward(['training', 'engine', 'store', 'ipc', 'personal', 'app', 'cli']),
        },
      ],
    },
  },
  {
    files: [
      'src-main/training/**/*.ts',
      'src-main/engine/**/*.ts',
      'src-main/store/**/*.ts',
      'src-main/ipc/**/*.ts',
      'src-main/personal/**/*.ts',
      'src-main/cli/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
