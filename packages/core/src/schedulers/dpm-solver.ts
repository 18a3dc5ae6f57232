import { readBoolean, readEnum, readExtendedNumber, readInteger } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import {
  DPM_ALGORITHM_TYPES,
  alphaSigmaLambdaInto,
  dpmMultistepUpdate,
  isStochastic,
  predictsData,
} from './dpm-update.js';
import type { DpmAlgorithmType, DpmSolverType } from './dpm-update.js';
import type { MultistepRamp } from './multistep.js';
import {
  MULTISTEP_DEFAULTS,
  ModelOutputHistory,
  MultistepScheduler,
  multistepSigmas,
  multistepTimesteps,
} from './multistep.js';
import { trainSigmaTables } from '../schedules.js';
import type { TrainSigmaTables } from '../schedules.js';

const f = Math.fround;

/**
 * DPM-Solver++ / DPM-Solver multistep (Lu et al. 2022), as diffusers'
 * DPMSolverMultistepScheduler. Config keys: the schedule keys, solver_order (1-3),
 * prediction_type, thresholding, dynamic_thresholding_ratio, sample_max_value, algorithm_type
 * ('dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++' | 'sde-dpmsolver'; the SDE variants draw noise
 * every step and take solver_order 1-2), solver_type ('midpoint' | 'heun'), lower_order_final,
 * euler_at_final, use_karras_sigmas / use_exponential_sigmas / use_beta_sigmas, use_lu_lambdas,
 * final_sigmas_type, lambda_min_clipped
 * (-Infinity allowed), timestep_spacing, steps_offset, rescale_betas_zero_snr. One evaluation per
 * step. `order` is 1 as diffusers' class attribute; the configured order is `solverOrder`.
 */
export class DPMSolverMultistepScheduler extends MultistepScheduler {
  readonly className: string = 'DPMSolverMultistepScheduler';
  readonly solverOrder: number;
  readonly algorithmType: DpmAlgorithmType;
  readonly solverType: DpmSolverType;
  readonly lowerOrderFinal: boolean;
  readonly eulerAtFinal: boolean;
  /** Lu et al.'s uniform log-sigma step sizes (diffusers' use_lu_lambdas). */
  readonly useLuLambdas: boolean;
  readonly finalSigmasType: 'zero' | 'sigma_min';
  readonly lambdaMinClipped: number;
  protected readonly tables: TrainSigmaTables;
  protected readonly lambdas: Float64Array;
  /** How many model outputs are stored (diffusers' lower_order_nums). */
  protected lowerOrderNums = 0;
  /** The last solver_order converted outputs. */
  protected readonly history: ModelOutputHistory;
  /** alpha, sigma, lambda at [t, s0, s1, s2] for the update in progress. */
  protected readonly coefficients = new Float64Array(12);

  constructor(json: SchedulerConfigJson = {}, defaults: CommonDefaults = MULTISTEP_DEFAULTS) {
    super(json, defaults);
    this.solverOrder = readInteger(json, 'solver_order', 2, 1);
    if (this.solverOrder > 3) throw new SchedulerConfigError('solver_order', 'must be 1, 2 or 3');
    this.algorithmType = readEnum(json, 'algorithm_type', DPM_ALGORITHM_TYPES, 'dpmsolver++');
    if (isStochastic(this.algorithmType) && this.solverOrder > this.maxStochasticOrder()) {
      throw new SchedulerConfigError(
        'solver_order',
        `${this.algorithmType} supports solver_order 1 to ${this.maxStochasticOrder()} in ${this.className} (as diffusers)`,
      );
    }
    this.solverType = readEnum(json, 'solver_type', ['midpoint', 'heun'] as const, 'midpoint');
    this.lowerOrderFinal = readBoolean(json, 'lower_order_final', true);
    this.eulerAtFinal = readBoolean(json, 'euler_at_final', false);
    this.useLuLambdas = readBoolean(json, 'use_lu_lambdas', false);
    this.finalSigmasType = readEnum(
      json,
      'final_sigmas_type',
      ['zero', 'sigma_min'] as const,
      'zero',
    );
    this.checkFinalSigmasType();
    this.lambdaMinClipped = readExtendedNumber(json, 'lambda_min_clipped', -Infinity);
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
    // lambda_t = log(alpha_t) - log(sigma_t) per training timestep, float32 as diffusers.
    this.lambdas = Float64Array.from(this.tables.alphasCumprod, (a) =>
      f(f(Math.log(f(Math.sqrt(a)))) - f(Math.log(f(Math.sqrt(f(1 - a)))))),
    );
  }

  /** The highest solver_order of the SDE variants: diffusers' multistep update has no third-order SDE step. */
  protected maxStochasticOrder(): number {
    return 2;
  }

  /**
   * diffusers refuses a zero final sigma for the noise-prediction algorithms: their last step
   * would multiply sigma_t = 0 by exp(h) = Infinity, which is NaN.
   */
  protected checkFinalSigmasType(): void {
    if (this.finalSigmasType === 'zero' && !predictsData(this.algorithmType)) {
      throw new SchedulerConfigError(
        'final_sigmas_type',
        `'zero' is not supported with algorithm_type '${this.algorithmType}'; choose 'sigma_min' (as diffusers)`,
      );
    }
  }

  /** How many of the noisiest training timesteps lambda_min_clipped removes (searchsorted on flipped lambdas). */
  protected clippedCount(): number {
    const trainCount = this.numTrainTimesteps;
    let clipped = 0;
    while (
      clipped < trainCount &&
      (this.lambdas[trainCount - 1 - clipped] as number) < this.lambdaMinClipped
    ) {
      clipped++;
    }
    return clipped;
  }

