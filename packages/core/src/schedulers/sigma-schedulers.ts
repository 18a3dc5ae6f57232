import { readEnum, readOptionalNumber, readSigmaRamp } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import {
  interpolateByIndex,
  numpyLinspace,
  rampSigmas,
  sigmaToTimestep,
  spacedFloatTimesteps,
} from '../timesteps.js';
import type { SigmaRamp } from '../timesteps.js';
import { torchLinspaceFloat32, trainSigmaTables } from '../schedules.js';
import { BaseScheduler, checkLength } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { divideByInputScale, eulerMoveInto } from './sigma-steps.js';

const f = Math.fround;

export const EULER_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

export const HEUN_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

/**
 * The k-diffusion family (Euler, Euler ancestral, Heun, LMS): sigma-space sampling with
 * x_sigma = x0 + sigma * eps, model input scaled by 1 / sqrt(sigma^2 + 1), float timesteps
 * interpolated from the training sigmas.
 */
export abstract class SigmaScheduler extends BaseScheduler {
  /** sqrt((1 - alphas_cumprod) / alphas_cumprod) per training timestep, ascending. */
  readonly trainSigmas: Float32Array;
  protected readonly logTrainSigmas: Float32Array;
  /** The sigma ramp the config selects (use_karras/exponential/beta_sigmas), or null. */
  readonly sigmaRamp: SigmaRamp | null;
  protected readonly sigmaMinOverride: number | null = null;
  protected readonly sigmaMaxOverride: number | null = null;

  /**
   * @param acceptsSigmaRamps false for a class whose diffusers config has no use_*_sigmas keys:
   * there, as in diffusers' from_config, a config carrying them (say, Euler's) gets no ramp.
   */
  constructor(json: SchedulerConfigJson, defaults: CommonDefaults, acceptsSigmaRamps = true) {
    super(json, defaults);
    const tables = trainSigmaTables(this.schedule);
    this.trainSigmas = tables.trainSigmas;
    this.logTrainSigmas = tables.logTrainSigmas;
    this.sigmaRamp = acceptsSigmaRamps ? readSigmaRamp(json) : null;
    // Before setTimesteps: every training timestep, as diffusers' constructor.
    const sigmas = new Float32Array(this.numTrainTimesteps + 1);
    const timesteps: number[] = [];
    for (let i = 0; i < this.numTrainTimesteps; i++) {
      sigmas[i] = this.trainSigmas[this.numTrainTimesteps - 1 - i] as number;
      timesteps.push(this.numTrainTimesteps - 1 - i);
    }
    this.sigmas = sigmas;
    this.timesteps = Object.freeze(timesteps);
  }

  get useKarrasSigmas(): boolean {
    return this.sigmaRamp === 'karras';
  }

  /**
   * The timestep a ramp sigma maps back to (diffusers' _sigma_to_t), stored as each class stores
   * it: float32 by default, float64 where `float32Timesteps` is false.
   */
  protected rampTimestep(sigma: number, float32Timesteps: boolean): number {
    const t = sigmaToTimestep(sigma, this.logTrainSigmas);
    return float32Timesteps ? f(t) : t;
  }

  override get initNoiseSigma(): number {
    let maxSigma = 0;
    for (const s of this.sigmas as Float32Array) if (s > maxSigma) maxSigma = s;
    const spacing = this.common.timestepSpacing;
    return spacing === 'linspace' || spacing === 'trailing'
      ? maxSigma
      : Math.sqrt(maxSigma * maxSigma + 1);
  }

  protected get currentSigmas(): Float32Array {
    return this.sigmas as Float32Array;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    const sigma = this.currentSigmas[this.initStepIndex(timestep)] as number;
    return divideByInputScale(out, sample, sigma);
  }

