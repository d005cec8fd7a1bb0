import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layering (see README "Layout"): each folder may import only from folders listed above it.
// speech/ is pure TypeScript; model/ adds tfjs; only app/ may touch Electron.
const noElectron = { name: 'electron', message: 'Only src-main/app/ may import electron.' };
const noTf = { group: ['@tensorflow/*'], message: 'src-main/speech/ is pure TypeScript: no tfjs.' };
const upward = (dirs) =>
  dirs.map((d) => ({ group: [`**/${d}/*`, `../${d}/*`], message: `This layer may not import from ${d}/.` }));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'src-renderer/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-main/speech/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [noTf, ...upward(['model', 'training', 'engine', 'store', 'ipc', 'app', 'cli'])],
        },
      ],
    },
  },
  {
    files: ['src-main/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noElectron], patterns: upward(['training', 'engine', 'store', 'ipc', 'app', 'cli']) },
      ],
    },
  },
  {
    files: [
      'src-main/training/**/*.ts',
      'src-main/engine/**/*.ts',
      'src-main/store/**/*.ts',
      'src-main/ipc/**/*.ts',
      'src-main/cli/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
