import {
  interpolateByIndex,
  numpyArange,
  numpyLinspace,
  rampSigmas,
  roundHalfEven,
  sigmaToTimestep,
} from '../timesteps.js';
import type { SigmaRamp } from '../timesteps.js';
import { readSigmaRamp, rejectEnabledFlags } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import type { TrainSigmaTables } from '../schedules.js';
import { BaseScheduler, checkLength } from './base.js';
import type { CommonConfig, CommonDefaults } from './base.js';
import type { PredictionType } from './scheduler.js';

/**
 * Pieces shared by diffusers' VP multistep solvers (DPMSolverMultistepScheduler,
 * UniPCMultistepScheduler, DEISMultistepScheduler): the same defaults, integer timesteps,
 * sigmas from the training sigma table (schedules.ts' trainSigmaTables), alpha_t/sigma_t/lambda_t
 * and x0 prediction.
 */
export const MULTISTEP_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

/** What the last entry of `sigmas` is: 0 (a clean sample) or the smallest training sigma. */
export type FinalSigmaType = 'zero' | 'sigma_min';

/**
 * The integer timesteps of the multistep solvers' set_timesteps for `count` steps, per the config's
 * timestep_spacing and steps_offset; `lastTimestep` is num_train_timesteps less any lambda-clipped
 * ones (DPM-Solver's lambda_min_clipped).
 */
export function multistepTimesteps(
  common: CommonConfig,
  count: number,
  numTrainTimesteps: number,
  lastTimestep = numTrainTimesteps,
): number[] {
  const { timestepSpacing: spacing, stepsOffset } = common;
  const timesteps: number[] = [];
  if (spacing === 'linspace') {
    const values = numpyLinspace(0, lastTimestep - 1, count + 1);
    for (let i = count; i >= 1; i--) timesteps.push(roundHalfEven(values[i] as number));
  } else if (spacing === 'leading') {
    const ratio = Math.floor(lastTimestep / (count + 1));
    for (let i = count; i >= 1; i--) timesteps.push(i * ratio + stepsOffset);
  } else {
    for (const value of numpyArange(lastTimestep, 0, -numTrainTimesteps / count))
      timesteps.push(roundHalfEven(value) - 1);
  }
  return timesteps;
}

export interface MultistepSigmas {
  readonly timesteps: number[];
  /** One sigma per timestep plus the final one (float32, as diffusers' `.astype(np.float32)`). */
  readonly sigmas: Float32Array;
}

/**
 * The integer timesteps of ramp sigmas (diffusers' _sigma_to_t, then int64): rounded where
 * diffusers calls .round() (Karras and Lu ramps), else truncated by the cast.
 */
export function integerRampTimesteps(
  sigmas: ArrayLike<number>,
  logTrainSigmas: Float32Array,
  round: boolean,
): number[] {
  return Array.from(sigmas, (s) => {
    const t = sigmaToTimestep(s, logTrainSigmas);
    return round ? roundHalfEven(t) : Math.trunc(t);
  });
}

/** A multistep solver's sigma ramp: a SigmaRamp, or Lu et al.'s uniform log-sigma ('lu'). */
export type MultistepRamp = SigmaRamp | 'lu';

export interface MultistepSigmaOptions {
  /** false: Karras and Lu timesteps are truncated too (DPM-Solver multistep with squaredcos_cap_v2). */
  readonly roundKarrasTimesteps?: boolean;
  /** Ramp endpoints from the config (UniPC's sigma_min / sigma_max) instead of the training extremes. */
  readonly sigmaMin?: number | null;
  readonly sigmaMax?: number | null;
}

/**
 * Sigmas for `timesteps` (interpolated in the training table) or, with a ramp, the ramp between
 * the training extremes and the integer timesteps it maps back to; then the final sigma.
 * diffusers rounds the timesteps of a Karras or Lu ramp and truncates those of an exponential or
 * beta ramp (its int64 cast of unrounded values).
 */
export function multistepSigmas(
  timesteps: readonly number[],
  tables: TrainSigmaTables,
  ramp: MultistepRamp | null,
  finalSigmaType: FinalSigmaType,
  { roundKarrasTimesteps = true, sigmaMin = null, sigmaMax = null }: MultistepSigmaOptions = {},
): MultistepSigmas {
  const { trainSigmas, logTrainSigmas } = tables;
  let resultTimesteps: number[];
  let sigmas: number[];
  if (ramp === null) {
    resultTimesteps = [...timesteps];
    sigmas = timesteps.map((t) => interpolateByIndex(t, trainSigmas));
  } else {
    if (ramp === 'lu') {
      // diffusers' _convert_to_lu (rho = 1): log-sigma uniform between the training extremes.
      const logSigmaMax = logTrainSigmas[logTrainSigmas.length - 1] as number;
      const logSigmaMin = logTrainSigmas[0] as number;
      sigmas = Array.from(numpyLinspace(0, 1, timesteps.length), (r) =>
        Math.exp(logSigmaMax + r * (logSigmaMin - logSigmaMax)),
      );
    } else {
      sigmas = Array.from(
        rampSigmas(
          ramp,
          sigmaMin ?? (trainSigmas[0] as number),
          sigmaMax ?? (trainSigmas[trainSigmas.length - 1] as number),
          timesteps.length,
        ),
      );
    }
    const rounds = (ramp === 'karras' || ramp === 'lu') && roundKarrasTimesteps;
    resultTimesteps = integerRampTimesteps(sigmas, logTrainSigmas, rounds);
  }
  const all = new Float32Array(sigmas.length + 1);
  all.set(sigmas);
  all[sigmas.length] = finalSigmaType === 'sigma_min' ? (trainSigmas[0] as number) : 0;
  return { timesteps: resultTimesteps, sigmas: all };
}

