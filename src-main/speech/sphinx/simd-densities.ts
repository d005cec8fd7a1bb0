// Gaussian log-likelihoods of a codebook's densities with WebAssembly SIMD: two densities side by side in the
// two float64 lanes, so each lane does exactly the scalar arithmetic of gmm-scores.ts (the same operations in
// the same order, IEEE float64 without fused multiply-adds): the numbers are equal to the bit, several times
// faster than V8's scalar code. The module is assembled here from its instructions (no toolchain, nothing
// fetched), one function per stream width.
//
// Memory: [x: featureDim f64][norms: nBlocks × nDensities f64][out: same][params], a block being one
// (codebook, stream), its params [nDensities / 2 pairs][dims][μ_d, μ_d+1, p_d, p_d+1] with p = 1 / (2 σ²).

export interface DensityTables {
  readonly nBlocks: number; // nCodebooks * nStreams
  readonly nStreams: number;
  readonly nDensities: number; // even
  readonly streamStart: Int32Array; // [nStreams + 1]
  readonly mean: Float32Array; // [nBlocks, nDensities, dims]
  readonly precision: (at: number) => number; // 1 / (2 σ²) of mean[at]
  readonly logNorm: Float64Array; // [nBlocks, nDensities]
}

// @types/node declares WebAssembly's types but not the global itself: the part used here.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let simdSupport: boolean | undefined;

/** Whether this runtime runs WebAssembly SIMD (Node ≥ 16.4 and Electron's do). */
export function haveWasmSimd(): boolean {
  if (simdSupport === undefined) {
    try {
      simdSupport = wasm?.validate(assemble([13])) ?? false;
    } catch {
      simdSupport = false;
    }
  }
  return simdSupport;
}

/** (x, params, norms, out) byte offsets and a count of density pairs. */
type Kernel = (x: number, p: number, norm: number, out: number, pairs: number) => void;

export class SimdDensities {
  /** Log-likelihoods of each block's densities, as last evaluated: [nBlocks, nDensities]. */
  readonly out: Float64Array;
  private readonly memory: Float64Array; // the module's memory, by f64
  private readonly kernels: Kernel[]; // [nStreams]
  private readonly norm: number; // byte offsets; x is at 0
  private readonly outAt: number;
  private readonly blockAt: Int32Array; // [nBlocks] byte offset of each block's params

  constructor(private readonly t: DensityTables) {
    const { nBlocks, nDensities, streamStart, nStreams } = t;
    if (nDensities % 2 !== 0) throw new Error('SimdDensities: an odd number of densities');
    if (!wasm || !haveWasmSimd()) throw new Error('SimdDensities: this runtime has no WebAssembly SIMD');
    const widths = Array.from({ length: nStreams }, (_, s) => streamStart[s + 1] - streamStart[s]);
    this.norm = align16(8 * streamStart[nStreams]);
    this.outAt = this.norm + 8 * nBlocks * nDensities;
    this.blockAt = new Int32Array(nBlocks);
    let at = this.outAt + 8 * nBlocks * nDensities;
    for (let b = 0; b < nBlocks; b++) {
      this.blockAt[b] = at;
      at += 16 * nDensities * widths[b % nStreams];
    }
    const distinct = [...new Set(widths)];
    const { exports } = new wasm.Instance(new wasm.Module(assemble(distinct, Math.ceil(at / 65536))));
    this.kernels = widths.map((w) => exports[`w${w}`] as Kernel);
    this.memory = new Float64Array((exports.memory as { buffer: ArrayBuffer }).buffer);
    this.out = this.memory.subarray(this.outAt / 8, this.outAt / 8 + nBlocks * nDensities);
    this.memory.set(t.logNorm, this.norm / 8);
    this.layParams(widths);
  }

  private layParams(widths: number[]): void {
    const { nBlocks, nDensities, mean, precision } = this.t;
    let src = 0;
    for (let b = 0; b < nBlocks; b++) {
      const dims = widths[b % this.t.nStreams];
      const base = this.blockAt[b] / 8;
      for (let d = 0; d < nDensities; d++) {
        for (let i = 0; i < dims; i++, src++) {
          const dst = base + ((d >> 1) * dims + i) * 4 + (d % 2);
          this.memory[dst] = mean[src];
          this.memory[dst + 2] = precision(src);
        }
      }
    }
  }

  /** The feature vector the next evaluations score. */
  load(x: Float64Array): void {
    this.memory.set(x);
  }

