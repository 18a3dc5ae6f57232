import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { numpyLinspace, roundHalfEven } from '../timesteps.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver.js';
import { alphaSigmaLambdaInto, dpmMultistepUpdate, predictsData } from './dpm-update.js';
import { multistepSigmas } from './multistep.js';

const f = Math.fround;

/**
 * Singlestep DPM-Solver (Lu et al. 2022), as diffusers' DPMSolverSinglestepScheduler: steps are
 * grouped by solver_order (orders 1, 2, 3, 1, 2, 3, ...), and each group integrates from the sample
 * where it started using the outputs evaluated inside it. Config keys: the schedule keys,
 * solver_order (1-3), prediction_type, thresholding, dynamic_thresholding_ratio, sample_max_value,
 * algorithm_type ('dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++'), solver_type ('midpoint' | 'heun'),
 * lower_order_final, use_karras_sigmas, final_sigmas_type, lambda_min_clipped (-Infinity allowed),
 * rescale_betas_zero_snr; timesteps are linspace as diffusers', or the caller's (setTimesteps'
 * `timesteps` option). algorithm_type 'sde-dpmsolver++' (orders 1-3) draws fresh noise every
 * step, as diffusers' generator does. One evaluation per step.
 */
export class DPMSolverSinglestepScheduler extends DPMSolverMultistepScheduler {
  override readonly className: string = 'DPMSolverSinglestepScheduler';
  /** The order of each step (diffusers' order_list). */
  orderList: readonly number[] = [];
  /** How many converted outputs are stored (diffusers' model_outputs that are not None). */
  private storedOutputs = 0;
  private groupStart: Float32Array | null = null;

  constructor(json: SchedulerConfigJson = {}) {
    super(json);
    if (this.algorithmType === 'sde-dpmsolver') {
      throw new SchedulerConfigError(
        'algorithm_type',
        "DPMSolverSinglestepScheduler supports 'dpmsolver++', 'dpmsolver' and 'sde-dpmsolver++' (as diffusers)",
      );
    }
    if (this.useLuLambdas) {
      throw new SchedulerConfigError(
        'use_lu_lambdas',
        'is not supported by DPMSolverSinglestepScheduler (as in diffusers)',
      );
    }
  }

  /** diffusers' singlestep solver has a third-order SDE update. */
  protected override maxStochasticOrder(): number {
    return 3;
  }

