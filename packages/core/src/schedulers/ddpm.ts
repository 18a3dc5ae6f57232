import { readEnum } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import { resolveNoise } from '../tensor-ops.js';
import type { NoiseInput } from '../tensor-ops.js';
import { spacedTimesteps } from '../timesteps.js';
import { BaseScheduler, checkCustomTimesteps } from './base.js';
import type { CommonDefaults, SetTimestepsOptions, StepOptions, StepOutput } from './base.js';

export const DDPM_VARIANCE_TYPES = Object.freeze([
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
  'fixed_large_log',
  'learned',
  'learned_range',
] as const);
export type DdpmVarianceType = (typeof DDPM_VARIANCE_TYPES)[number];

const DDPM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'leading',
  clipSample: true,
});

/**
 * Ho et al. (2020) ancestral sampling, as diffusers' DDPMScheduler. Config keys: the schedule
 * keys, variance_type, clip_sample, clip_sample_range, prediction_type, thresholding,
 * dynamic_thresholding_ratio, sample_max_value, timestep_spacing, steps_offset,
 * rescale_betas_zero_snr. One model evaluation per step.
 */
export class DDPMScheduler extends BaseScheduler {
  readonly className = 'DDPMScheduler';
  readonly varianceType: DdpmVarianceType;
  private customTimesteps = false;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, DDPM_DEFAULTS);
    this.varianceType = readEnum(json, 'variance_type', DDPM_VARIANCE_TYPES, 'fixed_small');
    const all: number[] = [];
    for (let t = this.numTrainTimesteps - 1; t >= 0; t--) all.push(t);
    this.timesteps = Object.freeze(all);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    if (options?.timesteps) {
      if (numInferenceSteps !== null) {
        throw new SchedulerConfigError(
          'timesteps',
          'pass either num_inference_steps or timesteps, not both',
        );
      }
      checkCustomTimesteps(options.timesteps, this.numTrainTimesteps, true);
      this.timesteps = Object.freeze([...options.timesteps]);
      this.customTimesteps = true;
      this.numInferenceSteps = options.timesteps.length;
      return;
    }
    const n = this.requireStepCount(numInferenceSteps);
    this.customTimesteps = false;
    this.numInferenceSteps = n;
    this.timesteps = Object.freeze(
      spacedTimesteps(
        this.common.timestepSpacing,
        n,
        this.numTrainTimesteps,
        this.common.stepsOffset,
      ),
    );
  }

  /** diffusers' previous_timestep: the next entry of `timesteps`, or -1 after the last. */
  previousTimestep(timestep: number): number {
    if (this.customTimesteps || this.numInferenceSteps > 0) {
      const index = this.timesteps.indexOf(timestep);
      if (index < 0)
        throw new RangeError(`DDPMScheduler: timestep ${timestep} is not in the current timesteps`);
      return index === this.timesteps.length - 1 ? -1 : (this.timesteps[index + 1] as number);
    }
    return timestep - 1;
  }

  /**
   * The variance term of diffusers' _get_variance for a fixed variance type: what multiplies the
   * noise (a standard deviation), or for learned types the log-variance bounds.
   */
  private varianceBounds(timestep: number): { posteriorVariance: number; currentBeta: number } {
    const prev = this.previousTimestep(timestep);
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prev, 1);
    const currentBeta = 1 - alphaProd / alphaProdPrev;
    const posteriorVariance = Math.max(
      ((1 - alphaProdPrev) / (1 - alphaProd)) * currentBeta,
      1e-20,
    );
    return { posteriorVariance, currentBeta };
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    const n = sample.length;
    const prev = this.previousTimestep(timestep);
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prev, 1);
    const betaProd = 1 - alphaProd;
    const betaProdPrev = 1 - alphaProdPrev;
    const currentAlpha = alphaProd / alphaProdPrev;
    const currentBeta = 1 - currentAlpha;
    const sqrtAlphaProd = Math.sqrt(alphaProd);
    const sqrtBetaProd = Math.sqrt(betaProd);

    const original = this.originalBuffer(out, n);
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

    const originalCoeff = (Math.sqrt(alphaProdPrev) * currentBeta) / betaProd;
    const sampleCoeff = (Math.sqrt(currentAlpha) * betaProdPrev) / betaProd;

    let noiseValues: Float32Array | null = null;
    let noiseScale = 0;
    let learned: Float32Array | null = null;
    let minLog = 0;
    let maxLog = 0;
    if (timestep > 0) {
      noiseValues = resolveNoise(noise, n, () => this.scratch('noise', n), this.className);
      const { posteriorVariance, currentBeta: beta } = this.varianceBounds(timestep);
      switch (this.varianceType) {
        case 'fixed_small':
          noiseScale = Math.sqrt(posteriorVariance);
          break;
        case 'fixed_small_log':
          // diffusers multiplies by exp(0.5 * log(variance)) without a further sqrt.
          noiseScale = Math.exp(0.5 * Math.log(posteriorVariance));
          break;
        case 'fixed_large':
          noiseScale = Math.sqrt(beta);
          break;
        case 'fixed_large_log':
          // diffusers takes sqrt(log(beta)), which is NaN; we use the evident intent, sqrt(beta).
          noiseScale = Math.sqrt(beta);
          break;
        case 'learned':
        case 'learned_range':
          learned = options?.predictedVariance ?? null;
          if (!learned || learned.length < n) {
            throw new TypeError(
              `DDPMScheduler: variance_type '${this.varianceType}' needs options.predictedVariance`,
            );
          }
          minLog = Math.log(posteriorVariance);
          maxLog = Math.log(beta);
          break;
      }
    }

    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      let value = originalCoeff * (original[i] as number) + sampleCoeff * (sample[i] as number);
      if (noiseValues) {
        let scale = noiseScale;
        if (learned) {
          const predicted = learned[i] as number;
          if (this.varianceType === 'learned') {
            // diffusers returns the predicted variance itself, then takes its sqrt.
            scale = Math.sqrt(predicted);
          } else {
            const fraction = (predicted + 1) / 2;
            scale = Math.exp(0.5 * (fraction * maxLog + (1 - fraction) * minLog));
          }
        }
        value += scale * (noiseValues[i] as number);
      }
      prevSample[i] = value;
    }
    return out;
  }
}