/** x0 from a raw model output at (alpha_t, sigma_t), per prediction_type (convert_model_output). */
export function predictOriginal(
  out: Float32Array,
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigma: number,
  predictionType: PredictionType,
): void {
  const n = sample.length;
  if (predictionType === 'epsilon') {
    for (let i = 0; i < n; i++)
      out[i] = ((sample[i] as number) - sigma * (modelOutput[i] as number)) / alpha;
  } else if (predictionType === 'sample') {
    if (out !== modelOutput) out.set(modelOutput);
  } else {
    for (let i = 0; i < n; i++)
      out[i] = alpha * (sample[i] as number) - sigma * (modelOutput[i] as number);
  }
}

/**
 * The last `capacity` converted model outputs of a multistep solver, newest at 0, reusing
 * `capacity` buffers so a step allocates nothing once the sample length is known.
 */
export class ModelOutputHistory {
  private readonly buffers: Float32Array[] = [];
  /** Index in `buffers` of the newest output. */
  private head = 0;

  constructor(private readonly capacity: number) {}

  /** Makes the oldest buffer the newest (index 0) and returns it for the caller to fill. */
  advance(length: number): Float32Array {
    while (this.buffers.length < this.capacity) this.buffers.push(new Float32Array(length));
    for (let k = 0; k < this.capacity; k++) {
      if ((this.buffers[k] as Float32Array).length !== length)
        this.buffers[k] = new Float32Array(length);
    }
    this.head = (this.head + this.capacity - 1) % this.capacity;
    return this.buffers[this.head] as Float32Array;
  }

  /** The output `stepsBack` steps ago (0 = newest). */
  at(stepsBack: number): Float32Array {
    return this.buffers[(this.head + stepsBack) % this.capacity] as Float32Array;
  }
}

/**
 * diffusers' add_noise of the multistep solvers: alpha_t * original + sigma_t * noise at noise
 * level `sigma` (float32, as diffusers' tensors): VP alpha_t and sigma_t, or with `edm` (the EDM
 * solvers' parameterization) alpha_t 1 and sigma_t sigma. `out` may alias `original`.
 */
export function addNoiseAtSigma(
  out: Float32Array,
  original: Float32Array,
  noise: Float32Array,
  sigma: number,
  edm = false,
): Float32Array {
  const f = Math.fround;
  const alpha = edm ? 1 : f(1 / f(Math.sqrt(f(f(sigma * sigma) + 1))));
  const sigmaT = edm ? sigma : f(sigma * alpha);
  for (let i = 0; i < original.length; i++)
    out[i] = f(f(alpha * (original[i] as number)) + f(sigmaT * (noise[i] as number)));
  return out;
}

/** diffusers' index_for_timestep of the multistep solvers: the second match, else the first, else the last index. */
export function multistepIndexOf(timesteps: readonly number[], timestep: number): number {
  let first = -1;
  for (let i = 0; i < timesteps.length; i++) {
    if (timesteps[i] !== timestep) continue;
    if (first >= 0) return i;
    first = i;
  }
  return first >= 0 ? first : timesteps.length - 1;
}

/**
 * What diffusers' multistep solvers (DPM-Solver and its EDM, inverse and singlestep kin, DEIS,
 * UniPC) share besides the math: a step index found by multistepIndexOf (the last index when the
 * timestep is absent, as diffusers) and add_noise at that timestep's sigma.
 */
export abstract class MultistepScheduler extends BaseScheduler {
  /** EDM's parameterization (alpha_t 1, sigma_t sigma) instead of the VP one; set by the EDM solvers. */
  protected readonly edm: boolean = false;
  /** The sigma ramp the config selects (use_karras/exponential/beta_sigmas), or null. */
  readonly sigmaRamp: SigmaRamp | null;

  constructor(json: SchedulerConfigJson, defaults: CommonDefaults) {
    super(json, defaults);
    this.sigmaRamp = readSigmaRamp(json);
    // diffusers' flow-matching sigmas (use_flow_sigmas, for flow models) are not implemented:
    // refused by name rather than silently ignored.
    rejectEnabledFlags(json, ['use_flow_sigmas']);
  }

  get useKarrasSigmas(): boolean {
    return this.sigmaRamp === 'karras';
  }

  /** diffusers' add_noise: alpha_t * original + sigma_t * noise at the sigma of `timestep`. */
  override addNoise(
    out: Float32Array,
    original: Float32Array,
    noise: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'noise', noise, original.length);
    checkLength(this.className, 'out', out, original.length);
    this.requireTimesteps();
    const index = this.addNoiseIndex(timestep, (t) => this.indexForTimestep(t));
    const sigma = (this.sigmas as Float32Array)[index] as number;
    return addNoiseAtSigma(out, original, noise, sigma, this.edm);
  }

  protected override indexForTimestep(timestep: number): number {
    return multistepIndexOf(this.timesteps, timestep);
  }
}
