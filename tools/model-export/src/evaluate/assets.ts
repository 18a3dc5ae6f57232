import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { ModelDtype } from '../dtypes.js';
import { ExportError } from '../errors.js';
import type { AnyManifest, DatasetManifest, ModelManifest, ModelVariant } from '@genviz/core';
import { PIXELS } from './metrics.js';

/** The ids evaluate knows, as in docs/decisions/0001-model-folder-contract.md. */
export const MODEL_IDS = Object.freeze({
  classifier: 'mnist-classifier',
  vae: 'mnist-vae',
  gan: 'mnist-dcgan',
  collapsedGan: 'mnist-dcgan-collapsed',
  diffusion: 'mnist-ddpm',
  latentDiffusion: 'mnist-ldm',
  consistency: 'mnist-lcm',
  data: 'mnist-data',
} as const);

export async function readManifest(
  assetsDir: string,
  id: string,
): Promise<AnyManifest | undefined> {
  const path = join(assetsDir, id, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExportError(`cannot read: ${(error as Error).message}`, { file: path, cause: error });
  }
  try {
    return JSON.parse(text) as AnyManifest;
  } catch (error) {
    throw new ExportError(`is not JSON: ${(error as Error).message}`, { file: path, cause: error });
  }
}

export async function readModelManifest(
  assetsDir: string,
  id: string,
): Promise<ModelManifest | undefined> {
  const manifest = await readManifest(assetsDir, id);
  if (manifest === undefined) return undefined;
  if (manifest.task === 'dataset')
    throw new ExportError(`is a dataset manifest, evaluate expected a model`, {
      file: join(assetsDir, id, 'manifest.json'),
    });
  return manifest;
}

/** The variant of `network` in `dtype`, or undefined when the build dropped or skipped it. */
export function findVariant(
  manifest: ModelManifest,
  network: string,
  dtype: ModelDtype,
): ModelVariant | undefined {
  const entry = manifest.networks[network];
  if (entry === undefined)
    throw new ExportError(`${manifest.id}: manifest has no network "${network}"`);
  return entry.variants.find((variant) => variant.dtype === dtype);
}

/** The held-out split every metric uses: images in [0, 1] ([1000, 1, 28, 28]) and labels. */
export interface HeldoutDigits {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export async function readHeldoutDigits(assetsDir: string): Promise<HeldoutDigits> {
  const manifestPath = join(assetsDir, MODEL_IDS.data, 'manifest.json');
  const manifest = (await readManifest(assetsDir, MODEL_IDS.data)) as DatasetManifest | undefined;
  if (manifest === undefined)
    throw new ExportError(`missing: evaluate needs the held-out digits (build mnist-data)`, {
      file: manifestPath,
    });
  const heldout = manifest.data['heldout'];
  const imagesInfo = heldout?.tensors.find((tensor) => tensor.name === 'images');
  const labelsInfo = heldout?.tensors.find((tensor) => tensor.name === 'labels');
  if (heldout === undefined || imagesInfo === undefined || labelsInfo === undefined) {
    throw new ExportError('data.heldout needs tensors "images" and "labels"', {
      file: manifestPath,
    });
  }
  const binPath = join(assetsDir, MODEL_IDS.data, heldout.file);
  const bytes = await readFile(binPath);
  const count = labelsInfo.shape[0] ?? 0;
  if (
    imagesInfo.dtype !== 'uint8' ||
    labelsInfo.dtype !== 'uint8' ||
    imagesInfo.byteOffset + count * PIXELS > bytes.byteLength ||
    labelsInfo.byteOffset + count > bytes.byteLength
  ) {
    throw new ExportError(
      `does not hold ${count} uint8 images and labels at the manifest's offsets`,
      { file: binPath },
    );
  }
  const images = new Float32Array(count * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = bytes[imagesInfo.byteOffset + i]! / 255;
  const labels = Uint8Array.from(
    bytes.subarray(labelsInfo.byteOffset, labelsInfo.byteOffset + count),
  );
  return { images, labels, count };
}

/**
 * One ONNX network on onnxruntime-node's CPU provider, by default with one thread (the figures are
 * per core, comparable across machines and with the browser's single-threaded wasm). `runMs` adds up the
 * time spent in session.run, which is what "time per image" reports.
 */
export class EvaluatedNetwork {
  runMs = 0;

  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
  ) {}

  static async open(path: string, threads = 1): Promise<EvaluatedNetwork> {
    try {
      const session = await ort.InferenceSession.create(path, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      return new EvaluatedNetwork(path, session);
    } catch (error) {
      throw new ExportError(`onnxruntime cannot load the model: ${(error as Error).message}`, {
        file: path,
        cause: error,
      });
    }
  }

  /** Runs with the given float32/int64 inputs (shape [batch, ...]); returns each output's data. */
  async run(
    feeds: Readonly<
      Record<string, { data: Float32Array | BigInt64Array; shape: readonly number[] }>
    >,
  ): Promise<Record<string, Float32Array>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds))
      tensors[name] = new ort.Tensor(
        feed.data instanceof BigInt64Array ? 'int64' : 'float32',
        feed.data,
        [...feed.shape],
      );
    const started = performance.now();
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(tensors);
    } catch (error) {
      throw new ExportError(`onnxruntime failed to run the model: ${(error as Error).message}`, {
        file: this.file,
        cause: error,
      });
    }
    this.runMs += performance.now() - started;
    const outputs: Record<string, Float32Array> = {};
    for (const [name, value] of Object.entries(results))
      outputs[name] = (value as ort.Tensor).data as Float32Array;
    return outputs;
  }

  /** The one output of a single-output network. */
  async runSingle(
    feeds: Readonly<
      Record<string, { data: Float32Array | BigInt64Array; shape: readonly number[] }>
    >,
  ): Promise<Float32Array> {
    const outputs = Object.values(await this.run(feeds));
    if (outputs.length !== 1)
      throw new ExportError(`expected one output, the model has ${outputs.length}`, {
        file: this.file,
      });
    return outputs[0]!;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export async function openVariant(
  assetsDir: string,
  manifest: ModelManifest,
  variant: ModelVariant,
  threads = 1,
): Promise<EvaluatedNetwork> {
  return EvaluatedNetwork.open(join(assetsDir, manifest.id, variant.file), threads);
}
