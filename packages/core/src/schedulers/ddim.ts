import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { spacedTimesteps } from '../timesteps.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults } from './base.js';
import type { PredictionType, SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

const f = Math.fround;

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
  // Steps by timestep value: no step index, no set_begin_index (as diffusers).
  protected override readonly tracksStepIndex: boolean = false;
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

  /** Variance sigma_t^2 / eta^2 of DDIM eq. (16) (diffusers' _get_variance, float32). */
  variance(timestep: number, prevTimestep: number): number {
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    return f(f(f(1 - alphaProdPrev) / f(1 - alphaProd)) * f(1 - f(alphaProd / alphaProdPrev)));
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    // Float32 throughout, as diffusers' tensors.
    const n = sample.length;
    const eta = options?.eta ?? 0;
    const prevTimestep = this.previousTimestep(timestep);
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    const betaProd = f(1 - alphaProd);
    const sqrtAlphaProd = f(Math.sqrt(alphaProd));
    const sqrtBetaProd = f(Math.sqrt(betaProd));
    const type = this.predictionType;

    const original = this.originalBuffer(out, n);
    // Epsilon needs its own buffer: prevSample may alias sample, and x0 may be clipped.
    const epsilon = this.scratch('epsilon', n);
    splitPrediction(type, sample, modelOutput, sqrtAlphaProd, sqrtBetaProd, original, epsilon);
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);

    const stdDev = f(eta * f(Math.sqrt(this.variance(timestep, prevTimestep))));
    if (options?.useClippedModelOutput) {
      for (let i = 0; i < n; i++) {
        epsilon[i] = f(
          f((sample[i] as number) - f(sqrtAlphaProd * (original[i] as number))) / sqrtBetaProd,
        );
      }
    }
    const directionCoeff = f(Math.sqrt(f(f(1 - alphaProdPrev) - f(stdDev * stdDev))));
    const sqrtAlphaProdPrev = f(Math.sqrt(alphaProdPrev));
    const noiseValues = eta > 0 ? this.noiseFor(noise, n) : null;
    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      let value = f(
        f(sqrtAlphaProdPrev * (original[i] as number)) + f(directionCoeff * (epsilon[i] as number)),
      );
      if (noiseValues) value = f(value + f(stdDev * (noiseValues[i] as number)));
      prevSample[i] = value;
    }
    return out;
  }
}

/**
 * diffusers' DDIMParallelScheduler: DDIM with a batched step for parallel sampling (ParaDiGMS).
 * Its sequential `step` is DDIM's, number for number, so it is DDIM under its own class name.
 */
export class DDIMParallelScheduler extends DDIMScheduler {
  override readonly className: string = 'DDIMParallelScheduler';

  /**
   * diffusers' batch_step_no_noise: one deterministic DDIM step (eta 0, which diffusers asserts)
   * for each item of a batch, every item at its own timestep, as parallel sampling (ParaDiGMS)
   * evaluates a window of the chain at once. `sample`, `modelOutput` and `out` hold
   * `timesteps.length` items of equal size, item i at `timesteps[i]`. As in diffusers, an item
   * whose previous timestep falls below 0 steps to alpha_prod 1 whatever set_alpha_to_one says,
   * and thresholding treats each item as its own sample. Allocates nothing once warm; `out` may
   * alias `sample`. Returns `out`.
   */
  batchStepNoNoise(
    modelOutput: Float32Array,
    timesteps: readonly number[],
    sample: Float32Array,
    out: Float32Array,
    options?: { readonly useClippedModelOutput?: boolean },
  ): Float32Array {
    this.requireTimesteps();
    const n = sample.length;
    const items = timesteps.length;
    if (items === 0 || n % items !== 0) {
      throw new RangeError(
        `${this.className}: batchStepNoNoise needs one timestep per item; ${items} timesteps do not divide a sample of ${n} values`,
      );
    }
    this.checkStep(modelOutput, sample, { prevSample: out });
    const itemSize = n / items;
    const stride = Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
    const original = this.scratch('predOriginalSample', n);
    const epsilon = this.scratch('epsilon', n);
    for (let item = 0; item < items; item++) {
      const timestep = timesteps[item] as number;
      const alphaProd = this.alphaCumprodAt(timestep);
      const betaProd = f(1 - alphaProd);
      const start = item * itemSize;
      splitPrediction(
        this.predictionType,
        sample,
        modelOutput,
        f(Math.sqrt(alphaProd)),
        f(Math.sqrt(betaProd)),
        original,
        epsilon,
        start,
        start + itemSize,
      );
    }
    this.clipOrThreshold(original, items, this.common.clipSample);
    for (let item = 0; item < items; item++) {
      const timestep = timesteps[item] as number;
      const alphaProd = this.alphaCumprodAt(timestep);
      const sqrtAlphaProd = f(Math.sqrt(alphaProd));
      const sqrtBetaProd = f(Math.sqrt(f(1 - alphaProd)));
      const alphaProdPrev = this.alphaCumprodPrevAt(timestep - stride, 1);
      const originalCoeff = f(Math.sqrt(alphaProdPrev));
      const directionCoeff = f(Math.sqrt(f(1 - alphaProdPrev)));
      const end = (item + 1) * itemSize;
      for (let i = item * itemSize; i < end; i++) {
        if (options?.useClippedModelOutput) {
          epsilon[i] = f(
            f((sample[i] as number) - f(sqrtAlphaProd * (original[i] as number))) / sqrtBetaProd,
          );
        }
        out[i] = f(
          f(originalCoeff * (original[i] as number)) + f(directionCoeff * (epsilon[i] as number)),
        );
      }
    }
    return out;
  }
}

