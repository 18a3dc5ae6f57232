import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelConfig } from './config.js';
import { ExportError } from './errors.js';
import { SAFETENSORS_DTYPE_BYTES, SafetensorsFile, elementCount } from './safetensors.js';
import type { SafetensorsDtype, TensorData } from './safetensors.js';

/*
 * Reference inputs and outputs for verify and pack, keyed `<network>.<io name>`: from the model
 * folder's reference.safetensors, or from arrays an author saved with their own tools: NumPy's
 * .npy files (np.save) and raw little-endian float32 files (tensor.numpy().tofile(...)) with the
 * shape given on the command line.
 */

/** Where reference tensors come from: reference.safetensors, array files, or both. */
export interface ReferenceSource {
  has(key: string): boolean;
  /** The file a key's tensor is read from, for error messages. */
  fileOf(key: string): string;
  read(key: string): Promise<TensorData>;
  close(): Promise<void>;
}

export class SafetensorsReference implements ReferenceSource {
  private constructor(private readonly file: SafetensorsFile) {}

  static async open(path: string): Promise<SafetensorsReference> {
    return new SafetensorsReference(await SafetensorsFile.open(path));
  }

  has(key: string): boolean {
    return this.file.has(key);
  }
  fileOf(): string {
    return this.file.path;
  }
  read(key: string): Promise<TensorData> {
    return this.file.read(key);
  }
  close(): Promise<void> {
    return this.file.close();
  }
}

/** One array file given for a key: a .npy file, or raw float32 with its shape. */
export interface ArrayFile {
  readonly key: string;
  readonly file: string;
  /** For raw float32 files only: a .npy file carries its own shape. */
  readonly shape?: readonly number[];
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** NumPy dtype kind + item size -> safetensors dtype, for the types verify can read. */
const NPY_DTYPES: Readonly<Record<string, SafetensorsDtype>> = Object.freeze({
  f2: 'F16',
  f4: 'F32',
  f8: 'F64',
  i1: 'I8',
  i2: 'I16',
  i4: 'I32',
  i8: 'I64',
  u1: 'U8',
  u2: 'U16',
  u4: 'U32',
  u8: 'U64',
  b1: 'BOOL',
});

/**
 * Parses a .npy file (format versions 1 to 3: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html)
 * into little-endian element bytes.
 */
export function parseNpy(bytes: Uint8Array, file: string, key?: string): TensorData {
  const where = key === undefined ? { file } : { file, tensor: key };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 10 || !buffer.subarray(0, 6).equals(NPY_MAGIC))
    throw new ExportError('is not a .npy file (no \\x93NUMPY magic string)', where);
  const major = buffer[6]!;
  if (major < 1 || major > 3)
    throw new ExportError(
      `.npy format version ${major} is not one this tool reads (1 to 3)`,
      where,
    );
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLength;
  if (dataStart > buffer.length)
    throw new ExportError('.npy header runs past the end of the file (truncated?)', where);
  const header = buffer.subarray(headerStart, dataStart).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (descr === null || fortran === null || shapeText === null)
    throw new ExportError(
      `.npy header ${JSON.stringify(header.trim())} has no simple descr, fortran_order and shape (structured arrays are not read)`,
      where,
    );
  const [, order, kind, size] = descr as unknown as [string, string, string, string];
  const dtype = NPY_DTYPES[`${kind}${size}`];
  if (dtype === undefined)
    throw new ExportError(
      `.npy dtype '${order}${kind}${size}' is not a number type verify reads (float16/32/64, int8 to int64, uint8 to uint64, bool)`,
      where,
    );
  const shape = shapeText[1]!
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '')
    .map(Number);
  if (!shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0))
    throw new ExportError(`.npy shape (${shapeText[1]}) is not a list of sizes`, where);
  if (fortran[1] === 'True' && shape.filter((dim) => dim > 1).length > 1)
    throw new ExportError(
      '.npy array is in Fortran order; save it with np.save(path, np.ascontiguousarray(array))',
      where,
    );
  const itemSize = SAFETENSORS_DTYPE_BYTES[dtype];
  const byteLength = elementCount(shape) * itemSize;
  if (buffer.length - dataStart !== byteLength)
    throw new ExportError(
      `.npy data holds ${buffer.length - dataStart} bytes, but ${order}${kind}${size} (${shape.join(', ')}) needs ${byteLength}`,
      where,
    );
  const data = Uint8Array.from(buffer.subarray(dataStart));
  if (order === '>' && itemSize > 1) {
    for (let i = 0; i < data.length; i += itemSize) data.subarray(i, i + itemSize).reverse();
  }
  return { name: key ?? basename(file), dtype, shape, bytes: data };
}