  /**
   * diffusers' add_noise for the sigma schedulers: `original + noise * sigma`, with sigma the
   * noise level of `timestep` (index_for_timestep: its second occurrence when it repeats).
   */
  override addNoise(
    out: Float32Array,
    original: Float32Array,
    noise: Float32Array,
    timestep: number,
  ): Float32Array {
    const n = original.length;
    checkLength(this.className, 'noise', noise, n);
    checkLength(this.className, 'out', out, n);
    const sigma = this.currentSigmas[
      this.addNoiseIndex(timestep, (t) => this.indexForTimestep(t))
    ] as number;
    for (let i = 0; i < n; i++)
      out[i] = (original[i] as number) + Math.fround((noise[i] as number) * sigma);
    return out;
  }

  /** Inference timesteps (float) and their sigmas (before the final sigma), as set_timesteps. */
  protected inferenceSigmas(
    numInferenceSteps: number | null,
    options: SetTimestepsOptions | undefined,
    allowCustom: boolean,
    float32Timesteps = true,
  ): { timesteps: number[]; sigmas: number[] } {
    const round = float32Timesteps ? Math.fround : (t: number): number => t;
    this.rejectCustomSigmas(options);
    let timesteps: number[];
    if (options?.timesteps) {
      if (!allowCustom) this.rejectCustomTimesteps(options);
      if (this.sigmaRamp) {
        throw new SchedulerConfigError(
          'timesteps',
          `custom timesteps cannot be combined with use_${this.sigmaRamp}_sigmas`,
        );
      }
      timesteps = (this.takeCustomTimesteps(numInferenceSteps, options, false) as number[]).map(
        (t) => round(t),
      );
    } else {
      const n = this.requireStepCount(numInferenceSteps);
      timesteps =
        float32Timesteps || this.common.timestepSpacing !== 'linspace'
          ? spacedFloatTimesteps(
              this.common.timestepSpacing,
              n,
              this.numTrainTimesteps,
              this.common.stepsOffset,
            )
          : Array.from(numpyLinspace(0, this.numTrainTimesteps - 1, n)).reverse();
    }
    let sigmas = timesteps.map((t) => interpolateByIndex(t, this.trainSigmas));
    if (this.sigmaRamp) {
      const sigmaMin = this.sigmaMinOverride ?? this.rampEndpoint(sigmas, 'min');
      const sigmaMax = this.sigmaMaxOverride ?? this.rampEndpoint(sigmas, 'max');
      sigmas = Array.from(rampSigmas(this.sigmaRamp, sigmaMin, sigmaMax, timesteps.length));
      timesteps = sigmas.map((s) => this.rampTimestep(s, float32Timesteps));
    }
    return { timesteps, sigmas };
  }

  /** The sigma a ramp ends (min) or starts (max) at: the inference sigmas' extremes (in_sigmas[-1], in_sigmas[0]). */
  protected rampEndpoint(sigmas: readonly number[], end: 'min' | 'max'): number {
    return (end === 'min' ? sigmas[sigmas.length - 1] : sigmas[0]) as number;
  }

  protected installSigmas(timesteps: number[], sigmas: number[], finalSigma: number): void {
    const all = new Float32Array(sigmas.length + 1);
    all.set(sigmas);
    all[sigmas.length] = finalSigma;
    this.installTimesteps(timesteps, all);
  }

  /** x0 from the model output at noise level `sigma`: the k-diffusion parameterisations. */
  protected writeOriginal(
    original: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    sigmaForEpsilon: number,
    sigmaForV: number,
  ): void {
    // Float32 as diffusers' tensors: model_output * (-s / (s^2 + 1) ** 0.5) + sample / (s^2 + 1).
    const type = this.predictionType;
    const variance = f(f(sigmaForV * sigmaForV) + 1);
    const vScale = f(-sigmaForV / f(Math.sqrt(variance)));
    for (let i = 0; i < sample.length; i++) {
      const m = modelOutput[i] as number;
      const x = sample[i] as number;
      original[i] =
        type === 'epsilon'
          ? f(x - f(sigmaForEpsilon * m))
          : type === 'sample'
            ? m
            : f(f(m * vScale) + f(x / variance));
    }
  }
}

