import {
  readBoolean,
  readEnum,
  readExtendedNumber,
  readInteger,
  rejectEnabledFlags,
} from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { BaseScheduler, checkCustomTimesteps } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './base.js';
import {
  MULTISTEP_DEFAULTS,
  ModelOutputHistory,
  UNSUPPORTED_SIGMA_FLAGS,
  alphaSigmaLambda,
  multistepSigmas,
  multistepTimesteps,
  predictOriginal,
} from './multistep.js';
import { trainSigmaTables } from '../schedules.js';
import type { TrainSigmaTables } from '../schedules.js';

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
  /** Lu et al.'s uniform-logSNR step sizes (diffusers' use_lu_lambdas). */
  readonly useLuLambdas: boolean;
  private readonly tables: TrainSigmaTables;
  private readonly lambdas: Float64Array;
  /** How many model outputs are stored (diffusers' lower_order_nums). */
  private lowerOrderNums = 0;
  /** The last solver_order converted outputs. */
  private readonly history: ModelOutputHistory;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, MULTISTEP_DEFAULTS);
    this.solverOrder = readInteger(json, 'solver_order', 2, 1);
    if (this.solverOrder > 3) throw new SchedulerConfigError('solver_order', 'must be 1, 2 or 3');
    this.algorithmType = readEnum(
      json,
      'algorithm_type',
      ['dpmsolver++', 'dpmsolver'] as const,
      'dpmsolver++',
    );
    this.solverType = readEnum(json, 'solver_type', ['midpoint', 'heun'] as const, 'midpoint');
    this.lowerOrderFinal = readBoolean(json, 'lower_order_final', true);
    this.eulerAtFinal = readBoolean(json, 'euler_at_final', false);
    this.useKarrasSigmas = readBoolean(json, 'use_karras_sigmas', false);
    this.finalSigmasType = readEnum(
      json,
      'final_sigmas_type',
      ['zero', 'sigma_min'] as const,
      'zero',
    );
    this.lambdaMinClipped = readExtendedNumber(json, 'lambda_min_clipped', -Infinity);
    this.useLuLambdas = readBoolean(json, 'use_lu_lambdas', false);
    rejectEnabledFlags(json, UNSUPPORTED_SIGMA_FLAGS);
    // diffusers only acts on 'learned' / 'learned_range' here (it drops the variance channels)
    // and ignores any other value, such as a DDPM training config's 'fixed_small'.
    const variance = json['variance_type'];
    if (variance !== undefined && variance !== null && typeof variance !== 'string') {
      throw new SchedulerConfigError(
        'variance_type',
        `must be a string or null, not ${JSON.stringify(variance)}`,
      );
    }
    this.history = new ModelOutputHistory(this.solverOrder);
    this.tables = trainSigmaTables(this.schedule);
    this.lambdas = Float64Array.from(this.tables.alphasCumprod, (a) =>
      Math.fround(Math.log(Math.fround(Math.sqrt(a))) - Math.log(Math.fround(Math.sqrt(1 - a)))),
    );
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const trainCount = this.numTrainTimesteps;
    let timesteps: number[];
    if (options?.timesteps) {
      if (this.useKarrasSigmas || this.useLuLambdas) {
        throw new SchedulerConfigError(
          'timesteps',
          'custom timesteps cannot be combined with use_karras_sigmas or use_lu_lambdas',
        );
      }
      checkCustomTimesteps(options.timesteps, trainCount, true);
      timesteps = [...options.timesteps];
    } else {
      const n = this.requireStepCount(numInferenceSteps);
      // searchsorted(flip(lambdas), lambda_min_clipped): how many of the lowest lambdas are clipped.
      let clippedIndex = 0;
      while (
        clippedIndex < trainCount &&
        (this.lambdas[trainCount - 1 - clippedIndex] as number) < this.lambdaMinClipped
      ) {
        clippedIndex++;
      }
      timesteps = multistepTimesteps(this.common, n, trainCount, trainCount - clippedIndex);
    }
    const result = multistepSigmas(
      timesteps,
      this.tables,
      this.useKarrasSigmas,
      this.finalSigmasType,
      this.useLuLambdas && !this.useKarrasSigmas && !options?.timesteps,
    );
    this.installTimesteps(result.timesteps, result.sigmas);
    this.lowerOrderNums = 0;
  }

  protected takeStep(
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
      (this.eulerAtFinal ||
        (this.lowerOrderFinal && stepCount < 15) ||
        this.finalSigmasType === 'zero');
    const lowerOrderSecond = index === stepCount - 2 && this.lowerOrderFinal && stepCount < 15;

    const newest = this.history.advance(n);
    this.convertModelOutput(newest, modelOutput, sample, index, options?.batchSize ?? 1);
    if (out.predOriginalSample)
      this.writePredictedOriginal(out.predOriginalSample, newest, sample, index);

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
    const [alpha, sigma] = alphaSigmaLambda(this.sigmas?.[index] as number);
    const type = this.predictionType;
    const n = sample.length;
    predictOriginal(converted, modelOutput, sample, alpha, sigma, type);
    if (this.common.thresholding) this.clipOrThreshold(converted, batchSize, false);
    if (this.algorithmType === 'dpmsolver') {
      // Back to epsilon: exact for epsilon models without thresholding, as diffusers returns the model output then.
      const direct = type === 'epsilon' && !this.common.thresholding;
      for (let i = 0; i < n; i++) {
        converted[i] = direct
          ? (modelOutput[i] as number)
          : ((sample[i] as number) - alpha * (converted[i] as number)) / sigma;
      }
    }
  }

  private writePredictedOriginal(
    target: Float32Array,
    converted: Float32Array,
    sample: Float32Array,
    index: number,
  ): void {
    if (this.algorithmType === 'dpmsolver++') {
      target.set(converted);
      return;
    }
    const [alpha, sigma] = alphaSigmaLambda(this.sigmas?.[index] as number);
    for (let i = 0; i < sample.length; i++)
      target[i] = ((sample[i] as number) - sigma * (converted[i] as number)) / alpha;
  }

  private update(
    prevSample: Float32Array,
    sample: Float32Array,
    index: number,
    order: number,
  ): void {
    const sigmas = this.sigmas as Float32Array;
    const [alphaT, sigmaT, lambdaT] = alphaSigmaLambda(sigmas[index + 1] as number);
    const [alphaS0, sigmaS0, lambdaS0] = alphaSigmaLambda(sigmas[index] as number);
    const h = lambdaT - lambdaS0;
    const m0 = this.history.at(0);
    const plusPlus = this.algorithmType === 'dpmsolver++';
    const n = sample.length;
    // Coefficients of x_t = a * sample + b * D0 + c * D1 + d * D2 (see diffusers' *_update methods).
    const expMinusH = Math.exp(-h);
    const expH = Math.exp(h);
    const sampleCoeff = plusPlus ? sigmaT / sigmaS0 : alphaT / alphaS0;
    const firstCoeff = plusPlus ? -(alphaT * (expMinusH - 1)) : -(sigmaT * (expH - 1));
    if (order === 1) {
      for (let i = 0; i < n; i++)
        prevSample[i] = sampleCoeff * (sample[i] as number) + firstCoeff * (m0[i] as number);
      return;
    }
    const [, , lambdaS1] = alphaSigmaLambda(sigmas[index - 1] as number);
    const m1 = this.history.at(1);
    const h0 = lambdaS0 - lambdaS1;
    const r0 = h0 / h;
    if (order === 2) {
      let d1Coeff: number;
      if (plusPlus) {
        d1Coeff =
          this.solverType === 'midpoint'
            ? -0.5 * (alphaT * (expMinusH - 1))
            : alphaT * ((expMinusH - 1) / h + 1);
      } else {
        d1Coeff =
          this.solverType === 'midpoint'
            ? -0.5 * (sigmaT * (expH - 1))
            : -(sigmaT * ((expH - 1) / h - 1));
      }
      const scale = 1 / r0;
      for (let i = 0; i < n; i++) {
        const d0 = m0[i] as number;
        const d1 = scale * (d0 - (m1[i] as number));
        prevSample[i] = sampleCoeff * (sample[i] as number) + firstCoeff * d0 + d1Coeff * d1;
      }
      return;
    }
    const [, , lambdaS2] = alphaSigmaLambda(sigmas[index - 2] as number);
    const m2 = this.history.at(2);
    const h1 = lambdaS1 - lambdaS2;
    const r1 = h1 / h;
    const d1Coeff = plusPlus
      ? alphaT * ((expMinusH - 1) / h + 1)
      : -(sigmaT * ((expH - 1) / h - 1));
    const d2Coeff = plusPlus
      ? -(alphaT * ((expMinusH - 1 + h) / (h * h) - 0.5))
      : -(sigmaT * ((expH - 1 - h) / (h * h) - 0.5));
    for (let i = 0; i < n; i++) {
      const d0 = m0[i] as number;
      const d10 = (1 / r0) * (d0 - (m1[i] as number));
      const d11 = (1 / r1) * ((m1[i] as number) - (m2[i] as number));
      const d1 = d10 + (r0 / (r0 + r1)) * (d10 - d11);
      const d2 = (1 / (r0 + r1)) * (d10 - d11);
      prevSample[i] =
        sampleCoeff * (sample[i] as number) + firstCoeff * d0 + d1Coeff * d1 + d2Coeff * d2;
    }
  }
}
