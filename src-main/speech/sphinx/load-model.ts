// Loads a sphinx acoustic model directory (feat.params, mdef, means, variances, and sendump or
// mixture_weights) and checks that its parts agree with each other.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFeatParams, type SphinxFrontEndConfig } from './feat-params.js';
import { parseMdef, type ModelDefinition } from './mdef.js';
import {
  parseGaussians,
  parseMixtureWeights,
  parseSendump,
  type GaussianParams,
  type MixtureWeights,
} from './s3-model.js';

/** Where Debian's pocketsphinx-en-us package installs the US English model. */
export const DEBIAN_EN_US_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us/en-us';

export interface SphinxAcousticModel {
  readonly dir: string;
  readonly frontEnd: SphinxFrontEndConfig;
  readonly mdef: ModelDefinition;
  readonly means: GaussianParams;
  readonly variances: GaussianParams;
  readonly mixtureWeights: MixtureWeights;
}

/** The files loadSphinxModel reads, for messages. */
export const SPHINX_MODEL_FILES = 'feat.params, mdef, means, variances, and sendump or mixture_weights';

/** True if dir holds the files loadSphinxModel needs. */
export function hasSphinxModel(dir: string): boolean {
  const need = ['feat.params', 'mdef', 'means', 'variances'];
  return (
    need.every((f) => existsSync(join(dir, f))) &&
    ['sendump', 'mixture_weights'].some((f) => existsSync(join(dir, f)))
  );
}

/**
 * The files of dir that loadSphinxModel reads (the sendump when both mixture weight files are there, as it
 * prefers), and the README when there is one: the en-us model's licence asks for its notice to travel with it.
 */
export function sphinxModelFiles(dir: string): string[] {
  if (!hasSphinxModel(dir))
    throw new Error(`${dir}: not a sphinx acoustic model folder (needs ${SPHINX_MODEL_FILES})`);
  const weights = existsSync(join(dir, 'sendump')) ? 'sendump' : 'mixture_weights';
  const files = ['feat.params', 'mdef', 'means', 'variances', weights];
  return existsSync(join(dir, 'README')) ? [...files, 'README'] : files;
}

/** Copies what loadSphinxModel reads from one folder into another (created if need be). */
export function copySphinxModel(from: string, to: string): void {
  const files = sphinxModelFiles(from);
  mkdirSync(to, { recursive: true });
  for (const f of files) copyFileSync(join(from, f), join(to, f));
}

/** True when two folders hold the same model: the files loadSphinxModel reads are byte for byte equal. */
export function sameSphinxModel(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  const read = (dir: string) => sphinxModelFiles(dir).filter((f) => f !== 'README');
  const files = read(a);
  if (files.join() !== read(b).join()) return false;
  return files.every((f) => readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

export function loadSphinxModel(dir: string): SphinxAcousticModel {
  const read = (name: string): Uint8Array => {
    const path = join(dir, name);
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${path}: cannot read (${(err as Error).message})`);
    }
  };
  const frontEnd = readFeatParams(join(dir, 'feat.params'));
  const mdef = parseMdef(read('mdef'), join(dir, 'mdef'));
  const means = parseGaussians(read('means'), join(dir, 'means'));
  const variances = parseGaussians(read('variances'), join(dir, 'variances'));
  // pocketsphinx prefers the sendump when a model ships both.
  const mixtureWeights = existsSync(join(dir, 'sendump'))
    ? parseSendump(read('sendump'), join(dir, 'sendump'), means.nStreams)
    : parseMixtureWeights(read('mixture_weights'), join(dir, 'mixture_weights'));
  const model = { dir, frontEnd, mdef, means, variances, mixtureWeights };
  checkModel(model);
  return model;
}

function checkModel(m: SphinxAcousticModel): void {
  const problems: string[] = [];
  const { means: g, variances: v, mixtureWeights: w, mdef, frontEnd } = m;
  if (
    g.nCodebooks !== v.nCodebooks ||
    g.nDensities !== v.nDensities ||
    g.streamDims.join() !== v.streamDims.join()
  )
    problems.push('means and variances have different shapes');
  if (w.nSenones !== mdef.nSenones)
    problems.push(`mixture weights cover ${w.nSenones} senones, mdef has ${mdef.nSenones}`);
  if (w.nStreams !== g.nStreams || w.nDensities !== g.nDensities)
    problems.push(
      `mixture weights are ${w.nStreams}×${w.nDensities}, Gaussians ${g.nStreams}×${g.nDensities}`,
    );
  if (![1, mdef.ciPhones.length, mdef.nSenones].includes(g.nCodebooks))
    problems.push(`${g.nCodebooks} codebooks is neither 1, one per CI phone, nor one per senone`);
  const streamDims = frontEnd.streams?.map(([lo, hi]) => hi - lo + 1) ?? [3 * frontEnd.nCep];
  if (streamDims.join() !== g.streamDims.join())
    problems.push(
      `feat.params streams ${streamDims.join('+')} differ from the Gaussians' ${g.streamDims.join('+')}`,
    );
  if (problems.length > 0) throw new Error(`${m.dir}: inconsistent model: ${problems.join('; ')}`);
}
