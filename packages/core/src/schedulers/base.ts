import { readEnum, readInteger, readNumber, readBoolean } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import { createNoiseSchedule, readScheduleConfig } from '../schedules.js';
import type { NoiseSchedule, ScheduleDefaults } from '../schedules.js';
import { clipInPlace, thresholdInPlace } from '../tensor-ops.js';
import type { NoiseInput } from '../tensor-ops.js';
import { TIMESTEP_SPACINGS, checkStepCount } from '../timesteps.js';
import type { TimestepSpacing } from '../timesteps.js';
import { PREDICTION_TYPES } from './scheduler.js';
import type {
  PredictionType,
  Scheduler,
  SetTimestepsOptions,
  StepOptions,
  StepOutput,
} from './scheduler.js';

/** The config keys shared by the DDPM family of schedulers. */
export interface CommonConfig {
  readonly predictionType: PredictionType;
  readonly timestepSpacing: TimestepSpacing;
  readonly stepsOffset: number;
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  readonly thresholding: boolean;
  readonly dynamicThresholdingRatio: number;
  readonly sampleMaxValue: number;
}

export interface CommonDefaults extends ScheduleDefaults {
  readonly timestepSpacing: TimestepSpacing;
  readonly clipSample: boolean;
}

export function readCommonConfig(
  json: SchedulerConfigJson,
  defaults: CommonDefaults,
): CommonConfig {
  const stepsOffset = readInteger(json, 'steps_offset', 0, 0);
  return Object.freeze({
    predictionType: readEnum(json, 'prediction_type', PREDICTION_TYPES, 'epsilon'),
    timestepSpacing: readEnum(
      json,
      'timestep_spacing',
      TIMESTEP_SPACINGS,
      defaults.timestepSpacing,
    ),
    stepsOffset,
    clipSample: readBoolean(json, 'clip_sample', defaults.clipSample),
    clipSampleRange: readNumber(json, 'clip_sample_range', 1),
    thresholding: readBoolean(json, 'thresholding', false),
    dynamicThresholdingRatio: readNumber(json, 'dynamic_thresholding_ratio', 0.995),
    sampleMaxValue: readNumber(json, 'sample_max_value', 1),
  });
}

/** Shared state and helpers; each subclass is one diffusers scheduler. */
export abstract class BaseScheduler implements Scheduler {
  abstract readonly className: string;
  readonly schedule: NoiseSchedule;
  readonly common: CommonConfig;
  readonly numTrainTimesteps: number;
  readonly order: number = 1;
  timesteps: readonly number[] = [];
  sigmas: Float32Array | null = null;
  numInferenceSteps = 0;
  protected currentStepIndex: number | null = null;
  private beginIndexValue: number | null = null;
  /** false for the schedulers that step by timestep value and so have no begin index. */
  protected readonly tracksStepIndex: boolean = true;
  /** Whether setTimesteps takes custom sigmas: EulerDiscreteScheduler's alone, as in diffusers. */
  protected readonly acceptsCustomSigmas: boolean = false;
  private readonly scratchBuffers = new Map<string, Float32Array>();

  constructor(json: SchedulerConfigJson, defaults: CommonDefaults) {
    this.schedule = createNoiseSchedule(readScheduleConfig(json, defaults));
    this.numTrainTimesteps = this.schedule.config.numTrainTimesteps;
    this.common = readCommonConfig(json, defaults);
  }

  get predictionType(): PredictionType {
    return this.common.predictionType;
  }

  get initNoiseSigma(): number {
    return 1;
  }

  get stepIndex(): number | null {
    return this.currentStepIndex;
  }

  get beginIndex(): number | null {
    return this.beginIndexValue;
  }

