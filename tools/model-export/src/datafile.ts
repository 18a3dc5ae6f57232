import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeAtomically } from './atomic.js';
import { ExportError } from './errors.js';
import type { DataFile } from '@genviz/core';
import { SafetensorsFile } from './safetensors.js';
import type { SafetensorsDtype } from './safetensors.js';

const WEB_DTYPES: Partial<Record<SafetensorsDtype, DataFile['tensors'][number]['dtype']>> = {
  U8: 'uint8',
  F32: 'float32',
  I64: 'int64',
};

/**
 * Repacks a safetensors file as raw tensors back to back (no JSON header to parse in the browser:
 * the manifest says where each tensor starts). Offsets are 8-aligned so every typed array view works.
 */
export async function packSafetensorsAsData(source: string, target: string): Promise<DataFile> {
  const file = await SafetensorsFile.open(source);
  try {
    const tensors: DataFile['tensors'][number][] = [];
    const hash = createHash('sha256');
    let offset = 0;
    await writeAtomically(target, async (temp) => {
      const handle = await open(temp, 'w');
      try {
        for (const name of [...file.tensors.keys()].sort()) {
          const info = file.info(name);
          const dtype = WEB_DTYPES[info.dtype];
          if (dtype === undefined)
            throw new ExportError(
              `dtype ${info.dtype} cannot be packed for the web (U8, F32, I64 can)`,
              { file: source, tensor: name },
            );
          const padding = (8 - (offset % 8)) % 8;
          if (padding > 0) {
            const zeros = new Uint8Array(padding);
            hash.update(zeros);
            await handle.write(zeros, 0, padding, offset);
            offset += padding;
          }
          const { bytes } = await file.read(name);
          hash.update(bytes);
          await handle.write(bytes, 0, bytes.byteLength, offset);
          tensors.push({ name, dtype, shape: info.shape, byteOffset: offset });
          offset += bytes.byteLength;
        }
      } finally {
        await handle.close();
      }
    });
    return { file: basename(target), bytes: offset, sha256: hash.digest('hex'), tensors };
  } finally {
    await file.close();
  }
}
