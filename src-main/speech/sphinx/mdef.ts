// The model definition (mdef): the context-independent (CI) phones, and for every phone (CI and triphone) its
// transition matrix and the senones of its emitting states. Two encodings exist and both are read here:
// - text ("0.3" on the first line, counts such as "42 n_base", then one line per phone:
//   base lc rc wpos attrib tmat state-ids... N), as sphinxtrain writes it;
// - pocketsphinx's binary "BMDF" (what the Debian en-us model ships): magic, version, a skipped format
//   description, ten int32 counts, the NUL-terminated CI phone names padded to 4 bytes, the CD lookup tree
//   (8 bytes a node, skipped), per phone {int32 ssid, int32 tmat, 4 attribute bytes}, then int32 n and n int16
//   senone ids forming the senone sequences (ssid indexes a sequence of nEmittingStates ids).
// Only what the phone scorer needs is kept: the CI phones, their states' senones and transition matrices.

import { ByteReader } from './s3-model.js';

export interface ModelDefinition {
  readonly ciPhones: readonly string[]; // [nCiPhones]
  readonly filler: readonly boolean[]; // [nCiPhones] noise/silence phones (SIL, +NSN+, ...)
  /** CI index of SIL, or -1 if the model has none. */
  readonly silence: number;
  readonly nEmittingStates: number;
  readonly nCiSenones: number;
  readonly nSenones: number;
  readonly nTmat: number;
  /** CI phones plus triphones. */
  readonly nPhones: number;
  readonly ciSenones: Int32Array; // [nCiPhones, nEmittingStates] senone of each CI phone's emitting states
  readonly ciTmat: Int32Array; // [nCiPhones]
  /**
   * The CI (base) phone and emitting state every senone belongs to, CI and context-dependent alike: a
   * triphone's states use senones of its base phone's states only (decision trees are grown per base phone
   * and state), so each senone has one. -1 for a senone no phone uses.
   */
  readonly senoneBase: Int32Array; // [nSenones]
  readonly senoneState: Int32Array; // [nSenones]
}

/** Fills senoneBase/senoneState from every phone's base and senone sequence; throws on a senone shared. */
function senoneOwners(
  nSenones: number,
  nStates: number,
  phones: Iterable<{ base: number; senones: ArrayLike<number> }>,
  fail: (why: string) => never,
): { senoneBase: Int32Array; senoneState: Int32Array } {
  const senoneBase = new Int32Array(nSenones).fill(-1);
  const senoneState = new Int32Array(nSenones).fill(-1);
  for (const { base, senones } of phones) {
    for (let k = 0; k < nStates; k++) {
      const sen = senones[k];
      if (senoneBase[sen] === -1) {
        senoneBase[sen] = base;
        senoneState[sen] = k;
      } else if (senoneBase[sen] !== base || senoneState[sen] !== k) {
        fail(`senone ${sen} is shared by states of different base phones or positions`);
      }
    }
  }
  return { senoneBase, senoneState };
}

/** Parses an mdef in either encoding (binary files start with "BMDF" or its byte-swapped "FDMB"). */
export function parseMdef(bytes: Uint8Array, file: string): ModelDefinition {
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, 4));
  return magic === 'BMDF' || magic === 'FDMB' ? parseBinaryMdef(bytes, file) : parseTextMdef(bytes, file);
}

/** What checkMdef checks: everything but the senone owners, which are found once it has passed. */
type MdefCore = Omit<ModelDefinition, 'senoneBase' | 'senoneState'>;

