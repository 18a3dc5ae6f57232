import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ExportError } from './errors.js';
import { writeAtomically } from './atomic.js';

/** Bytes per element of every dtype the safetensors format defines. */
export const SAFETENSORS_DTYPE_BYTES = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const);

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the first element in the file. */
  readonly fileOffset: number;
  readonly byteLength: number;
}

export interface TensorData {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Little-endian element bytes, a fresh copy owned by the caller. */
  readonly bytes: Uint8Array;
}

/**
 * The reference implementation refuses headers over 100 MB; a larger length prefix means a corrupt
 * or hostile file, and trusting it would make us allocate that much before failing.
 */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, value);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * A safetensors file opened for reading tensor by tensor: the header is parsed and checked up
 * front, and each `read` pulls one tensor's bytes by offset, so converting a checkpoint never holds
 * more than one tensor of it in memory.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new ExportError(`cannot open: ${(error as Error).message}`, {
        file: path,
        cause: error,
      });
    }
    try {
      const { tensors, metadata } = await readHeader(path, handle);
      return new SafetensorsFile(path, handle, tensors, metadata);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined)
      throw new ExportError('missing tensor', { file: this.path, tensor: name });
    return info;
  }

  async read(name: string): Promise<TensorData> {
    const info = this.info(name);
    const bytes = new Uint8Array(info.byteLength);
    const { bytesRead } = await this.handle.read(bytes, 0, info.byteLength, info.fileOffset);
    if (bytesRead !== info.byteLength) {
      throw new ExportError(`file ended after ${bytesRead} of ${info.byteLength} bytes`, {
        file: this.path,
        tensor: name,
      });
    }
    return { name, dtype: info.dtype, shape: info.shape, bytes };
  }

  /** One tensor as float32, converting F16/BF16/F64 checkpoints; integer tensors are refused. */
  async readFloat32(name: string): Promise<Float32Array> {
    return toFloat32(await this.read(name), this.path);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readHeader(
  path: string,
  handle: FileHandle,
): Promise<{ tensors: Map<string, TensorInfo>; metadata: Record<string, string> }> {
  const { size: fileSize } = await stat(path);
  if (fileSize < 8) {
    throw new ExportError(
      `truncated: ${fileSize} bytes, but a safetensors file starts with an 8-byte header length`,
      { file: path },
    );
  }
  const prefix = Buffer.alloc(8);
  await handle.read(prefix, 0, 8, 0);
  const headerLength = prefix.readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new ExportError(
      `header length ${headerLength} bytes is over the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`,
      { file: path },
    );
  }
  const headerBytes = Number(headerLength);
  if (8 + headerBytes > fileSize) {
    throw new ExportError(
      `truncated: the header claims ${headerBytes} bytes but only ${fileSize - 8} follow the length prefix`,
      { file: path },
    );
  }
  const headerBuffer = Buffer.alloc(headerBytes);
  await handle.read(headerBuffer, 0, headerBytes, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBuffer.toString('utf8'));
  } catch (error) {
    throw new ExportError(`header is not valid JSON: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new ExportError('header is not a JSON object', { file: path });
  }
  const dataStart = 8 + headerBytes;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    tensors.set(name, parseEntry(path, name, entry, dataStart, dataSize));
  }
  assertContiguous(path, [...tensors.values()], dataStart, dataSize);
  return { tensors, metadata };
}

/**
 * The data section must be the tensors back to back, as every safetensors writer lays them out
 * and the reference reader insists (its `validate`): an overlap means two tensors read the same
 * bytes (wrong weights that only verify would notice), a gap bytes that belong to no tensor (a
 * damaged or hand-edited header).
 */
function assertContiguous(
  path: string,
  tensors: readonly TensorInfo[],
  dataStart: number,
  dataSize: number,
): void {
  const ordered = [...tensors].sort(
    (a, b) => a.fileOffset - b.fileOffset || a.byteLength - b.byteLength,
  );
  const span = (t: TensorInfo): string =>
    `[${t.fileOffset - dataStart}, ${t.fileOffset - dataStart + t.byteLength}]`;
  let end = 0;
  let previous: TensorInfo | undefined;
  for (const tensor of ordered) {
    const begin = tensor.fileOffset - dataStart;
    if (begin < end && previous !== undefined) {
      throw new ExportError(
        `data_offsets ${span(tensor)} overlap those of tensor "${previous.name}" ${span(previous)}`,
        { file: path, tensor: tensor.name },
      );
    }
    if (begin > end) {
      throw new ExportError(
        `data_offsets ${span(tensor)} leave bytes [${end}, ${begin}] ${previous === undefined ? 'at the start of the data section' : `after tensor "${previous.name}"`} unused (damaged header?)`,
        { file: path, tensor: tensor.name },
      );
    }
    end = begin + tensor.byteLength;
    previous = tensor;
  }
  if (end !== dataSize) {
    throw new ExportError(
      `${dataSize - end} bytes after the last tensor${previous === undefined ? '' : ` ("${previous.name}")`} belong to no tensor (damaged header, or a truncated header that lost entries?)`,
      { file: path },
    );
  }
}

function parseEntry(
  path: string,
  name: string,
  entry: unknown,
  dataStart: number,
  dataSize: number,
): TensorInfo {
  const where = { file: path, tensor: name };
  if (entry === null || typeof entry !== 'object')
    throw new ExportError('header entry is not an object', where);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw new ExportError(
      `unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`,
      where,
    );
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)
  ) {
    throw new ExportError(
      `shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      where,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0)
  ) {
    throw new ExportError(
      `data_offsets ${JSON.stringify(offsets)} is not a [begin, end] pair`,
      where,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataSize) {
    throw new ExportError(
      `data_offsets [${begin}, ${end}] are out of range: the data section has ${dataSize} bytes`,
      where,
    );
  }
  const expectedBytes = elementCount(shape as number[]) * SAFETENSORS_DTYPE_BYTES[dtype];
  if (end - begin !== expectedBytes) {
    throw new ExportError(
      `data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${JSON.stringify(shape)} needs ${expectedBytes}`,
      where,
    );
  }
  return {
    name,
    dtype,
    shape: shape as number[],
    fileOffset: dataStart + begin,
    byteLength: expectedBytes,
  };
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function toFloat32(tensor: TensorData, file: string): Float32Array {
  const { bytes, dtype } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = elementCount(tensor.shape);
  switch (dtype) {
    case 'F32':
      // `read` returns a fresh, 4-aligned buffer, so this view copies nothing.
      return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    case 'F64':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
    case 'F16':
      return Float32Array.from({ length: count }, (_, i) =>
        float16BitsToFloat32(view.getUint16(i * 2, true)),
      );
    case 'BF16': {
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    default:
      throw new ExportError(
        `dtype ${dtype} is not a floating-point type; weights must be F32, F16, BF16 or F64`,
        {
          file,
          tensor: tensor.name,
        },
      );
  }
}

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The bytes, or a function that makes them when their turn comes (keeps big writes streaming). */
  readonly data: Uint8Array | (() => Uint8Array);
}

/** Writes a safetensors file (keys in the given order, header padded to 8 bytes), atomically. */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const tensor of tensors) {
    const byteLength = elementCount(tensor.shape) * SAFETENSORS_DTYPE_BYTES[tensor.dtype];
    header[tensor.name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + byteLength],
    };
    offset += byteLength;
  }
  if (metadata) header['__metadata__'] = metadata;
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  await writeAtomically(path, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(headerBytes.length));
      await handle.write(prefix);
      await handle.write(headerBytes);
      for (const tensor of tensors) {
        const data = typeof tensor.data === 'function' ? tensor.data() : tensor.data;
        await handle.write(data);
      }
    } finally {
      await handle.close();
    }
  });
}

/** Bytes of a Float32Array as safetensors wants them (little-endian, which every JS engine we run on is). */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