/**
 * Euler's method in sigma space (Karras et al. 2022, Algorithm 2), as diffusers'
 * EulerDiscreteScheduler. Config keys: the schedule keys, prediction_type, interpolation_type
 * ('linear' | 'log_linear'), use_karras_sigmas / use_exponential_sigmas / use_beta_sigmas (ramps
 * between sigma_min and sigma_max when set, else the interpolated extremes), timestep_spacing,
 * steps_offset, final_sigmas_type ('zero' | 'sigma_min'), timestep_type ('discrete' |
 * 'continuous': with v_prediction the timesteps are 0.25 * log(sigma)), rescale_betas_zero_snr.
 * setTimesteps takes custom timesteps or custom sigmas (the final one included).
 * Step options: sChurn, sTmin, sTmax, sNoise (noise needed only when churn is active).
 */
export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly className = 'EulerDiscreteScheduler';
  readonly interpolationType: 'linear' | 'log_linear';
  readonly finalSigmasType: 'zero' | 'sigma_min';
  protected override readonly sigmaMinOverride: number | null;
  protected override readonly sigmaMaxOverride: number | null;
  /** 'continuous' with v_prediction conditions the model on 0.25 * log(sigma) (see continuousTimesteps). */
  readonly timestepType: 'discrete' | 'continuous';
  protected override readonly acceptsCustomSigmas: boolean = true;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, EULER_DEFAULTS);
    this.interpolationType = readEnum(
      json,
      'interpolation_type',
      ['linear', 'log_linear'] as const,
      'linear',
    );
    this.finalSigmasType = readEnum(
      json,
      'final_sigmas_type',
      ['zero', 'sigma_min'] as const,
      'zero',
    );
    this.sigmaMinOverride = readOptionalNumber(json, 'sigma_min');
    this.sigmaMaxOverride = readOptionalNumber(json, 'sigma_max');
    this.timestepType = readEnum(
      json,
      'timestep_type',
      ['discrete', 'continuous'] as const,
      'discrete',
    );
    if (this.continuousTimesteps)
      this.timesteps = this.continuousTimestepsFor(this.sigmas as Float32Array);
  }

  /**
   * diffusers' continuous timesteps: with timestep_type 'continuous' and v_prediction (EDM-style
   * models such as CosXL) the model is conditioned on 0.25 * log(sigma) instead of a timestep.
   */
  private get continuousTimesteps(): boolean {
    return this.timestepType === 'continuous' && this.predictionType === 'v_prediction';
  }

  /** 0.25 * log(sigma) in float32 for every sigma but the final one. */
  private continuousTimestepsFor(sigmas: Float32Array): number[] {
    return Array.from(sigmas.subarray(0, sigmas.length - 1), (s) => f(Math.log(s)) * 0.25);
  }

  /** The caller's sigmas (set_timesteps(sigmas=...)): checked, with the timesteps they map to. */
  private customSigmas(numInferenceSteps: number | null, sigmas: readonly number[]): number[] {
    if (numInferenceSteps !== null || this.sigmaRamp) {
      throw new SchedulerConfigError(
        'sigmas',
        numInferenceSteps !== null
          ? 'pass either num_inference_steps or sigmas, not both (as diffusers)'
          : `custom sigmas cannot be combined with use_${this.sigmaRamp}_sigmas`,
      );
    }
    if (sigmas.length < 2) {
      throw new SchedulerConfigError(
        'sigmas',
        'needs at least two values (the last is the final sigma)',
      );
    }
    sigmas.forEach((s, i) => {
      if (!Number.isFinite(s) || s < 0 || (i > 0 && s >= (sigmas[i - 1] as number))) {
        throw new SchedulerConfigError(
          'sigmas',
          `value ${s} at index ${i}: sigmas must be finite, non-negative and strictly descending`,
        );
      }
    });
    return sigmas.slice(0, -1).map((s) => f(sigmaToTimestep(f(s), this.logTrainSigmas)));
  }

  /** log_linear: exp of a float32 linspace between the log training extremes, count + 1 entries. */
  private logLinearSigmas(count: number): number[] {
    const first = this.trainSigmas[this.numTrainTimesteps - 1] as number;
    const last = this.trainSigmas[0] as number;
    return Array.from(torchLinspaceFloat32(Math.log(first), Math.log(last), count + 1), (v) =>
      Math.exp(v),
    );
  }

  /** diffusers ramps from the log_linear sigmas when interpolation_type is 'log_linear'. */
  protected override rampEndpoint(sigmas: readonly number[], end: 'min' | 'max'): number {
    if (this.interpolationType !== 'log_linear') return super.rampEndpoint(sigmas, end);
    return super.rampEndpoint(this.logLinearSigmas(sigmas.length), end);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    if (options?.timesteps && this.continuousTimesteps) {
      throw new SchedulerConfigError(
        'timesteps',
        "custom timesteps cannot be combined with timestep_type 'continuous' and v_prediction (as diffusers)",
      );
    }
    if (options?.sigmas) {
      if (options.timesteps) {
        throw new SchedulerConfigError(
          'sigmas',
          'pass either timesteps or sigmas, not both (as diffusers)',
        );
      }
      const custom = options.sigmas;
      const timesteps = this.customSigmas(numInferenceSteps, custom);
      this.installSigmas(timesteps, custom.slice(0, -1), custom[custom.length - 1] as number);
    } else {
      const inference = this.inferenceSigmas(numInferenceSteps, options, true);
      const { timesteps } = inference;
      let { sigmas } = inference;
      if (this.interpolationType === 'log_linear' && !this.sigmaRamp)
        sigmas = this.logLinearSigmas(timesteps.length);
      const finalSigma = this.finalSigmasType === 'sigma_min' ? (this.trainSigmas[0] as number) : 0;
      this.installSigmas(timesteps, sigmas, finalSigma);
    }
    if (this.continuousTimesteps) {
      const all = this.sigmas as Float32Array;
      this.installTimesteps(this.continuousTimestepsFor(all), all);
    }
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
    const index = this.initStepIndex(timestep);
    const sigmas = this.currentSigmas;
    const sigma = sigmas[index] as number;
    const current = this.churn(sample, sigmas, index, noise, options);
    const sigmaHat = this.sigmaHat;
    const original = this.originalBuffer(out, n);
    this.writeOriginal(original, modelOutput, current, sigmaHat, sigma);
    const dt = f((sigmas[index + 1] as number) - sigmaHat);
    eulerMoveInto(out.prevSample, current, original, sigmaHat, dt);
    this.currentStepIndex = index + 1;
    return out;
  }
}

