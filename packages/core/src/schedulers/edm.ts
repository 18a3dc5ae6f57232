import { readEnum, readNumber } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { torchLinspaceFloat32 } from '../schedules.js';
import { checkStepCount, numpyLinspace } from '../timesteps.js';
import { BaseScheduler, checkLength } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver.js';
import { eulerMoveInto, multiplyByInputScale } from './sigma-steps.js';

const f = Math.fround;

export const EDM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

/** The EDM config keys (Karras et al. 2022) shared by EDMEulerScheduler and EDMDPMSolverMultistepScheduler. */
export interface EdmConfig {
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  readonly sigmaData: number;
  readonly sigmaSchedule: 'karras' | 'exponential';
  readonly rho: number;
  readonly finalSigmasType: 'zero' | 'sigma_min';
}

export function readEdmConfig(json: SchedulerConfigJson, who: string): EdmConfig {
  const prediction = json['prediction_type'];
  if (prediction === 'sample') {
    throw new SchedulerConfigError('prediction_type', `'sample' is not supported by ${who}`);
  }
  return Object.freeze({
    sigmaMin: readNumber(json, 'sigma_min', 0.002),
    sigmaMax: readNumber(json, 'sigma_max', 80),
    sigmaData: readNumber(json, 'sigma_data', 0.5),
    sigmaSchedule: readEnum(json, 'sigma_schedule', ['karras', 'exponential'] as const, 'karras'),
    rho: readNumber(json, 'rho', 7),
    finalSigmasType: readEnum(json, 'final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero'),
  });
}

/** c_in = 1 / sqrt(sigma^2 + sigma_data^2), float32 as diffusers' tensors. */
export function edmInputScale(sigma: number, sigmaData: number): number {
  return f(1 / f(Math.sqrt(f(f(sigma * sigma) + sigmaData * sigmaData))));
}

/**
 * EDM's denoiser D(x) = c_skip x + c_out F(x) (diffusers' precondition_outputs), float32. `out`
 * may alias `sample`.
 */
export function edmDenoise(
  out: Float32Array,
  sample: Float32Array,
  modelOutput: Float32Array,
  sigma: number,
  sigmaData: number,
  vPrediction: boolean,
): void {
  const variance = f(f(sigma * sigma) + sigmaData * sigmaData);
  const skip = f((sigmaData * sigmaData) / variance);
  const outputScale = f(f((vPrediction ? -sigma : sigma) * sigmaData) / f(Math.sqrt(variance)));
  for (let i = 0; i < sample.length; i++) {
    out[i] = f(f(skip * (sample[i] as number)) + f(outputScale * (modelOutput[i] as number)));
  }
}

/**
 * The EDM sigmas for a ramp (diffusers' _compute_karras_sigmas / _compute_exponential_sigmas).
 * `ramp32`: the ramp is float32 (EDMDPMSolverMultistepScheduler's torch.linspace) instead of
 * float64 (EDMEulerScheduler's).
 */
export function edmSigmas(config: EdmConfig, count: number, ramp32: boolean): Float32Array {
  const out = new Float32Array(count);
  if (config.sigmaSchedule === 'exponential') {
    const logs = torchLinspaceFloat32(Math.log(config.sigmaMin), Math.log(config.sigmaMax), count);
    for (let i = 0; i < count; i++) out[i] = f(Math.exp(logs[count - 1 - i] as number));
    return out;
  }
  const minInvRho = config.sigmaMin ** (1 / config.rho);
  const maxInvRho = config.sigmaMax ** (1 / config.rho);
  if (ramp32) {
    const ramp = torchLinspaceFloat32(0, 1, count);
    const span = f(minInvRho - maxInvRho);
    for (let i = 0; i < count; i++)
      out[i] = f(f(f(maxInvRho) + f((ramp[i] as number) * span)) ** config.rho);
  } else {
    const ramp = numpyLinspace(0, 1, count);
    for (let i = 0; i < count; i++)
      out[i] = (maxInvRho + (ramp[i] as number) * (minInvRho - maxInvRho)) ** config.rho;
  }
  return out;
}

/** diffusers' precondition_noise: the model's timestep is c_noise = log(sigma) / 4 (float32). */
export function edmTimesteps(sigmas: Float32Array, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(f(0.25 * f(Math.log(sigmas[i] as number))));
  return out;
}

/**
 * Euler's method in the EDM formulation (Karras et al. 2022), as diffusers' EDMEulerScheduler.
 * Config keys: sigma_min, sigma_max, sigma_data, sigma_schedule ('karras' | 'exponential'), rho,
 * prediction_type ('epsilon' | 'v_prediction'), final_sigmas_type, num_train_timesteps. The
 * timesteps passed to the model are c_noise = log(sigma) / 4 and the model input is scaled by
 * c_in; there is no beta schedule (`schedule` is a placeholder). Step options sChurn, sTmin,
 * sTmax, sNoise as Euler. One evaluation per step.
 */
