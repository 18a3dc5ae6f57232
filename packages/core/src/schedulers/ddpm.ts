import { readEnum } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import type { NoiseInput } from '../tensor-ops.js';
import { spacedTimesteps } from '../timesteps.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

export const DDPM_VARIANCE_TYPES = Object.freeze([
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
  'fixed_large_log',
  'learned',
  'learned_range',
] as const);
export type DdpmVarianceType = (typeof DDPM_VARIANCE_TYPES)[number];

const f = Math.fround;

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
  // Steps by timestep value: no step index, no set_begin_index (as diffusers).
  protected override readonly tracksStepIndex: boolean = false;
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
    const custom = this.takeCustomTimesteps(numInferenceSteps, options, true);
    if (custom) {
      this.timesteps = Object.freeze(custom);
      this.customTimesteps = true;
      this.numInferenceSteps = custom.length;
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

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    // Float32 throughout, as diffusers' tensors: current_beta_t = 1 - alpha ratio cancels, and
    // float64 here moves a 1000-step loop by ~1e-4 relative.
    const n = sample.length;
    const prev = this.previousTimestep(timestep);
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prev, 1);
    const betaProd = f(1 - alphaProd);
    const betaProdPrev = f(1 - alphaProdPrev);
    const currentAlpha = f(alphaProd / alphaProdPrev);
    const currentBeta = f(1 - currentAlpha);
    const sqrtAlphaProd = f(Math.sqrt(alphaProd));
    const sqrtBetaProd = f(Math.sqrt(betaProd));

    const original = this.originalBuffer(out, n);
    const type = this.predictionType;
    for (let i = 0; i < n; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      original[i] =
        type === 'epsilon'
          ? f(f(x - f(sqrtBetaProd * m)) / sqrtAlphaProd)
          : type === 'sample'
            ? m
            : f(f(sqrtAlphaProd * x) - f(sqrtBetaProd * m));
    }
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);

    const originalCoeff = f(f(f(Math.sqrt(alphaProdPrev)) * currentBeta) / betaProd);
    const sampleCoeff = f(f(f(Math.sqrt(currentAlpha)) * betaProdPrev) / betaProd);

    let noiseValues: Float32Array | null = null;
    let noiseScale = 0;
    let learned: Float32Array | null = null;
    let minLog = 0;
    let maxLog = 0;
    if (timestep > 0) {
      noiseValues = this.noiseFor(noise, n);
      // diffusers' _get_variance.
      const posteriorVariance = Math.max(f(f(betaProdPrev / betaProd) * currentBeta), 1e-20);
      switch (this.varianceType) {
        case 'fixed_small':
          noiseScale = f(Math.sqrt(posteriorVariance));
          break;
        case 'fixed_small_log':
          // diffusers multiplies by exp(0.5 * log(variance)) without a further sqrt.
          noiseScale = f(Math.exp(f(0.5 * f(Math.log(posteriorVariance)))));
          break;
        case 'fixed_large':
          noiseScale = f(Math.sqrt(currentBeta));
          break;
        case 'fixed_large_log':
          // diffusers takes sqrt(log(beta)), which is NaN; we use the evident intent, sqrt(beta).
          noiseScale = f(Math.sqrt(currentBeta));
          break;
        case 'learned':
        case 'learned_range':
          learned = options?.predictedVariance ?? null;
          if (!learned || learned.length < n) {
            throw new TypeError(
              `DDPMScheduler: variance_type '${this.varianceType}' needs options.predictedVariance`,
            );
          }
          minLog = f(Math.log(posteriorVariance));
          maxLog = f(Math.log(currentBeta));
          break;
      }
    }

    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      let value = f(
        f(originalCoeff * (original[i] as number)) + f(sampleCoeff * (sample[i] as number)),
      );
      if (noiseValues) {
        let scale = noiseScale;
        if (learned) {
          const predicted = learned[i] as number;
          if (this.varianceType === 'learned') {
            // diffusers returns the predicted variance itself, then takes its sqrt.
            scale = f(Math.sqrt(predicted));
          } else {
            const fraction = f(f(predicted + 1) / 2);
            scale = f(Math.exp(f(0.5 * f(f(fraction * maxLog) + f(f(1 - fraction) * minLog)))));
          }
        }
        value = f(value + f(scale * (noiseValues[i] as number)));
      }
      prevSample[i] = value;
    }
    return out;
  }
}
