import {
  NormalGenerator,
  sampleGuided,
  samplingDefaults,
  schedulerForSampling,
} from '@genviz/core';
import type { SchedulerConfigJson } from '@genviz/core';
import type { ModelDtype } from '../dtypes.js';
import { ExportError } from '../errors.js';
import type { ModelManifest } from '@genviz/core';
import { findVariant, openVariant, readModelManifest } from './assets.js';
import type { EvaluatedNetwork } from './assets.js';
import { PIXELS, accuracy, minusOneToUnitInPlace } from './metrics.js';
import type { ComparisonRow } from './report.js';

import { DIFFUSION_BATCH, IMAGE_BATCH, inputName, sampleFigures } from './evaluators.js';
import type { EvaluationContext } from './evaluators.js';

// The diffusion rows of evaluate: pixel and latent diffusion, sampled with @genviz/core's guided
// loop (the one the page's worker runs) and judged like every other family.

/** How one diffusion row samples. */
export interface DiffusionSampling {
  /** @genviz/core scheduler name ('lcm': a consistency model, one call per step). */
  readonly scheduler: 'ddim' | 'dpmsolver++' | 'lcm';
  readonly steps: number;
  /**
   * 1: one plain call per step; else classifier-free guidance with [label, null] in one call, or,
   * for a model with `sampling.guidance_input`, the scale fed to that input (one call per step).
   */
  readonly guidanceScale: number;
  /** true: digits 0-9 asked in turn; false: the null label for every sample. */
  readonly conditional: boolean;
  readonly seed: number;
}

const SCHEDULER_TITLES: Readonly<Record<DiffusionSampling['scheduler'], string>> = {
  ddim: 'DDIM',
  'dpmsolver++': 'DPM-Solver++',
  lcm: 'LCM',
};

export function describeSampling(sampling: DiffusionSampling): string {
  const title = `${SCHEDULER_TITLES[sampling.scheduler]}-${sampling.steps}`;
  return sampling.conditional
    ? `${title} g=${sampling.guidanceScale}, digits 0-9`
    : `${title} null label`;
}

/**
 * Latent diffusion (mnist-ldm): the UNet samples latents of `itemShape`, which the autoencoder's
 * decoder turns into images in [0, 1] after dividing by the scaling factor (manifest
 * `sampling.latent`: `autoencoder`, `decoder_network`, `scaling_factor`, `shape`).
 */
