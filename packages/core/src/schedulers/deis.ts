import { readBoolean, readEnum, readInteger } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import {
  MULTISTEP_DEFAULTS,
  MultistepScheduler,
  ModelOutputHistory,
  multistepSigmas,
  multistepTimesteps,
  predictOriginal,
} from './multistep.js';
import { alphaSigmaLambdaInto } from './dpm-update.js';
import { trainSigmaTables } from '../schedules.js';
import type { TrainSigmaTables } from '../schedules.js';

/**
 * DEIS (Zhang & Chen 2022), log-rho multistep, as diffusers' DEISMultistepScheduler: epsilon is
 * extrapolated with a Lagrange polynomial in log(sigma) and integrated exactly. Config keys: the
 * schedule keys, solver_order (1-3), prediction_type, thresholding, dynamic_thresholding_ratio,
 * sample_max_value, algorithm_type ('deis'; 'dpmsolver' and 'dpmsolver++' map to it as in
 * diffusers), solver_type ('logrho'; DPM/UniPC types map to it), lower_order_final,
 * use_karras_sigmas / use_exponential_sigmas / use_beta_sigmas, timestep_spacing, steps_offset. The final sigma is the smallest training sigma
 * (diffusers has no final_sigmas_type for DEIS), so the result keeps that much noise.
 * Deterministic; one evaluation per step.
 */
