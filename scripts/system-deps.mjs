#!/usr/bin/env node
// Checks the system packages Attune needs and installs the missing ones on Debian/Ubuntu when
// running as root; otherwise stops with one error naming exactly what to install. Never skips.
//
//   node scripts/system-deps.mjs app    # what the app needs to record and read audio
//   node scripts/system-deps.mjs real   # the real speech `attune import` reads, and the pocketsphinx peer
//   node scripts/system-deps.mjs test   # all of it, plus speech synthesis and a browser for the test suite
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → a file that proves it is installed (for systems without dpkg, the binary). */
const PROFILES = {
  app: {
    sox: '/usr/bin/sox',
    'libsox-fmt-all': null,
    'alsa-utils': '/usr/bin/arecord',
  },
  test: {
    'espeak-ng': '/usr/bin/espeak-ng',
    flite: '/usr/bin/flite',
    festival: '/usr/bin/festival',
    'festvox-kallpc16k': null,
    'festvox-kdlpc16k': null,
    'festvox-us-slt-hts': null,
    chromium: '/usr/bin/chromium',
    xvfb: '/usr/bin/Xvfb',
    // Dictation into another app, for real: typed into an xterm on Xvfb, copied with xclip.
    xdotool: '/usr/bin/xdotool',
    xclip: '/usr/bin/xclip',
    xterm: '/usr/bin/xterm',
    'wordnet-base': '/usr/share/wordnet/data.noun',
    'pocketsphinx-testdata': '/usr/share/pocketsphinx/test/data/librivox/transcription',
    // The PyTorch training recipe (recipes/torch) and its parity tests; OpenBLAS so that torch runs as
    // people run it (with the reference BLAS it is several times slower).
    'python3-torch': '/usr/lib/python3/dist-packages/torch/__init__.py',
    'python3-torchaudio': '/usr/lib/python3/dist-packages/torchaudio/__init__.py',
    'libopenblas0-pthread': null,
  },
  real: {
    ffmpeg: '/usr/bin/ffmpeg',
    'asterisk-core-sounds-en': '/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz',
    'asterisk-core-sounds-en-g722': '/usr/share/asterisk/sounds/en_US_f_Allison/agent-pass.g722',
    drascula: '/usr/share/scummvm/drascula.dat',
    'flight-of-the-amazon-queen': '/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c',
    'beneath-a-steel-sky': '/usr/share/scummvm/beneath-a-steel-sky/sky.dsk',
    'pocketsphinx-testdata': '/usr/share/pocketsphinx/test/data/librivox/transcription',
    'pocketsphinx-en-us': '/usr/share/pocketsphinx/model/en-us/en-us/means',
    'sphinxbase-utils': '/usr/bin/sphinx_fe',
    'python3-pocketsphinx': null,
    'python3-numpy': null,
  },
};

const profile = process.argv[2] ?? 'app';
if (!(profile in PROFILES)) {
  console.error(`system-deps: unknown profile "${profile}" (use: ${Object.keys(PROFILES).join(', ')})`);
  process.exit(2);
}
const wanted =
  profile === 'test'
    ? { ...PROFILES.app, ...PROFILES.real, ...PROFILES.test }
    : { ...PROFILES.app, ...(profile === 'real' ? PROFILES.real : {}) };

if (process.platform !== 'linux') {
  // macOS / Windows: only sox is needed at run time (it records and decodes audio there).
  const ok = spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!ok) {
    console.error(
      'Attune needs SoX on PATH. Install it with `brew install sox` (macOS) or from sox.sourceforge.net.',
    );
    process.exit(1);
  }
  process.exit(0);
}

const hasDpkg = spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;
function installed(pkg, file) {
  if (hasDpkg) {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.includes('install ok installed');
  }
  return file === null ? true : existsSync(file);
}

const missing = Object.entries(wanted)
  .filter(([pkg, file]) => !installed(pkg, file))
  .map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (isRoot && hasApt) {
  console.error(`system-deps: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-q', ...missing], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  process.exit(0);
}
console.error(
  `Attune ${profile === 'test' ? 'tests need' : 'needs'} these system packages: ${missing.join(' ')}\n` +
    `Install them with:  sudo apt-get install -y ${missing.join(' ')}`,
);
process.exit(1);
