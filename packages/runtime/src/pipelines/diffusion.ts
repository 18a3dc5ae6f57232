import {
  NormalGenerator,
  addNoise,
  sampleGuided,
  samplingDefaults,
  scheduleFromConfig,
  schedulerForSampling,
  snrAt,
} from '@genviz/core';
import type { ModelManifest, NoiseSchedule, Scheduler, SchedulerConfigJson } from '@genviz/core';
import type { DeviceChoice } from '../environment.js';
import { GenvizError, abortedError } from '../errors.js';
import type { ModelHost } from '../model-host.js';
import type {
  DiffusionResult,
  DiffusionSampleOptions,
  DiffusionStep,
  ForwardRequest,
  ForwardResult,
  ProgressCallback,
  StepCallback,
} from '../protocol.js';
import { shapeOf } from './tensors.js';

const NULL_CLASS = 10;

function noiseSchedule(manifest: ModelManifest): NoiseSchedule {
  if (!manifest.scheduler) {
    throw new GenvizError(
      'invalid-argument',
      `The model ${manifest.id} has no scheduler configuration.`,
    );
  }
  return scheduleFromConfig(manifest.scheduler as SchedulerConfigJson);
}

/** The forward process of any image: x_t for each t from one seeded noise draw. */
export async function forward(host: ModelHost, options: ForwardRequest): Promise<ForwardResult> {
  const manifest = await host.manifest(options.manifestUrl);
  const schedule = noiseSchedule(manifest);
  const { image, timesteps } = options;
  const noise = new Float32Array(image.length);
  new NormalGenerator(options.seed).fill(noise);
  const samples = timesteps.map((t) => {
    if (!Number.isInteger(t) || t < 0 || t > schedule.alphasCumprod.length) {
      throw new GenvizError(
        'invalid-argument',
        `timestep ${t} is outside [0, ${schedule.alphasCumprod.length}].`,
        { detail: 'timesteps' },
      );
    }
    // t = 0 is the clean image; t = T uses the last trained step.
    if (t === 0) return image.slice();
    return addNoise(new Float32Array(image.length), image, noise, t - 1, schedule);
  });
  const snr = timesteps.map((t) => (t === 0 ? Infinity : snrAt(schedule, t - 1)));
  const alphasCumprod = Float32Array.from(schedule.alphasCumprod);
  return { samples, noise, snr, alphasCumprod };
}

function checkSampleOptions(
  manifest: ModelManifest,
  options: DiffusionSampleOptions,
  steps: number,
  labels: readonly (number | null)[],
): void {
  const { guidanceScale } = options;
  if (!manifest.scheduler) {
    throw new GenvizError('invalid-argument', `The model ${manifest.id} is not a diffusion model.`);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    throw new GenvizError(
      'invalid-argument',
      `steps must be a whole number of at least 1, not ${steps}.`,
      { detail: 'steps' },
    );
  }
  if (labels.length === 0) {
    throw new GenvizError('invalid-argument', 'classLabels is empty.', { detail: 'classLabels' });
  }
  for (const label of labels) {
    if (label !== null && !(Number.isInteger(label) && label >= 0 && label < NULL_CLASS)) {
      throw new GenvizError(
        'invalid-argument',
        `classLabel must be a digit 0-9 or null, not ${label}.`,
        { detail: 'classLabel' },
      );
    }
  }
  if (!Number.isFinite(guidanceScale) || guidanceScale < 0) {
    throw new GenvizError(
      'invalid-argument',
      `guidanceScale must be a number >= 0, not ${guidanceScale}.`,
      { detail: 'guidanceScale' },
    );
  }
  const { noiseSeed } = options;
  if (noiseSeed !== undefined && !(Number.isInteger(noiseSeed) && noiseSeed >= 0)) {
    throw new GenvizError(
      'invalid-argument',
      `noiseSeed must be a whole number >= 0, not ${noiseSeed}.`,
      { detail: 'noiseSeed' },
    );
  }
}

