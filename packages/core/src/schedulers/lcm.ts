import { readInteger, readNumber } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { numpyLinspace } from '../timesteps.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

/** LCM's and TCD's defaults (Stable Diffusion's schedule, leading spacing). */
export const CONSISTENCY_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  timestepSpacing: 'leading',
  clipSample: false,
});

/** original_inference_steps: an integer in [1, num_train_timesteps] (default 50). */
export function readOriginalInferenceSteps(
  json: SchedulerConfigJson,
  numTrainTimesteps: number,
): number {
  const steps = readInteger(json, 'original_inference_steps', 50, 1);
  if (steps > numTrainTimesteps) {
    throw new SchedulerConfigError(
      'original_inference_steps',
      `exceeds num_train_timesteps (${numTrainTimesteps})`,
    );
  }
  return steps;
}

/**
 * LCM's and TCD's set_timesteps: the distillation schedule of `original` evenly spaced timesteps
 * (k * i - 1), sampled at `count` evenly spaced positions from the noisiest.
 */
export function consistencyTimesteps(
  numTrainTimesteps: number,
  original: number,
  count: number,
): number[] {
  if (count > original) {
    throw new SchedulerConfigError(
      'num_inference_steps',
      `${count} exceeds original_inference_steps (${original})`,
    );
  }
  const k = Math.floor(numTrainTimesteps / original);
  const origin: number[] = [];
  for (let i = original; i >= 1; i--) origin.push(i * k - 1);
  return Array.from(
    numpyLinspace(0, origin.length, count, false),
    (v) => origin[Math.floor(v)] as number,
  );
}

/**
 * What LCM and TCD share: the distillation schedule (original_inference_steps) and its
 * set_timesteps, custom integer timesteps included.
 */
export abstract class ConsistencyScheduler extends BaseScheduler {
  readonly originalInferenceSteps: number;

  protected constructor(json: SchedulerConfigJson) {
    super(json, CONSISTENCY_DEFAULTS);
    this.originalInferenceSteps = readOriginalInferenceSteps(json, this.numTrainTimesteps);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    // Custom timesteps (integers, descending) are taken as given, as diffusers' set_timesteps
    // does; it only warns when they leave the distillation schedule.
    const custom = this.takeCustomTimesteps(numInferenceSteps, options, true);
    this.installTimesteps(
      custom ??
        consistencyTimesteps(
          this.numTrainTimesteps,
          this.originalInferenceSteps,
          this.requireStepCount(numInferenceSteps),
        ),
      null,
    );
  }
}

/**
 * Latent consistency model multistep sampling (Luo et al. 2023), as diffusers' LCMScheduler.
 * Config keys: the schedule keys, original_inference_steps, clip_sample, clip_sample_range,
 * set_alpha_to_one, steps_offset, prediction_type, thresholding, dynamic_thresholding_ratio,
 * sample_max_value, timestep_scaling, rescale_betas_zero_snr. Every step but the last draws
 * noise. `predOriginalSample` receives the consistency-model output ("denoised").
 */
export class LCMScheduler extends ConsistencyScheduler {
  readonly className = 'LCMScheduler';
  readonly timestepScaling: number;
  readonly finalAlphaCumprod: number;

  constructor(json: SchedulerConfigJson = {}) {
    super(json);
    this.timestepScaling = readNumber(json, 'timestep_scaling', 10);
    this.finalAlphaCumprod = this.readFinalAlphaCumprod(json, true);
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    const n = sample.length;
    this.requireTimesteps();
    const index = this.initStepIndex(timestep);
    const prevTimestep =
      index + 1 < this.timesteps.length ? (this.timesteps[index + 1] as number) : timestep;
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    const sqrtAlphaProd = Math.sqrt(alphaProd);
    const sqrtBetaProd = Math.sqrt(1 - alphaProd);
    // Boundary-condition scalings c_skip, c_out with sigma_data = 0.5.
    const scaled = timestep * this.timestepScaling;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const original = this.scratch('lcmOriginal', n);
    const type = this.predictionType;
    for (let i = 0; i < n; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      original[i] =
        type === 'epsilon'
          ? (x - sqrtBetaProd * m) / sqrtAlphaProd
          : type === 'sample'
            ? m
            : sqrtAlphaProd * x - sqrtBetaProd * m;
    }
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);
    const denoised = out.predOriginalSample ?? this.scratch('denoised', n);
    for (let i = 0; i < n; i++)
      denoised[i] = cOut * (original[i] as number) + cSkip * (sample[i] as number);
    const prevSample = out.prevSample;
    if (index !== this.numInferenceSteps - 1) {
      const noiseValues = this.noiseFor(noise, n);
      const a = Math.sqrt(alphaProdPrev);
      const b = Math.sqrt(1 - alphaProdPrev);
      for (let i = 0; i < n; i++)
        prevSample[i] = a * (denoised[i] as number) + b * (noiseValues[i] as number);
    } else {
      prevSample.set(denoised);
    }
    this.currentStepIndex = index + 1;
    return out;
  }
}
