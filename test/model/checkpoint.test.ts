// Model folders: exact round trip, atomic replacement, and a clear error for every way a folder can be bad.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import {
  isModelFolder,
  loadModelFolder,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelFolder,
  ModelFolderError,
  saveModelFolder,
} from '../../src-main/model/checkpoint.js';
import { type AcousticConfig } from '../../src-main/model/config.js';
import { checkpointFromModel, loadModel } from '../../src-main/model/model-io.js';
import { decodeSafetensors, encodeSafetensors } from '../../src-main/model/safetensors.js';
import { englishAlphabet, parseTokens } from '../../src-main/speech/alphabet.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { withFrontEnd } from '../../src-main/speech/front-end.js';
import { HAVE_MODEL, MODEL_DIR } from '../speech/sphinx/helpers.js';
import {
  maxAbsDiff,
  offlineLogProbs,
  randomFeatures,
  randomValues,
  SMALL,
  useBackend,
} from '../training/helpers-tf.js';

const CFG: AcousticConfig = { ...SMALL, vocabSize: 29 }; // the English alphabet's 29 classes
const FEATURES = { ...DEFAULT_FEATURES, nMels: CFG.featureBins };

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attune-checkpoint-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  return join(root, `m${counter++}`);
}

function folder(seed = 1): ModelFolder {
  return {
    acoustic: CFG,
    features: FEATURES,
    stats: {
      mean: randomValues(CFG.featureBins, seed, -8, -2),
      std: randomValues(CFG.featureBins, seed + 1, 0.5, 3),
    },
    alphabet: englishAlphabet(),
    weights: initParams(CFG, seed),
    info: {
      version: `v${seed}`,
      training: { steps: 12, corpus: 'synthetic' },
      metrics: { dev: { cer: 0.25 } },
    },
    modelCard: `# Model ${seed}\n\nÄ card with ünïcode.\n`,
  };
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function expectSameFolder(got: ModelFolder, want: ModelFolder): void {
  expect(got.acoustic).toEqual(want.acoustic);
  expect(got.features).toEqual(want.features);
  expect(bitsEqual(got.stats.mean, want.stats.mean)).toBe(true);
  expect(bitsEqual(got.stats.std, want.stats.std)).toBe(true);
  expect(got.alphabet.tokens).toEqual(want.alphabet.tokens);
  expect(got.alphabet.blank).toBe(want.alphabet.blank);
  expect(got.alphabet.space).toBe(want.alphabet.space);
  expect(got.info).toEqual(want.info);
  expect(got.modelCard).toBe(want.modelCard);
  expect([...got.weights.keys()].sort()).toEqual([...want.weights.keys()].sort());
  for (const [name, w] of want.weights) expect(bitsEqual(got.weights.get(name)!, w), name).toBe(true);
}

/** Leftovers of a save in the folder's parent: temporary or old copies. */
function strays(parent: string): string[] {
  return readdirSync(parent).filter((n) => n.includes('.tmp') || n.endsWith('.old'));
}

describe('saveModelFolder / loadModelFolder', () => {
  it('round-trips weights bit for bit, config, stats, tokens, info and card', () => {
    const dir = freshDir();
    const m = folder(3);
    saveModelFolder(dir, m);
    expect(readdirSync(dir).sort()).toEqual([
      'MODEL_CARD.md',
      'config.json',
      'model.safetensors',
      'tokens.txt',
    ]);
    expect(isModelFolder(dir)).toBe(true);
    expectSameFolder(loadModelFolder(dir), m);
    // The files are what other tools expect: a tokens file and a self-describing config.
    expect(parseTokens(readFileSync(join(dir, 'tokens.txt'), 'utf8')).tokens).toEqual(
      englishAlphabet().tokens,
    );
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.format).toBe(MODEL_FORMAT);
    expect(config.version).toBe(MODEL_FORMAT_VERSION);
    expect(decodeSafetensors(readFileSync(join(dir, 'model.safetensors'))).metadata).toEqual({
      format: MODEL_FORMAT,
    });
  });

  it('keeps the class priors and word-search weights measured for the model (config.json decoding)', () => {
    const dir = freshDir();
    const m = folder(3);
    const V = m.alphabet.size;
    const logPriors = Float32Array.from({ length: V }, (_, i) => -1 - i / 8);
    const decoding = { logPriors, priorScale: 0.4, lmWeight: 1.2, wordBonus: 0.5, source: 'a test set' };
    saveModelFolder(dir, { ...m, alphabet: { ...m.alphabet, decoding } });
    expect(loadModelFolder(dir).alphabet.decoding).toEqual(decoding);
    // Saved again as loaded (a personal model made from it): still there.
    const again = freshDir();
    saveModelFolder(again, loadModelFolder(dir));
    expect(loadModelFolder(again).alphabet.decoding).toEqual(decoding);
    // A model without them has none.
    saveModelFolder(dir, m);
    expect(loadModelFolder(dir).alphabet.decoding).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).not.toHaveProperty('decoding');
  });

  it('reads a version-1 folder, whose models always subsampled by [2, 2]', () => {
    const dir = freshDir();
    const m = folder(6);
    saveModelFolder(dir, { ...m, acoustic: { ...m.acoustic, subsampleStrides: [2, 2] } });
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    c.version = 1;
    delete c.acoustic.subsampleStrides;
    writeFileSync(path, JSON.stringify(c));
    const back = loadModelFolder(dir);
    expect(back.acoustic.subsampleStrides).toEqual([2, 2]);
    expect(back.weights).toEqual(m.weights);
  });

  it('keeps a blank that is not class 0 where the tokens file puts it', () => {
    const dir = freshDir();
    const m = folder(4);
    m.alphabet = parseTokens(['<space>', ...'abcdefghijklmnopqrstuvwxyz', "'", '<blank>'].join('\n'));
    saveModelFolder(dir, m);
    const back = loadModelFolder(dir);
    expect(back.alphabet.blank).toBe(28);
    expect(back.alphabet.space).toBe(0);
  });

  it('saves without a model card, and fills feature settings a config leaves out', () => {
    const dir = freshDir();
    const m = { ...folder(5), modelCard: undefined };
    saveModelFolder(dir, m);
    expect(existsSync(join(dir, 'MODEL_CARD.md'))).toBe(false);
    expect(loadModelFolder(dir).modelCard).toBeUndefined();
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    config.features = { nMels: CFG.featureBins };
    delete config.info;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const back = loadModelFolder(dir);
    expect(back.features).toEqual(FEATURES);
    expect(back.info).toEqual({});
  });

  it('replaces an existing folder completely, leaving nothing behind', () => {
    const dir = freshDir();
    saveModelFolder(dir, folder(1));
    writeFileSync(join(dir, 'stale-extra-file.txt'), 'from an older version');
    const second = { ...folder(2), modelCard: undefined };
    saveModelFolder(dir, second);
    expectSameFolder(loadModelFolder(dir), second);
    expect(existsSync(join(dir, 'stale-extra-file.txt'))).toBe(false);
    expect(existsSync(join(dir, 'MODEL_CARD.md'))).toBe(false);
    expect(strays(root)).toEqual([]);
  });

  it('leaves the old folder intact, and no temporary folder, when a save fails midway', () => {
    const dir = freshDir();
    const first = folder(1);
    saveModelFolder(dir, first);
    // Fails after the weights and config are written, while the card is being written.
    const failing = folder(2);
    Object.defineProperty(failing, 'modelCard', {
      get() {
        throw new Error('disk full');
      },
    });
    expect(() => saveModelFolder(dir, failing)).toThrow('disk full');
    expectSameFolder(loadModelFolder(dir), first);
    expect(strays(root)).toEqual([]);
    // Fails before anything is written: a weight is missing.
    const missing = folder(2);
    missing.weights.delete('head.bias');
    expect(() => saveModelFolder(dir, missing)).toThrow(ModelFolderError);
    expect(() => saveModelFolder(dir, missing)).toThrow(/cannot save: weight head\.bias is missing/);
    // Fails while encoding: a weight of the wrong size.
    const wrong = folder(2);
    wrong.weights.set('head.bias', new Float32Array(3));
    expect(() => saveModelFolder(dir, wrong)).toThrow(/head\.bias: shape \[29\] needs 29 values, has 3/);
    expectSameFolder(loadModelFolder(dir), first);
    expect(strays(root)).toEqual([]);
  });

  it('creates missing parent folders', () => {
    const dir = join(freshDir(), 'a', 'b', 'model');
    saveModelFolder(dir, folder(1));
    expect(isModelFolder(dir)).toBe(true);
  });
});