  /** diffusers' get_order_list. */
  orderListFor(steps: number): number[] {
    const order = this.solverOrder;
    let orders: number[] = [];
    const repeat = (pattern: number[], times: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < times; i++) out.push(...pattern);
      return out;
    };
    if (this.lowerOrderFinal) {
      if (order === 3) {
        if (steps % 3 === 0) orders = [...repeat([1, 2, 3], steps / 3 - 1), 1, 2, 1];
        else if (steps % 3 === 1) orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1];
        else orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1, 2];
      } else if (order === 2) {
        orders = [...repeat([1, 2], Math.floor(steps / 2)), ...(steps % 2 === 0 ? [] : [1])];
      } else {
        orders = repeat([1], steps);
      }
    } else {
      // diffusers repeats the pattern steps // order times (and fails on a remainder); we complete it.
      orders = repeat(
        order === 3 ? [1, 2, 3] : order === 2 ? [1, 2] : [1],
        Math.ceil(steps / order),
      );
      orders = orders.slice(0, steps);
    }
    if (this.finalSigmasType === 'zero') orders[orders.length - 1] = 1;
    return orders;
  }

  override setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const custom = this.takeCustomTimesteps(numInferenceSteps, options, true);
    let timesteps: number[];
    if (custom) {
      this.rejectRampWithCustomTimesteps();
      timesteps = custom;
    } else {
      const steps = this.requireStepCount(numInferenceSteps);
      const last = this.numTrainTimesteps - 1 - this.clippedCount();
      const values = numpyLinspace(0, last, steps + 1);
      timesteps = [];
      for (let i = steps; i >= 1; i--) timesteps.push(roundHalfEven(values[i] as number));
    }
    const n = timesteps.length;
    const result = multistepSigmas(timesteps, this.tables, this.sigmaRamp, this.finalSigmasType);
    this.installTimesteps(result.timesteps, result.sigmas);
    this.orderList = Object.freeze(this.orderListFor(n));
    this.storedOutputs = 0;
    this.lowerOrderNums = 0;
  }

  protected override takeStep(
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
    // diffusers draws the SDE noise before anything else can fail, one normal per element.
    const noiseValues = this.algorithmType === 'sde-dpmsolver++' ? this.noiseFor(noise, n) : null;
    const newest = this.history.advance(n);
    this.convertModelOutput(newest, modelOutput, sample, index, options?.batchSize ?? 1);
    if (out.predOriginalSample && predictsData(this.algorithmType))
      out.predOriginalSample.set(newest);
    this.storedOutputs = Math.min(this.storedOutputs + 1, this.solverOrder);
    // An image-to-image run may start inside a group: lower the order to the outputs stored.
    const order = Math.min(this.orderList[index] ?? 1, this.storedOutputs);
    if (order === 1 || this.groupStart === null || this.groupStart.length !== n) {
      this.groupStart = this.scratch('groupStart', n);
    }
    if (order === 1) this.groupStart.set(sample);
    const start = this.groupStart;
    const sigmas = this.sigmas as Float32Array;
    const state = this.coefficients;
    alphaSigmaLambdaInto(state, 0, sigmas[index + 1] as number, false);
    if (order === 1) {
      alphaSigmaLambdaInto(state, 3, sigmas[index] as number, false);
      dpmMultistepUpdate(
        out.prevSample,
        start,
        newest,
        null,
        null,
        state,
        1,
        this.algorithmType,
        this.solverType,
        noiseValues,
      );
    } else if (order === 2) {
      this.secondOrder(out.prevSample, start, index, noiseValues);
    } else {
      this.thirdOrder(out.prevSample, start, index, noiseValues);
    }
    this.currentStepIndex = index + 1;
    return out;
  }

  /** singlestep_dpm_solver_second_order_update: from s1 (the group start) to t with m1 at s1, m0 at s0. */
  private secondOrder(
    prevSample: Float32Array,
    start: Float32Array,
    index: number,
    noise: Float32Array | null,
  ): void {
    const sigmas = this.sigmas as Float32Array;
    const state = this.coefficients;
    alphaSigmaLambdaInto(state, 3, sigmas[index] as number, false);
    alphaSigmaLambdaInto(state, 6, sigmas[index - 1] as number, false);
    const alphaT = state[0] as number;
    const sigmaT = state[1] as number;
    const lambdaT = state[2] as number;
    const lambdaS0 = state[5] as number;
    const alphaS1 = state[6] as number;
    const sigmaS1 = state[7] as number;
    const lambdaS1 = state[8] as number;
    const m0 = this.history.at(0);
    const m1 = this.history.at(1);
    const h = f(lambdaT - lambdaS1);
    const r0 = f(f(lambdaS0 - lambdaS1) / h);
    const inverseR0 = f(1 / r0);
    const expMinusH = f(Math.exp(-h));
    const expH = f(Math.exp(h));
    const midpoint = this.solverType === 'midpoint';
    let a: number;
    let b: number;
    let c: number;
    if (noise) {
      const minus2H = f(-2 * h);
      const oneMinusExp = f(1 - f(Math.exp(minus2H)));
      a = f(f(sigmaT / sigmaS1) * expMinusH);
      b = f(alphaT * oneMinusExp);
      c = midpoint ? f(0.5 * b) : f(alphaT * f(f(oneMinusExp / minus2H) + 1));
    } else if (this.algorithmType === 'dpmsolver++') {
      a = f(sigmaT / sigmaS1);
      b = f(-f(alphaT * f(expMinusH - 1)));
      c = midpoint
        ? f(-f(0.5 * f(alphaT * f(expMinusH - 1))))
        : f(alphaT * f(f(f(expMinusH - 1) / h) + 1));
    } else {
      a = f(alphaT / alphaS1);
      b = f(-f(sigmaT * f(expH - 1)));
      c = midpoint
        ? f(-f(0.5 * f(sigmaT * f(expH - 1))))
        : f(-f(sigmaT * f(f(f(expH - 1) / h) - 1)));
    }
    const e = noise ? sdeNoiseScale(sigmaT, h) : 0;
    for (let i = 0; i < start.length; i++) {
      const d0 = m1[i] as number;
      const d1 = f(inverseR0 * f((m0[i] as number) - d0));
      const value = f(f(f(a * (start[i] as number)) + f(b * d0)) + f(c * d1));
      prevSample[i] = noise ? f(value + f(e * (noise[i] as number))) : value;
    }
  }

  /** singlestep_dpm_solver_third_order_update: from s2 (the group start) to t with m2, m1, m0. */
  private thirdOrder(
    prevSample: Float32Array,
    start: Float32Array,
    index: number,
    noise: Float32Array | null,
  ): void {
    const sigmas = this.sigmas as Float32Array;
    const state = this.coefficients;
    alphaSigmaLambdaInto(state, 3, sigmas[index] as number, false);
    alphaSigmaLambdaInto(state, 6, sigmas[index - 1] as number, false);
    alphaSigmaLambdaInto(state, 9, sigmas[index - 2] as number, false);
    const alphaT = state[0] as number;
    const sigmaT = state[1] as number;
    const lambdaT = state[2] as number;
    const lambdaS0 = state[5] as number;
    const lambdaS1 = state[8] as number;
    const alphaS2 = state[9] as number;
    const sigmaS2 = state[10] as number;
    const lambdaS2 = state[11] as number;
    const m0 = this.history.at(0);
    const m1 = this.history.at(1);
    const m2 = this.history.at(2);
    const h = f(lambdaT - lambdaS2);
    const r0 = f(f(lambdaS0 - lambdaS2) / h);
    const r1 = f(f(lambdaS1 - lambdaS2) / h);
    const inverseR0 = f(1 / r0);
    const inverseR1 = f(1 / r1);
    const rDifference = f(r0 - r1);
    const expMinusH = f(Math.exp(-h));
    const expH = f(Math.exp(h));
    const midpoint = this.solverType === 'midpoint';
    let a: number;
    let b: number;
    let c: number;
    let d = 0;
    if (noise) {
      const minus2H = f(-2 * h);
      const oneMinusExp = f(1 - f(Math.exp(minus2H)));
      a = f(f(sigmaT / sigmaS2) * expMinusH);
      b = f(alphaT * oneMinusExp);
      c = f(alphaT * f(f(oneMinusExp / minus2H) + 1));
      if (!midpoint) {
        d = f(alphaT * f(f(f(oneMinusExp + minus2H) / f(minus2H * minus2H)) - 0.5));
      }
    } else if (this.algorithmType === 'dpmsolver++') {
      a = f(sigmaT / sigmaS2);
      b = f(-f(alphaT * f(expMinusH - 1)));
      c = f(alphaT * f(f(f(expMinusH - 1) / h) + 1));
      if (!midpoint) d = f(-f(alphaT * f(f(f(f(expMinusH - 1) + h) / f(h * h)) - 0.5)));
    } else {
      a = f(alphaT / alphaS2);
      b = f(-f(sigmaT * f(expH - 1)));
      c = f(-f(sigmaT * f(f(f(expH - 1) / h) - 1)));
      if (!midpoint) d = f(-f(sigmaT * f(f(f(f(expH - 1) - h) / f(h * h)) - 0.5)));
    }
    const e = noise ? sdeNoiseScale(sigmaT, h) : 0;
    for (let i = 0; i < start.length; i++) {
      const d0 = m2[i] as number;
      const d10 = f(inverseR1 * f((m1[i] as number) - d0));
      const d11 = f(inverseR0 * f((m0[i] as number) - d0));
      const base = f(f(a * (start[i] as number)) + f(b * d0));
      let value: number;
      if (midpoint) {
        // midpoint uses D1_1 directly.
        value = f(base + f(c * d11));
      } else {
        const d1 = f(f(f(r0 * d10) - f(r1 * d11)) / rDifference);
        const d2 = f(f(2 * f(d11 - d10)) / rDifference);
        value = f(f(base + f(c * d1)) + f(d * d2));
      }
      prevSample[i] = noise ? f(value + f(e * (noise[i] as number))) : value;
    }
  }
}

/** The SDE step's noise coefficient sigma_t * sqrt(1 - exp(-2h)), float32 as diffusers. */
function sdeNoiseScale(sigmaT: number, h: number): number {
  return f(sigmaT * f(Math.sqrt(f(1 - f(Math.exp(f(-2 * h)))))));
}
