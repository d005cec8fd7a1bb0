// The safetensors reader and writer: round trip, the byte layout the format specifies, every kind of
// damage, a file laid out by a Python writer, and our file read back by Python.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  type NamedTensor,
  SafetensorsError,
} from '../../src-main/model/safetensors.js';
import { randomValues } from '../training/helpers-tf.js';

const FIXTURES = new URL('../fixtures/safetensors/', import.meta.url);
const PYTHON = '/usr/bin/python3';

function sample(): Map<string, NamedTensor> {
  return new Map<string, NamedTensor>([
    ['b.bias', { shape: [3], data: randomValues(3, 1) }],
    ['a.weight', { shape: [2, 5], data: randomValues(10, 2, -100, 100) }],
    [
      'blocks.10.norm.gamma',
      { shape: [7], data: Float32Array.from([1, -0, 1e-38, 3.4e38, -3.4e38, 0.1, NaN]) },
    ],
    ['empty', { shape: [0, 3], data: new Float32Array(0) }],
    ['scalar', { shape: [], data: Float32Array.from([Math.PI]) }],
    ['ünïcode.wéight', { shape: [1, 1, 2], data: Float32Array.from([5, 6]) }],
  ]);
}

/** Bytes of a file with the given header object and data bytes, laid out by hand. */
function fileWith(header: unknown, data = Buffer.alloc(0), rawHeader?: string): Buffer {
  const text = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([len, text, data]);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function python(): { ok: boolean; why: string } {
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} is not installed` };
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: `${PYTHON} cannot import torch` };
}

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips names, shapes, bit patterns (NaN, -0, extremes) and metadata', () => {
    const t = sample();
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(t, { format: 'attune', n: '3' }));
    expect(metadata).toEqual({ format: 'attune', n: '3' });
    expect([...tensors.keys()].sort()).toEqual([...t.keys()].sort());
    for (const [name, want] of t) {
      const got = tensors.get(name)!;
      expect(got.shape, name).toEqual(want.shape);
      expect(bitsEqual(got.data, want.data), name).toBe(true);
    }
    expect(decodeSafetensors(encodeSafetensors(new Map())).tensors.size).toBe(0);
  });

  it('lays bytes out as the format specifies', () => {
    const t = sample();
    const buf = encodeSafetensors(t, { format: 'attune' });
    const headerLen = Number(buf.readBigUInt64LE(0)); // 8-byte little-endian length
    expect(8 + headerLen).toBeLessThanOrEqual(buf.length);
    expect((8 + headerLen) % 8).toBe(0); // data starts 8-byte aligned
    const text = buf.toString('utf8', 8, 8 + headerLen);
    expect(text).toMatch(/^\{[^]*\} *$/); // a JSON object, padded with spaces only
    const header = JSON.parse(text) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: number[] }
    >;
    expect(header.__metadata__).toEqual({ format: 'attune' });
    const dataStart = 8 + headerLen;
    let total = 0;
    for (const [name, want] of t) {
      const e = header[name];
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(want.shape);
      const [begin, end] = e.data_offsets;
      expect(end - begin).toBe(want.data.length * 4);
      total += end - begin;
      for (let i = 0; i < want.data.length; i++) {
        const got = buf.readFloatLE(dataStart + begin + 4 * i);
        expect(Object.is(got, want.data[i]) || (Number.isNaN(got) && Number.isNaN(want.data[i]))).toBe(true);
      }
    }
    // Data is packed: no holes, nothing trailing.
    expect(buf.length - dataStart).toBe(total);
    // The same weights always give the same bytes (names sorted), whatever the map order.
    const reversed = new Map([...t].reverse());
    expect(encodeSafetensors(reversed, { format: 'attune' }).equals(buf)).toBe(true);
  });

  it('copies data that sits at an odd byte offset of a larger buffer', () => {
    const buf = encodeSafetensors(sample());
    const shifted = Buffer.alloc(buf.length + 1);
    buf.copy(shifted, 1);
    const { tensors } = decodeSafetensors(shifted.subarray(1));
    expect(bitsEqual(tensors.get('a.weight')!.data, sample().get('a.weight')!.data)).toBe(true);
  });

  it('refuses to write a tensor whose data does not fit its shape', () => {
    const bad = new Map([['w', { shape: [2, 3], data: new Float32Array(5) }]]);
    expect(() => encodeSafetensors(bad)).toThrow(/tensor w: shape \[2, 3\] needs 6 values, has 5/);
  });

  const good = () => encodeSafetensors(sample());
  const f32 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  it.each<[string, () => Buffer, RegExp]>([
    ['an empty file', () => Buffer.alloc(0), /x\.st: truncated \(0 bytes, no header length\)/],
    ['a 7-byte file', () => Buffer.alloc(7), /truncated \(7 bytes/],
    ['a cut header', () => good().subarray(0, 40), /truncated \(header says \d+ bytes, file has 32\)/],
    [
      'cut data',
      () => good().subarray(0, good().length - 3),
      /truncated \(tensor .* ends at byte \d+, data has \d+\)/,
    ],
    [
      'a huge header length',
      () => {
        const b = good();
        b.writeBigUInt64LE(1n << 40n);
        return b;
      },
      /header length 1099511627776 is implausible/,
    ],
    [
      'a header that is not JSON',
      () => fileWith(null, Buffer.alloc(8), '{"w": {"dtype": "F32",'),
      /header is not valid JSON/,
    ],
    ['a JSON array header', () => fileWith([1, 2]), /header is not a JSON object/],
    ['a JSON null header', () => fileWith(null, undefined, 'null'), /header is not a JSON object/],
    [
      'dtype F16',
      () => fileWith({ w: { ...f32, dtype: 'F16', data_offsets: [0, 4] } }, Buffer.alloc(4)),
      /tensor w has dtype F16; only F32 is supported/,
    ],
    [
      'no dtype',
      () => fileWith({ w: { shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(8)),
      /tensor w has dtype undefined/,
    ],
    ['a non-object entry', () => fileWith({ w: 3 }), /tensor w has dtype undefined/],
    [
      'a negative dimension',
      () => fileWith({ w: { ...f32, shape: [-2] } }, Buffer.alloc(8)),
      /tensor w has a malformed shape/,
    ],
    [
      'a fractional dimension',
      () => fileWith({ w: { ...f32, shape: [1.5] } }, Buffer.alloc(8)),
      /malformed shape/,
    ],
    [
      'a missing shape',
      () => fileWith({ w: { dtype: 'F32', data_offsets: [0, 8] } }, Buffer.alloc(8)),
      /malformed shape/,
    ],
    [
      'reversed offsets',
      () => fileWith({ w: { ...f32, data_offsets: [8, 0] } }, Buffer.alloc(8)),
      /tensor w has malformed data_offsets/,
    ],
    [
      'negative offsets',
      () => fileWith({ w: { ...f32, data_offsets: [-8, 0] } }, Buffer.alloc(8)),
      /malformed data_offsets/,
    ],
    [
      'one offset',
      () => fileWith({ w: { ...f32, data_offsets: [8] } }, Buffer.alloc(8)),
      /malformed data_offsets/,
    ],
    [
      'string offsets',
      () => fileWith({ w: { ...f32, data_offsets: ['0', '8'] } }, Buffer.alloc(8)),
      /malformed data_offsets/,
    ],
    [
      'offsets past the data',
      () => fileWith({ w: { ...f32, data_offsets: [4, 12] } }, Buffer.alloc(8)),
      /truncated \(tensor w ends at byte 12, data has 8\)/,
    ],
    [
      'a byte count that does not fit the shape',
      () => fileWith({ w: { ...f32, data_offsets: [0, 4] } }, Buffer.alloc(8)),
      /tensor w has 4 bytes, shape \[2\] needs 8/,
    ],
  ])('rejects %s with a SafetensorsError naming the problem', (_what, bytes, message) => {
    const b = bytes();
    expect(() => decodeSafetensors(b, 'x.st')).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(b, 'x.st')).toThrow(message);
    expect(() => decodeSafetensors(b, 'x.st')).toThrow(/^x\.st: /);
  });
});

describe('interchange with Python', () => {
  const py = python();
  const tmp = mkdtempSync(join(tmpdir(), 'attune-safetensors-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads a file laid out by the Python fixture writer (unsorted names, an empty tensor, metadata)', () => {
    const expected = JSON.parse(readFileSync(new URL('reference.json', FIXTURES), 'utf8')) as {
      metadata: Record<string, string>;
      tensors: Record<string, { shape: number[]; bits: number[] }>;
    };
    const { tensors, metadata } = decodeSafetensors(
      readFileSync(new URL('reference.safetensors', FIXTURES)),
      'reference.safetensors',
    );
    expect(metadata).toEqual(expected.metadata);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = tensors.get(name)!;
      expect(got.shape, name).toEqual(want.shape);
      expect([...new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length)], name).toEqual(
        want.bits,
      );
    }
  });

  // Reads with the `safetensors` package when it is installed, else by the format's own rules with
  // struct + json + torch.frombuffer; prints names, shapes and bit patterns as JSON.
  const reader = `
import json, struct, sys, torch
path = sys.argv[1]
try:
    from safetensors.torch import load_file
    tensors = load_file(path)
    meta = None
except ImportError:
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    body = raw[8 + n :]
    tensors = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        chunk = bytearray(body[b:end])
        t = torch.frombuffer(chunk, dtype=torch.float32) if chunk else torch.zeros(0)
        tensors[name] = t.reshape(e["shape"])
out = {name: {"shape": list(t.shape), "bits": t.flatten().view(torch.int32).tolist()} for name, t in tensors.items()}
print(json.dumps({"metadata": meta, "tensors": out}))
`;

  it.skipIf(!py.ok)(
    `is read back by Python with the same values${py.ok ? '' : ` (skipped: ${py.why})`}`,
    () => {
      const t = sample();
      const path = join(tmp, 'ours.safetensors');
      writeFileSync(path, encodeSafetensors(t, { format: 'attune' }));
      const r = spawnSync(PYTHON, ['-c', reader, path], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = JSON.parse(r.stdout) as {
        metadata: Record<string, string> | null;
        tensors: Record<string, { shape: number[]; bits: number[] }>;
      };
      if (got.metadata !== null) expect(got.metadata).toEqual({ format: 'attune' });
      expect(Object.keys(got.tensors).sort()).toEqual([...t.keys()].sort());
      for (const [name, want] of t) {
        expect(got.tensors[name].shape, name).toEqual(want.shape);
        // torch prints int32 bit patterns signed; compare as unsigned.
        const bits = got.tensors[name].bits.map((b) => b >>> 0);
        expect(bits, name).toEqual([
          ...new Uint32Array(want.data.buffer, want.data.byteOffset, want.data.length),
        ]);
      }
    },
  );
});