describe('loadModelFolder on a bad folder', () => {
  /** A good folder, then `damage` applied to it; returns the load error. */
  function damaged(damage: (dir: string) => void): ModelFolderError {
    const dir = freshDir();
    saveModelFolder(dir, folder(7));
    damage(dir);
    try {
      loadModelFolder(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(ModelFolderError);
      expect((err as ModelFolderError).folder).toBe(dir);
      expect((err as Error).message.startsWith(`model folder ${dir}: `)).toBe(true);
      return err as ModelFolderError;
    }
    throw new Error('loadModelFolder accepted a damaged folder');
  }
  /** config.json as the tests edit it (loosely typed: they write what the loader must reject). */
  interface RawConfig {
    format?: unknown;
    version?: unknown;
    acoustic?: Record<string, unknown>;
    features: Record<string, unknown>;
    stats?: { mean: (number | null)[]; std: number[] };
    decoding?: unknown;
  }
  const editConfig = (edit: (c: RawConfig) => void) => (dir: string) => {
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8')) as RawConfig;
    edit(c);
    writeFileSync(path, JSON.stringify(c));
  };
  const editWeights =
    (edit: (w: Map<string, { shape: number[]; data: Float32Array }>) => void) => (dir: string) => {
      const path = join(dir, 'model.safetensors');
      const { tensors } = decodeSafetensors(readFileSync(path));
      edit(tensors);
      writeFileSync(path, encodeSafetensors(tensors));
    };

  it('names a folder that does not exist, or is a file', () => {
    const missing = join(root, 'nowhere');
    expect(() => loadModelFolder(missing)).toThrow(`model folder ${missing}: does not exist`);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(() => loadModelFolder(file)).toThrow(`model folder ${file}: is not a folder`);
    expect(isModelFolder(missing)).toBe(false);
  });

  it.each<[string, (dir: string) => void, RegExp]>([
    ['no config.json', (d) => unlinkSync(join(d, 'config.json')), /config\.json is missing/],
    ['no tokens.txt', (d) => unlinkSync(join(d, 'tokens.txt')), /tokens\.txt is missing/],
    ['no weights', (d) => unlinkSync(join(d, 'model.safetensors')), /model\.safetensors is missing/],
    [
      'config.json a folder',
      (d) => (unlinkSync(join(d, 'config.json')), mkdirSync(join(d, 'config.json'))),
      /cannot read config\.json/,
    ],
    [
      'invalid JSON',
      (d) => writeFileSync(join(d, 'config.json'), '{"format": "attune-acoustic",'),
      /config\.json is not valid JSON/,
    ],
    [
      'JSON null',
      (d) => writeFileSync(join(d, 'config.json'), 'null'),
      /config\.json: format is undefined, expected "attune-acoustic"/,
    ],
    [
      'another format',
      editConfig((c) => void (c.format = 'onnx')),
      /config\.json: format is "onnx", expected "attune-acoustic"/,
    ],
    [
      'a newer version',
      editConfig((c) => void (c.version = 3)),
      /config\.json: format version 3 is not supported \(this Attune reads 1, 2\)/,
    ],
    [
      'a current-version config without subsampling strides',
      editConfig((c) => void delete c.acoustic!.subsampleStrides),
      /config\.json: subsampleStrides needs 2 integers/,
    ],
    ['no acoustic section', editConfig((c) => void delete c.acoustic), /config\.json: "acoustic" is missing/],
    [
      'a bad acoustic config',
      editConfig((c) => void (c.acoustic!.kernel = 0)),
      /config\.json: kernel must be a positive integer/,
    ],
    [
      'class priors of another alphabet',
      editConfig(
        (c) => void (c.decoding = { logPriors: [-1, -2], priorScale: 0.4, lmWeight: 1, wordBonus: 0 }),
      ),
      /config\.json: decoding\.logPriors needs one value per class \(29\)/,
    ],
    [
      'mel bins ≠ model input',
      editConfig((c) => void (c.features.nMels = 80)),
      /features\.nMels \(80\) ≠ acoustic\.featureBins \(16\)/,
    ],
    [
      'too few stats',
      editConfig((c) => void c.stats!.mean.pop()),
      /stats\.mean and stats\.std need 16 values each/,
    ],
    ['no stats', editConfig((c) => void delete c.stats), /stats\.mean and stats\.std need 16 values/],
    ['a zero std', editConfig((c) => void (c.stats!.std[3] = 0)), /stats must be finite, with every std > 0/],
    ['a NaN mean (null in JSON)', editConfig((c) => void (c.stats!.mean[0] = null)), /stats must be finite/],
    [
      'tokens ≠ vocabSize',
      (d) => writeFileSync(join(d, 'tokens.txt'), '<blank>\n<space>\na\nb\n'),
      /tokens\.txt has 4 tokens but the model outputs 29 classes/,
    ],
    [
      'a tokens file without a blank',
      (d) => writeFileSync(join(d, 'tokens.txt'), 'a\nb\nc\n'),
      /tokens\.txt: no <blank> token/,
    ],
    [
      'a missing weight',
      editWeights((w) => void w.delete('blocks.2.weight')),
      /model\.safetensors lacks 1 weight\(s\): blocks\.2\.weight/,
    ],
    [
      'many missing weights',
      editWeights((w) => [...w.keys()].filter((k) => k.startsWith('blocks.')).forEach((k) => w.delete(k))),
      /lacks 15 weight\(s\): blocks\.0\.depthwise, .*, …/,
    ],
    [
      'an extra weight',
      editWeights((w) => void w.set('blocks.3.weight', { shape: [1], data: new Float32Array(1) })),
      /unexpected weight\(s\): blocks\.3\.weight/,
    ],
    [
      'a wrongly shaped weight',
      editWeights((w) => void w.set('head.weight', { shape: [29, 24], data: new Float32Array(29 * 24) })),
      /model\.safetensors: head\.weight has shape \[29, 24\], config needs \[24, 29\]/,
    ],
    [
      'a NaN weight',
      editWeights((w) => void (w.get('blocks.1.depthwise')!.data[4] = NaN)),
      /model\.safetensors: blocks\.1\.depthwise contains NaN or infinite values/,
    ],
    [
      'an infinite weight',
      editWeights((w) => void (w.get('head.bias')!.data[0] = -Infinity)),
      /head\.bias contains NaN or infinite/,
    ],
    [
      'truncated weights',
      (d) => {
        const p = join(d, 'model.safetensors');
        writeFileSync(p, readFileSync(p).subarray(0, 1000));
      },
      /model\.safetensors: truncated/,
    ],
    [
      'an empty weights file',
      (d) => writeFileSync(join(d, 'model.safetensors'), ''),
      /model\.safetensors: truncated \(0 bytes/,
    ],
  ])('names the problem: %s', (_what, damage, message) => {
    expect(damaged(damage).message).toMatch(message);
  });
});

// Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
describe.skipIf(!HAVE_MODEL)('a model folder with phone features', () => {
  const PHONES_CFG: AcousticConfig = { ...CFG, featureBins: 122 };
  function phonesFolder(seed = 1): ModelFolder {
    const m = folder(seed);
    return {
      ...m,
      acoustic: PHONES_CFG,
      features: withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', MODEL_DIR),
      stats: { mean: randomValues(122, seed, -8, -2), std: randomValues(122, seed + 1, 0.5, 3) },
      weights: initParams(PHONES_CFG, seed),
    };
  }

  it('carries the sphinx files it needs in sphinx/, and its config names them relatively', () => {
    const dir = freshDir();
    saveModelFolder(dir, phonesFolder());
    expect(readdirSync(join(dir, 'sphinx')).sort()).toEqual([
      'README',
      'feat.params',
      'mdef',
      'means',
      'sendump',
      'variances',
    ]);
    for (const f of ['mdef', 'means', 'sendump'])
      expect(readFileSync(join(dir, 'sphinx', f)).equals(readFileSync(join(MODEL_DIR, f)))).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.features.phones).toEqual({ model: 'sphinx', withLogMel: true });
    // Loaded, the folder is resolved against the model folder, which may move.
    const moved = freshDir();
    renameSync(dir, moved);
    const loaded = loadModelFolder(moved);
    expect(loaded.features).toEqual(withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', join(moved, 'sphinx')));
    expect(loaded.acoustic.featureBins).toBe(122);
    // Saved again, elsewhere or over itself, it takes its sphinx model along.
    const again = freshDir();
    saveModelFolder(again, loaded);
    saveModelFolder(moved, loaded);
    for (const d of [again, moved]) {
      expect(readdirSync(join(d, 'sphinx'))).toHaveLength(6);
      expect(loadModelFolder(d).features.phones!.model).toBe(join(d, 'sphinx'));
    }
  });

  it('names the sphinx folder when it is missing or unreadable, and a bin count that does not fit', () => {
    const dir = freshDir();
    saveModelFolder(dir, phonesFolder(2));
    rmSync(join(dir, 'sphinx', 'means'));
    expect(() => loadModelFolder(dir)).toThrow(
      `model folder ${dir}: the sphinx model of its phone features, ${join(dir, 'sphinx')}, is missing or incomplete (needs feat.params, mdef, means, variances, and sendump or mixture_weights)`,
    );
    rmSync(join(dir, 'sphinx'), { recursive: true });
    expect(() => loadModelFolder(dir)).toThrow(`${join(dir, 'sphinx')}, is missing or incomplete`);

    const broken = freshDir();
    saveModelFolder(broken, phonesFolder(3));
    writeFileSync(join(broken, 'sphinx', 'means'), 'not a model');
    expect(() => loadModelFolder(broken)).toThrow(
      new RegExp(`^model folder ${broken}: cannot load the sphinx model ${join(broken, 'sphinx')}: .*means`),
    );

    const narrow = freshDir();
    saveModelFolder(narrow, {
      ...phonesFolder(4),
      features: withFrontEnd(DEFAULT_FEATURES, 'phones', MODEL_DIR),
    });
    expect(() => loadModelFolder(narrow)).toThrow(
      `model folder ${narrow}: config.json: the features give 42 values per frame (42 phone bins), the model takes 122 (acoustic.featureBins)`,
    );
  });

  it('refuses a phones entry without its fields, and cannot be saved without its sphinx model', () => {
    const dir = freshDir();
    saveModelFolder(dir, phonesFolder(5));
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    c.features.phones = { model: 'sphinx' };
    writeFileSync(path, JSON.stringify(c));
    expect(() => loadModelFolder(dir)).toThrow(
      'config.json: features.phones needs "model" (the sphinx model folder) and "withLogMel" (true or false)',
    );
    for (const contexts of ['yes', true]) {
      c.features.phones = { model: 'sphinx', withLogMel: contexts !== true, contexts };
      writeFileSync(path, JSON.stringify(c));
      expect(() => loadModelFolder(dir)).toThrow(
        'config.json: features.phones.contexts must be true or false, and true only with "withLogMel": true',
      );
    }
    const nowhere = join(root, 'no-sphinx');
    const m = { ...phonesFolder(6), features: withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', nowhere) };
    const target = freshDir();
    expect(() => saveModelFolder(target, m)).toThrow(
      `model folder ${target}: cannot save the phone features' sphinx model: ${nowhere}: not a sphinx acoustic model folder`,
    );
    expect(existsSync(target)).toBe(false);
  });
});

describe('model-io', () => {
  beforeAll(() => useBackend('wasm'));

  it('a live model saved and loaded computes exactly the same log-probs', () => {
    const stats = {
      mean: randomValues(CFG.featureBins, 1, -8, -2),
      std: randomValues(CFG.featureBins, 2, 0.5, 3),
    };
    const model = new AcousticModel(CFG, initParams(CFG, 9), stats);
    const dir = freshDir();
    const ckpt = checkpointFromModel(model, englishAlphabet(), { version: 'v7' }, FEATURES, '# card\n');
    expect(ckpt.info.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    saveModelFolder(dir, ckpt);
    const loaded = loadModel(dir);
    expect(loaded.dir).toBe(dir);
    expect(loaded.info.version).toBe('v7');
    expect(loaded.modelCard).toBe('# card\n');
    expect(loaded.features).toEqual(FEATURES);
    expect(loaded.alphabet.size).toBe(29);
    const x = randomFeatures(77, CFG.featureBins, 3);
    const a = offlineLogProbs(model, x, 77, CFG.featureBins).data;
    const b = offlineLogProbs(loaded.model, x, 77, CFG.featureBins).data;
    expect(maxAbsDiff(a, b)).toBe(0);
    const back = loaded.model.featureStats();
    expect(bitsEqual(back.std, stats.std) && bitsEqual(back.mean, stats.mean)).toBe(true);
    model.dispose();
    loaded.model.dispose();
  });
});
