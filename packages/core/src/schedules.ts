import { readBoolean, readEnum, readInteger, readNumber, readNumberArray } from './config.js';
import type { SchedulerConfigJson } from './config.js';
import { SchedulerConfigError } from './errors.js';

export const BETA_SCHEDULES = Object.freeze([
  'linear',
  'scaled_linear',
  'squaredcos_cap_v2',
  // alpha_bar(t) = exp(-12 t): HeunDiscreteScheduler's alone in diffusers (Shap-E's schedule).
  'exp',
] as const);
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

/** The part of a diffusers config that defines the training noise schedule. */
export interface ScheduleConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  readonly trainedBetas: readonly number[] | null;
  readonly rescaleBetasZeroSnr: boolean;
}

/**
 * The training noise schedule and the arrays derived from it, as float32 like diffusers' tensors.
 * Index = training timestep t in [0, numTrainTimesteps).
 */
export interface NoiseSchedule {
  readonly config: ScheduleConfig;
  readonly betas: Float32Array;
  readonly alphas: Float32Array;
  readonly alphasCumprod: Float32Array;
  /** sqrt((1 - alphasCumprod) / alphasCumprod): the "sigma" of the variance-exploding view. */
  readonly sigmas: Float32Array;
  /** log(alphasCumprod / (1 - alphasCumprod)) = log SNR(t). */
  readonly logSnr: Float32Array;
}

export interface ScheduleDefaults {
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** Whether beta_schedule 'exp' is accepted (diffusers' HeunDiscreteScheduler only). */
  readonly acceptsExpBetaSchedule?: boolean;
}

export function readScheduleConfig(
  json: SchedulerConfigJson,
  defaults: ScheduleDefaults,
): ScheduleConfig {
  const trainedBetas = readNumberArray(json, 'trained_betas');
  const numTrainTimesteps = trainedBetas
    ? trainedBetas.length
    : readInteger(json, 'num_train_timesteps', 1000, 2);
  if (trainedBetas && trainedBetas.length < 2) {
    throw new SchedulerConfigError('trained_betas', 'needs at least 2 values');
  }
  const betaSchedule = readEnum(json, 'beta_schedule', BETA_SCHEDULES, defaults.betaSchedule);
  if (betaSchedule === 'exp' && !defaults.acceptsExpBetaSchedule) {
    throw new SchedulerConfigError(
      'beta_schedule',
      "'exp' is only implemented for HeunDiscreteScheduler (as in diffusers)",
    );
  }
  return Object.freeze({
    numTrainTimesteps,
    betaStart: readNumber(json, 'beta_start', defaults.betaStart),
    betaEnd: readNumber(json, 'beta_end', defaults.betaEnd),
    betaSchedule,
    trainedBetas: trainedBetas ? Object.freeze([...trainedBetas]) : null,
    rescaleBetasZeroSnr: readBoolean(json, 'rescale_betas_zero_snr', false),
  });
}

/**
 * torch.linspace(start, end, steps, dtype=float32) on CPU, reproduced bit for bit: float32
 * arithmetic, the first half counted up from `start`, the second half down from `end`.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const startF = Math.fround(start);
  const endF = Math.fround(end);
  if (steps === 1) {
    out[0] = startF;
    return out;
  }
  const step = Math.fround(Math.fround(endF - startF) / Math.fround(steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] =
      i < halfway
        ? Math.fround(startF + Math.fround(step * i))
        : Math.fround(endF - Math.fround(step * (steps - i - 1)));
  }
  return out;
}

/** diffusers' betas_for_alpha_bar with the cosine alpha_bar (Nichol & Dhariwal), in float64. */
export function cosineBetas(numTrainTimesteps: number, maxBeta = 0.999): Float64Array {
  return betasForAlphaBar(
    numTrainTimesteps,
    (t) => Math.cos(((t + 0.008) / 1.008) * Math.PI * 0.5) ** 2,
    maxBeta,
  );
}

/** diffusers' betas_for_alpha_bar with alpha_transform_type 'exp': alpha_bar(t) = exp(-12 t). */
export function expBetas(numTrainTimesteps: number, maxBeta = 0.999): Float64Array {
  return betasForAlphaBar(numTrainTimesteps, (t) => Math.exp(t * -12), maxBeta);
}

/** betas_for_alpha_bar: beta_i = min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), maxBeta). */
function betasForAlphaBar(
  numTrainTimesteps: number,
  alphaBar: (t: number) => number,
  maxBeta: number,
): Float64Array {
  const betas = new Float64Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t1 = i / numTrainTimesteps;
    const t2 = (i + 1) / numTrainTimesteps;
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return betas;
}

/** The betas of a schedule config, float32 as diffusers stores them. */
export function computeBetas(config: ScheduleConfig): Float32Array {
  let betas: Float32Array;
  if (config.trainedBetas) {
    betas = Float32Array.from(config.trainedBetas);
  } else if (config.betaSchedule === 'linear') {
    betas = torchLinspaceFloat32(config.betaStart, config.betaEnd, config.numTrainTimesteps);
  } else if (config.betaSchedule === 'scaled_linear') {
    // Linear in sqrt(beta): the latent-diffusion schedule.
    const roots = torchLinspaceFloat32(
      Math.sqrt(config.betaStart),
      Math.sqrt(config.betaEnd),
      config.numTrainTimesteps,
    );
    betas = roots.map((r) => r * r);
  } else if (config.betaSchedule === 'exp') {
    betas = Float32Array.from(expBetas(config.numTrainTimesteps));
  } else {
    betas = Float32Array.from(cosineBetas(config.numTrainTimesteps));
  }
  return config.rescaleBetasZeroSnr ? rescaleZeroTerminalSnr(betas) : betas;
}

/**
 * Rescales betas to a zero terminal SNR (Lin et al. 2023, Algorithm 1), as diffusers'
 * rescale_zero_terminal_snr: shift and scale sqrt(alphasCumprod) so its last value is 0.
 */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const n = betas.length;
  const sqrtAlphasCumprod = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - (betas[i] as number);
    sqrtAlphasCumprod[i] = Math.sqrt(Math.fround(product));
  }
  const first = sqrtAlphasCumprod[0] as number;
  const last = sqrtAlphasCumprod[n - 1] as number;
  const scale = first / (first - last);
  const out = new Float32Array(n);
  let previous = 1;
  for (let i = 0; i < n; i++) {
    const shifted = ((sqrtAlphasCumprod[i] as number) - last) * scale;
    const alphaBar = shifted * shifted;
    out[i] = i === 0 ? 1 - alphaBar : 1 - alphaBar / previous;
    previous = alphaBar;
  }
  return out;
}

