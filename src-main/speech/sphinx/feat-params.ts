// A sphinx acoustic model's feat.params: the front-end settings it was trained with, as command-line options
// ("-lowerf 130", one or more per line). Options the file leaves out take sphinxbase's defaults (the ones
// sphinx_fe and pocketsphinx print with -help), so a config parsed from a file describes the front end fully.

import { readFileSync } from 'node:fs';

/** How cepstra are computed from the log mel spectrum (-transform). */
export type CepstralTransform = 'legacy' | 'dct' | 'htk';
/** Cepstral mean normalisation (-cmn): older sphinx names 'current' (= batch) and 'prior' (= live) too. */
export type CmnMode = 'none' | 'batch' | 'live';
export type AgcMode = 'none' | 'max' | 'emax' | 'noise';

/** One typed config for the sphinx front end and feature computation; units in the names. */
export interface SphinxFrontEndConfig {
  /** -samprate: input sample rate, Hz. Default 16000. */
  readonly sampleRate: number;
  /** -frate: frames per second. Default 100 → a hop of sampleRate / frameRate = 160 samples. */
  readonly frameRate: number;
  /** -wlen: Hamming window length, seconds. Default 0.025625 → 410 samples at 16 kHz. */
  readonly windowSeconds: number;
  /** -nfft: FFT size, samples (power of two ≥ the window). Default 512. */
  readonly nFft: number;
  /** -alpha: pre-emphasis y[n] = x[n] - alpha x[n-1]. Default 0.97. */
  readonly preEmphasis: number;
  /** -lowerf: lower edge of the lowest mel filter, Hz. Default 133.33334. */
  readonly lowerHz: number;
  /** -upperf: upper edge of the highest mel filter, Hz. Default 6855.4976. */
  readonly upperHz: number;
  /** -nfilt: number of triangular mel filters. Default 40. */
  readonly nFilters: number;
  /** -ncep: cepstral coefficients per frame, c0 included. Default 13. */
  readonly nCep: number;
  /** -transform: default 'legacy' (sphinx's original, non-orthonormal DCT). */
  readonly transform: CepstralTransform;
  /** -lifter: sine lifter length L (c_i *= 1 + L/2 sin(pi i / L)), 0 = none. Default 0. */
  readonly lifter: number;
  /** -unit_area: scale each mel filter to unit area. Default yes. */
  readonly unitArea: boolean;
  /** -round_filters: snap filter edges and centres to FFT bins. Default yes. */
  readonly roundFilters: boolean;
  /** -doublebw: filters twice as wide at the same centres. Default no. */
  readonly doubleBandwidth: boolean;
  /** -remove_dc: subtract each frame's mean before windowing. Default no. */
  readonly removeDc: boolean;
  /** -dither: add ±1 LSB noise. Default no; recorded only, this front end never dithers (it must be exact). */
  readonly dither: boolean;
  /** -feat: dynamic feature type. Default '1s_c_d_dd' (cepstra, Δ, ΔΔ in one vector). */
  readonly featureType: string;
  /** -svspec: feature dimensions per Gaussian stream, inclusive ranges. Default: one stream over all. */
  readonly streams: readonly (readonly [number, number])[] | null;
  /** -cmn: default 'live' (pocketsphinx 5's default; the model may have been trained with 'batch'). */
  readonly cmn: CmnMode;
  /** -cmninit: initial cepstral mean [nCep]; missing trailing values are 0. Default "8.0". */
  readonly cmnInit: readonly number[];
  /** -varnorm: cepstral variance normalisation. Default no. */
  readonly varNorm: boolean;
  /** -agc: automatic gain control on c0. Default 'none'. */
  readonly agc: AgcMode;
  /** -model: 'ptm', 'semi' or 'cont' if given. Default null (sphinx then guesses from the model files). */
  readonly modelType: string | null;
  /** Every option as written, including ones this front end does not interpret (e.g. -lda). */
  readonly raw: Readonly<Record<string, string>>;
}