/**
 * DDIM inversion (Mokady et al. 2022), as diffusers' DDIMInverseScheduler: runs the deterministic
 * DDIM update from a clean sample towards noise, over ascending timesteps. Config keys: the
 * schedule keys, clip_sample, clip_sample_range, set_alpha_to_one (here: the alpha product before
 * the first step is 1, else alphas_cumprod[0]), steps_offset, prediction_type, timestep_spacing
 * ('leading' | 'trailing'), rescale_betas_zero_snr. One evaluation per step.
 */
export class DDIMInverseScheduler extends BaseScheduler {
  readonly className = 'DDIMInverseScheduler';
  // Steps by timestep value: no step index, no set_begin_index (as diffusers).
  protected override readonly tracksStepIndex: boolean = false;
  readonly initialAlphaCumprod: number;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, DDIM_DEFAULTS);
    this.initialAlphaCumprod = this.readFinalAlphaCumprod(json, true);
    if (this.common.timestepSpacing === 'linspace') {
      throw new SchedulerConfigError(
        'timestep_spacing',
        "DDIMInverseScheduler supports 'leading' and 'trailing'",
      );
    }
    const all: number[] = [];
    for (let t = 0; t < this.numTrainTimesteps; t++) all.push(t);
    this.timesteps = Object.freeze(all);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const descending = spacedTimesteps(
      this.common.timestepSpacing,
      n,
      this.numTrainTimesteps,
      this.common.stepsOffset,
    );
    this.installTimesteps(descending.reverse(), null);
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    _noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    this.requireTimesteps();
    const n = sample.length;
    // diffusers: the step goes from timestep - stride (clamped below by the initial alpha) to timestep.
    const target = timestep;
    const source = Math.min(
      timestep - Math.floor(this.numTrainTimesteps / this.numInferenceSteps),
      this.numTrainTimesteps - 1,
    );
    const alphaProd = source >= 0 ? this.alphaCumprodAt(source) : this.initialAlphaCumprod;
    const alphaProdNext = this.alphaCumprodAt(target);
    const betaProd = f(1 - alphaProd);
    const sqrtAlphaProd = f(Math.sqrt(alphaProd));
    const sqrtBetaProd = f(Math.sqrt(betaProd));
    const type = this.predictionType;
    const original = this.originalBuffer(out, n);
    const epsilon = this.scratch('epsilon', n);
    splitPrediction(type, sample, modelOutput, sqrtAlphaProd, sqrtBetaProd, original, epsilon);
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);
    const directionCoeff = f(Math.sqrt(f(1 - alphaProdNext)));
    const originalCoeff = f(Math.sqrt(alphaProdNext));
    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      prevSample[i] = f(
        f(originalCoeff * (original[i] as number)) + f(directionCoeff * (epsilon[i] as number)),
      );
    }
    return out;
  }
}

/**
 * DDIM's reading of a model output at alpha_prod: the clean-sample prediction into `original` and
 * the noise into `epsilon`, for each prediction type, in float32 as diffusers' tensors; over
 * [start, end) when a batched step reads each item at its own alpha_prod.
 */
function splitPrediction(
  type: PredictionType,
  sample: Float32Array,
  modelOutput: Float32Array,
  sqrtAlphaProd: number,
  sqrtBetaProd: number,
  original: Float32Array,
  epsilon: Float32Array,
  start = 0,
  end = sample.length,
): void {
  for (let i = start; i < end; i++) {
    const x = sample[i] as number;
    const m = modelOutput[i] as number;
    if (type === 'epsilon') {
      original[i] = f(f(x - f(sqrtBetaProd * m)) / sqrtAlphaProd);
      epsilon[i] = m;
    } else if (type === 'sample') {
      original[i] = m;
      epsilon[i] = f(f(x - f(sqrtAlphaProd * m)) / sqrtBetaProd);
    } else {
      original[i] = f(f(sqrtAlphaProd * x) - f(sqrtBetaProd * m));
      epsilon[i] = f(f(sqrtAlphaProd * m) + f(sqrtBetaProd * x));
    }
  }
}