function parseBinaryMdef(bytes: Uint8Array, file: string): ModelDefinition {
  const r = new ByteReader(bytes, file);
  r.littleEndian = new TextDecoder('latin1').decode(bytes.subarray(0, 4)) === 'BMDF';
  r.pos = 4;
  const version = r.int32('the format version');
  if (version !== 1) r.fail(`binary mdef format version ${version} is not supported (expected 1)`);
  r.take(r.int32('the description length'), 'the format description');
  const names = [
    'nCiPhones',
    'nPhones',
    'nEmittingStates',
    'nCiSenones',
    'nSenones',
    'nTmat',
    'nSseq',
    'nCtx',
    'nCdTree',
  ];
  const h: Record<string, number> = {};
  for (const name of names) {
    h[name] = r.int32(name);
    if (!(h[name] >= 0 && h[name] < 1 << 24)) r.fail(`implausible ${name}: ${h[name]}`);
  }
  const silence = r.int32('the silence phone');
  if (h.nEmittingStates === 0) r.fail('phones with differing numbers of states are not supported');

  const nameStart = r.pos;
  const ciPhones: string[] = [];
  for (let i = 0; i < h.nCiPhones; i++) {
    const end = bytes.indexOf(0, r.pos);
    if (end < 0) r.fail(`truncated: CI phone name ${i} has no end`);
    ciPhones.push(new TextDecoder('latin1').decode(bytes.subarray(r.pos, end)));
    r.pos = end + 1;
  }
  r.pos = nameStart + ((r.pos - nameStart + 3) & ~3);
  r.take(8 * h.nCdTree, 'the context tree');

  const ssid = new Int32Array(h.nPhones);
  const tmat = new Int32Array(h.nPhones);
  const base = new Int32Array(h.nPhones); // a CI phone is its own base; a triphone's is its ctx[0]
  const filler: boolean[] = [];
  for (let p = 0; p < h.nPhones; p++) {
    ssid[p] = r.int32('a phone entry');
    tmat[p] = r.int32('a phone entry');
    // {filler, 3 reserved} for a CI phone; {word position, base, left, right} for a triphone.
    const attr = r.take(4, 'a phone entry');
    if (p < h.nCiPhones) filler.push(attr[0] !== 0);
    base[p] = p < h.nCiPhones ? p : attr[1];
    const what = p < h.nCiPhones ? `CI phone ${ciPhones[p]}` : `triphone ${p}`;
    if (!(ssid[p] >= 0 && ssid[p] < h.nSseq)) r.fail(`${what} has bad senone sequence ${ssid[p]}`);
    if (base[p] >= h.nCiPhones) r.fail(`${what} has base phone ${base[p]}, not a CI phone`);
  }
  const nIds = r.int32('the senone sequence size');
  if (nIds !== h.nSseq * h.nEmittingStates)
    r.fail(`${nIds} senone ids do not make ${h.nSseq} sequences of ${h.nEmittingStates} states`);
  r.need(2 * nIds, 'the senone sequences');
  const sequences = new Int32Array(nIds); // [nSseq, nEmittingStates]
  for (let k = 0; k < nIds; k++) {
    sequences[k] = r.view.getInt16(r.pos + 2 * k, r.littleEndian);
    if (!(sequences[k] >= 0 && sequences[k] < h.nSenones)) r.fail(`senone id ${sequences[k]} out of range`);
  }
  const S = h.nEmittingStates;
  const ciSenones = new Int32Array(h.nCiPhones * S);
  for (let c = 0; c < h.nCiPhones; c++)
    ciSenones.set(sequences.subarray(ssid[c] * S, (ssid[c] + 1) * S), c * S);
  r.pos += 2 * nIds;
  r.end('the senone sequences');
  const core: MdefCore = {
    ciPhones,
    filler,
    silence,
    nEmittingStates: h.nEmittingStates,
    nCiSenones: h.nCiSenones,
    nSenones: h.nSenones,
    nTmat: h.nTmat,
    nPhones: h.nPhones,
    ciSenones,
    ciTmat: tmat.slice(0, h.nCiPhones),
  };
  checkMdef(core, file);
  const owners = senoneOwners(
    h.nSenones,
    S,
    Array.from(ssid, (q, p) => ({ base: base[p], senones: sequences.subarray(q * S, (q + 1) * S) })),
    (why) => r.fail(why),
  );
  return { ...core, ...owners };
}

const TEXT_COUNTS = [
  'n_base',
  'n_tri',
  'n_state_map',
  'n_tied_state',
  'n_tied_ci_state',
  'n_tied_tmat',
] as const;

