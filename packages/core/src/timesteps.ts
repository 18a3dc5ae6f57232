import { betaQuantile } from './beta-quantile.js';
import { SchedulerConfigError } from './errors.js';

export const TIMESTEP_SPACINGS = Object.freeze(['linspace', 'leading', 'trailing'] as const);
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** numpy's round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** numpy.linspace in float64: start + i * step, the last value exactly `stop`. */
export function numpyLinspace(
  start: number,
  stop: number,
  num: number,
  endpoint = true,
): Float64Array {
  const out = new Float64Array(num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** numpy.arange(start, stop, step) for a float step. */
export function numpyArange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** numpy.interp(x, arange(len(fp)), fp) for x inside [0, len - 1] (clamped outside). */
export function interpolateByIndex(x: number, table: ArrayLike<number>): number {
  const last = table.length - 1;
  if (x <= 0) return table[0] as number;
  if (x >= last) return table[last] as number;
  const low = Math.floor(x);
  const weight = x - low;
  const a = table[low] as number;
  const b = table[low + 1] as number;
  // numpy computes slope * (x - xp[j]) + fp[j].
  return (b - a) * weight + a;
}

export function checkStepCount(numInferenceSteps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1) {
    throw new SchedulerConfigError(
      'num_inference_steps',
      `must be a positive integer, got ${numInferenceSteps}`,
    );
  }
  if (numInferenceSteps > numTrainTimesteps) {
    throw new SchedulerConfigError(
      'num_inference_steps',
      `${numInferenceSteps} exceeds num_train_timesteps (${numTrainTimesteps})`,
    );
  }
}

/**
 * Integer timesteps of DDPM/DDIM/PNDM-style schedulers (descending), as diffusers'
 * set_timesteps for each `timestep_spacing`.
 */
export function spacedTimesteps(
  spacing: TimestepSpacing,
  numInferenceSteps: number,
  numTrainTimesteps: number,
  stepsOffset: number,
): number[] {
  const n = numInferenceSteps;
  const out: number[] = [];
  if (spacing === 'linspace') {
    const values = numpyLinspace(0, numTrainTimesteps - 1, n);
    for (let i = n - 1; i >= 0; i--) out.push(roundHalfEven(values[i] as number));
  } else if (spacing === 'leading') {
    const ratio = Math.floor(numTrainTimesteps / n);
    for (let i = n - 1; i >= 0; i--) out.push(i * ratio + stepsOffset);
  } else {
    const values = numpyArange(numTrainTimesteps, 0, -numTrainTimesteps / n);
    for (const value of values) out.push(roundHalfEven(value) - 1);
  }
  return out;
}

/**
 * Float timesteps of the sigma-based schedulers (Euler, Heun, LMS), before float32 rounding:
 * linspace is not rounded to integers there.
 */
export function spacedFloatTimesteps(
  spacing: TimestepSpacing,
  numInferenceSteps: number,
  numTrainTimesteps: number,
  stepsOffset: number,
): number[] {
  if (spacing !== 'linspace')
    return spacedTimesteps(spacing, numInferenceSteps, numTrainTimesteps, stepsOffset);
  const values = numpyLinspace(0, numTrainTimesteps - 1, numInferenceSteps);
  const out: number[] = [];
  for (let i = numInferenceSteps - 1; i >= 0; i--) out.push(Math.fround(values[i] as number));
  return out;
}

/** Karras et al. (2022) sigmas, rho = 7, from sigmaMax down to sigmaMin, as diffusers' _convert_to_karras. */
export function karrasSigmas(
  sigmaMin: number,
  sigmaMax: number,
  numInferenceSteps: number,
): Float64Array {
  const rho = 7;
  const ramp = numpyLinspace(0, 1, numInferenceSteps);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/** Sigmas log-uniform from sigmaMax down to sigmaMin, as diffusers' _convert_to_exponential. */
export function exponentialSigmas(
  sigmaMin: number,
  sigmaMax: number,
  numInferenceSteps: number,
): Float64Array {
  return numpyLinspace(Math.log(sigmaMax), Math.log(sigmaMin), numInferenceSteps).map(Math.exp);
}

/**
 * Sigmas at the beta(alpha, beta) quantiles of 1 - linspace(0, 1, n), from sigmaMax down to
 * sigmaMin, as diffusers' _convert_to_beta (alpha = beta = 0.6 there, scipy's beta.ppf): dense at
 * both ends of the schedule, sparse in the middle (Lee et al. 2024, "Beta Sampling is All You Need").
 */
export function betaSigmas(
  sigmaMin: number,
  sigmaMax: number,
  numInferenceSteps: number,
  alpha = 0.6,
  beta = 0.6,
): Float64Array {
  return numpyLinspace(0, 1, numInferenceSteps).map(
    (r) => sigmaMin + betaQuantile(1 - r, alpha, beta) * (sigmaMax - sigmaMin),
  );
}

/**
 * The sigma ramps diffusers' discrete schedulers can replace their interpolated sigmas with, one
 * per config flag: use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas.
 */
export const SIGMA_RAMPS = Object.freeze(['karras', 'exponential', 'beta'] as const);
export type SigmaRamp = (typeof SIGMA_RAMPS)[number];

/** `numInferenceSteps` sigmas from sigmaMax down to sigmaMin along `ramp` (float64). */
export function rampSigmas(
  ramp: SigmaRamp,
  sigmaMin: number,
  sigmaMax: number,
  numInferenceSteps: number,
): Float64Array {
  if (ramp === 'karras') return karrasSigmas(sigmaMin, sigmaMax, numInferenceSteps);
  if (ramp === 'exponential') return exponentialSigmas(sigmaMin, sigmaMax, numInferenceSteps);
  return betaSigmas(sigmaMin, sigmaMax, numInferenceSteps);
}

/**
 * diffusers' _sigma_to_t: the fractional training timestep whose log-sigma matches, by linear
 * interpolation in log-sigma between neighbouring training timesteps.
 */
export function sigmaToTimestep(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const count = logSigmas.length;
  // Last index whose log-sigma is <= logSigma (0 if none), clipped to count - 2.
  let lowIndex = 0;
  for (let i = 0; i < count; i++) if (logSigma - (logSigmas[i] as number) >= 0) lowIndex = i;
  lowIndex = Math.min(lowIndex, count - 2);
  const low = logSigmas[lowIndex] as number;
  const high = logSigmas[lowIndex + 1] as number;
  let weight = (low - logSigma) / (low - high);
  weight = Math.min(Math.max(weight, 0), 1);
  return (1 - weight) * lowIndex + weight * (lowIndex + 1);
}