export class DEISMultistepScheduler extends MultistepScheduler {
  readonly className = 'DEISMultistepScheduler';
  readonly solverOrder: number;
  readonly lowerOrderFinal: boolean;
  private readonly tables: TrainSigmaTables;
  /** alpha, sigma, lambda of the noise level in hand (no tuple per call, so a step allocates nothing). */
  private readonly triple = new Float64Array(3);
  /** How many model outputs are stored (diffusers' lower_order_nums). */
  private lowerOrderNums = 0;
  /** The last solver_order epsilons (DEIS works on the noise prediction). */
  private readonly history: ModelOutputHistory;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, MULTISTEP_DEFAULTS);
    this.solverOrder = readInteger(json, 'solver_order', 2, 1);
    if (this.solverOrder > 3) throw new SchedulerConfigError('solver_order', 'must be 1, 2 or 3');
    readEnum(json, 'algorithm_type', ['deis', 'dpmsolver', 'dpmsolver++'] as const, 'deis');
    readEnum(json, 'solver_type', ['logrho', 'midpoint', 'heun', 'bh1', 'bh2'] as const, 'logrho');
    this.lowerOrderFinal = readBoolean(json, 'lower_order_final', true);
    this.tables = trainSigmaTables(this.schedule);
    this.history = new ModelOutputHistory(this.solverOrder);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const timesteps = multistepTimesteps(this.common, n, this.numTrainTimesteps);
    const result = multistepSigmas(timesteps, this.tables, this.sigmaRamp, 'sigma_min');
    // diffusers repeats the last ramp sigma (np.concatenate([sigmas, sigmas[-1:]])): the final step is a no-op.
    if (this.sigmaRamp) result.sigmas[n] = result.sigmas[n - 1] as number;
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
    const lowerOrderFinal = index === stepCount - 1 && this.lowerOrderFinal && stepCount < 15;
    const lowerOrderSecond = index === stepCount - 2 && this.lowerOrderFinal && stepCount < 15;

    // convert_model_output: x0 (thresholded if asked), then back to epsilon.
    const epsilon = this.history.advance(n);
    const sigmas = this.sigmas as Float32Array;
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index] as number, false);
    const alpha = this.triple[0] as number;
    const sigma = this.triple[1] as number;
    predictOriginal(epsilon, modelOutput, sample, alpha, sigma, this.predictionType);
    if (this.common.thresholding) this.clipOrThreshold(epsilon, options?.batchSize ?? 1, false);
    if (out.predOriginalSample) out.predOriginalSample.set(epsilon);
    for (let i = 0; i < n; i++)
      epsilon[i] = ((sample[i] as number) - alpha * (epsilon[i] as number)) / sigma;

    let order: number;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) order = 1;
    else if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) order = 2;
    else order = 3;
    this.update(out.prevSample, sample, index, order);
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.currentStepIndex = index + 1;
    return out;
  }

  private update(
    prevSample: Float32Array,
    sample: Float32Array,
    index: number,
    order: number,
  ): void {
    const sigmas = this.sigmas as Float32Array;
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index + 1] as number, false);
    const alphaT = this.triple[0] as number;
    const sigmaT = this.triple[1] as number;
    const lambdaT = this.triple[2] as number;
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index] as number, false);
    const alphaS0 = this.triple[0] as number;
    const sigmaS0 = this.triple[1] as number;
    const lambdaS0 = this.triple[2] as number;
    const n = sample.length;
    const m0 = this.history.at(0);
    if (order === 1) {
      // deis_first_order_update (DDIM in lambda form).
      const sampleCoefficient = alphaT / alphaS0;
      const epsilonCoefficient = -(sigmaT * (Math.exp(lambdaT - lambdaS0) - 1));
      for (let i = 0; i < n; i++)
        prevSample[i] =
          sampleCoefficient * (sample[i] as number) + epsilonCoefficient * (m0[i] as number);
      return;
    }
    // rho = sigma_t / alpha_t; the coefficients integrate Lagrange bases in log(rho) exactly.
    const logRhoT = Math.log(sigmaT / alphaT);
    const logRhoS0 = Math.log(sigmaS0 / alphaS0);
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index - 1] as number, false);
    const alphaS1 = this.triple[0] as number;
    const sigmaS1 = this.triple[1] as number;
    const logRhoS1 = Math.log(sigmaS1 / alphaS1);
    const m1 = this.history.at(1);
    if (order === 2) {
      const coefficient0 =
        linearBasisIntegral(logRhoT, logRhoS0, logRhoS1) -
        linearBasisIntegral(logRhoS0, logRhoS0, logRhoS1);
      const coefficient1 =
        linearBasisIntegral(logRhoT, logRhoS1, logRhoS0) -
        linearBasisIntegral(logRhoS0, logRhoS1, logRhoS0);
      for (let i = 0; i < n; i++) {
        prevSample[i] =
          alphaT *
          ((sample[i] as number) / alphaS0 +
            coefficient0 * (m0[i] as number) +
            coefficient1 * (m1[i] as number));
      }
      return;
    }
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index - 2] as number, false);
    const alphaS2 = this.triple[0] as number;
    const sigmaS2 = this.triple[1] as number;
    const logRhoS2 = Math.log(sigmaS2 / alphaS2);
    const m2 = this.history.at(2);
    const coefficient0 =
      quadraticBasisIntegral(logRhoT, logRhoS0, logRhoS1, logRhoS2) -
      quadraticBasisIntegral(logRhoS0, logRhoS0, logRhoS1, logRhoS2);
    const coefficient1 =
      quadraticBasisIntegral(logRhoT, logRhoS1, logRhoS2, logRhoS0) -
      quadraticBasisIntegral(logRhoS0, logRhoS1, logRhoS2, logRhoS0);
    const coefficient2 =
      quadraticBasisIntegral(logRhoT, logRhoS2, logRhoS0, logRhoS1) -
      quadraticBasisIntegral(logRhoS0, logRhoS2, logRhoS0, logRhoS1);
    for (let i = 0; i < n; i++) {
      prevSample[i] =
        alphaT *
        ((sample[i] as number) / alphaS0 +
          coefficient0 * (m0[i] as number) +
          coefficient1 * (m1[i] as number) +
          coefficient2 * (m2[i] as number));
    }
  }
}

/**
 * Antiderivative in rho of the linear Lagrange basis in log(rho) that is 1 at `logNode` and 0 at
 * `logOther` (diffusers' second-order ind_fn, with the logs taken once).
 */
function linearBasisIntegral(logRho: number, logNode: number, logOther: number): number {
  return (Math.exp(logRho) * (logRho - logOther - 1)) / (logNode - logOther);
}

/** The same for the quadratic basis that is 1 at `logNode`, 0 at `logOtherA` and `logOtherB` (third-order ind_fn). */
function quadraticBasisIntegral(
  logRho: number,
  logNode: number,
  logOtherA: number,
  logOtherB: number,
): number {
  const numerator =
    Math.exp(logRho) *
    (logOtherA * (logOtherB - logRho + 1) -
      logOtherB * logRho +
      logOtherB +
      logRho * logRho -
      2 * logRho +
      2);
  return numerator / ((logNode - logOtherA) * (logNode - logOtherB));
}
