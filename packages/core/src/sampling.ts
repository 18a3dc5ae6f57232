import type { SchedulerConfigJson } from './config.js';
import type { NoiseSource } from './rng.js';
import type { Scheduler } from './schedulers/scheduler.js';
import { createScheduler } from './schedulers/index.js';
import { DPMSolverSDEScheduler } from './schedulers/sde.js';
import { applyGuidance } from './tensor-ops.js';

/**
 * The one guided sampling loop: the worker runs it for the page and the export tool's `evaluate`
 * runs it for the figures, so what `evaluate` measures is what a reader sees. The model call is
 * injected (onnxruntime-web in the worker, onnxruntime-node in the tool); everything else, the
 * batch layout of classifier-free guidance included, lives here once.
 */

/** One model call: noise predictions for `batch` items laid out as `sample` is. */
export type DenoiserCall = (inputs: {
  /** The scaled model input, [batch, ...itemShape]. */
  readonly sample: Float32Array;
  /** The timestep of each item, [batch]. */
  readonly timesteps: Float32Array;
  /** The class label of each item, [batch] (the null label for unconditional items). */
  readonly labels: BigInt64Array;
  readonly batch: number;
  /**
   * With `guidanceInput`: the guidance scale of each item, [batch], for a model that takes it as
   * an input (a distilled latent consistency model); undefined otherwise.
   */
  readonly guidanceScales?: Float32Array;
}) => Promise<Float32Array>;

/** What the loop shows after each step; the arrays are the loop's own, valid until it goes on. */
export interface GuidedStepState {
  /** 0-based index of the step. */
  readonly index: number;
  /** Steps in the run (scheduler timesteps). */
  readonly steps: number;
  readonly timestep: number;
  /** The sample after this step. */
  readonly sample: Float32Array;
  /** The noise prediction the step used (after guidance). */
  readonly noise: Float32Array;
  /** The scheduler's predicted clean sample at this step. */
  readonly predictedOriginal: Float32Array;
  /** With guidance: the unconditional and conditional predictions (views into the model output). */
  readonly unconditionalNoise: Float32Array | undefined;
  readonly conditionalNoise: Float32Array | undefined;
  /** Model calls so far. */
  readonly evaluations: number;
}

export interface GuidedSamplingOptions {
  /** A scheduler after `setTimesteps` (see `schedulerForSampling`). */
  readonly scheduler: Scheduler;
  /** One item's shape, e.g. [1, 28, 28] or a latent's [4, 7, 7]. */
  readonly itemShape: readonly number[];
  /** Each item's class label, or null for the unconditional model; its length is the batch. */
  readonly labels: readonly (number | null)[];
  /** The label the model was trained with for "no class" (classifier-free guidance). */
  readonly nullLabel: number;
  /** 1: plain conditional sampling; anything else guides with [labels, null labels] in one call. */
  readonly guidanceScale: number;
  /**
   * true: the model takes the guidance scale as an input (manifest `sampling.guidance_input`, as
   * a latent consistency model distilled from a guided teacher does): one call per step with the
   * labels as given and `guidanceScales` filled with `guidanceScale`, never the batch-2 call.
   */
  readonly guidanceInput?: boolean;
  /** Draws the initial sample and the stochastic steps' noise. */
  readonly noise: NoiseSource;
  /**
   * Draws the stochastic steps' noise instead of `noise` (which then draws only the initial
   * sample): LCM's fresh noise between steps can change while the starting noise stays.
   */
  readonly stepNoise?: NoiseSource;
  readonly eta?: number;
  readonly useClippedModelOutput?: boolean;
  readonly predict: DenoiserCall;
  /** Called before each model call: throw to stop (an abort). */
  readonly checkpoint?: () => void;
  /** Called after each step; the loop waits for a returned promise before the next step. */
  readonly onStep?: (state: GuidedStepState) => void | Promise<void>;
}

export interface GuidedSamplingResult {
  /** The final sample, [batch, ...itemShape]. */
  readonly sample: Float32Array;
  readonly evaluations: number;
  readonly steps: number;
}

/** Whether a run with these labels and scale calls the model twice per item (once unconditionally). */
export function isGuided(labels: readonly (number | null)[], guidanceScale: number): boolean {
  return guidanceScale !== 1 && labels.some((label) => label !== null);
}

/**
 * Samples `labels.length` items. With guidance each model call carries the batch twice:
 * `[x with each item's label, x with the null label]`, as the default models' recipes document,
 * and `eps = eps(null) + scale * (eps(label) - eps(null))`.
 */
