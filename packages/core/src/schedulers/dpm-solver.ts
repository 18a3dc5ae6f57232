import { readBoolean, readEnum, readInteger, readNumber } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import {
  checkStepCount,
  interpolateByIndex,
  karrasSigmas,
  numpyArange,
  numpyLinspace,
  roundHalfEven,
  sigmaToTimestep,
} from '../timesteps.js';
import { BaseScheduler, checkCustomTimesteps } from './base.js';
import type { CommonDefaults, SetTimestepsOptions, StepOptions, StepOutput } from './base.js';

const DPM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

/**
 * DPM-Solver++ / DPM-Solver multistep (Lu et al. 2022), as diffusers'
 * DPMSolverMultistepScheduler. Config keys: the schedule keys, solver_order (1-3),
 * prediction_type, thresholding, dynamic_thresholding_ratio, sample_max_value,
 * algorithm_type ('dpmsolver++' | 'dpmsolver'), solver_type ('midpoint' | 'heun'),
 * lower_order_final, euler_at_final, use_karras_sigmas, final_sigmas_type, lambda_min_clipped,
 * timestep_spacing, steps_offset, rescale_betas_zero_snr. Deterministic; one evaluation per step.
 */
export class DPMSolverMultistepScheduler extends BaseScheduler {
  readonly className = 'DPMSolverMultistepScheduler';
  readonly solverOrder: number;
  readonly algorithmType: 'dpmsolver++' | 'dpmsolver';
  readonly solverType: 'midpoint' | 'heun';
  readonly lowerOrderFinal: boolean;
  readonly eulerAtFinal: boolean;
  readonly useKarrasSigmas: boolean;
  readonly finalSigmasType: 'zero' | 'sigma_min';
  readonly lambdaMinClipped: number;
  private readonly trainSigmas: Float32Array;
  private readonly logTrainSigmas: Float32Array;
  private readonly lambdas: Float64Array;
  /** How many model outputs are stored (diffusers' lower_order_nums). */
  private lowerOrderNums = 0;
  /** Ring of the last solver_order converted outputs; index 0 is the newest. */
  private readonly history: Float32Array[] = [];

  constructor(json: SchedulerConfigJson = {}) {
    super(json, DPM_DEFAULTS);
    this.solverOrder = readInteger(json, 'solver_order', 2, 1);
    if (this.solverOrder > 3) throw new SchedulerConfigError('solver_order', 'must be 1, 2 or 3');
    this.algorithmType = readEnum(json, 'algorithm_type', ['dpmsolver++', 'dpmsolver'] as const, 'dpmsolver++');
    this.solverType = readEnum(json, 'solver_type', ['midpoint', 'heun'] as const, 'midpoint');
    this.lowerOrderFinal = readBoolean(json, 'lower_order_final', true);
    this.eulerAtFinal = readBoolean(json, 'euler_at_final', false);
    this.useKarrasSigmas = readBoolean(json, 'use_karras_sigmas', false);
    this.finalSigmasType = readEnum(json, 'final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero');
    this.lambdaMinClipped = readNumber(json, 'lambda_min_clipped', -Infinity);
    for (const key of ['use_lu_lambdas', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas'] as const) {
      if (readBoolean(json, key, false)) throw new SchedulerConfigError(key, 'is not supported');
    }
    const variance = json['variance_type'];
    if (variance !== undefined && variance !== null && variance !== 'learned' && variance !== 'learned_range') {
      throw new SchedulerConfigError('variance_type', `unknown value ${JSON.stringify(variance)}`);
    }
    this.order = this.solverOrder;
    const alphasCumprod = Float32Array.from(this.schedule.alphasCumprod);
    if (this.schedule.config.rescaleBetasZeroSnr) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
    this.trainSigmas = alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
    this.logTrainSigmas = this.trainSigmas.map((s) => Math.log(s));
    this.lambdas = Float64Array.from(alphasCumprod, (a) =>
      Math.fround(Math.log(Math.fround(Math.sqrt(a))) - Math.log(Math.fround(Math.sqrt(1 - a)))),
    );
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const trainCount = this.numTrainTimesteps;
    let timesteps: number[];
    let sigmas: number[];
    if (options?.timesteps) {
      if (this.useKarrasSigmas) {
        throw new SchedulerConfigError('timesteps', 'custom timesteps cannot be combined with use_karras_sigmas');
      }
      checkCustomTimesteps(options.timesteps, trainCount, true);
      timesteps = [...options.timesteps];
    } else {
      const n = this.requireStepCount(numInferenceSteps);
      checkStepCount(n, trainCount);
      // searchsorted(flip(lambdas), lambda_min_clipped): how many of the lowest lambdas are clipped.
      let clippedIndex = 0;
      while (clippedIndex < trainCount && (this.lambdas[trainCount - 1 - clippedIndex] as number) < this.lambdaMinClipped) {
        clippedIndex++;
      }
      const lastTimestep = trainCount - clippedIndex;
      const spacing = this.common.timestepSpacing;
      if (spacing === 'linspace') {
        const values = numpyLinspace(0, lastTimestep - 1, n + 1);
        timesteps = [];
        for (let i = n; i >= 1; i--) timesteps.push(roundHalfEven(values[i] as number));
      } else if (spacing === 'leading') {
        const ratio = Math.floor(lastTimestep / (n + 1));
        timesteps = [];
        for (let i = n; i >= 1; i--) timesteps.push(i * ratio + this.common.stepsOffset);
      } else {
        timesteps = Array.from(numpyArange(lastTimestep, 0, -trainCount / n), (v) => roundHalfEven(v) - 1);
      }
    }
    if (this.useKarrasSigmas) {
      const sigmaMin = this.trainSigmas[0] as number;
      const sigmaMax = this.trainSigmas[trainCount - 1] as number;
      sigmas = Array.from(karrasSigmas(sigmaMin, sigmaMax, timesteps.length));
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, this.logTrainSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpolateByIndex(t, this.trainSigmas));
    }
    const finalSigma = this.finalSigmasType === 'sigma_min' ? (this.trainSigmas[0] as number) : 0;
    const all = new Float32Array(sigmas.length + 1);
    all.set(sigmas);
    all[sigmas.length] = finalSigma;
    this.sigmas = all;
    this.timesteps = Object.freeze(timesteps);
    this.numInferenceSteps = timesteps.length;
    this.lowerOrderNums = 0;
    this.currentStepIndex = null;
  }