export interface LatentDecoder {
  readonly itemShape: readonly number[];
  /** latents [count, ...itemShape] as sampled (scaled) -> images [count, 1, 28, 28] in [0, 1]. */
  decode(latents: Float32Array, count: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** The decoder `sampling.latent` names, in `dtype`; undefined when the build lacks that variant. */
export async function openLatentDecoder(
  context: EvaluationContext,
  manifest: ModelManifest,
  dtype: ModelDtype,
): Promise<LatentDecoder | undefined> {
  const latent = (manifest.sampling?.['latent'] ?? undefined) as
    | { autoencoder?: string; decoder_network?: string; scaling_factor?: number; shape?: number[] }
    | undefined;
  const { autoencoder, scaling_factor: scale, shape } = latent ?? {};
  if (typeof autoencoder !== 'string' || typeof scale !== 'number' || !Array.isArray(shape))
    throw new ExportError(
      `${manifest.id}: manifest sampling.latent needs autoencoder, scaling_factor and shape`,
    );
  const decoderManifest = await readModelManifest(context.assetsDir, autoencoder);
  if (decoderManifest === undefined)
    throw new ExportError(`${manifest.id}: its autoencoder ${autoencoder} is not in the assets`);
  const networkName = latent?.decoder_network ?? 'decoder';
  const variant = findVariant(decoderManifest, networkName, dtype);
  if (variant === undefined) return undefined;
  const decoder = await openVariant(context.assetsDir, decoderManifest, variant, context.threads);
  const input = inputName(decoderManifest, networkName);
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    itemShape: shape,
    async decode(latents, count) {
      const images = new Float32Array(count * PIXELS);
      for (let start = 0; start < count; start += IMAGE_BATCH) {
        const n = Math.min(IMAGE_BATCH, count - start);
        const unscaled = latents.slice(start * size, (start + n) * size).map((v) => v / scale);
        images.set(
          await decoder.runSingle({ [input]: { data: unscaled, shape: [n, ...shape] } }),
          start * PIXELS,
        );
      }
      return images;
    },
    release: () => decoder.release(),
  };
}

/**
 * Samples the class-conditional UNet with @genviz/core's guided loop, the one the page's worker
 * runs, `imagesPerBatch` images at a time (with guidance each UNet call carries batch 2B); with
 * `latent`, the loop runs on latents and each batch is decoded once at the end.
 */
export async function sampleDiffusion(
  unet: EvaluatedNetwork,
  manifest: ModelManifest,
  sampling: DiffusionSampling,
  labels: Uint8Array,
  imagesPerBatch: number,
  onBatch?: (done: number) => void,
  latent?: LatentDecoder,
): Promise<Float32Array> {
  const schedulerConfig = manifest.scheduler as SchedulerConfigJson | undefined;
  if (schedulerConfig === undefined)
    throw new ExportError(`${manifest.id}: manifest has no scheduler config`);
  const [sampleName, timestepName, labelName] = [0, 1, 2].map((index) =>
    inputName(manifest, 'unet', index),
  ) as [string, string, string];
  const defaults = samplingDefaults(manifest.sampling);
  const guidanceName = defaults.guidanceInput;
  if (
    guidanceName !== undefined &&
    !manifest.networks['unet']?.inputs.some((input) => input.name === guidanceName)
  )
    throw new ExportError(
      `${manifest.id}: sampling.guidance_input names "${guidanceName}", which is not an input of its unet`,
    );
  const count = labels.length;
  const itemShape = latent?.itemShape ?? [1, 28, 28];
  const images = new Float32Array(count * PIXELS);
  const rng = new NormalGenerator(sampling.seed);
  for (let start = 0; start < count; start += imagesPerBatch) {
    const size = Math.min(imagesPerBatch, count - start);
    const scheduler = schedulerForSampling(
      schedulerConfig,
      manifest.sampling,
      sampling.scheduler,
      sampling.steps,
      // One Brownian tree per batch (DPM-Solver SDE): batches must not share a noise path.
      sampling.seed + start,
    );
    const { sample } = await sampleGuided({
      scheduler,
      itemShape,
      labels: Array.from(labels.subarray(start, start + size), (label) =>
        sampling.conditional ? label : null,
      ),
      nullLabel: nullClass(manifest),
      guidanceScale: sampling.guidanceScale,
      noise: rng,
      eta: defaults.eta,
      useClippedModelOutput: defaults.useClippedModelOutput,
      guidanceInput: guidanceName !== undefined,
      predict: ({ sample: input, timesteps, labels: classLabels, batch, guidanceScales }) =>
        unet.runSingle({
          [sampleName]: { data: input, shape: [batch, ...itemShape] },
          [timestepName]: { data: timesteps, shape: [batch] },
          [labelName]: { data: classLabels, shape: [batch] },
          ...(guidanceName !== undefined && guidanceScales
            ? { [guidanceName]: { data: guidanceScales, shape: [batch] } }
            : {}),
        }),
    });
    images.set(latent ? await latent.decode(sample, size) : sample, start * PIXELS);
    onBatch?.(start + size);
  }
  return latent ? images : minusOneToUnitInPlace(images);
}

function nullClass(manifest: ModelManifest): number {
  const range = manifest.networks['unet']?.inputs[2]?.range;
  return range !== undefined ? range[1] : (manifest.labels?.length ?? 10);
}

/** The manifest's default sampling (DDIM, 50 steps, guidance 3 for mnist-ddpm). */
export function defaultDiffusionSettings(manifest: ModelManifest): {
  steps: number;
  guidanceScale: number;
} {
  const { steps, guidanceScale } = samplingDefaults(manifest.sampling);
  return { steps, guidanceScale };
}

export async function evaluateDiffusion(
  context: EvaluationContext,
  manifest: ModelManifest,
  dtype: ModelDtype,
  samplings: readonly DiffusionSampling[],
): Promise<ComparisonRow[] | undefined> {
  const variant = findVariant(manifest, 'unet', dtype);
  if (variant === undefined) return undefined;
  const latent =
    manifest.sampling?.['latent'] === undefined
      ? undefined
      : await openLatentDecoder(context, manifest, dtype);
  if (manifest.sampling?.['latent'] !== undefined && latent === undefined) return undefined;
  const unet = await openVariant(context.assetsDir, manifest, variant, context.threads);
  const classes = context.judge.classes;
  const labels = Uint8Array.from({ length: context.samples }, (_, i) => i % classes);
  const rows: ComparisonRow[] = [];
  try {
    for (const sampling of samplings) {
      const title = `${latent ? 'latent ' : ''}${describeSampling(sampling)}`;
      context.reporter.step(`[${manifest.id}] ${dtype} ${title}: ${context.samples} samples`);
      const imagesPerBatch = Math.min(DIFFUSION_BATCH, context.samples);
      const started = performance.now();
      const images = await sampleDiffusion(
        unet,
        manifest,
        sampling,
        labels,
        imagesPerBatch,
        (done) =>
          context.reporter.detail(
            `${title}: ${done}/${context.samples} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
          ),
        latent,
      );
      const msPerImage = (performance.now() - started) / context.samples;
      const oneStarted = performance.now();
      await sampleDiffusion(unet, manifest, sampling, labels.subarray(0, 1), 1, undefined, latent);
      const oneImageMs = performance.now() - oneStarted;
      const { figures, judgement } = await sampleFigures(context.judge, images);
      // A consistency model takes the scale as an input: never the batch-2 call.
      const guided =
        sampling.conditional &&
        sampling.guidanceScale !== 1 &&
        samplingDefaults(manifest.sampling).guidanceInput === undefined;
      rows.push({
        family: 'diffusion',
        model: manifest.id,
        dtype,
        method: title,
        ...figures,
        ...(sampling.conditional
          ? { askedDigitAccuracy: accuracy(judgement.predicted, labels) }
          : {}),
        msPerImage,
        batching: `${imagesPerBatch} images, UNet batch ${(guided ? 2 : 1) * imagesPerBatch}${latent ? ', then decoded' : ''}`,
        oneImageMs,
      });
    }
  } finally {
    await unet.release();
    await latent?.release();
  }
  return rows;
}