  setBeginIndex(beginIndex = 0): void {
    if (!this.tracksStepIndex) {
      throw new SchedulerConfigError(
        'begin_index',
        `${this.className} steps by timestep value and has no begin index (as diffusers)`,
      );
    }
    this.requireTimesteps();
    if (!Number.isInteger(beginIndex) || beginIndex < 0 || beginIndex >= this.timesteps.length) {
      throw new SchedulerConfigError(
        'begin_index',
        `expected an index in [0, ${this.timesteps.length}), got ${beginIndex}`,
      );
    }
    this.beginIndexValue = beginIndex;
  }

  /**
   * The sigma index add_noise uses, as diffusers: the timestep's index when no begin index is
   * set; else the current step (inpainting, after the first step) or the begin index (before it).
   */
  protected addNoiseIndex(timestep: number, lookup: (timestep: number) => number): number {
    if (this.beginIndexValue === null) return lookup(timestep);
    return this.currentStepIndex ?? this.beginIndexValue;
  }

  abstract setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void;

  /** Checks the lengths of the arrays (a clear error instead of NaN), then takes the step. */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    this.checkStep(modelOutput, sample, out);
    return this.takeStep(modelOutput, timestep, sample, out, noise, options);
  }

  /** The step itself, on arrays whose lengths `step` has checked. */
  protected abstract takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput;

  modelEvaluations(numInferenceSteps: number): number {
    return numInferenceSteps;
  }

  scaleModelInput(out: Float32Array, sample: Float32Array, _timestep: number): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    if (out !== sample) out.set(sample);
    return out;
  }

  /** diffusers' DDPM-style add_noise, in float32 as diffusers' tensors. */
  addNoise(
    out: Float32Array,
    original: Float32Array,
    noise: Float32Array,
    timestep: number,
  ): Float32Array {
    const n = original.length;
    checkLength(this.className, 'noise', noise, n);
    checkLength(this.className, 'out', out, n);
    const alphaBar = this.alphaCumprodAt(timestep);
    const signalScale = Math.fround(Math.sqrt(alphaBar));
    const noiseScale = Math.fround(Math.sqrt(Math.fround(1 - alphaBar)));
    for (let i = 0; i < n; i++) {
      out[i] =
        Math.fround(signalScale * (original[i] as number)) +
        Math.fround(noiseScale * (noise[i] as number));
    }
    return out;
  }

  /**
   * The standard normals of a stochastic step: the caller's array (checked for length) or a
   * scratch buffer filled from the caller's NoiseSource. Throws when there is no noise.
   */
  protected noiseFor(noise: NoiseInput | undefined, n: number): Float32Array {
    if (noise === undefined) {
      throw new TypeError(
        `${this.className}: this step is stochastic and needs noise (a Float32Array or a NoiseSource)`,
      );
    }
    if (noise instanceof Float32Array) {
      checkLength(this.className, 'noise', noise, n);
      return noise;
    }
    const buffer = this.scratch('noise', n);
    noise.fill(buffer);
    return buffer;
  }

  /**
   * Throws a clear error when `modelOutput` or `out.prevSample` is shorter than `sample` (a
   * shorter model output would otherwise read undefined and give NaN).
   */
  protected checkStep(modelOutput: Float32Array, sample: Float32Array, out: StepOutput): void {
    const n = sample.length;
    checkLength(this.className, 'modelOutput', modelOutput, n);
    checkLength(this.className, 'out.prevSample', out.prevSample, n);
    if (out.predOriginalSample) {
      checkLength(this.className, 'out.predOriginalSample', out.predOriginalSample, n);
    }
  }

  /** The sigma the last `churn` raised the step to (sigma itself without churn). */
  protected sigmaHat = 0;

  /**
   * The stochastic churn of Karras et al. (2022), as diffusers' Euler and EDM Euler steps: with
   * sChurn > 0 and sigma in [sTmin, sTmax], fresh noise raises sigma to
   * sigmaHat = sigma (gamma + 1). Returns the sample to step from (`sample` itself without
   * churn) and leaves sigmaHat in `this.sigmaHat`, so a step allocates nothing.
   */
  protected churn(
    sample: Float32Array,
    sigmas: Float32Array,
    index: number,
    noise: NoiseInput | undefined,
    options: StepOptions | undefined,
  ): Float32Array {
    const f = Math.fround;
    const sigma = sigmas[index] as number;
    const sChurn = options?.sChurn ?? 0;
    const sTmin = options?.sTmin ?? 0;
    const sTmax = options?.sTmax ?? Infinity;
    const sNoise = options?.sNoise ?? 1;
    const gamma =
      sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / (sigmas.length - 1), Math.SQRT2 - 1) : 0;
    const sigmaHat = f(sigma * (gamma + 1));
    this.sigmaHat = sigmaHat;
    if (gamma <= 0) return sample;
    const n = sample.length;
    const noiseValues = this.noiseFor(noise, n);
    const churned = this.scratch('churned', n);
    const noiseScale = f(Math.sqrt(f(f(sigmaHat * sigmaHat) - f(sigma * sigma))));
    for (let i = 0; i < n; i++) {
      churned[i] = f(
        (sample[i] as number) + f(f((noiseValues[i] as number) * sNoise) * noiseScale),
      );
    }
    return churned;
  }

  /** A reusable buffer of exactly `length` floats, kept per purpose so a step allocates nothing. */
  protected scratch(purpose: string, length: number): Float32Array {
    let buffer = this.scratchBuffers.get(purpose);
    if (!buffer || buffer.length !== length) {
      buffer = new Float32Array(length);
      this.scratchBuffers.set(purpose, buffer);
    }
    return buffer;
  }

  protected alphaCumprodAt(timestep: number): number {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.numTrainTimesteps) {
      throw new RangeError(
        `${this.className}: timestep ${timestep} is not an integer in [0, ${this.numTrainTimesteps})`,
      );
    }
    return this.schedule.alphasCumprod[timestep] as number;
  }

  /**
   * diffusers' final_alpha_cumprod, the alpha_prod of the step after the last: 1 under
   * set_alpha_to_one, else alphas_cumprod[0].
   */
  protected readFinalAlphaCumprod(
    json: SchedulerConfigJson,
    setAlphaToOneDefault: boolean,
  ): number {
    return readBoolean(json, 'set_alpha_to_one', setAlphaToOneDefault)
      ? 1
      : (this.schedule.alphasCumprod[0] as number);
  }

  /** alpha_prod_t_prev: alphas_cumprod[prevTimestep], or `final` once prevTimestep < 0 (past the last step). */
  protected alphaCumprodPrevAt(prevTimestep: number, final: number): number {
    return prevTimestep >= 0 ? this.alphaCumprodAt(prevTimestep) : final;
  }

  /** Where x0 goes: the caller's buffer when given, else a scratch buffer. */
  protected originalBuffer(out: StepOutput, length: number): Float32Array {
    return out.predOriginalSample ?? this.scratch('predOriginalSample', length);
  }

  /** Applies dynamic thresholding or clipping to a predicted x0, per the config. */
  protected clipOrThreshold(
    predictedOriginal: Float32Array,
    batchSize: number,
    clip: boolean,
  ): void {
    if (this.common.thresholding) {
      thresholdInPlace(
        predictedOriginal,
        batchSize,
        this.common.dynamicThresholdingRatio,
        this.common.sampleMaxValue,
        this.scratch('thresholdSort', predictedOriginal.length / batchSize),
      );
    } else if (clip) {
      clipInPlace(predictedOriginal, this.common.clipSampleRange);
    }
  }

  /** diffusers' index_for_timestep: the second match when a timestep repeats (Heun), else the first. */
  protected indexForTimestep(timestep: number): number {
    let first = -1;
    for (let i = 0; i < this.timesteps.length; i++) {
      if (this.timesteps[i] !== timestep) continue;
      if (first >= 0) return i;
      first = i;
    }
    if (first < 0) {
      throw new RangeError(
        `${this.className}: timestep ${timestep} is not in the current timesteps`,
      );
    }
    return first;
  }

  protected initStepIndex(timestep: number): number {
    if (this.currentStepIndex === null)
      this.currentStepIndex = this.beginIndexValue ?? this.indexForTimestep(timestep);
    return this.currentStepIndex;
  }

  /** Installs the schedule setTimesteps computed: timesteps (frozen), their sigmas, no step taken yet. */
  protected installTimesteps(timesteps: number[], sigmas: Float32Array | null): void {
    this.sigmas = sigmas;
    this.timesteps = Object.freeze(timesteps);
    this.numInferenceSteps = timesteps.length;
    this.currentStepIndex = null;
    this.beginIndexValue = null;
  }

  protected requireTimesteps(): void {
    if (this.timesteps.length === 0) {
      throw new SchedulerConfigError(
        'num_inference_steps',
        `${this.className}: call setTimesteps before step`,
      );
    }
  }

  protected rejectCustomTimesteps(options: SetTimestepsOptions | undefined): void {
    this.rejectCustomSigmas(options);
    if (options?.timesteps) {
      throw new SchedulerConfigError(
        'timesteps',
        `${this.className} does not accept custom timesteps`,
      );
    }
  }

  protected rejectCustomSigmas(options: SetTimestepsOptions | undefined): void {
    if (options?.sigmas && !this.acceptsCustomSigmas) {
      throw new SchedulerConfigError('sigmas', `${this.className} does not accept custom sigmas`);
    }
  }

  /**
   * The caller's custom timesteps when given (checked, a copy), else null. diffusers refuses a
   * step count together with them, and so do we.
   */
  protected takeCustomTimesteps(
    numInferenceSteps: number | null,
    options: SetTimestepsOptions | undefined,
    integers: boolean,
  ): number[] | null {
    this.rejectCustomSigmas(options);
    const custom = options?.timesteps;
    if (!custom) return null;
    if (numInferenceSteps !== null) {
      throw new SchedulerConfigError(
        'timesteps',
        'pass either num_inference_steps or timesteps, not both (as diffusers)',
      );
    }
    checkCustomTimesteps(custom, this.numTrainTimesteps, integers);
    return [...custom];
  }

  /** The step count of setTimesteps: required, a positive integer, at most num_train_timesteps. */
  protected requireStepCount(numInferenceSteps: number | null): number {
    if (numInferenceSteps === null) {
      throw new SchedulerConfigError('num_inference_steps', 'is required');
    }
    checkStepCount(numInferenceSteps, this.numTrainTimesteps);
    return numInferenceSteps;
  }
}

/** Throws a RangeError naming `what` when `values` holds fewer than `length` numbers. */
export function checkLength(
  who: string,
  what: string,
  values: ArrayLike<number>,
  length: number,
): void {
  if (values.length < length) {
    throw new RangeError(
      `${who}: ${what} has ${values.length} values, fewer than the sample's ${length}`,
    );
  }
}

/** Checks custom timesteps: integers (when required), strictly descending, below numTrainTimesteps. */
export function checkCustomTimesteps(
  timesteps: readonly number[],
  numTrainTimesteps: number,
  integers: boolean,
): void {
  if (timesteps.length === 0) throw new SchedulerConfigError('timesteps', 'must not be empty');
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i] as number;
    if ((integers && !Number.isInteger(t)) || t < 0 || t >= numTrainTimesteps) {
      throw new SchedulerConfigError(
        'timesteps',
        `value ${t} at index ${i} is not a timestep in [0, ${numTrainTimesteps})`,
      );
    }
    if (i > 0 && t >= (timesteps[i - 1] as number)) {
      throw new SchedulerConfigError('timesteps', 'must be in strictly descending order');
    }
  }
}
