// Scores pocketsphinx, the peer recogniser, on a LibriSpeech-layout set the way `attune eval` scores Attune:
// both transcripts go through normalizeText with the English alphabet, then corpus WER and CER are total edits
// over total reference tokens. The decoding itself is bench/peer-pocketsphinx.py under the system Python.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { englishAlphabet, normalizeText } from '../src-main/speech/alphabet.js';
import { CorpusScorer } from '../src-main/speech/metrics.js';
import {
  audioDurations,
  type LibriSpeechUtterance,
  readLibriSpeech,
} from '../src-main/training/librispeech.js';
import { repoRoot } from './child.js';

/** Debian's python3-pocketsphinx installs only for this interpreter. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export const PEER_SCRIPT = join(repoRoot, 'bench', 'peer-pocketsphinx.py');

export interface PeerOptions {
  /** Score only the first N utterances (in id order). */
  limit?: number;
  /** The Python that runs the decoding script. */
  python?: string;
  /** Called after each decoded utterance. */
  onProgress?: (done: number, total: number) => void;
}

/** One scored utterance; `ref` and `hyp` are normalised. */
export interface PeerHypothesis {
  id: string;
  speaker: string;
  ref: string;
  hyp: string;
  wer: number;
}

export interface SpeakerScore {
  speaker: string;
  utterances: number;
  wer: number;
  cer: number;
}

export interface PeerScores {
  /** The set folder, absolute. */
  set: string;
  /** Utterances scored (skipped ones excluded). */
  utterances: number;
  wer: number;
  cer: number;
  /** Sorted by speaker. */
  bySpeaker: SpeakerScore[];
  /** Wall time of the whole run: starting pocketsphinx, loading its models, converting and decoding. */
  seconds: number;
  /** Time spent converting and decoding, summed over utterances (excludes start-up and model loading). */
  decodeSeconds: number;
  /** Duration of the scored audio. */
  audioSeconds: number;
  hypotheses: PeerHypothesis[];
  /** Files sox could not convert: not scored, as `attune eval` skips unreadable files. */
  skipped: { id: string; reason: string }[];
}

/** One line of the decoding script's output. */
interface DecodedLine {
  id: string;
  hyp: string;
  seconds: number;
  error?: string;
}

/** Whether `python` exists and can import pocketsphinx. */
export function hasPocketsphinx(python = SYSTEM_PYTHON): boolean {
  if (!existsSync(python)) return false;
  return spawnSync(python, ['-c', 'import pocketsphinx'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** Parses one output line of the decoding script; throws if it is not what the script prints. */
function parseDecoded(line: string): DecodedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${PEER_SCRIPT} printed a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
  }
  const v = value as Partial<DecodedLine>;
  if (typeof v.id !== 'string' || typeof v.hyp !== 'string' || typeof v.seconds !== 'number')
    throw new Error(
      `${PEER_SCRIPT} printed ${JSON.stringify(line.slice(0, 200))}: expected {id, hyp, seconds}`,
    );
  return v as DecodedLine;
}

/**
 * Decodes every utterance with one run of the decoding script, streaming requests on its stdin and results
 * from its stdout. Resolves with the script's lines by id once it exits cleanly.
 */
export function decodeWithPocketsphinx(
  utterances: readonly Pick<LibriSpeechUtterance, 'id' | 'audioPath'>[],
  options: Pick<PeerOptions, 'python' | 'onProgress'> = {},
): Promise<Map<string, DecodedLine>> {
  const python = options.python ?? SYSTEM_PYTHON;
  return new Promise((done, fail) => {
    const child = spawn(python, [PEER_SCRIPT], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const results = new Map<string, DecodedLine>();
    let stderr = '';
    let failure: Error | null = null;
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-4000)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= new Error(
        e.code === 'ENOENT'
          ? `${python} not found: pocketsphinx's Python bindings need the system interpreter (apt-get install python3-pocketsphinx)`
          : `cannot run ${python} ${PEER_SCRIPT}: ${e.message}`,
      );
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (failure || line.trim() === '') return;
      try {
        const r = parseDecoded(line);
        results.set(r.id, r);
        options.onProgress?.(results.size, utterances.length);
      } catch (e) {
        failure = e as Error;
        child.kill();
      }
    });
    child.on('close', (code, signal) => {
      if (failure) return fail(failure);
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        return fail(new Error(`${python} ${PEER_SCRIPT} ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      }
      const missing = utterances.find((u) => !results.has(u.id));
      if (missing) return fail(new Error(`${PEER_SCRIPT} exited without decoding ${missing.id}`));
      done(results);
    });
    // The script may exit early (pocketsphinx missing); its exit code tells why, not EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(utterances.map((u) => JSON.stringify({ id: u.id, path: u.audioPath }) + '\n').join(''));
  });
}

/** Normalises both sides as `attune eval` does and scores them per speaker and overall. */
export function scorePeer(
  utterances: readonly Pick<LibriSpeechUtterance, 'id' | 'speaker' | 'text'>[],
  hyps: ReadonlyMap<string, string>,
): Pick<PeerScores, 'utterances' | 'wer' | 'cer' | 'bySpeaker' | 'hypotheses'> {
  const alphabet = englishAlphabet();
  const total = new CorpusScorer();
  const bySpeaker = new Map<string, CorpusScorer>();
  const hypotheses: PeerHypothesis[] = [];
  for (const u of utterances) {
    const raw = hyps.get(u.id);
    if (raw === undefined) continue;
    const ref = normalizeText(u.text, alphabet);
    const hyp = normalizeText(raw, alphabet);
    const r = total.add(ref, hyp);
    if (!bySpeaker.has(u.speaker)) bySpeaker.set(u.speaker, new CorpusScorer());
    bySpeaker.get(u.speaker)!.add(ref, hyp);
    hypotheses.push({ id: u.id, speaker: u.speaker, ref, hyp, wer: r.wer.rate });
  }
  return {
    utterances: hypotheses.length,
    wer: total.wer.rate,
    cer: total.cer.rate,
    bySpeaker: [...bySpeaker.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([speaker, s]) => ({ speaker, utterances: s.words.utterances, wer: s.wer.rate, cer: s.cer.rate })),
    hypotheses,
  };
}

/** Decodes a LibriSpeech-layout set with pocketsphinx's default English model and LM, and scores it. */
export async function pocketsphinxScores(dir: string, options: PeerOptions = {}): Promise<PeerScores> {
  const corpus = await readLibriSpeech(dir);
  const limit = options.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new Error(`limit must be a positive whole number, got ${limit}`);
  const utterances = corpus.utterances.slice(0, limit);
  const t0 = performance.now();
  const decoded = await decodeWithPocketsphinx(utterances, options);
  const seconds = (performance.now() - t0) / 1000;
  const skipped: PeerScores['skipped'] = [];
  const hyps = new Map<string, string>();
  let decodeSeconds = 0;
  for (const r of decoded.values()) {
    decodeSeconds += r.seconds;
    if (r.error !== undefined) skipped.push({ id: r.id, reason: r.error });
    else hyps.set(r.id, r.hyp);
  }
  const scored = utterances.filter((u) => hyps.has(u.id));
  const durations = await audioDurations(scored.map((u) => u.audioPath));
  return {
    set: corpus.root,
    ...scorePeer(scored, hyps),
    seconds,
    decodeSeconds,
    audioSeconds: durations.reduce((a, b) => a + b, 0),
    skipped,
  };
}