/** Raw little-endian float32 values with a shape given by the author. */
export function parseRawFloat32(
  bytes: Uint8Array,
  shape: readonly number[],
  file: string,
  key: string,
): TensorData {
  const byteLength = elementCount(shape) * 4;
  if (bytes.byteLength !== byteLength)
    throw new ExportError(
      `raw float32 file holds ${bytes.byteLength} bytes (${bytes.byteLength / 4} values), but shape [${shape.join(', ')}] needs ${byteLength}`,
      { file, tensor: key },
    );
  return { name: key, dtype: 'F32', shape, bytes: Uint8Array.from(bytes) };
}

export class ArrayFilesReference implements ReferenceSource {
  private readonly files: ReadonlyMap<string, ArrayFile>;
  constructor(files: readonly ArrayFile[]) {
    this.files = new Map(files.map((entry) => [entry.key, entry]));
  }
  has(key: string): boolean {
    return this.files.has(key);
  }
  fileOf(key: string): string {
    return this.files.get(key)?.file ?? key;
  }
  async read(key: string): Promise<TensorData> {
    const entry = this.files.get(key);
    if (entry === undefined) throw new ExportError(`no reference array for "${key}"`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(entry.file);
    } catch (error) {
      throw new ExportError(`cannot read: ${(error as Error).message}`, {
        file: entry.file,
        tensor: key,
        cause: error,
      });
    }
    return entry.shape === undefined
      ? parseNpy(bytes, entry.file, key)
      : parseRawFloat32(bytes, entry.shape, entry.file, key);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Array files first, then reference.safetensors for the keys they do not give. */
export class LayeredReference implements ReferenceSource {
  constructor(private readonly layers: readonly ReferenceSource[]) {}
  private layer(key: string): ReferenceSource | undefined {
    return this.layers.find((layer) => layer.has(key));
  }
  has(key: string): boolean {
    return this.layer(key) !== undefined;
  }
  fileOf(key: string): string {
    return this.layer(key)?.fileOf(key) ?? key;
  }
  read(key: string): Promise<TensorData> {
    const layer = this.layer(key);
    if (layer === undefined) throw new ExportError(`no reference for "${key}"`);
    return layer.read(key);
  }
  async close(): Promise<void> {
    for (const layer of this.layers) await layer.close();
  }
}

/** Every `<network>.<io name>` key config.json allows. */
export function referenceKeys(config: ModelConfig): string[] {
  return Object.entries(config.networks).flatMap(([network, net]) =>
    [...net.inputs, ...net.outputs].map((spec) => `${network}.${spec.name}`),
  );
}

const RAW_SHAPE = /^\d+(x\d+)*$/;

/**
 * Parses `--ref` values: `<network>.<io>=<file>.npy`, `<network>.<io>=<file>:<d0>x<d1>x...` (raw
 * float32), or a folder holding `<network>.<io>.npy` files. Relative paths are from the current
 * folder. Keys are checked against config.json.
 */
export async function parseReferenceOptions(
  values: readonly string[],
  config: ModelConfig,
  configPath: string,
): Promise<ArrayFile[]> {
  const keys = referenceKeys(config);
  const files: ArrayFile[] = [];
  const checkKey = (key: string, from: string): void => {
    if (!keys.includes(key))
      throw new ExportError(
        `--ref ${from}: "${key}" is no input or output in config.json (known: ${keys.join(', ')})`,
        { file: configPath },
      );
    if (files.some((entry) => entry.key === key))
      throw new ExportError(`--ref gives "${key}" twice`);
  };
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) {
      const info = await stat(value).catch(() => undefined);
      if (info === undefined || !info.isDirectory())
        throw new ExportError(
          `--ref "${value}" is neither <network>.<io>=<file> nor a folder of <network>.<io>.npy files`,
        );
      const found = (await readdir(value)).filter((name) => name.endsWith('.npy')).sort();
      const matching = found.filter((name) => keys.includes(name.slice(0, -4)));
      if (matching.length === 0)
        throw new ExportError(
          `holds no <network>.<io>.npy file for this model (expected names such as ${keys
            .slice(0, 2)
            .map((key) => `${key}.npy`)
            .join(', ')})`,
          { file: value },
        );
      for (const name of matching) {
        const key = name.slice(0, -4);
        checkKey(key, value);
        files.push({ key, file: join(value, name) });
      }
      continue;
    }
    const key = value.slice(0, equals);
    let file = value.slice(equals + 1);
    checkKey(key, value);
    const colon = file.lastIndexOf(':');
    const shapeText = colon < 0 ? undefined : file.slice(colon + 1);
    if (shapeText !== undefined && RAW_SHAPE.test(shapeText)) {
      file = file.slice(0, colon);
      if (file.endsWith('.npy'))
        throw new ExportError(
          `--ref ${value}: a .npy file carries its own shape; leave out ":${shapeText}"`,
        );
      files.push({ key, file, shape: shapeText.split('x').map(Number) });
    } else if (file.endsWith('.npy')) {
      files.push({ key, file });
    } else {
      throw new ExportError(
        `--ref ${value}: give a .npy file, or raw float32 values with their shape as <file>:<d0>x<d1>x... (e.g. ${key}=${file}:4x2)`,
      );
    }
  }
  return files;
}
