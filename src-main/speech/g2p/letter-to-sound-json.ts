import { BackoffNgram } from './backoff-ngram.js';
import { GraphoneVocabulary } from './graphone-vocabulary.js';
import { PackedNumbersError, packVarints, unpackVarints, unzigzag, zigzag } from './packed-varints.js';

/**
 * The stored form of letter-to-sound rules, to keep beside an acoustic model. The n-gram trie is four
 * columns of varints in breadth-first node order: each node's number of children, each child's token as
 * the gap from its previous sibling's, each node's log-probability and each context's back-off weight.
 * Log values are rounded to 1/256 nat: 0.4 % in probability, far finer than the search can tell apart,
 * and it lets most of them fit in two bytes.
 */
export interface LetterToSoundJson {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** Hypotheses kept per letter when pronouncing. */
  beamWidth: number;
  /** Token k + 2's graphone as "letter:PHONE PHONE" ("g:" for a silent letter). */
  graphones: string[];
  ngram: {
    /** Number of trie nodes, the root included. */
    nodes: number;
    /** Per node: how many children. */
    children: string;
    /** Per node after the root: token − previous sibling's token − 1 (the first child: token). */
    tokens: string;
    /** Per node after the root: −log p × 256, rounded. */
    logProbs: string;
    /** Per node with children, the root excepted: log back-off weight × 256, rounded, zig-zag coded. */
    backoffs: string;
  };
}

const FORMAT = 'attune-letter-to-sound';
const VERSION = 1;
const SCALE = 256;
/** A letter of LETTERS, a colon, and none, one or two phones. */
const GRAPHONE = /^([a-z']):((?:[A-Z]+(?: [A-Z]+)?)?)$/;

export class LetterToSoundFormatError extends Error {
  override readonly name = 'LetterToSoundFormatError';
}

/**
 * Rounds the model's log values to the stored resolution, in place, so that a learned model pronounces
 * every word exactly as the same model loaded back from its JSON does.
 */
export function roundLogsAsStored(model: BackoffNgram): void {
  for (let n = 0; n < model.nodes; n++) {
    model.logProb[n] = -Math.max(0, Math.round(-model.logProb[n] * SCALE)) / SCALE;
    model.backoff[n] = Math.round(model.backoff[n] * SCALE) / SCALE;
  }
}

export function writeLetterToSound(
  vocabulary: GraphoneVocabulary,
  model: BackoffNgram,
  beamWidth: number,
): LetterToSoundJson {
  const N = model.nodes;
  const children: number[] = [];
  const tokens: number[] = [];
  const logProbs: number[] = [];
  const backoffs: number[] = [];
  for (let n = 0; n < N; n++) {
    const [a, b] = [model.childStart[n], model.childStart[n + 1]];
    children.push(b - a);
    for (let c = a; c < b; c++) tokens.push(model.token[c] - (c === a ? 0 : model.token[c - 1] + 1));
    if (n > 0) logProbs.push(Math.max(0, Math.round(-model.logProb[n] * SCALE)));
    if (n > 0 && b > a) backoffs.push(zigzag(Math.round(model.backoff[n] * SCALE)));
  }
  return {
    format: FORMAT,
    version: VERSION,
    beamWidth,
    graphones: vocabulary.graphones.map((g) => `${g.letter}:${g.phones.join(' ')}`),
    ngram: {
      nodes: N,
      children: packVarints(children),
      tokens: packVarints(tokens),
      logProbs: packVarints(logProbs),
      backoffs: packVarints(backoffs),
    },
  };
}

export function readLetterToSound(obj: unknown): {
  vocabulary: GraphoneVocabulary;
  model: BackoffNgram;
  beamWidth: number;
} {
  const fail = (why: string): never => {
    throw new LetterToSoundFormatError(`letter-to-sound rules: ${why}`);
  };
  if (typeof obj !== 'object' || obj === null) fail('not an object');
  const o = obj as Record<string, unknown>;
  if (o.format !== FORMAT) fail(`format is ${JSON.stringify(o.format)}, not "${FORMAT}"`);
  if (o.version !== VERSION) fail(`version ${JSON.stringify(o.version)} is not ${VERSION}`);
  const beamWidth = o.beamWidth;
  if (!(typeof beamWidth === 'number' && Number.isInteger(beamWidth) && beamWidth >= 1))
    fail('beamWidth is not a whole number ≥ 1');
  const vocabulary = readGraphones(o.graphones, fail);
  const ngram = o.ngram as Record<string, unknown> | undefined;
  if (typeof ngram !== 'object' || ngram === null) fail('ngram is missing');
  try {
    const model = readTrie(ngram!, vocabulary.size, fail);
    return { vocabulary, model, beamWidth: beamWidth as number };
  } catch (err) {
    if (err instanceof PackedNumbersError || err instanceof RangeError) fail(err.message);
    throw err;
  }
}

function readGraphones(list: unknown, fail: (why: string) => never): GraphoneVocabulary {
  if (!Array.isArray(list) || list.length === 0) fail('graphones is not a non-empty list');
  const graphones = (list as unknown[]).map((g, k) => {
    const m = typeof g === 'string' ? GRAPHONE.exec(g) : null;
    if (!m) fail(`graphone ${k} (${JSON.stringify(g)}) is not "letter:PHONES"`);
    return { letter: m![1], phones: m![2] === '' ? [] : m![2].split(' ') };
  });
  try {
    return new GraphoneVocabulary(graphones);
  } catch (err) {
    return fail((err as Error).message);
  }
}

function readTrie(
  ngram: Record<string, unknown>,
  vocabSize: number,
  fail: (why: string) => never,
): BackoffNgram {
  const N = ngram.nodes;
  if (!(typeof N === 'number' && Number.isInteger(N) && N >= 1))
    return fail('ngram.nodes is not a count ≥ 1');
  const kids = unpackVarints(ngram.children, N, 'ngram.children');
  const childStart = new Uint32Array(N + 1);
  let next = 1;
  for (let n = 0; n < N; n++) {
    if (kids[n] > 0 && next <= n) fail(`ngram node ${n} would be its own ancestor`);
    childStart[n] = next;
    next += kids[n];
    if (next > N) fail(`ngram.children lists more than ${N - 1} children`);
  }
  childStart[N] = next;
  if (next !== N) fail(`ngram.children lists ${next - 1} children for ${N - 1} nodes`);
  const gaps = unpackVarints(ngram.tokens, N - 1, 'ngram.tokens');
  const token = new Uint16Array(N);
  for (let n = 0; n < N; n++)
    for (let c = childStart[n]; c < childStart[n + 1]; c++) {
      const t = gaps[c - 1] + (c === childStart[n] ? 0 : token[c - 1] + 1);
      if (t >= vocabSize) fail(`ngram node ${c} has token ${t}, outside the ${vocabSize} graphones`);
      token[c] = t;
    }
  const logs = unpackVarints(ngram.logProbs, N - 1, 'ngram.logProbs');
  const logProb = new Float32Array(N);
  logs.forEach((v, i) => (logProb[i + 1] = -v / SCALE));
  const contexts = kids.reduce((s, k, n) => s + (n > 0 && k > 0 ? 1 : 0), 0);
  const bows = unpackVarints(ngram.backoffs, contexts, 'ngram.backoffs');
  const backoff = new Float32Array(N);
  for (let n = 1, i = 0; n < N; n++) if (kids[n] > 0) backoff[n] = unzigzag(bows[i++]) / SCALE;
  return new BackoffNgram(vocabSize, token, childStart, logProb, backoff);
}