export class EDMEulerScheduler extends BaseScheduler {
  readonly className = 'EDMEulerScheduler';
  readonly edm: EdmConfig;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, EDM_DEFAULTS);
    this.edm = readEdmConfig(json, this.className);
    this.setSchedule(this.numTrainTimesteps + 1, true);
    this.numInferenceSteps = 0;
  }

  override get initNoiseSigma(): number {
    return Math.sqrt(this.edm.sigmaMax * this.edm.sigmaMax + 1);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    if (numInferenceSteps === null)
      throw new SchedulerConfigError('num_inference_steps', 'is required');
    checkStepCount(numInferenceSteps, Number.MAX_SAFE_INTEGER);
    this.setSchedule(numInferenceSteps, false);
  }

  private setSchedule(count: number, fromConstructor: boolean): void {
    // The constructor's ramp is arange(T + 1) / T; set_timesteps' is linspace(0, 1, n): equal values.
    const sigmas = edmSigmas(this.edm, count, false);
    const all = new Float32Array(count + 1);
    all.set(sigmas);
    all[count] = this.edm.finalSigmasType === 'sigma_min' ? (sigmas[count - 1] as number) : 0;
    this.installTimesteps(edmTimesteps(sigmas, count), all);
    if (fromConstructor) this.numInferenceSteps = 0;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    const sigma = (this.sigmas as Float32Array)[this.initStepIndex(timestep)] as number;
    return multiplyByInputScale(out, sample, edmInputScale(sigma, this.edm.sigmaData));
  }

  /** diffusers' add_noise: `original + noise * sigma` at `timestep` (one of `timesteps`). */
  override addNoise(
    out: Float32Array,
    original: Float32Array,
    noise: Float32Array,
    timestep: number,
  ): Float32Array {
    const n = original.length;
    checkLength(this.className, 'noise', noise, n);
    checkLength(this.className, 'out', out, n);
    const sigma = (this.sigmas as Float32Array)[
      this.addNoiseIndex(timestep, (t) => this.indexForTimestep(t))
    ] as number;
    for (let i = 0; i < n; i++) out[i] = (original[i] as number) + f((noise[i] as number) * sigma);
    return out;
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
    const sigmas = this.sigmas as Float32Array;
    const current = this.churn(sample, sigmas, index, noise, options);
    const sigmaHat = this.sigmaHat;
    const original = this.originalBuffer(out, n);
    edmDenoise(
      original,
      current,
      modelOutput,
      sigmaHat,
      this.edm.sigmaData,
      this.predictionType === 'v_prediction',
    );
    const dt = f((sigmas[index + 1] as number) - sigmaHat);
    eulerMoveInto(out.prevSample, current, original, sigmaHat, dt);
    this.currentStepIndex = index + 1;
    return out;
  }
}

/**
 * DPM-Solver++ in the EDM formulation, as diffusers' EDMDPMSolverMultistepScheduler: the
 * multistep updates of DPMSolverMultistepScheduler with alpha_t = 1 and sigma_t = sigma on the EDM
 * sigmas, the model output preconditioned by c_skip / c_out, the input by c_in. Config keys: the
 * EDM keys (sigma_min, sigma_max, sigma_data, sigma_schedule, rho, final_sigmas_type), solver_order
 * (1-3), prediction_type ('epsilon' | 'v_prediction'), thresholding, dynamic_thresholding_ratio,
 * sample_max_value, algorithm_type ('dpmsolver++' | 'sde-dpmsolver++', the SDE variant drawing
 * noise every step), solver_type, lower_order_final, euler_at_final. One evaluation per step.
 */
export class EDMDPMSolverMultistepScheduler extends DPMSolverMultistepScheduler {
  override readonly className: string = 'EDMDPMSolverMultistepScheduler';
  readonly edmConfig: EdmConfig;
  protected override readonly edm: boolean = true;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, EDM_DEFAULTS);
    this.edmConfig = readEdmConfig(json, 'EDMDPMSolverMultistepScheduler');
    if (this.algorithmType !== 'dpmsolver++' && this.algorithmType !== 'sde-dpmsolver++') {
      throw new SchedulerConfigError(
        'algorithm_type',
        "EDMDPMSolverMultistepScheduler supports 'dpmsolver++' and 'sde-dpmsolver++'",
      );
    }
    this.sigmas = null;
    this.timesteps = Object.freeze([]);
  }

  override get initNoiseSigma(): number {
    return Math.sqrt(this.edmConfig.sigmaMax * this.edmConfig.sigmaMax + 1);
  }

  override setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    if (numInferenceSteps === null) {
      throw new SchedulerConfigError('num_inference_steps', 'is required');
    }
    checkStepCount(numInferenceSteps, Number.MAX_SAFE_INTEGER);
    const sigmas = edmSigmas(this.edmConfig, numInferenceSteps, false);
    const all = new Float32Array(numInferenceSteps + 1);
    all.set(sigmas);
    all[numInferenceSteps] =
      this.edmConfig.finalSigmasType === 'sigma_min' ? this.edmConfig.sigmaMin : 0;
    this.installTimesteps(edmTimesteps(sigmas, numInferenceSteps), all);
    this.lowerOrderNums = 0;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    this.requireTimesteps();
    const sigma = (this.sigmas as Float32Array)[this.initStepIndex(timestep)] as number;
    return multiplyByInputScale(out, sample, edmInputScale(sigma, this.edmConfig.sigmaData));
  }

  protected override convertModelOutput(
    converted: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
    batchSize: number,
  ): void {
    const sigma = (this.sigmas as Float32Array)[index] as number;
    edmDenoise(
      converted,
      sample,
      modelOutput,
      sigma,
      this.edmConfig.sigmaData,
      this.predictionType === 'v_prediction',
    );
    if (this.common.thresholding) this.clipOrThreshold(converted, batchSize, false);
  }
}