/**
 * Euler ancestral sampling (k-diffusion's sample_euler_ancestral), as diffusers'
 * EulerAncestralDiscreteScheduler. Config keys: the schedule keys, prediction_type
 * ('epsilon' | 'v_prediction'), timestep_spacing, steps_offset, rescale_betas_zero_snr.
 * Every step draws noise (also the last, whose noise scale is 0, as diffusers does).
 */
export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly className = 'EulerAncestralDiscreteScheduler';

  constructor(json: SchedulerConfigJson = {}) {
    // diffusers' Euler ancestral has no Karras, exponential or beta sigmas.
    super(json, EULER_DEFAULTS, false);
    if (this.predictionType === 'sample') {
      throw new SchedulerConfigError(
        'prediction_type',
        "'sample' is not supported by EulerAncestralDiscreteScheduler",
      );
    }
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, false);
    this.installSigmas(timesteps, sigmas, 0);
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
  ): StepOutput {
    const n = sample.length;
    const index = this.initStepIndex(timestep);
    const sigmaFrom = this.currentSigmas[index] as number;
    const sigmaTo = this.currentSigmas[index + 1] as number;
    const original = this.originalBuffer(out, n);
    this.writeOriginal(original, modelOutput, sample, sigmaFrom, sigmaFrom);
    const to2 = f(sigmaTo * sigmaTo);
    const from2 = f(sigmaFrom * sigmaFrom);
    const sigmaUp = f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2)));
    const sigmaDown = f(Math.sqrt(f(to2 - f(sigmaUp * sigmaUp))));
    const dt = f(sigmaDown - sigmaFrom);
    const noiseValues = this.noiseFor(noise, n);
    eulerMoveInto(out.prevSample, sample, original, sigmaFrom, dt, sample, noiseValues, sigmaUp);
    this.currentStepIndex = index + 1;
    return out;
  }
}
