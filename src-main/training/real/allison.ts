import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type RealClip, RealSourceError } from './clip.js';

/**
 * Allison Smith's Asterisk telephone prompts (Debian's asterisk-core-sounds-en-g722 for the audio,
 * asterisk-core-sounds-en for the texts): one US-English voice, studio recorded, G.722 (16 kHz).
 */
export interface AllisonPaths {
  /** Folder of `<name>.g722` prompts. */
  soundsDir: string;
  /** The prompt texts, `name: Text.` one per line (gzip). */
  textsFile: string;
}

export const ALLISON_PATHS: AllisonPaths = {
  soundsDir: '/usr/share/asterisk/sounds/en_US_f_Allison',
  textsFile: '/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz',
};

/**
 * Parses the prompt list: `name: Text.` lines, `;` comments. Bracketed parts describe sounds, not
 * words (`[ascending tones]`), and are dropped; a prompt left with no words is left out.
 */
export function parsePromptTexts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([^\s;:][^:]*):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const words = m[2]
      .replace(/\[[^\]]*\]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (/[\p{L}\p{N}]/u.test(words)) out.set(m[1].trim(), words);
  }
  return out;
}

/** Turns a prompt name (`vm-Cust1`, `agent-pass`) into a clip id of lower-case letters and digits. */
export function promptId(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Every prompt that has both audio and words, as G.722 bytes for the importer to decode. */
export async function* readAllison(paths: AllisonPaths = ALLISON_PATHS): AsyncGenerator<RealClip> {
  if (!existsSync(paths.soundsDir))
    throw new RealSourceError(
      `${paths.soundsDir} not found: install Debian's asterisk-core-sounds-en-g722 package`,
      paths.soundsDir,
    );
  if (!existsSync(paths.textsFile))
    throw new RealSourceError(
      `${paths.textsFile} not found: install Debian's asterisk-core-sounds-en package`,
      paths.textsFile,
    );
  let texts: Map<string, string>;
  try {
    texts = parsePromptTexts(gunzipSync(readFileSync(paths.textsFile)).toString('utf8'));
  } catch (e) {
    throw new RealSourceError(
      `${paths.textsFile}: not a gzip text file (${(e as Error).message})`,
      paths.textsFile,
    );
  }
  const seen = new Set<string>();
  for (const file of readdirSync(paths.soundsDir).sort()) {
    if (!file.endsWith('.g722')) continue;
    const name = file.slice(0, -'.g722'.length);
    const text = texts.get(name);
    const id = promptId(name);
    // Two names that differ only in case or punctuation would collide as ids; the first is kept.
    if (!text || seen.has(id)) continue;
    seen.add(id);
    const bytes = readFileSync(join(paths.soundsDir, file));
    if (bytes.length === 0) continue;
    yield { id, speaker: 'allison', text, audio: { kind: 'encoded', bytes, format: 'g722' } };
  }
}