/** alphas, alphasCumprod, sigmas and log-SNR of a schedule (float64 cumulative product like torch on CPU). */
export function createNoiseSchedule(config: ScheduleConfig): NoiseSchedule {
  const betas = computeBetas(config);
  const n = betas.length;
  const alphas = new Float32Array(n);
  const alphasCumprod = new Float32Array(n);
  const sigmas = new Float32Array(n);
  const logSnr = new Float32Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    alphas[i] = 1 - (betas[i] as number);
    product *= alphas[i] as number;
    alphasCumprod[i] = product;
    const alphaBar = alphasCumprod[i] as number;
    sigmas[i] = Math.sqrt(Math.fround(1 - alphaBar) / alphaBar);
    logSnr[i] = Math.log(alphaBar / (1 - alphaBar));
  }
  return Object.freeze({ config, betas, alphas, alphasCumprod, sigmas, logSnr });
}

/** Shorthand: the schedule of a diffusers config, with diffusers' DDPM defaults. */
export function scheduleFromConfig(
  json: SchedulerConfigJson,
  defaults: ScheduleDefaults = DDPM_SCHEDULE_DEFAULTS,
): NoiseSchedule {
  return createNoiseSchedule(readScheduleConfig(json, defaults));
}

export const DDPM_SCHEDULE_DEFAULTS: ScheduleDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
});

/** Heun, LCM and Stable Diffusion-style defaults. */
export const LATENT_SCHEDULE_DEFAULTS: ScheduleDefaults = Object.freeze({
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'linear',
});

/**
 * The training sigmas of a VP schedule, shared by the sigma (k-diffusion) and multistep schedulers.
 */
export interface TrainSigmaTables {
  /** alphas_cumprod, with the last value raised to 2^-24 under rescale_betas_zero_snr (as diffusers). */
  readonly alphasCumprod: Float32Array;
  /** sqrt((1 - alphas_cumprod) / alphas_cumprod) per training timestep. */
  readonly trainSigmas: Float32Array;
  readonly logTrainSigmas: Float32Array;
}

export function trainSigmaTables(schedule: NoiseSchedule): TrainSigmaTables {
  const alphasCumprod = Float32Array.from(schedule.alphasCumprod);
  // diffusers: "close to 0 without being 0 so first sigma is not inf".
  if (schedule.config.rescaleBetasZeroSnr) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
  // ((1 - a) / a) ** 0.5 in float32, as torch computes it.
  const trainSigmas = alphasCumprod.map((a) => Math.sqrt(Math.fround(Math.fround(1 - a) / a)));
  return Object.freeze({
    alphasCumprod,
    trainSigmas,
    logTrainSigmas: trainSigmas.map((s) => Math.log(s)),
  });
}
