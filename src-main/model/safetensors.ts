/**
 * The safetensors format (as written by the Hugging Face library): an 8-byte little-endian header
 * length, a JSON header mapping tensor names to dtype, shape and byte offsets, then the raw
 * little-endian data. Weights saved this way load in PyTorch, JAX, NumPy and others unchanged.
 * Only float32 is used by Attune; other dtypes are reported, not guessed at.
 */

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Caps the header size like the reference implementation, so a corrupt length cannot eat memory. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function encodeSafetensors(
  tensors: Map<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  // Sorted names give byte-identical files for identical weights.
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new SafetensorsError(
        `tensor ${name}: shape [${t.shape.join(', ')}] needs ${size} values, has ${t.data.length}`,
      );
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces to 8 bytes so the data that follows is aligned.
  const rem = (8 + Buffer.byteLength(json)) % 8;
  if (rem !== 0) json += ' '.repeat(8 - rem);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let pos = 8 + head.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    // Copy through a byte view: the output is little-endian like every platform Node runs on.
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(
  buf: Buffer,
  source = 'safetensors file',
): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  if (buf.length < 8)
    throw new SafetensorsError(`${source}: truncated (${buf.length} bytes, no header length)`);
  const headerLen = buf.readBigUInt64LE(0);
  if (headerLen > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`${source}: header length ${headerLen} is implausible`);
  const hl = Number(headerLen);
  if (8 + hl > buf.length)
    throw new SafetensorsError(`${source}: truncated (header says ${hl} bytes, file has ${buf.length - 8})`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hl).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SafetensorsError(`${source}: header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(`${source}: header is not a JSON object`);
  }
  const dataStart = 8 + hl;
  const dataLen = buf.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e?.dtype !== 'F32')
      throw new SafetensorsError(
        `${source}: tensor ${name} has dtype ${String(e?.dtype)}; only F32 is supported`,
      );
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new SafetensorsError(`${source}: tensor ${name} has a malformed shape`);
    }
    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isInteger(o) && o >= 0) ||
      offs[0] > offs[1]
    ) {
      throw new SafetensorsError(`${source}: tensor ${name} has malformed data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) {
      throw new SafetensorsError(
        `${source}: truncated (tensor ${name} ends at byte ${end}, data has ${dataLen})`,
      );
    }
    const shape = e.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4) {
      throw new SafetensorsError(
        `${source}: tensor ${name} has ${end - begin} bytes, shape [${shape.join(', ')}] needs ${size * 4}`,
      );
    }
    // Copy into an aligned array (the source offset need not be 4-byte aligned).
    const data = new Float32Array(size);
    Buffer.from(data.buffer).set(buf.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
