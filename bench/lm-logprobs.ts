// The acoustic model's log-probabilities of every utterance of a set, computed once and kept on disk, so
// a set can be decoded with several language models and settings without running the model again.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { openModel } from '../src-main/cli/commands/model-option.js';
import { DICTIONARY_FILE } from '../src-main/model/checkpoint.js';
import type { LoadedModel } from '../src-main/model/model-io.js';
import { type Alphabet, normalizeText } from '../src-main/speech/alphabet.js';
import { evaluate } from '../src-main/training/evaluate.js';
import { readLibriSpeech } from '../src-main/training/librispeech.js';
import { scoringFeatures } from '../src-main/training/scoring-features.js';

/** One utterance ready to decode: its normalised reference and its log-probs [frames, V]. */
export interface ScoredUtterance {
  id: string;
  speaker: string;
  ref: string;
  frames: number;
  logProbs: Float32Array;
}

/** The first 12 hex digits of the SHA-1 of files' contents: cache keys that change when a file does. */
export function digest(...paths: string[]): string {
  const h = createHash('sha1');
  for (const p of paths) h.update(readFileSync(p));
  return h.digest('hex').slice(0, 12);
}

/**
 * A model folder's digest: what decoding depends on, i.e. its weights, its tokens and its config (features,
 * stats), but not the config's info block (metrics, provenance), which a re-export rewrites.
 */
export function modelDigest(dir: string): string {
  const { info: _info, ...config } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    info?: unknown;
  };
  const h = createHash('sha1')
    .update(readFileSync(join(dir, 'model.safetensors')))
    .update(readFileSync(join(dir, 'tokens.txt')))
    .update(JSON.stringify(config));
  // A phone model's words are spelt by its dictionary: the same weights with another decode differently.
  if (existsSync(join(dir, DICTIONARY_FILE))) h.update(readFileSync(join(dir, DICTIONARY_FILE)));
  return h.digest('hex').slice(0, 12);
}

/**
 * A copy of a model folder (without its replay set) under `cacheDir/models/<digest>`: a run reads the
 * model as it was when it began, though the folder (models/base) may be replaced while it runs.
 */
export function snapshotModel(dir: string, cacheDir: string): { dir: string; digest: string } {
  const tmp = join(cacheDir, 'models', `.copy-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  cpSync(dir, tmp, { recursive: true, filter: (src) => basename(src) !== 'replay' });
  const d = modelDigest(tmp);
  const snapshot = join(cacheDir, 'models', d);
  if (existsSync(snapshot)) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, snapshot);
  return { dir: resolve(snapshot), digest: d };
}

/** A model loaded once per process, whatever number of sets it reads. */
let opened: { dir: string; loaded: LoadedModel } | null = null;
async function model(dir: string): Promise<LoadedModel> {
  if (opened?.dir !== dir) opened = { dir, loaded: (await openModel(dir)).loaded };
  return opened.loaded;
}

/** The model's classes and, where it has them, its own decoding settings (config.json's `decoding`). */
export async function modelAlphabet(dir: string): Promise<Alphabet> {
  return (await model(dir)).alphabet;
}

/**
 * The set's log-probs under the model (a snapshot: see snapshotModel): read from `cacheDir` when this
 * model (by content) has seen this set (by its utterances) before, else computed as `attune eval` computes
 * them and kept.
 */
export async function setLogProbs(
  modelDir: string,
  setDir: string,
  cacheDir: string,
): Promise<{ key: string; alphabet: Alphabet; utterances: ScoredUtterance[] }> {
  const corpus = await readLibriSpeech(setDir);
  const setKey = createHash('sha1')
    .update(resolve(setDir))
    .update(JSON.stringify(corpus.utterances.map((u) => [u.id, u.text])))
    .digest('hex')
    .slice(0, 12);
  const key = `${modelDigest(modelDir)}-${setKey}`;
  const base = join(cacheDir, key);
  const loaded = await model(modelDir);
  if (!existsSync(`${base}.json`)) await computeLogProbs(loaded, setDir, base);
  const index = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
    items: { id: string; speaker: string; text: string; frames: number; offset: number }[];
  };
  const data = readFileSync(`${base}.f32`);
  const all = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  const V = loaded.alphabet.size;
  return {
    key,
    alphabet: loaded.alphabet,
    utterances: index.items.map((it) => ({
      id: it.id,
      speaker: it.speaker,
      ref: normalizeText(it.text, loaded.alphabet),
      frames: it.frames,
      logProbs: all.subarray(it.offset, it.offset + it.frames * V),
    })),
  };
}

async function computeLogProbs(loaded: LoadedModel, setDir: string, base: string): Promise<void> {
  const corpus = await readLibriSpeech(setDir);
  // The feature cache `attune eval` keeps for this folder (same purpose and key), so either reuses the other's work.
  const { items, report, close } = await scoringFeatures(corpus.utterances, {
    features: loaded.features,
    jobs: 2,
    purpose: 'eval',
    key: [resolve(setDir)],
  });
  if (report.skipped.length > 0)
    process.stderr.write(`${setDir}: ${report.skipped.length} unreadable file(s) left out\n`);
  // evaluate() batches and runs the model exactly as eval does. The decode hook keeps each utterance's rows
  // and answers with their place in `visits` as the "transcript", which evaluate hands back in input order.
  const visits: { frames: number; logProbs: Float32Array }[] = [];
  const r = evaluate(loaded.model, loaded.alphabet, items, {
    decode: (logProbs, T) => String(visits.push({ frames: T, logProbs: logProbs.slice() }) - 1),
  });
  close();
  const ordered = r.hypotheses.map((h) => visits[Number(h.hyp)]);
  let offset = 0;
  const index = items.map((it, i) => {
    const entry = { id: it.id, speaker: it.speaker, text: it.text, frames: ordered[i].frames, offset };
    offset += ordered[i].logProbs.length;
    return entry;
  });
  const data = new Float32Array(offset);
  ordered.forEach((r, i) => data.set(r.logProbs, index[i].offset));
  mkdirSync(resolve(base, '..'), { recursive: true });
  writeFileSync(`${base}.f32.tmp`, data);
  renameSync(`${base}.f32.tmp`, `${base}.f32`);
  writeFileSync(`${base}.json`, JSON.stringify({ setDir: resolve(setDir), items: index }) + '\n');
}