  /** alpha_t, sigma_t and lambda_t of the VP process at sigma (diffusers' _sigma_to_alpha_sigma_t). */
  private alphaSigmaLambda(sigma: number): [number, number, number] {
    const alpha = Math.fround(1 / Math.sqrt(sigma * sigma + 1));
    const sigmaT = Math.fround(sigma * alpha);
    return [alpha, sigmaT, Math.log(alpha) - Math.log(sigmaT)];
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    _noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    const n = sample.length;
    this.requireTimesteps();
    const index = this.initStepIndex(timestep);
    const stepCount = this.timesteps.length;
    const lowerOrderFinal =
      index === stepCount - 1 &&
      (this.eulerAtFinal || (this.lowerOrderFinal && stepCount < 15) || this.finalSigmasType === 'zero');
    const lowerOrderSecond = index === stepCount - 2 && this.lowerOrderFinal && stepCount < 15;

    // Rotate the history: the oldest buffer becomes the newest slot.
    for (let k = this.history.length; k < this.solverOrder; k++) this.history.push(new Float32Array(n));
    for (let k = 0; k < this.solverOrder; k++) {
      if ((this.history[k] as Float32Array).length !== n) this.history[k] = new Float32Array(n);
    }
    const newest = this.history.pop() as Float32Array;
    this.history.unshift(newest);
    this.convertModelOutput(newest, modelOutput, sample, index, options?.batchSize ?? 1);
    if (out.predOriginalSample) this.writePredictedOriginal(out.predOriginalSample, newest, sample, index);

    let order: number;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) order = 1;
    else if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) order = 2;
    else order = 3;
    this.update(out.prevSample, sample, index, order);
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.currentStepIndex = index + 1;
    return out;
  }

  /** x0 (dpmsolver++) or epsilon (dpmsolver) from the raw model output, as convert_model_output. */
  private convertModelOutput(
    converted: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
    batchSize: number,
  ): void {
    const [alpha, sigma] = this.alphaSigmaLambda(this.sigmas?.[index] as number);
    const type = this.predictionType;
    const n = sample.length;
    for (let i = 0; i < n; i++) {
      const m = modelOutput[i] as number;
      const x = sample[i] as number;
      let x0: number;
      if (type === 'epsilon') x0 = (x - sigma * m) / alpha;
      else if (type === 'sample') x0 = m;
      else x0 = alpha * x - sigma * m;
      converted[i] = x0;
    }
    if (this.common.thresholding) this.clipOrThreshold(converted, batchSize, false);
    if (this.algorithmType === 'dpmsolver') {
      // Back to epsilon: exact for epsilon models without thresholding, as diffusers returns the model output then.
      const direct = type === 'epsilon' && !this.common.thresholding;
      for (let i = 0; i < n; i++) {
        converted[i] = direct ? (modelOutput[i] as number) : ((sample[i] as number) - alpha * (converted[i] as number)) / sigma;
      }
    }
  }

  private writePredictedOriginal(target: Float32Array, converted: Float32Array, sample: Float32Array, index: number): void {
    if (this.algorithmType === 'dpmsolver++') {
      target.set(converted);
      return;
    }
    const [alpha, sigma] = this.alphaSigmaLambda(this.sigmas?.[index] as number);
    for (let i = 0; i < sample.length; i++) target[i] = ((sample[i] as number) - sigma * (converted[i] as number)) / alpha;
  }

  private update(prevSample: Float32Array, sample: Float32Array, index: number, order: number): void {
    const sigmas = this.sigmas as Float32Array;
    const [alphaT, sigmaT, lambdaT] = this.alphaSigmaLambda(sigmas[index + 1] as number);
    const [alphaS0, sigmaS0, lambdaS0] = this.alphaSigmaLambda(sigmas[index] as number);
    const h = lambdaT - lambdaS0;
    const m0 = this.history[0] as Float32Array;
    const plusPlus = this.algorithmType === 'dpmsolver++';
    const n = sample.length;
    // Coefficients of x_t = a * sample + b * D0 + c * D1 + d * D2 (see diffusers' *_update methods).
    const expMinusH = Math.exp(-h);
    const expH = Math.exp(h);
    const sampleCoeff = plusPlus ? sigmaT / sigmaS0 : alphaT / alphaS0;
    const firstCoeff = plusPlus ? -(alphaT * (expMinusH - 1)) : -(sigmaT * (expH - 1));
    if (order === 1) {
      for (let i = 0; i < n; i++) prevSample[i] = sampleCoeff * (sample[i] as number) + firstCoeff * (m0[i] as number);
      return;
    }
    const [, , lambdaS1] = this.alphaSigmaLambda(sigmas[index - 1] as number);
    const m1 = this.history[1] as Float32Array;
    const h0 = lambdaS0 - lambdaS1;
    const r0 = h0 / h;
    if (order === 2) {
      let d1Coeff: number;
      if (plusPlus) {
        d1Coeff = this.solverType === 'midpoint' ? -0.5 * (alphaT * (expMinusH - 1)) : alphaT * ((expMinusH - 1) / h + 1);
      } else {
        d1Coeff = this.solverType === 'midpoint' ? -0.5 * (sigmaT * (expH - 1)) : -(sigmaT * ((expH - 1) / h - 1));
      }
      const scale = 1 / r0;
      for (let i = 0; i < n; i++) {
        const d0 = m0[i] as number;
        const d1 = scale * (d0 - (m1[i] as number));
        prevSample[i] = sampleCoeff * (sample[i] as number) + firstCoeff * d0 + d1Coeff * d1;
      }
      return;
    }
    const [, , lambdaS2] = this.alphaSigmaLambda(sigmas[index - 2] as number);
    const m2 = this.history[2] as Float32Array;
    const h1 = lambdaS1 - lambdaS2;
    const r1 = h1 / h;
    const d1Coeff = plusPlus ? alphaT * ((expMinusH - 1) / h + 1) : -(sigmaT * ((expH - 1) / h - 1));
    const d2Coeff = plusPlus
      ? -(alphaT * ((expMinusH - 1 + h) / (h * h) - 0.5))
      : -(sigmaT * ((expH - 1 - h) / (h * h) - 0.5));
    for (let i = 0; i < n; i++) {
      const d0 = m0[i] as number;
      const d10 = (1 / r0) * (d0 - (m1[i] as number));
      const d11 = (1 / r1) * ((m1[i] as number) - (m2[i] as number));
      const d1 = d10 + (r0 / (r0 + r1)) * (d10 - d11);
      const d2 = (1 / (r0 + r1)) * (d10 - d11);
      prevSample[i] = sampleCoeff * (sample[i] as number) + firstCoeff * d0 + d1Coeff * d1 + d2Coeff * d2;
    }
  }
}
