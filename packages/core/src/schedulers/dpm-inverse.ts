import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import {
  interpolateByIndex,
  numpyArange,
  numpyLinspace,
  rampSigmas,
  roundHalfEven,
} from '../timesteps.js';
import type { SetTimestepsOptions } from './scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver.js';
import { integerRampTimesteps } from './multistep.js';

/**
 * DPM-Solver++ inversion, as diffusers' DPMSolverMultistepInverseScheduler: the multistep
 * updates of DPMSolverMultistepScheduler run from a clean sample towards noise, over ascending
 * timesteps whose last sigma is the noisiest (lambda-clipped) training sigma. Config keys as
 * DPMSolverMultistepScheduler except final_sigmas_type and use_lu_lambdas; with
 * use_karras_sigmas (or use_exponential_sigmas, use_beta_sigmas) the ramp runs upwards and
 * repeats its last sigma, as diffusers.
 * Duplicate timesteps (num_inference_steps near num_train_timesteps) are dropped, so
 * `timesteps.length` may be below the step count. One evaluation per step.
 */
export class DPMSolverMultistepInverseScheduler extends DPMSolverMultistepScheduler {
  override readonly className: string = 'DPMSolverMultistepInverseScheduler';

  constructor(json: SchedulerConfigJson = {}) {
    super(json);
    if (this.useLuLambdas) {
      throw new SchedulerConfigError(
        'use_lu_lambdas',
        'is not supported by DPMSolverMultistepInverseScheduler (as in diffusers)',
      );
    }
  }

  override setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const trainCount = this.numTrainTimesteps;
    const noisiest = trainCount - 1 - this.clippedCount();
    const { stepsOffset, timestepSpacing } = this.common;
    let timesteps: number[];
    if (timestepSpacing === 'linspace') {
      timesteps = Array.from(numpyLinspace(0, noisiest, n + 1), roundHalfEven).slice(0, -1);
    } else if (timestepSpacing === 'leading') {
      const ratio = Math.floor((noisiest + 1) / (n + 1));
      timesteps = Array.from({ length: n }, (_, i) => i * ratio + stepsOffset);
    } else {
      timesteps = Array.from(
        numpyArange(noisiest + 1, 0, -trainCount / n),
        (v) => roundHalfEven(v) - 1,
      ).reverse();
    }
    const { trainSigmas, logTrainSigmas } = this.tables;
    let sigmas: Float32Array;
    if (this.sigmaRamp) {
      // diffusers passes the ascending table to _convert_to_karras (and to the exponential and beta
      // conversions), so the ramp runs upwards; Karras timesteps are rounded, the others truncated.
      const ramp = rampSigmas(
        this.sigmaRamp,
        trainSigmas[trainSigmas.length - 1] as number,
        trainSigmas[0] as number,
        n,
      );
      timesteps = integerRampTimesteps(ramp, logTrainSigmas, this.sigmaRamp === 'karras');
      sigmas = new Float32Array(n + 1);
      sigmas.set(ramp);
      sigmas[n] = ramp[n - 1] as number;
    } else {
      sigmas = new Float32Array(n + 1);
      for (let i = 0; i < n; i++)
        sigmas[i] = interpolateByIndex(timesteps[i] as number, trainSigmas);
      sigmas[n] = trainSigmas[noisiest] as number;
    }
    // np.unique(..., return_index=True) in first-occurrence order: duplicates are dropped.
    const unique = timesteps.filter((t, i) => timesteps.indexOf(t) === i);
    this.installTimesteps(unique, sigmas);
    this.lowerOrderNums = 0;
  }

  /** The inverse has no final_sigmas_type, so nothing to check against the algorithm. */
  protected override checkFinalSigmasType(): void {}

  /** The inverse has no final_sigmas_type: only euler_at_final and lower_order_final (< 15 steps) apply. */
  protected override finalStepIsFirstOrder(stepCount: number): boolean {
    return this.eulerAtFinal || (this.lowerOrderFinal && stepCount < 15);
  }
}
