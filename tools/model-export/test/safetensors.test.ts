import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportError } from '../src/errors.js';
import {
  MAX_HEADER_BYTES,
  SafetensorsFile,
  float32Bytes,
  writeSafetensors,
} from '../src/safetensors.js';
import { temporaryDir } from './fixtures.js';

function fileWithHeader(header: unknown, dataBytes: number, declaredLength?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  return Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]);
}

async function openBytes(bytes: Buffer): Promise<{ path: string; error: unknown }> {
  const path = join(await temporaryDir(), 'bad.safetensors');
  await writeFile(path, bytes);
  const error = await SafetensorsFile.open(path).then(
    async (file) => {
      await file.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  return { path, error };
}

describe('SafetensorsFile', () => {
  it('reads tensors back by offset, one at a time', async () => {
    const path = join(await temporaryDir(), 'ok.safetensors');
    await writeSafetensors(path, [
      {
        name: 'a.weight',
        dtype: 'F32',
        shape: [2, 3],
        data: float32Bytes(Float32Array.from([1, 2, 3, 4, 5, 6])),
      },
      { name: 'b', dtype: 'U8', shape: [4], data: Uint8Array.from([9, 8, 7, 6]) },
    ]);
    const file = await SafetensorsFile.open(path);
    try {
      expect([...file.tensors.keys()]).toEqual(['a.weight', 'b']);
      expect(Array.from(await file.readFloat32('a.weight'))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from((await file.read('b')).bytes)).toEqual([9, 8, 7, 6]);
    } finally {
      await file.close();
    }
  });

  const badFiles: [string, () => Buffer, RegExp][] = [
    ['a file shorter than the length prefix', () => Buffer.from([1, 2, 3]), /truncated: 3 bytes/],
    [
      'a header length past the end of the file',
      () => fileWithHeader({}, 0, 1000n),
      /truncated: the header claims 1000 bytes/,
    ],
    [
      'an oversized header length',
      () => fileWithHeader({}, 0, BigInt(MAX_HEADER_BYTES) + 1n),
      /over the 104857600-byte limit/,
    ],
    [
      'a header that is not JSON',
      () => Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]),
      /not valid JSON/,
    ],
    [
      'an unknown dtype',
      () => fileWithHeader({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1),
      /tensor "w": unknown dtype "F8"/,
    ],
    [
      'offsets out of range',
      () => fileWithHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8),
      /tensor "w": data_offsets \[0, 16\] are out of range/,
    ],
    [
      'offsets that disagree with the shape',
      () => fileWithHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      /tensor "w": .* span 8 bytes, but F32 \[3\] needs 12/,
    ],
    [
      'overlapping offsets (two tensors reading the same bytes)',
      () =>
        fileWithHeader(
          {
            a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
            b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
          },
          24,
        ),
      /tensor "b": data_offsets \[8, 24\] overlap those of tensor "a" \[0, 16\]/,
    ],
    [
      'two tensors at the same offsets',
      () =>
        fileWithHeader(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          },
          8,
        ),
      /tensor "b": data_offsets \[0, 8\] overlap those of tensor "a" \[0, 8\]/,
    ],
    [
      'a gap between tensors',
      () =>
        fileWithHeader(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
          },
          20,
        ),
      /tensor "b": data_offsets \[12, 20\] leave bytes \[8, 12\] after tensor "a" unused/,
    ],
    [
      'a data section that does not start at the first tensor',
      () => fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8),
      /tensor "a": data_offsets \[4, 8\] leave bytes \[0, 4\] at the start of the data section unused/,
    ],
    [
      'bytes after the last tensor',
      () => fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12),
      /8 bytes after the last tensor \("a"\) belong to no tensor/,
    ],
    [
      'a negative dimension',
      () => fileWithHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
      /tensor "w": shape \[-1\]/,
    ],
  ];
  for (const [what, make, message] of badFiles) {
    it(`names the file and tensor for ${what}`, async () => {
      const { path, error } = await openBytes(make());
      expect(error).toBeInstanceOf(ExportError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
    });
  }
});