export const DEFAULT_SPHINX_FRONT_END: Readonly<SphinxFrontEndConfig> = Object.freeze({
  sampleRate: 16000,
  frameRate: 100,
  windowSeconds: 0.025625,
  nFft: 512,
  preEmphasis: 0.97,
  lowerHz: 133.33334,
  upperHz: 6855.4976,
  nFilters: 40,
  nCep: 13,
  transform: 'legacy',
  lifter: 0,
  unitArea: true,
  roundFilters: true,
  doubleBandwidth: false,
  removeDc: false,
  dither: false,
  featureType: '1s_c_d_dd',
  streams: null,
  cmn: 'live',
  cmnInit: Object.freeze([8]),
  varNorm: false,
  agc: 'none',
  modelType: null,
  raw: Object.freeze({}),
});

/** Samples between frame starts: sphinx rounds sampleRate / frameRate to the nearest integer. */
export function hopSamples(config: SphinxFrontEndConfig): number {
  return Math.trunc(config.sampleRate / config.frameRate + 0.5);
}

/** Analysis window length in samples, rounded as sphinx rounds it (0.025625 s at 16 kHz → 410). */
export function windowSamples(config: SphinxFrontEndConfig): number {
  return Math.trunc(config.windowSeconds * config.sampleRate + 0.5);
}

