import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { POCKETSPHINX_TESTDATA, pocketsphinxTestdataItems } from '../human-testdata.js';
import { ALLISON_PATHS, readAllison } from './allison.js';
import type { RealClip } from './clip.js';
import { readCorpusFolder } from './corpus-folder.js';
import { DRASCULA_ROOT, readDrascula } from './drascula.js';
import { QUEEN_ROOT, readQueen } from './queen.js';
import { readSky, SKY_ROOT } from './sky.js';
import type { SplitPolicy } from './split.js';

/**
 * Every source of real speech Attune can import: where it comes from, its licence and credit, how to
 * read it and which of its voices train or judge. The split rules are the written record of which
 * voices the model may hear: change them and the numbers measured before are no longer comparable.
 */
export interface RealSource {
  /** Folder name and label, lower-case letters only. */
  name: string;
  /** One line for the model card and the set's README: what it is, who made it. */
  credit: string;
  /** Licence name as its owners give it. */
  licence: string;
  /** The licence text, copied beside the clips: a file, or the text itself. */
  licenceText: { file: string } | { text: string };
  /** Why it cannot be read here (the package to install), or null when it can. */
  missing(): string | null;
  read(): AsyncIterable<RealClip>;
  split: SplitPolicy;
  /** Recorded at 11 kHz (or 8 kHz): no energy above this many Hz. */
  bandLimitHz?: number;
}

export interface SourceOptions {
  /** Folder holding vctk-p239/ and fsdd/ (LibriSpeech layout). */
  sharedCorpora: string;
}

const FSDD_LICENCE = `Free Spoken Digit Dataset (FSDD), by Zohar Jackson, César Souza, Jason Flaks, Yuxin Pan,
Hereman Nicolas and Adhish Thite: recordings of spoken digits by six speakers.
Licensed under the Creative Commons Attribution-ShareAlike 4.0 International licence (CC BY-SA 4.0),
https://creativecommons.org/licenses/by-sa/4.0/
Recorded at 8 kHz; resampled to 16 kHz in this set (nothing above 4 kHz).
`;

export function realSources(opts: SourceOptions): RealSource[] {
  const vctk = join(opts.sharedCorpora, 'vctk-p239');
  const fsdd = join(opts.sharedCorpora, 'fsdd');
  const absent = (path: string, fix: string) => (existsSync(path) ? null : `${path} not found: ${fix}`);
  return [
    {
      name: 'allison',
      credit: "Allison Smith's Asterisk core sound prompts (Digium, Inc.), US English, one female voice",
      licence: 'CC-BY-SA-3.0',
      licenceText: { file: '/usr/share/doc/asterisk-core-sounds-en/copyright' },
      missing: () =>
        absent(ALLISON_PATHS.soundsDir, 'apt-get install asterisk-core-sounds-en-g722') ??
        absent(ALLISON_PATHS.textsFile, 'apt-get install asterisk-core-sounds-en'),
      read: () => readAllison(),
      // The voice pocketsphinx is compared on: it is only ever a test voice.
      split: { kind: 'whole', split: 'real-test' },
    },
    {
      name: 'librivox',
      credit:
        'CMU Sphinx test recordings (pocketsphinx-testdata): five LibriVox sentences (Sense and Sensibility) and five spoken card names',
      licence: 'BSD-2-Clause',
      licenceText: { file: '/usr/share/doc/pocketsphinx-testdata/copyright' },
      missing: () => absent(POCKETSPHINX_TESTDATA, 'apt-get install pocketsphinx-testdata'),
      read: () => readTestdata(),
      split: { kind: 'whole', split: 'real-test' },
    },
    {
      name: 'vctk',
      credit: 'VCTK corpus, speaker p239 (female, southern English), The University of Edinburgh, CSTR',
      licence: 'ODC-By 1.0',
      licenceText: { file: join(vctk, 'COPYING') },
      missing: () => absent(vctk, 'the shared corpora folder has no vctk-p239/'),
      read: () => readCorpusFolder(vctk, () => 'p239'),
      // Read sentences by an unseen voice: the closest thing here to a user dictating, so it steers training.
      split: { kind: 'whole', split: 'real-dev' },
    },
    {
      name: 'fsdd',
      credit: 'Free Spoken Digit Dataset, Zohar Jackson et al.: six male speakers saying the digits',
      licence: 'CC BY-SA 4.0',
      licenceText: { text: FSDD_LICENCE },
      missing: () => absent(fsdd, 'the shared corpora folder has no fsdd/'),
      read: () => readCorpusFolder(fsdd),
      // Speaker ids as in fsdd/SPEAKERS.txt: george, jackson, lucas train; nicolas judges training;
      // theo and yweweler are test voices. 100 takes each are plenty to score ten words.
      split: {
        kind: 'speakers',
        splits: { '9204': 'real-dev', '9205': 'real-test', '9206': 'real-test' },
        capPerSpeaker: 100,
      },
      bandLimitHz: 4000,
    },
    {
      name: 'drascula',
      credit:
        "Drascula: The Vampire Strikes Back (Alcachofa Soft), English speech of the freeware game, read from Debian's drascula package",
      licence: 'Drascula licence (freeware: free redistribution and modification)',
      licenceText: { file: '/usr/share/doc/drascula/copyright' },
      missing: () => absent(join(DRASCULA_ROOT, 'drascula.dat'), 'apt-get install drascula'),
      read: () => readDrascula(),
      split: GAME_CAST,
      bandLimitHz: 5512,
    },
    {
      name: 'queen',
      credit:
        "Flight of the Amazon Queen (John Passfield and Steven Stamatiadis), English speech of the freeware CD release, read from Debian's flight-of-the-amazon-queen package",
      licence: 'Flight of the Amazon Queen licence (freeware: free redistribution)',
      licenceText: { file: '/usr/share/doc/flight-of-the-amazon-queen/copyright' },
      missing: () => absent(join(QUEEN_ROOT, 'queen.1c'), 'apt-get install flight-of-the-amazon-queen'),
      read: () => readQueen(),
      split: GAME_CAST,
      bandLimitHz: 5512,
    },
    {
      name: 'sky',
      credit:
        "Beneath a Steel Sky (Revolution Software), English speech of the freeware CD release, read from Debian's beneath-a-steel-sky package",
      licence: 'Beneath a Steel Sky licence (freeware: free redistribution and modification)',
      licenceText: { file: '/usr/share/doc/beneath-a-steel-sky/copyright' },
      missing: () => absent(join(SKY_ROOT, 'sky.dsk'), 'apt-get install beneath-a-steel-sky'),
      read: () => readSky(),
      split: GAME_CAST,
      bandLimitHz: 5512,
    },
  ];
}

/**
 * Games: a few characters each for dev and test (about 6% of the clips each); the leads, whose
 * voices carry most of the lines, always train. A small cast means one actor may voice several
 * characters, so a held-out game character is a weaker test of a new voice than Allison or LibriVox.
 */
const GAME_CAST: SplitPolicy = { kind: 'cast', heldOutShare: 0.06, maxHeldOutShare: 0.05 };

async function* readTestdata(): AsyncGenerator<RealClip> {
  for (const it of pocketsphinxTestdataItems()) {
    yield {
      id: `${it.speaker}${it.index}`,
      speaker: it.speaker,
      text: it.text,
      audio: { kind: 'file', path: it.path },
    };
  }
}
