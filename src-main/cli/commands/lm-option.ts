import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BASE_LM_PATH } from '../../model/paths.js';
import type { Alphabet } from '../../speech/alphabet.js';
import { LM_BEAM_WIDTH, type LmDecoding } from '../../speech/beam-search.js';
import { defaultCacheDir } from '../../app/paths.js';
import { DEFAULT_LM_CACHE, loadLanguageModel, type LmCacheConfig } from '../../speech/lm-snapshot.js';
import { vocabularyTrie } from '../../speech/word-lm.js';
import { wholeNumberOption } from './options.js';

/** `--lm [file]` and `--no-lm` on a command that decodes: the value commander gives is one of these. */
export type LmOption = string | boolean | undefined;

export function addLmOptions(command: Command, byDefault: boolean, beam = true): Command {
  command
    .option(
      '--lm [file]',
      `decode with a word language model (ARPA or sphinx .lm.bin file; alone: the shipped one)${byDefault ? ' (default)' : ''}`,
    )
    .option(
      '--no-lm',
      "decode without a language model: what the acoustic model alone hears (greedy; a phone model's in its dictionary's words)",
    );
  return beam
    ? command.option('--beam-width <n>', 'beam width of the language-model search', String(LM_BEAM_WIDTH))
    : command;
}

/** The file an --lm option asks for; null for none. Without the option, the shipped one when `byDefault`. */
export function languageModelPath(option: LmOption, byDefault: boolean): string | null {
  if (option === false) return null;
  if (typeof option === 'string') return resolve(option);
  if (option === true) {
    if (!existsSync(BASE_LM_PATH)) {
      throw new Error(
        `the shipped language model ${BASE_LM_PATH} is missing; make it with \`attune lm --from ` +
          '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin --out models/lm/en-us.lm.bin` (Debian package ' +
          'pocketsphinx-en-us) or give a file: --lm FILE',
      );
    }
    return BASE_LM_PATH;
  }
  return byDefault && existsSync(BASE_LM_PATH) ? BASE_LM_PATH : null;
}

/** The language model an --lm option asks for, loaded, with its vocabulary over the model's alphabet. */
export function languageModelFor(
  option: LmOption,
  byDefault: boolean,
  alphabet: Alphabet,
): LmDecoding | null {
  const path = languageModelPath(option, byDefault);
  if (path === null) return null;
  const { lm } = loadLanguageModel(path, cliLmCache());
  return { lm, vocabulary: vocabularyTrie(lm, alphabet) };
}

/** The snapshot cache commands load language models through: the app's, so either reuses the other's. */
export function cliLmCache(): LmCacheConfig {
  return { ...DEFAULT_LM_CACHE, dir: join(defaultCacheDir(), 'lm') };
}

export function beamWidthOption(value: string): number {
  return wholeNumberOption(value, 'beam-width', 1, 1024);
}