/** Reads and parses a feat.params file; errors name the file and line. */
export function readFeatParams(path: string): SphinxFrontEndConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read feat.params (${(err as Error).message})`);
  }
  return parseFeatParams(text, path);
}

type Setter = (value: string, fail: (why: string) => never) => Partial<Mutable<SphinxFrontEndConfig>>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parses feat.params text. fileName is only used in error messages. */
export function parseFeatParams(text: string, fileName = 'feat.params'): SphinxFrontEndConfig {
  const config: Mutable<SphinxFrontEndConfig> = { ...DEFAULT_SPHINX_FRONT_END, raw: {} };
  const raw: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string): never => {
      throw new Error(`${fileName}:${i + 1}: ${why} (line: "${line}")`);
    };
    const tokens = line.split(/\s+/);
    if (tokens.length % 2 !== 0) fail('expected "-option value" pairs');
    for (let k = 0; k < tokens.length; k += 2) {
      const [name, value] = [tokens[k], tokens[k + 1]];
      if (!/^-[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        fail(`"${name}" is not an option name (options start with -)`);
      raw[name] = value;
      const setter = SETTERS[name];
      if (setter) Object.assign(config, setter(value, fail));
    }
  }
  config.raw = Object.freeze(raw);
  checkConsistent(config, fileName);
  config.cmnInit = Object.freeze(padCmnInit(config.cmnInit, config.nCep));
  return Object.freeze(config);
}

const number =
  (key: keyof SphinxFrontEndConfig, opts: { integer?: boolean; min?: number } = {}): Setter =>
  (value, fail) => {
    const v = Number(value);
    if (value === '' || !Number.isFinite(v)) fail(`"${value}" is not a number`);
    if (opts.integer && !Number.isInteger(v)) fail(`"${value}" is not an integer`);
    if (opts.min !== undefined && v < opts.min) fail(`${value} is below the minimum ${opts.min}`);
    return { [key]: v };
  };

const boolean =
  (key: keyof SphinxFrontEndConfig): Setter =>
  (value, fail) => {
    // sphinx's cmd_ln accepts yes/no, true/false and 1/0 for booleans.
    const v = value.toLowerCase();
    if (['yes', 'true', '1'].includes(v)) return { [key]: true };
    if (['no', 'false', '0'].includes(v)) return { [key]: false };
    return fail(`"${value}" is not a boolean (yes/no)`);
  };

const oneOf =
  <T extends string>(key: keyof SphinxFrontEndConfig, map: Record<string, T>): Setter =>
  (value, fail) => {
    const v = map[value];
    if (v === undefined) fail(`"${value}" is not one of ${Object.keys(map).join(', ')}`);
    return { [key]: v };
  };

const SETTERS: Record<string, Setter> = {
  '-samprate': number('sampleRate', { min: 1 }),
  '-frate': number('frameRate', { integer: true, min: 1 }),
  '-wlen': number('windowSeconds', { min: 0 }),
  '-nfft': number('nFft', { integer: true, min: 2 }),
  '-alpha': number('preEmphasis', { min: 0 }),
  '-lowerf': number('lowerHz', { min: 0 }),
  '-upperf': number('upperHz', { min: 0 }),
  '-nfilt': number('nFilters', { integer: true, min: 1 }),
  '-ncep': number('nCep', { integer: true, min: 1 }),
  '-lifter': number('lifter', { integer: true, min: 0 }),
  '-transform': oneOf<CepstralTransform>('transform', { legacy: 'legacy', dct: 'dct', htk: 'htk' }),
  '-unit_area': boolean('unitArea'),
  '-round_filters': boolean('roundFilters'),
  '-doublebw': boolean('doubleBandwidth'),
  '-remove_dc': boolean('removeDc'),
  '-dither': boolean('dither'),
  '-varnorm': boolean('varNorm'),
  '-feat': (value) => ({ featureType: value }),
  '-model': (value) => ({ modelType: value }),
  '-cmn': oneOf<CmnMode>('cmn', {
    none: 'none',
    batch: 'batch',
    current: 'batch',
    live: 'live',
    prior: 'live',
  }),
  '-agc': oneOf<AgcMode>('agc', { none: 'none', max: 'max', emax: 'emax', noise: 'noise' }),
  '-cmninit': (value, fail) => {
    const parts = value.split(',');
    const values = parts.map(Number);
    if (parts.some((p) => p.trim() === '') || values.some((v) => !Number.isFinite(v)))
      fail(`"${value}" is not a comma-separated list of numbers`);
    return { cmnInit: values };
  },
  '-svspec': (value, fail) => ({ streams: parseSvspec(value, fail) }),
};

/** "0-12/13-25/26-38" → [[0, 12], [13, 25], [26, 38]]. Streams are contiguous ranges here (sphinx allows lists). */
function parseSvspec(value: string, fail: (why: string) => never): [number, number][] {
  return value.split('/').map((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (!m) return fail(`stream "${part}" in -svspec is not a range like 0-12`);
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (hi < lo) return fail(`stream "${part}" in -svspec ends before it starts`);
    return [lo, hi];
  });
}

function padCmnInit(values: readonly number[], nCep: number): number[] {
  const out = new Array<number>(nCep).fill(0);
  for (let i = 0; i < Math.min(nCep, values.length); i++) out[i] = values[i];
  return out;
}

/** Cross-option checks sphinx also makes (or would fail on later, less clearly). */
function checkConsistent(config: SphinxFrontEndConfig, fileName: string): void {
  const problems: string[] = [];
  const win = windowSamples(config);
  if ((config.nFft & (config.nFft - 1)) !== 0) problems.push(`-nfft ${config.nFft} is not a power of two`);
  if (win < 2 || win > config.nFft) problems.push(`-wlen gives ${win} samples, which must be in 2..nfft`);
  if (hopSamples(config) < 2) problems.push(`-frate ${config.frameRate} leaves a hop under 2 samples`);
  if (!(config.lowerHz < config.upperHz)) problems.push('-lowerf must be below -upperf');
  if (config.upperHz > config.sampleRate / 2 + 1) problems.push('-upperf is above the Nyquist frequency');
  if (config.nCep > config.nFilters) problems.push(`-ncep ${config.nCep} exceeds -nfilt ${config.nFilters}`);
  if (config.cmnInit.length > config.nCep) problems.push(`-cmninit has more than ${config.nCep} values`);
  if (config.streams) {
    let next = 0;
    for (const [lo, hi] of config.streams) {
      if (lo !== next) problems.push('-svspec streams must be contiguous from 0');
      next = hi + 1;
    }
  }
  if (problems.length > 0) throw new Error(`${fileName}: ${problems.join('; ')}`);
}
