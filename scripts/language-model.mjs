#!/usr/bin/env node
// Makes the default language model, models/lm/en-us.lm.bin, from Debian's pocketsphinx-en-us package
// (27 MB: too large to keep in the repository, and the package is the source either way). `attune lm
// --from` checks every part of the file before it copies it. Nothing to do when the model is there.
// --optional: a missing package is only reported (the app then writes finals without a language model).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'models', 'lm', 'en-us.lm.bin');
const source = '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin';

if (!existsSync(out)) {
  if (!existsSync(source)) {
    console.error(
      `language model: ${out} is missing and ${source} is not installed: install Debian's ` +
        'pocketsphinx-en-us (`node scripts/system-deps.mjs real`, as root), or give a model with --lm FILE',
    );
    process.exit(process.argv.includes('--optional') ? 0 : 1);
  }
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/main.ts', 'lm', '--from', source, '--out', out, '--json'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