export async function sampleGuided(options: GuidedSamplingOptions): Promise<GuidedSamplingResult> {
  const { scheduler, labels, nullLabel, guidanceScale, predict } = options;
  const batch = labels.length;
  if (batch === 0) throw new RangeError('sampleGuided needs at least one label (null included)');
  for (const label of labels) {
    if (label !== null && !(Number.isInteger(label) && label >= 0 && label !== nullLabel)) {
      throw new RangeError(`class label ${label} is not a class of this model`);
    }
  }
  if (!Number.isFinite(guidanceScale) || guidanceScale < 0) {
    throw new RangeError(`guidanceScale must be a number >= 0, not ${guidanceScale}`);
  }
  const itemSize = options.itemShape.reduce((a, b) => a * b, 1);
  const size = batch * itemSize;
  const guidanceInput = options.guidanceInput === true;
  const guided = !guidanceInput && isGuided(labels, guidanceScale);
  const modelBatch = guided ? 2 * batch : batch;

  const sample = options.noise.fill(new Float32Array(size));
  const sigma = scheduler.initNoiseSigma;
  if (sigma !== 1) for (let i = 0; i < size; i++) sample[i] = sample[i]! * sigma;
  const modelInput = new Float32Array(modelBatch * itemSize);
  const classLabels = new BigInt64Array(modelBatch);
  for (let n = 0; n < batch; n++) {
    classLabels[n] = BigInt(labels[n] ?? nullLabel);
    if (guided) classLabels[batch + n] = BigInt(nullLabel);
  }
  const timestepInput = new Float32Array(modelBatch);
  const guidanceScales = guidanceInput
    ? new Float32Array(modelBatch).fill(guidanceScale)
    : undefined;
  const noise = new Float32Array(size);
  const predictedOriginal = new Float32Array(size);
  const stepOptions = {
    batchSize: batch,
    eta: options.eta,
    useClippedModelOutput: options.useClippedModelOutput,
  };
  const timesteps = scheduler.timesteps;
  const ownNoise = drawsOwnNoise(scheduler);
  let evaluations = 0;
  for (let index = 0; index < timesteps.length; index++) {
    options.checkpoint?.();
    const t = timesteps[index]!;
    scheduler.scaleModelInput(modelInput.subarray(0, size), sample, t);
    if (guided) modelInput.copyWithin(size, 0, size);
    timestepInput.fill(t);
    const prediction = await predict({
      sample: modelInput,
      timesteps: timestepInput,
      labels: classLabels,
      batch: modelBatch,
      ...(guidanceScales ? { guidanceScales } : {}),
    });
    evaluations += 1;
    if (prediction.length < modelBatch * itemSize) {
      throw new RangeError(
        `the model returned ${prediction.length} values for ${modelBatch} items of ${itemSize}`,
      );
    }
    const conditional = prediction.subarray(0, size);
    const unconditional = guided ? prediction.subarray(size, 2 * size) : undefined;
    if (unconditional) applyGuidance(noise, unconditional, conditional, guidanceScale);
    else noise.set(conditional);
    scheduler.step(
      noise,
      t,
      sample,
      { prevSample: sample, predOriginalSample: predictedOriginal },
      ownNoise ? undefined : (options.stepNoise ?? options.noise),
      stepOptions,
    );
    await options.onStep?.({
      index,
      steps: timesteps.length,
      timestep: t,
      sample,
      noise,
      predictedOriginal,
      unconditionalNoise: unconditional,
      conditionalNoise: unconditional ? conditional : undefined,
      evaluations,
    });
  }
  return { sample, evaluations, steps: timesteps.length };
}

/** Keys of a manifest's `sampling` block that are scheduler settings. */
const SCHEDULER_KEYS_IN_SAMPLING = ['set_alpha_to_one'] as const;

/** The sampling settings a model's manifest recommends (`manifest.sampling`). */
export interface ModelSamplingDefaults {
  readonly steps: number;
  readonly guidanceScale: number;
  /**
   * The name of the model input that takes the guidance scale (`sampling.guidance_input`, a
   * distilled consistency model), or undefined when guidance is the batch-2 call.
   */
  readonly guidanceInput: string | undefined;
  /** The scheduler the manifest names for sampling (`sampling.sampler`, e.g. "lcm"), if any. */
  readonly sampler: string | undefined;
  readonly eta: number;
  readonly useClippedModelOutput: boolean;
}

/** Reads a manifest's `sampling` block (diffusers pipeline arguments), with diffusers' defaults. */
export function samplingDefaults(
  sampling: Readonly<Record<string, unknown>> | undefined,
): ModelSamplingDefaults {
  const number = (key: string, fallback: number) =>
    typeof sampling?.[key] === 'number' ? (sampling[key] as number) : fallback;
  return {
    steps: number('num_inference_steps', 50),
    guidanceScale: number('guidance_scale', 3),
    guidanceInput:
      typeof sampling?.['guidance_input'] === 'string' ? sampling['guidance_input'] : undefined,
    sampler: typeof sampling?.['sampler'] === 'string' ? sampling['sampler'] : undefined,
    eta: number('eta', 0),
    useClippedModelOutput: sampling?.['use_clipped_model_output'] === true,
  };
}

/**
 * A scheduler for a model: its diffusers config, the scheduler settings its manifest's
 * `sampling` block fixes (`set_alpha_to_one`), a friendly name or class, and `steps`.
 *
 * `runSeed`, the run's seed, seeds DPM-Solver SDE's Brownian tree when the config names no
 * `noise_sampler_seed`: its two half-steps then take the tree's overlapping (correlated)
 * increments, as diffusers and k-diffusion draw them, instead of independent normals.
 */
export function schedulerForSampling(
  config: SchedulerConfigJson,
  sampling: Readonly<Record<string, unknown>> | undefined,
  name: string | undefined,
  steps: number,
  runSeed?: number,
): Scheduler {
  const overrides: Record<string, unknown> = {};
  for (const key of SCHEDULER_KEYS_IN_SAMPLING) {
    if (sampling?.[key] !== undefined) overrides[key] = sampling[key];
  }
  const create = () =>
    createScheduler(config, {
      ...(name === undefined ? {} : { name }),
      overrides: overrides as SchedulerConfigJson,
    });
  let scheduler = create();
  if (
    runSeed !== undefined &&
    scheduler instanceof DPMSolverSDEScheduler &&
    scheduler.noiseSamplerSeed === null
  ) {
    overrides['noise_sampler_seed'] = runSeed;
    scheduler = create();
  }
  scheduler.setTimesteps(steps);
  return scheduler;
}

/** DPM-Solver SDE with a noise_sampler_seed draws its own (Brownian-tree) noise, as in diffusers. */
function drawsOwnNoise(scheduler: Scheduler): boolean {
  return scheduler instanceof DPMSolverSDEScheduler && scheduler.noiseSamplerSeed !== null;
}
