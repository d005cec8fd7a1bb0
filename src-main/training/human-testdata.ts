import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small set of real human recordings with reference transcripts, from Debian's
 * pocketsphinx-testdata package (CMU Sphinx test data, BSD-style licence): five LibriVox sentences
 * read by one speaker and five spoken playing-card phrases. Written in LibriSpeech layout so
 * `attune eval` reads it like any corpus.
 */
export const POCKETSPHINX_TESTDATA = '/usr/share/pocketsphinx/test/data';

interface Source {
  speaker: string;
  folder: string;
  transcription: string;
}

const SOURCES: Source[] = [
  { speaker: 'librivox', folder: 'librivox', transcription: 'transcription' },
  { speaker: 'cards', folder: 'cards', transcription: 'cards.transcription' },
];

/** Parses Sphinx transcription lines: `<s> words </s> (fileid)`. */
export function parseSphinxTranscription(text: string): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:<s>)?\s*(.*?)\s*(?:<\/s>)?\s*\(([^)]+)\)\s*$/.exec(line);
    if (m) out.push({ id: m[2], text: m[1].replace(/\s+/g, ' ') });
  }
  return out;
}

/** Every recording with its transcript: `speaker` is the folder's voice (librivox, cards). */
export function pocketsphinxTestdataItems(
  root = POCKETSPHINX_TESTDATA,
): { speaker: string; index: number; path: string; text: string }[] {
  return SOURCES.flatMap((s) =>
    parseSphinxTranscription(readFileSync(join(root, s.folder, s.transcription), 'utf8')).map(
      (it, index) => ({
        speaker: s.speaker,
        index,
        path: join(root, s.folder, `${it.id}.wav`),
        text: it.text,
      }),
    ),
  );
}

/** Copies the recordings into `outDir/<speaker>/1/<speaker>-1-<n>.wav` with `.trans.txt` files. */
export function importPocketsphinxTestdata(
  outDir: string,
  root = POCKETSPHINX_TESTDATA,
): { utterances: number } {
  if (!existsSync(root)) {
    throw new Error(
      `${root} not found: install Debian's pocketsphinx-testdata package (apt-get install pocketsphinx-testdata)`,
    );
  }
  let count = 0;
  for (const s of SOURCES) {
    const items = parseSphinxTranscription(readFileSync(join(root, s.folder, s.transcription), 'utf8'));
    const dir = join(outDir, s.speaker, '1');
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    items.forEach((it, i) => {
      const id = `${s.speaker}-1-${String(i).padStart(4, '0')}`;
      copyFileSync(join(root, s.folder, `${it.id}.wav`), join(dir, `${id}.wav`));
      lines.push(`${id} ${it.text.toUpperCase()}`);
      count++;
    });
    writeFileSync(join(dir, `${s.speaker}-1.trans.txt`), lines.join('\n') + '\n');
  }
  return { utterances: count };
}