  /** The ramp set_timesteps applies, in diffusers' branch order: Karras, Lu, exponential, beta. */
  protected get activeRamp(): MultistepRamp | null {
    if (this.sigmaRamp === 'karras') return 'karras';
    return this.useLuLambdas ? 'lu' : this.sigmaRamp;
  }

  /** diffusers refuses custom timesteps together with any sigma ramp or Lu lambdas. */
  protected rejectRampWithCustomTimesteps(): void {
    const ramp = this.activeRamp;
    if (ramp === null) return;
    throw new SchedulerConfigError(
      'timesteps',
      `custom timesteps cannot be combined with ${ramp === 'lu' ? 'use_lu_lambdas' : `use_${ramp}_sigmas`}`,
    );
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const trainCount = this.numTrainTimesteps;
    let timesteps: number[];
    const custom = this.takeCustomTimesteps(numInferenceSteps, options, true);
    if (custom) {
      this.rejectRampWithCustomTimesteps();
      timesteps = custom;
    } else {
      const n = this.requireStepCount(numInferenceSteps);
      timesteps = multistepTimesteps(this.common, n, trainCount, trainCount - this.clippedCount());
    }
    const result = multistepSigmas(
      timesteps,
      this.tables,
      this.activeRamp,
      this.finalSigmasType,
      // diffusers leaves Karras and Lu timesteps unrounded (then truncated) for the cosine schedule.
      { roundKarrasTimesteps: this.schedule.config.betaSchedule !== 'squaredcos_cap_v2' },
    );
    this.installTimesteps(result.timesteps, result.sigmas);
    this.lowerOrderNums = 0;
  }

  /** diffusers' lower_order_final condition for the last step. */
  protected finalStepIsFirstOrder(stepCount: number): boolean {
    return (
      this.eulerAtFinal ||
      (this.lowerOrderFinal && stepCount < 15) ||
      this.finalSigmasType === 'zero'
    );
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
    this.requireTimesteps();
    const index = this.initStepIndex(timestep);
    const stepCount = this.timesteps.length;
    const lowerOrderFinal = index === stepCount - 1 && this.finalStepIsFirstOrder(stepCount);
    const lowerOrderSecond = index === stepCount - 2 && this.lowerOrderFinal && stepCount < 15;

    const newest = this.history.advance(n);
    this.convertModelOutput(newest, modelOutput, sample, index, options?.batchSize ?? 1);
    if (out.predOriginalSample)
      this.writePredictedOriginal(out.predOriginalSample, newest, sample, index);
    const noiseValues = isStochastic(this.algorithmType) ? this.noiseFor(noise, n) : null;

    let order: number;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) order = 1;
    else if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) order = 2;
    else order = 3;
    const sigmas = this.sigmas as Float32Array;
    const state = this.coefficients;
    alphaSigmaLambdaInto(state, 0, sigmas[index + 1] as number, this.edm);
    alphaSigmaLambdaInto(state, 3, sigmas[index] as number, this.edm);
    if (order > 1) alphaSigmaLambdaInto(state, 6, sigmas[index - 1] as number, this.edm);
    if (order > 2) alphaSigmaLambdaInto(state, 9, sigmas[index - 2] as number, this.edm);
    dpmMultistepUpdate(
      out.prevSample,
      sample,
      newest,
      order > 1 ? this.history.at(1) : null,
      order > 2 ? this.history.at(2) : null,
      state,
      order,
      this.algorithmType,
      this.solverType,
      noiseValues,
    );
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.currentStepIndex = index + 1;
    return out;
  }

  /**
   * diffusers' convert_model_output: x0 for the ++ algorithms (thresholded when configured),
   * epsilon for the others; float32.
   */
  protected convertModelOutput(
    converted: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
    batchSize: number,
  ): void {
    const state = this.coefficients;
    alphaSigmaLambdaInto(state, 0, (this.sigmas as Float32Array)[index] as number, this.edm);
    const alpha = state[0] as number;
    const sigma = state[1] as number;
    const type = this.predictionType;
    const n = sample.length;
    const thresholding = this.common.thresholding;
    if (predictsData(this.algorithmType) || thresholding) {
      for (let i = 0; i < n; i++) {
        const x = sample[i] as number;
        const m = modelOutput[i] as number;
        converted[i] =
          type === 'epsilon'
            ? f(f(x - f(sigma * m)) / alpha)
            : type === 'sample'
              ? m
              : f(f(alpha * x) - f(sigma * m));
      }
      if (thresholding) this.clipOrThreshold(converted, batchSize, false);
      if (predictsData(this.algorithmType)) return;
      for (let i = 0; i < n; i++)
        converted[i] = f(f((sample[i] as number) - f(alpha * (converted[i] as number))) / sigma);
      return;
    }
    for (let i = 0; i < n; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      converted[i] =
        type === 'epsilon'
          ? m
          : type === 'sample'
            ? f(f(x - f(alpha * m)) / sigma)
            : f(f(alpha * m) + f(sigma * x));
    }
  }

  private writePredictedOriginal(
    target: Float32Array,
    converted: Float32Array,
    sample: Float32Array,
    index: number,
  ): void {
    if (predictsData(this.algorithmType)) {
      target.set(converted);
      return;
    }
    alphaSigmaLambdaInto(
      this.coefficients,
      0,
      (this.sigmas as Float32Array)[index] as number,
      this.edm,
    );
    const alpha = this.coefficients[0] as number;
    const sigma = this.coefficients[1] as number;
    for (let i = 0; i < sample.length; i++)
      target[i] = f(f((sample[i] as number) - f(sigma * (converted[i] as number))) / alpha);
  }
}