function parseTextMdef(bytes: Uint8Array, file: string): ModelDefinition {
  const lines = new TextDecoder('latin1').decode(bytes).split('\n');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${file}:${i + 1}: ${why}`);
  };
  const next = (what: string): string[] => {
    for (; i < lines.length; i++) {
      const t = lines[i].trim();
      if (t !== '' && !t.startsWith('#')) return t.split(/\s+/);
    }
    return fail(`truncated: expected ${what}`);
  };
  if (next('the version').join(' ') !== '0.3') fail('not an mdef: expected "0.3" (text) or "BMDF" (binary)');
  i++;
  const n: Record<string, number> = {};
  for (const key of TEXT_COUNTS) {
    const [value, name] = next(`"<count> ${key}"`);
    if (name !== key || !/^\d+$/.test(value)) fail(`expected "<count> ${key}"`);
    n[key] = Number(value);
    i++;
  }
  const nPhones = n.n_base + n.n_tri;
  const nStates = nPhones > 0 ? n.n_state_map / nPhones - 1 : 0;
  if (!(Number.isInteger(nStates) && nStates > 0))
    fail(`n_state_map ${n.n_state_map} is not a whole number of states a phone`);
  const ciPhones: string[] = [];
  const filler: boolean[] = [];
  const ciSenones = new Int32Array(n.n_base * nStates);
  const ciTmat = new Int32Array(n.n_base);
  const phones: { base: string; senones: number[] }[] = [];
  const baseIndex = new Map<string, number>(); // CI phone → index, complete once the CI lines are read
  for (let p = 0; p < nPhones; p++, i++) {
    const t = next(`phone ${p + 1} of ${nPhones}`);
    if (t.length !== 6 + nStates + 1) fail(`expected base lc rc wpos attrib tmat, ${nStates} states and N`);
    const ids = t.slice(6, 6 + nStates).map(Number);
    if (ids.some((s) => !(Number.isInteger(s) && s >= 0 && s < n.n_tied_state)))
      fail('senone id out of range');
    const tm = Number(t[5]);
    if (!(Number.isInteger(tm) && tm >= 0 && tm < n.n_tied_tmat))
      fail(`transition matrix "${t[5]}" out of range`);
    if (p >= n.n_base && !baseIndex.has(t[0])) fail(`triphone of unknown base phone ${t[0]}`);
    phones.push({ base: t[0], senones: ids });
    if (p >= n.n_base) continue;
    if (t[1] !== '-' || t[2] !== '-' || t[3] !== '-')
      fail('the first n_base phones must be CI phones (lc rc wpos "-")');
    baseIndex.set(t[0], ciPhones.length);
    ciPhones.push(t[0]);
    filler.push(t[4] === 'filler');
    ciTmat[p] = tm;
    ciSenones.set(ids, p * nStates);
  }
  const core: MdefCore = {
    ciPhones,
    filler,
    silence: ciPhones.indexOf('SIL'),
    nEmittingStates: nStates,
    nCiSenones: n.n_tied_ci_state,
    nSenones: n.n_tied_state,
    nTmat: n.n_tied_tmat,
    nPhones,
    ciSenones,
    ciTmat,
  };
  checkMdef(core, file);
  const owners = senoneOwners(
    n.n_tied_state,
    nStates,
    phones.map((ph) => ({
      base: baseIndex.get(ph.base)!,
      senones: ph.senones,
    })),
    (why) => {
      throw new Error(`${file}: ${why}`);
    },
  );
  return { ...core, ...owners };
}

function checkMdef(m: MdefCore, file: string): void {
  const problems: string[] = [];
  if (m.ciPhones.length === 0) problems.push('no CI phones');
  if (new Set(m.ciPhones).size !== m.ciPhones.length) problems.push('duplicate CI phone names');
  if (m.silence >= m.ciPhones.length) problems.push(`silence phone ${m.silence} is out of range`);
  for (let k = 0; k < m.ciSenones.length; k++) {
    if (!(m.ciSenones[k] >= 0 && m.ciSenones[k] < m.nCiSenones)) {
      problems.push(
        `CI phone ${m.ciPhones[Math.floor(k / m.nEmittingStates)]} uses senone ${m.ciSenones[k]}, not a CI senone`,
      );
      break;
    }
  }
  if (m.ciTmat.some((t) => t < 0 || t >= m.nTmat))
    problems.push('a CI phone has an out-of-range transition matrix');
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
}
