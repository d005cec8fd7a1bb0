/**
 * How a model's scores are best turned into words, measured for that model: the prior of each output class
 * and the weights of the word search that go with it.
 *
 * A CTC model's output is a posterior, P(class | audio), and it carries the class's prior, how often the
 * class was emitted in training: the blank most of all, then the common phones. Searched with a language
 * model, which brings its own prior for the words, the acoustic side's prior counts twice, and words with
 * rare sounds, or any word at all against the blank, lose: the search deletes words. Dividing the posterior
 * by the prior raised to a scale, P(class | audio) / P(class)^α, turns it towards a likelihood, as a hybrid
 * recogniser's scores are; the scale, and the language model weight that suits it, are measured on speech
 * the model was not trained on (bench/lm-tune.ts).
 */
export interface ClassDecoding {
  /** ln of each class's mean posterior over frames of speech the model was trained on: [V]. */
  readonly logPriors: Float32Array;
  /** α: how much of the prior each frame's log-probabilities lose in a word search (0 = none). */
  readonly priorScale: number;
  /** The language model weight to search with at that scale. */
  readonly lmWeight: number;
  /** Log-score added per word at that scale. */
  readonly wordBonus: number;
  /** Where the priors were measured and the weights chosen (provenance, shown in the model card). */
  readonly source: string;
}

/** As config.json stores it. */
export interface ClassDecodingJson {
  logPriors: number[];
  priorScale: number;
  lmWeight: number;
  wordBonus: number;
  source: string;
}

export function classDecodingToJson(d: ClassDecoding): ClassDecodingJson {
  return {
    logPriors: Array.from(d.logPriors, (x) => Number(x.toFixed(6))),
    priorScale: d.priorScale,
    lmWeight: d.lmWeight,
    wordBonus: d.wordBonus,
    source: d.source,
  };
}

/** Reads config.json's `decoding` for a model of V classes; the error says which field is wrong. */
export function parseClassDecoding(json: unknown, V: number): ClassDecoding {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('"decoding" must be an object');
  const d = json as Partial<Record<keyof ClassDecodingJson, unknown>>;
  const { logPriors } = d;
  if (!Array.isArray(logPriors) || logPriors.length !== V)
    throw new Error(`decoding.logPriors needs one value per class (${V})`);
  if (!logPriors.every((x) => typeof x === 'number' && Number.isFinite(x) && x <= 0))
    throw new Error('decoding.logPriors must be log-probabilities: finite numbers ≤ 0');
  const num = (name: 'priorScale' | 'lmWeight' | 'wordBonus', min: number) => {
    const x = d[name];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min)
      throw new Error(`decoding.${name} must be a number ≥ ${min}, got ${JSON.stringify(x)}`);
    return x;
  };
  return {
    logPriors: Float32Array.from(logPriors as number[]),
    priorScale: num('priorScale', 0),
    lmWeight: num('lmWeight', 0),
    wordBonus: num('wordBonus', -Infinity),
    source: typeof d.source === 'string' ? d.source : '',
  };
}

/** Sums posteriors frame by frame, to give each class's mean posterior (its prior) over every frame seen. */
export class PriorEstimator {
  private readonly sums: Float64Array;
  private frames = 0;

  constructor(readonly classes: number) {
    this.sums = new Float64Array(classes);
  }

  /** Adds `frames` frames of log-probabilities [frames, V]. */
  add(logProbs: Float32Array, frames: number): void {
    const V = this.classes;
    if (logProbs.length < frames * V)
      throw new Error(`${logProbs.length} log-probabilities cannot hold ${frames} frames of ${V} classes`);
    for (let i = 0; i < frames * V; i++) this.sums[i % V] += Math.exp(logProbs[i]);
    this.frames += frames;
  }

  get framesSeen(): number {
    return this.frames;
  }

  /**
   * ln mean posterior per class: [V]. A class the model never emitted is floored at a thousandth of one
   * frame's worth, so dividing by its prior stays finite.
   */
  logPriors(): Float32Array {
    if (this.frames === 0) throw new Error('no frames to estimate class priors from');
    const floor = 1e-3 / this.frames;
    return Float32Array.from(this.sums, (s) => Math.log(Math.max(s / this.frames, floor)));
  }
}
