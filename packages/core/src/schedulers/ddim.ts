import type { SchedulerConfigJson } from '../config.js';
import { resolveNoise } from '../tensor-ops.js';
import type { NoiseInput } from '../tensor-ops.js';
import { spacedTimesteps } from '../timesteps.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults, SetTimestepsOptions, StepOptions, StepOutput } from './base.js';

const DDIM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'leading',
  clipSample: true,
});

/**
 * Song et al. (2021) DDIM, as diffusers' DDIMScheduler. Config keys: the schedule keys,
 * clip_sample, clip_sample_range, set_alpha_to_one, steps_offset, prediction_type, thresholding,
 * dynamic_thresholding_ratio, sample_max_value, timestep_spacing, rescale_betas_zero_snr.
 * Step options: eta, useClippedModelOutput. One model evaluation per step.
 */
export class DDIMScheduler extends BaseScheduler {
  readonly className: string = 'DDIMScheduler';
  /** alpha_prod for the step after the last: 1 (set_alpha_to_one) or alphas_cumprod[0]. */
  readonly finalAlphaCumprod: number;

  constructor(json: SchedulerConfigJson = {}, defaults: CommonDefaults = DDIM_DEFAULTS) {
    super(json, defaults);
    this.finalAlphaCumprod = this.readFinalAlphaCumprod(json, true);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
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

  /**
   * diffusers steps back by num_train_timesteps // num_inference_steps whatever the spacing
   * (with 'trailing' this is not the next listed timestep; kept for equal results).
   */
  previousTimestep(timestep: number): number {
    this.requireTimesteps();
    return timestep - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
  }

  /** Variance sigma_t^2 / eta^2 of DDIM eq. (16). */
  variance(timestep: number, prevTimestep: number): number {
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    return ((1 - alphaProdPrev) / (1 - alphaProd)) * (1 - alphaProd / alphaProdPrev);
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
    const eta = options?.eta ?? 0;
    const prevTimestep = this.previousTimestep(timestep);
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    const betaProd = 1 - alphaProd;
    const sqrtAlphaProd = Math.sqrt(alphaProd);
    const sqrtBetaProd = Math.sqrt(betaProd);
    const type = this.predictionType;

    const original = this.originalBuffer(out, n);
    // Epsilon needs its own buffer: prevSample may alias sample, and x0 may be clipped.
    const epsilon = this.scratch('epsilon', n);
    for (let i = 0; i < n; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      if (type === 'epsilon') {
        original[i] = (x - sqrtBetaProd * m) / sqrtAlphaProd;
        epsilon[i] = m;
      } else if (type === 'sample') {
        original[i] = m;
        epsilon[i] = (x - sqrtAlphaProd * m) / sqrtBetaProd;
      } else {
        original[i] = sqrtAlphaProd * x - sqrtBetaProd * m;
        epsilon[i] = sqrtAlphaProd * m + sqrtBetaProd * x;
      }
    }
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);

    const stdDev = eta * Math.sqrt(this.variance(timestep, prevTimestep));
    if (options?.useClippedModelOutput) {
      for (let i = 0; i < n; i++) {
        epsilon[i] =
          ((sample[i] as number) - sqrtAlphaProd * (original[i] as number)) / sqrtBetaProd;
      }
    }
    const directionCoeff = Math.sqrt(1 - alphaProdPrev - stdDev * stdDev);
    const sqrtAlphaProdPrev = Math.sqrt(alphaProdPrev);
    const noiseValues =
      eta > 0 ? resolveNoise(noise, n, () => this.scratch('noise', n), this.className) : null;
    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      let value =
        sqrtAlphaProdPrev * (original[i] as number) + directionCoeff * (epsilon[i] as number);
      if (noiseValues) value += stdDev * (noiseValues[i] as number);
      prevSample[i] = value;
    }
    return out;
  }
}
