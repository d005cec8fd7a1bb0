import { createHash } from 'node:crypto';
import type { LetterToSound } from '../speech/g2p/letter-to-sound.js';
import type { PronouncingDictionary } from '../speech/pronouncing-dictionary.js';

/**
 * Parsed pronouncing dictionaries and letter-to-sound rules, by their files' contents. Personal training
 * opens the same model's folder several times over (the parent, the trained model, the base model for the
 * guard, each checkpoint), and every copy of CMUdict parsed costs ~15 MB kept and ~50 MB while parsing: a
 * fine-tuning run peaked ~300 MB above a letter model's. The same text gives the same object, which nothing
 * changes once loaded.
 */
export interface PronunciationCacheConfig {
  /** Distinct files kept (the shipped model's and a personal one's are the same text). */
  keep: number; // 4
}

export const DEFAULT_PRONUNCIATION_CACHE: PronunciationCacheConfig = { keep: 4 };

const dictionaries = new Map<string, PronouncingDictionary>();
const rules = new Map<string, LetterToSound>();
/**
 * The text each shared object was parsed from: saving a model folder writes it back as it was read. Writing
 * CMUdict out afresh (a line per pronunciation) and the rules' JSON took ~300 MB for a moment, at every
 * checkpoint of a personal training run.
 */
const texts = new WeakMap<object, string>();

function shared<T extends object>(
  cache: Map<string, T>,
  text: string,
  parse: (text: string) => T,
  keep: number,
): T {
  const key = createHash('sha1').update(text).digest('hex');
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = parse(text);
    texts.set(hit as object, text);
    if (cache.size >= keep) cache.delete(cache.keys().next().value!);
  } else cache.delete(key); // re-inserted below: the most recently used is kept longest
  cache.set(key, hit);
  return hit;
}

/** The dictionary this text holds, parsed once (`parse` names the file in its errors). */
export function sharedDictionary(
  text: string,
  parse: (text: string) => PronouncingDictionary,
  cfg: PronunciationCacheConfig = DEFAULT_PRONUNCIATION_CACHE,
): PronouncingDictionary {
  return shared(dictionaries, text, parse, cfg.keep);
}

/** The letter-to-sound rules this JSON text holds, parsed once. */
export function sharedLetterToSound(
  text: string,
  parse: (text: string) => LetterToSound,
  cfg: PronunciationCacheConfig = DEFAULT_PRONUNCIATION_CACHE,
): LetterToSound {
  return shared(rules, text, parse, cfg.keep);
}

/** The file text a dictionary or rules object was loaded from (undefined: made in memory, e.g. learnt). */
export function loadedText(parsed: PronouncingDictionary | LetterToSound): string | undefined {
  return texts.get(parsed);
}
