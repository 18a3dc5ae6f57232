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

function checkSampleOptions(manifest: ModelManifest, options: DiffusionSampleOptions): void {
  const { steps, classLabel, guidanceScale } = options;
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
  if (
    classLabel !== null &&
    !(Number.isInteger(classLabel) && classLabel >= 0 && classLabel < NULL_CLASS)
  ) {
    throw new GenvizError(
      'invalid-argument',
      `classLabel must be a digit 0-9 or null, not ${classLabel}.`,
      { detail: 'classLabel' },
    );
  }
  if (!Number.isFinite(guidanceScale) || guidanceScale < 0) {
    throw new GenvizError(
      'invalid-argument',
      `guidanceScale must be a number >= 0, not ${guidanceScale}.`,
      { detail: 'guidanceScale' },
    );
  }
}

function createSampler(manifest: ModelManifest, options: DiffusionSampleOptions): Scheduler {
  try {
    return schedulerForSampling(
      manifest.scheduler as SchedulerConfigJson,
      manifest.sampling,
      options.scheduler,
      options.steps,
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
  checkSampleOptions(manifest, options);
  const scheduler = createSampler(manifest, options);
  const [, channels = 1, height = 28, width = 28] = shapeOf(manifest, 'unet', 'sample');
  const batch = options.batch ?? 1;
  const every = options.every ?? 1;
  const defaults = samplingDefaults(manifest.sampling);
  const checkpoint = () => {
    if (isAborted()) throw abortedError();
  };
  let device: DeviceChoice | undefined;
  let firstCall = true;
  let pageTookStep: Promise<void> | undefined;
  const result = await sampleGuided({
    scheduler,
    itemShape: [channels, height, width],
    labels: Array.from({ length: batch }, () => options.classLabel),
    nullLabel: NULL_CLASS,
    guidanceScale: options.guidanceScale,
    noise: new NormalGenerator(options.seed),
    eta: options.eta ?? defaults.eta,
    useClippedModelOutput: defaults.useClippedModelOutput,
    checkpoint,
    predict: async ({ sample: input, timesteps, labels, batch: modelBatch }) => {
      const { outputs, loaded } = await host.run(
        options,
        'unet',
        () => ({
          sample: { type: 'float32', data: input, dims: [modelBatch, channels, height, width] },
          timestep: { type: 'float32', data: timesteps, dims: [modelBatch] },
          class_label: { type: 'int64', data: labels, dims: [modelBatch] },
        }),
        undefined,
        firstCall ? onProgress : undefined,
      );
      firstCall = false;
      device = loaded.choice;
      return outputs.noise_pred!.data as Float32Array;
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
        elapsedMs: performance.now() - started,
      };
      const buffers = [update.sample.buffer, update.noise.buffer, update.predictedOriginal.buffer];
      if (options.includeGuidance && state.unconditionalNoise && state.conditionalNoise) {
        update.unconditionalNoise = state.unconditionalNoise.slice();
        update.conditionalNoise = state.conditionalNoise.slice();
        buffers.push(update.unconditionalNoise.buffer, update.conditionalNoise.buffer);
      }
      if (pageTookStep) await pageTookStep;
      checkpoint();
      pageTookStep = Promise.resolve(onStep(transfer(update, buffers)));
      pageTookStep.catch(() => undefined); // Awaited later; this only silences the warning.
    },
  });
  if (pageTookStep) await pageTookStep;
  return {
    sample: result.sample,
    shape: [batch, channels, height, width],
    evaluations: result.evaluations,
    steps: result.steps,
    elapsedMs: performance.now() - started,
    device: device!,
  };
}