/** The network that predicts the noise: `unet`, or the one network with a `sample` input. */
function denoiserOf(manifest: ModelManifest): string {
  if (manifest.networks['unet']) return 'unet';
  const named = Object.entries(manifest.networks).find(([, network]) =>
    network.inputs.some((input) => input.name === 'sample'),
  );
  if (!named) {
    throw new GenvizError(
      'invalid-argument',
      `The model ${manifest.id} has no network with a "sample" input to denoise with.`,
    );
  }
  return named[0];
}

/** How a latent diffusion model's samples become images: its manifest's `sampling.latent`. */
interface LatentDecoder {
  /** The autoencoder's manifest URL. */
  readonly manifestUrl: string;
  readonly network: string;
  readonly scalingFactor: number;
}

function latentDecoderOf(manifest: ModelManifest, manifestUrl: string): LatentDecoder | undefined {
  const latent = manifest.sampling?.['latent'] as
    { autoencoder?: unknown; decoder_network?: unknown; scaling_factor?: unknown } | undefined;
  if (!latent || typeof latent.autoencoder !== 'string') return undefined;
  const { autoencoder } = latent;
  // A default model's id names its sibling folder; anything else is a URL.
  const reference = /^[\w-]+$/.test(autoencoder) ? `../${autoencoder}/manifest.json` : autoencoder;
  return {
    manifestUrl: new URL(reference, manifestUrl).href,
    network: typeof latent.decoder_network === 'string' ? latent.decoder_network : 'decoder',
    scalingFactor: typeof latent.scaling_factor === 'number' ? latent.scaling_factor : 1,
  };
}

function createSampler(
  manifest: ModelManifest,
  options: DiffusionSampleOptions,
  steps: number,
): Scheduler {
  try {
    return schedulerForSampling(
      manifest.scheduler as SchedulerConfigJson,
      manifest.sampling,
      // The model's own sampler (its manifest's `sampling.sampler`: "lcm" for a consistency model).
      options.scheduler ?? samplingDefaults(manifest.sampling).sampler ?? 'ddim',
      steps,
      options.seed,
    );
  } catch (cause) {
    throw new GenvizError(
      'invalid-argument',
      cause instanceof Error ? cause.message : String(cause),
      {
        cause,
        detail: 'scheduler',
      },
    );
  }
}

/**
 * Samples a class-conditional diffusion model with core's guided loop, streaming steps. The loop
 * computes the next step while the page draws this one, and waits for the page's answer only
 * before streaming again: a page that pauses (its onStep returns a pending promise) holds the
 * loop after at most one step computed ahead, and a page that keeps up costs no round trip.
 */
/**
 * Samples a class-conditional diffusion model with core's guided loop, streaming steps. The loop
 * computes the next step while the page draws this one, and waits for the page's answer only
 * before streaming again: a page that pauses (its onStep returns a pending promise) holds the
 * loop after at most one step computed ahead, and a page that keeps up costs no round trip.
 * A latent diffusion model's final latent (and, with `decodeSteps`, each streamed step's
 * predicted clean latent) is decoded by the autoencoder its manifest names.
 */
