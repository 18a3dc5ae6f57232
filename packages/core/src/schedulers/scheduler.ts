/**
 * The scheduler contract every class implements (diffusers' SchedulerMixin loop, allocation-free)
 * and the option types of its calls; base.ts holds the shared implementation.
 */
import type { NoiseInput } from '../tensor-ops.js';
import type { NoiseSchedule } from '../schedules.js';

export const PREDICTION_TYPES = Object.freeze(['epsilon', 'v_prediction', 'sample'] as const);
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/**
 * Where a step writes. `prevSample` may be the same array as the `sample` passed to `step`
 * (an in-place update); `predOriginalSample`, when given, must be a distinct array.
 */
export interface StepOutput {
  prevSample: Float32Array;
  predOriginalSample?: Float32Array;
}

/** Per-call options of `step`; each scheduler reads the ones diffusers' `step` takes. */
export interface StepOptions {
  /** Batch items in `sample` (dynamic thresholding is per item). Default 1. */
  readonly batchSize?: number;
  /** DDIM: eta (0 = deterministic DDIM, 1 = DDPM-like variance). Default 0. */
  readonly eta?: number;
  /** DDIM: recompute epsilon from the clipped x0. Default false. */
  readonly useClippedModelOutput?: boolean;
  /** DDPM with variance_type learned / learned_range: the model's variance channels. */
  readonly predictedVariance?: Float32Array;
  /** Euler: churn parameters of Karras et al. (defaults 0, 0, Infinity, 1). */
  readonly sChurn?: number;
  readonly sTmin?: number;
  readonly sTmax?: number;
  readonly sNoise?: number;
  /** LMS: multistep order (default 4). */
  readonly lmsOrder?: number;
}

export interface SetTimestepsOptions {
  /**
   * Custom descending timesteps instead of a step count, where diffusers' set_timesteps takes
   * them (DDPM, Euler, Heun, DPM-Solver multistep and singlestep, LCM, TCD).
   */
  readonly timesteps?: readonly number[];
  /**
   * Custom descending sigmas, the final one included (N + 1 values for N steps), instead of a
   * step count: EulerDiscreteScheduler only, as diffusers' set_timesteps(sigmas=...).
   */
  readonly sigmas?: readonly number[];
}

/** Every scheduler: the loop contract of diffusers' SchedulerMixin, allocation-free. */
export interface Scheduler {
  /** diffusers class name, e.g. 'DDIMScheduler'. */
  readonly className: string;
  readonly schedule: NoiseSchedule;
  readonly predictionType: PredictionType;
  /**
   * diffusers' class attribute `order`: model evaluations per solver step, 2 for Heun and KDPM2,
   * 1 for every other class (also the multistep solvers, whose configured order is `solverOrder`).
   * Image-to-image code slices `timesteps[tStart * order:]` with it, as diffusers' pipelines do.
   */
  readonly order: number;
  /** Standard deviation of the initial noise: multiply unit normals by it. */
  readonly initNoiseSigma: number;
  /** Timesteps to loop over after setTimesteps; one model evaluation each. */
  readonly timesteps: readonly number[];
  /**
   * Noise levels in diffusers' layout: one per timestep plus the final one for the sigma and
   * multistep schedulers (KDPM2, KDPM2 ancestral and DPM-Solver SDE keep diffusers' doubled
   * layout, with one more entry); null for the DDPM family.
   */
  readonly sigmas: Float32Array | null;
  readonly numInferenceSteps: number;
  /** Index of the next step within `timesteps` (null before the first call). */
  readonly stepIndex: number | null;
  /**
   * diffusers' begin_index: the index the next run starts at, set by `setBeginIndex` after
   * `setTimesteps` (null: found by looking the first timestep up, as before).
   */
  readonly beginIndex: number | null;
  /**
   * diffusers' set_begin_index, which image-to-image and inpainting pipelines call with
   * `tStart * order`: the first step (and `addNoise` before it) use this index instead of looking
   * the timestep up. Schedulers that step by timestep value (DDPM, DDIM and its variants, PNDM,
   * iPNDM) have none and throw.
   */
  setBeginIndex(beginIndex?: number): void;
  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void;
  /** Model evaluations a run of `numInferenceSteps` costs (= timesteps.length after setTimesteps). */
  modelEvaluations(numInferenceSteps: number): number;
  /** Writes the model input for `sample` at `timestep` into `out` (may alias `sample`); returns `out`. */
  scaleModelInput(out: Float32Array, sample: Float32Array, timestep: number): Float32Array;
  /**
   * diffusers' `add_noise`: noises `original` to the level of `timestep` (one of `timesteps` for the
   * sigma schedulers, which compute `original + noise * sigma`; a training timestep for the others,
   * `sqrt(alphaBar) * original + sqrt(1 - alphaBar) * noise`). Writes `out` (may alias `original`).
   */
  addNoise(
    out: Float32Array,
    original: Float32Array,
    noise: Float32Array,
    timestep: number,
  ): Float32Array;
  /**
   * One reverse step: reads `modelOutput` and `sample`, writes `out.prevSample` (and
   * `out.predOriginalSample` when given and the scheduler has one). Stochastic steps take their
   * noise from `noise` and throw without it.
   */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput;
}
