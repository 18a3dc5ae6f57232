/**
 * Writes a .npy file's bytes as numpy.save does (format 1.0): what a model author's own tools
 * produce, made here so no Python runs at test time.
 */
export function npyBytes(
  values: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array,
  shape: readonly number[],
  options: { fortranOrder?: boolean; descr?: string } = {},
): Uint8Array {
  const descr =
    options.descr ??
    (values instanceof Float32Array
      ? '<f4'
      : values instanceof Float64Array
        ? '<f8'
        : values instanceof BigInt64Array
          ? '<i8'
          : values instanceof Int32Array
            ? '<i4'
            : '|u1');
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces so the data starts 64-aligned, and ends it with a newline.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = new Uint8Array(10);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(prefix.buffer).setUint16(8, header.length, true);
  const data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(prefix);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