export async function sample(
  host: ModelHost,
  options: DiffusionSampleOptions,
  isAborted: () => boolean,
  transfer: <T>(value: T, buffers: ArrayBufferLike[]) => T,
  onStep?: StepCallback,
  onProgress?: ProgressCallback,
): Promise<DiffusionResult> {
  const started = performance.now();
  const manifest = await host.manifest(options.manifestUrl);
  const labels =
    options.classLabels ?? Array.from({ length: options.batch ?? 1 }, () => options.classLabel);
  const defaults = samplingDefaults(manifest.sampling);
  const steps = options.steps ?? defaults.steps;
  checkSampleOptions(manifest, options, steps, labels);
  const scheduler = createSampler(manifest, options, steps);
  const network = denoiserOf(manifest);
  const itemShape = shapeOf(manifest, network, 'sample').slice(1);
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const batch = labels.length;
  const every = options.every ?? 1;
  const latent = latentDecoderOf(manifest, options.manifestUrl);
  let decodes = 0;
  const decode = async (latents: Float32Array): Promise<Float32Array> => {
    const decoder = latent!;
    const scaled = latents.map((value) => value / decoder.scalingFactor);
    const { outputs } = await host.run(
      { ...options, manifestUrl: decoder.manifestUrl },
      decoder.network,
      () => ({ latent: { type: 'float32', data: scaled, dims: [batch, ...itemShape] } }),
    );
    decodes += 1;
    return outputs.image!.data as Float32Array;
  };
  const checkpoint = () => {
    if (isAborted()) throw abortedError();
  };
  let device: DeviceChoice | undefined;
  let denoiser: Awaited<ReturnType<ModelHost['session']>> | undefined;
  let pageTookStep: Promise<void> | undefined;
  const result = await sampleGuided({
    scheduler,
    itemShape,
    labels,
    nullLabel: NULL_CLASS,
    guidanceScale: options.guidanceScale,
    noise: new NormalGenerator(options.seed),
    ...(options.noiseSeed === undefined
      ? {}
      : { stepNoise: new NormalGenerator(options.noiseSeed) }),
    eta: options.eta ?? defaults.eta,
    useClippedModelOutput: defaults.useClippedModelOutput,
    // A distilled consistency model takes the scale as an input: one call per step, no batch 2.
    guidanceInput: defaults.guidanceInput !== undefined,
    checkpoint,
    predict: async ({
      sample: input,
      timesteps,
      labels: classLabels,
      batch: modelBatch,
      guidanceScales,
    }) => {
      // The session is looked up once: 50 steps cost 50 runs, not 50 lookups as well.
      denoiser ??= await host.session(options, network, undefined, onProgress);
      device = denoiser.loaded.choice;
      const outputs = await host.runOn(denoiser.pooled, {
        sample: { type: 'float32', data: input, dims: [modelBatch, ...itemShape] },
        timestep: { type: 'float32', data: timesteps, dims: [modelBatch] },
        class_label: { type: 'int64', data: classLabels, dims: [modelBatch] },
        ...(defaults.guidanceInput !== undefined && guidanceScales
          ? {
              [defaults.guidanceInput]: {
                type: 'float32' as const,
                data: guidanceScales,
                dims: [modelBatch],
              },
            }
          : {}),
      });
      const prediction = outputs.noise_pred!.data as Float32Array;
      if (prediction.length !== modelBatch * itemSize) {
        throw new GenvizError(
          'invalid-argument',
          `${manifest.id}: the denoiser returned ${prediction.length} values for ${modelBatch} items of ${itemSize}.`,
        );
      }
      return prediction;
    },
    onStep: async (state) => {
      const last = state.index === state.steps - 1;
      if (!onStep || every <= 0 || (state.index % every !== 0 && !last)) return;
      const update: DiffusionStep = {
        index: state.index,
        steps: state.steps,
        timestep: state.timestep,
        sample: state.sample.slice(),
        noise: state.noise.slice(),
        predictedOriginal: state.predictedOriginal.slice(),
        evaluations: state.evaluations,
        elapsedMs: 0,
      };
      const buffers = [update.sample.buffer, update.noise.buffer, update.predictedOriginal.buffer];
      if (options.includeGuidance && state.unconditionalNoise && state.conditionalNoise) {
        update.unconditionalNoise = state.unconditionalNoise.slice();
        update.conditionalNoise = state.conditionalNoise.slice();
        buffers.push(update.unconditionalNoise.buffer, update.conditionalNoise.buffer);
      }
      if (latent && options.decodeSteps) {
        update.decodedPrediction = await decode(update.predictedOriginal);
        buffers.push(update.decodedPrediction.buffer);
      }
      update.elapsedMs = performance.now() - started;
      if (pageTookStep) await pageTookStep;
      checkpoint();
      pageTookStep = Promise.resolve(onStep(transfer(update, buffers)));
      pageTookStep.catch(() => undefined); // Awaited later; this only silences the warning.
    },
  });
  const image = latent && options.decode !== false ? await decode(result.sample) : undefined;
  if (pageTookStep) await pageTookStep;
  return {
    sample: result.sample,
    shape: [batch, ...itemShape],
    ...(image ? { image, imageShape: [batch, 1, 28, 28], decodes } : {}),
    evaluations: result.evaluations,
    steps: result.steps,
    elapsedMs: performance.now() - started,
    device: device!,
  };
}
