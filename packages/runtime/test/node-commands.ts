// Server-side commands for the runtime's browser tests (vitest `browser.commands`): they run in
// Node beside the test browser, so a test can compare what onnxruntime-web computed in the
// worker with what onnxruntime-node computes from the same file and inputs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserCommand } from 'vitest/node';

const assetsDir = resolve(import.meta.dirname, '../../models/assets');

export interface NodeTensor {
  dtype: 'float32' | 'int64';
  dims: number[];
  data: number[];
}

export const ortNodeRun: BrowserCommand<
  [modelId: string, file: string, feeds: Record<string, NodeTensor>]
> = async (_context, modelId, file, feeds) => {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(assetsDir, modelId, file));
  try {
    const inputs: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      inputs[name] =
        tensor.dtype === 'int64'
          ? new ort.Tensor(
              'int64',
              BigInt64Array.from(tensor.data.map((value) => BigInt(value))),
              tensor.dims,
            )
          : new ort.Tensor('float32', Float32Array.from(tensor.data), tensor.dims);
    }
    const outputs = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [
        name,
        { dims: [...value.dims], data: Array.from(value.data as Float32Array) },
      ]),
    );
  } finally {
    await session.release();
  }
};

/** The manifest of a built default model, read from disk (the test checks the served copy against it). */
export const readDefaultManifest: BrowserCommand<[modelId: string]> = async (_context, modelId) =>
  JSON.parse(await readFile(join(assetsDir, modelId, 'manifest.json'), 'utf8')) as unknown;

declare module 'vitest/browser' {
  interface BrowserCommands {
    ortNodeRun: (
      modelId: string,
      file: string,
      feeds: Record<string, NodeTensor>,
    ) => Promise<Record<string, { dims: number[]; data: number[] }>>;
    readDefaultManifest: (modelId: string) => Promise<unknown>;
  }
}

/** Benchmarks write their figures as JSON beside the repository root (bench-results/, ignored by git). */
export const writeBenchResults: BrowserCommand<[name: string, results: unknown]> = async (
  _context,
  name,
  results,
) => {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = resolve(import.meta.dirname, '../../../bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    writeBenchResults: (name: string, results: unknown) => Promise<void>;
  }
}