  /** Every density of block b (codebook * nStreams + stream) into out[b * nDensities, + nDensities). */
  evaluate(b: number): void {
    const s = b % this.t.nStreams;
    const o = 8 * b * this.t.nDensities;
    const x = 8 * this.t.streamStart[s];
    this.kernels[s](x, this.blockAt[b], this.norm + o, this.outAt + o, this.t.nDensities / 2);
  }
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

// ---- The module: only the instructions the kernels use, by their binary encodings.

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n = Math.floor(n / 128);
    out.push(n > 0 ? byte | 0x80 : byte);
  } while (n > 0);
  return out;
};
/** Signed LEB128 of a non-negative value: as unsigned, plus a zero byte if the last one's sign bit is set. */
const sleb = (n: number): number[] => {
  const out = uleb(n);
  if (out[out.length - 1] & 0x40) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return out;
};
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const [I32, V128] = [0x7f, 0x7b];
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add32: [0x6a],
  sub32: [0x6b],
  eqz32: [0x45],
  loadF64: (offset: number) => [0x2b, 3, ...uleb(offset)],
  load: (offset: number) => [0xfd, 0x00, 4, ...uleb(offset)],
  store: [0xfd, 0x0b, 4, 0],
  splat: [0xfd, 0x14], // f64x2.splat
  add: [0xfd, 0xf0, 0x01], // f64x2.add
  sub: [0xfd, 0xf1, 0x01], // f64x2.sub
  mul: [0xfd, 0xf2, 0x01], // f64x2.mul
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  br: (depth: number) => [0x0c, ...uleb(depth)],
};
const increment = (local: number, by: number): number[] => [
  ...op.get(local),
  ...op.i32(by),
  ...op.add32,
  ...op.set(local),
];

/**
 * Pushes one pair's log-likelihoods, norm - Σ (x_i - μ_i)² p_i, summed as gmm-scores.ts does: 13 dims in the
 * four groups of densities13 ((t0..t3 + t4..t6) + (t7..t9 + t10..t12)), any other width one term after
 * another. Locals: xs.. the splatted x_i, e scratch, p and norm the pair's byte offsets.
 */
function pairValue(dims: number, xs: number, e: number, p: number, norm: number): number[] {
  const term = (i: number): number[] => [
    ...op.get(xs + i),
    ...op.get(p),
    ...op.load(32 * i),
    ...op.sub,
    ...op.tee(e),
    ...op.get(e),
    ...op.mul,
    ...op.get(p),
    ...op.load(32 * i + 16),
    ...op.mul,
  ];
  const sum = (from: number, to: number): number[] => {
    const out = term(from);
    for (let i = from + 1; i <= to; i++) out.push(...term(i), ...op.add);
    return out;
  };
  const load = [...op.get(norm), ...op.load(0)];
  if (dims !== 13)
    return [...load, ...Array.from({ length: dims }, (_, i) => [...term(i), ...op.sub]).flat()];
  return [
    ...load,
    ...sum(0, 3),
    ...sum(4, 6),
    ...op.add,
    ...sum(7, 9),
    ...sum(10, 12),
    ...op.add,
    ...op.add,
    ...op.sub,
  ];
}

/** w<dims>(x, p, norm, out, pairs); locals after the 5 parameters: xs.. (the splatted x_i), e. */
function kernelBody(dims: number): number[] {
  const [X, P, NORM, OUT, PAIRS, XS, E] = [0, 1, 2, 3, 4, 5, 5 + dims];
  const body: number[] = [];
  for (let i = 0; i < dims; i++)
    body.push(...op.get(X), ...op.loadF64(8 * i), ...op.splat, ...op.set(XS + i));
  body.push(...op.block, ...op.loop, ...op.get(PAIRS), ...op.eqz32, ...op.brIf(1));
  body.push(...op.get(OUT), ...pairValue(dims, XS, E, P, NORM), ...op.store);
  body.push(...increment(P, 32 * dims), ...increment(NORM, 16), ...increment(OUT, 16));
  body.push(...op.get(PAIRS), ...op.i32(1), ...op.sub32, ...op.set(PAIRS), ...op.br(0), ...op.end, ...op.end);
  const code = [...vector([[...uleb(dims + 1), V128]]), ...body, ...op.end];
  return [...uleb(code.length), ...code];
}

/** The module's bytes: a kernel w<dims> for each width, and `memory` of the given 64 KiB pages. */
function assemble(widths: number[], pages = 1): Uint8Array {
  const type = [0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0];
  const exports = widths.map((w, f) => [...name(`w${w}`), 0x00, ...uleb(f)]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([type])),
    ...section(3, vector(widths.map(() => [0]))),
    ...section(5, vector([[0x00, ...uleb(pages)]])),
    ...section(7, vector([...exports, [...name('memory'), 0x02, 0]])),
    ...section(10, vector(widths.map(kernelBody))),
  ]);
}
