import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { roundHalfEven, sigmaToTimestep } from '../timesteps.js';
import { checkLength } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { HEUN_DEFAULTS, SigmaScheduler } from './sigma-schedulers.js';
import { divideByInputScale, eulerMoveInto } from './sigma-steps.js';

const f = Math.fround;

/** exp(lerp(log a, log b, 0.5)) in float32 as torch's `a.log().lerp(b.log(), 0.5).exp()`. */
function logMidpoint(a: number, b: number): number {
  const start = f(Math.log(a));
  const end = f(Math.log(b));
  // torch's lerp with weight >= 0.5 computes end - (end - start) * (1 - weight).
  return f(Math.exp(f(end - f(f(end - start) * 0.5))));
}

/** The k-diffusion parameterisations of x0 in float32, for the KDPM2 family (epsilon, v). */
function writeOriginalF32(
  original: Float32Array,
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
  vPrediction: boolean,
): void {
  const n = sample.length;
  if (!vPrediction) {
    for (let i = 0; i < n; i++)
      original[i] = f((sample[i] as number) - f(sigma * (modelOutput[i] as number)));
    return;
  }
  const variance = f(f(sigma * sigma) + 1);
  const outputScale = f(-sigma / f(Math.sqrt(variance)));
  for (let i = 0; i < n; i++) {
    original[i] = f(
      f((modelOutput[i] as number) * outputScale) + f((sample[i] as number) / variance),
    );
  }
}

/**
 * DPM-Solver-2 (Karras et al. 2022, Algorithm 2 with k-diffusion's sample_dpm_2), as diffusers'
 * KDPM2DiscreteScheduler: each step evaluates the model at sigma and at the geometric midpoint
 * between sigma and the next sigma. Config keys: the schedule keys (defaults beta 0.00085-0.012
 * linear), prediction_type ('epsilon' | 'v_prediction'), use_karras_sigmas, timestep_spacing,
 * steps_offset. `timesteps` interleaves the midpoints (2N - 1 entries, one evaluation each) and
 * `sigmas` has diffusers' layout (every sigma after the first twice, then the final 0 twice).
 */
export class KDPM2DiscreteScheduler extends SigmaScheduler {
  readonly className: string = 'KDPM2DiscreteScheduler';
  override readonly order: number = 2;
  /** diffusers' sigmas_interpol, in the layout of `sigmas`. */
  sigmasInterpol: Float32Array = new Float32Array(0);
  protected firstOrder = true;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, HEUN_DEFAULTS);
    if (this.predictionType === 'sample') {
      throw new SchedulerConfigError(
        'prediction_type',
        `'sample' is not supported by ${this.className}`,
      );
    }
  }

  override modelEvaluations(numInferenceSteps: number): number {
    return 2 * numInferenceSteps - 1;
  }

  /**
   * diffusers rounds the timesteps of a Karras ramp here (not an exponential or beta one), and a
   * ramp leaves them float64: numpy's array of _sigma_to_t results, never cast to float32.
   */
  protected override rampTimestep(sigma: number): number {
    const t = sigmaToTimestep(sigma, this.logTrainSigmas);
    return this.sigmaRamp === 'karras' ? roundHalfEven(t) : t;
  }

  /** A midpoint timestep, in the dtype of the ramp's timesteps (timesteps_interpol.to(timesteps.dtype)). */
  protected midpointTimestep(sigma: number): number {
    const t = sigmaToTimestep(sigma, this.logTrainSigmas);
    return this.sigmaRamp ? t : f(t);
  }

  /** True when the next step is the first (Euler) half of a step. */
  get stateInFirstOrder(): boolean {
    return this.firstOrder;
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, false);
    const n = timesteps.length;
    const base = Float32Array.from([...sigmas, 0]);
    // interpol[i] is the midpoint of base[i] and base[i - 1] (torch's roll(1)).
    const interpol = new Float32Array(n + 1);
    for (let i = 1; i <= n; i++)
      interpol[i] = logMidpoint(base[i] as number, base[i - 1] as number);
    interpol[0] = NaN;
    const layoutSigmas = doubleLayout(base);
    this.sigmasInterpol = doubleLayout(interpol);
    const all: number[] = [timesteps[0] as number];
    for (let i = 1; i < n; i++) {
      all.push(this.midpointTimestep(interpol[i] as number), timesteps[i] as number);
    }
    this.installTimesteps(all, layoutSigmas);
    this.numInferenceSteps = n;
    this.firstOrder = true;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    const index = this.initStepIndex(timestep);
    const sigma = (this.firstOrder ? this.currentSigmas : this.sigmasInterpol)[index] as number;
    return divideByInputScale(out, sample, sigma);
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    _noise?: NoiseInput,
    _options?: StepOptions,
  ): StepOutput {
    const n = sample.length;
    const index = this.initStepIndex(timestep);
    const sigmas = this.currentSigmas;
    const first = this.firstOrder;
    const sigma = (first ? sigmas[index] : sigmas[index - 1]) as number;
    const sigmaInterpol = (
      first ? this.sigmasInterpol[index + 1] : this.sigmasInterpol[index]
    ) as number;
    const sigmaNext = (first ? sigmas[index + 1] : sigmas[index]) as number;
    const sigmaInput = first ? sigma : sigmaInterpol;
    const original = this.originalBuffer(out, n);
    writeOriginalF32(
      original,
      modelOutput,
      sample,
      sigmaInput,
      this.predictionType === 'v_prediction',
    );
    const saved = this.scratch('firstOrderSample', n);
    const prevSample = out.prevSample;
    if (first) {
      const dt = f(sigmaInterpol - sigma);
      saved.set(sample);
      eulerMoveInto(prevSample, sample, original, sigma, dt);
    } else {
      const dt = f(sigmaNext - sigma);
      eulerMoveInto(prevSample, sample, original, sigmaInterpol, dt, saved);
    }
    this.firstOrder = !first;
    this.currentStepIndex = index + 1;
    return out;
  }
}

/** [a0, a1, a1, a2, a2, ..., a_last, a_last] then a_last once more: diffusers' repeat_interleave layout. */
function doubleLayout(values: Float32Array): Float32Array {
  const n = values.length;
  const out = new Float32Array(2 * n);
  out[0] = values[0] as number;
  for (let i = 1; i < n; i++) {
    out[2 * i - 1] = values[i] as number;
    out[2 * i] = values[i] as number;
  }
  out[2 * n - 1] = values[n - 1] as number;
  return out;
}

/**
 * DPM-Solver-2 ancestral (k-diffusion's sample_dpm_2_ancestral), as diffusers'
 * KDPM2AncestralDiscreteScheduler: the second half of every step adds noise scaled by sigma_up.
 * Config keys as KDPM2DiscreteScheduler. The second half of every step draws noise (as diffusers
 * since it stopped drawing an unused batch on the first half); 2N - 1 evaluations for N steps.
 */
export class KDPM2AncestralDiscreteScheduler extends KDPM2DiscreteScheduler {
  override readonly className: string = 'KDPM2AncestralDiscreteScheduler';
  sigmasUp: Float32Array = new Float32Array(0);
  sigmasDown: Float32Array = new Float32Array(0);

  override setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, false);
    const n = timesteps.length;
    const base = Float32Array.from([...sigmas, 0]);
    const up = new Float32Array(n + 1);
    const down = new Float32Array(n + 1);
    const interpol = new Float32Array(n + 1);
    for (let i = 0; i <= n; i++) {
      const sigma = base[i] as number;
      const next = i < n ? (base[i + 1] as number) : 0;
      const next2 = f(next * next);
      const sigma2 = f(sigma * sigma);
      up[i] = f(Math.sqrt(f(f(next2 * f(sigma2 - next2)) / sigma2)));
      // Clamped at 0 as diffusers does since float32 rounding can make the difference negative.
      down[i] =
        i === n
          ? 0
          : f(Math.sqrt(Math.max(0, f(next2 - f((up[i] as number) * (up[i] as number))))));
      interpol[i] = logMidpoint(sigma, down[i] as number);
    }
    interpol[n - 1] = 0;
    interpol[n] = 0;
    this.sigmasUp = doubleLayout(up);
    this.sigmasDown = doubleLayout(down);
    this.sigmasInterpol = doubleLayout(interpol);
    const all: number[] = [timesteps[0] as number];
    for (let i = 1; i < n; i++) {
      all.push(this.midpointTimestep(interpol[i - 1] as number), timesteps[i] as number);
    }
    this.installTimesteps(all, doubleLayout(base));
    this.numInferenceSteps = n;
    this.firstOrder = true;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    const index = this.initStepIndex(timestep);
    const sigma = (
      this.firstOrder ? this.currentSigmas[index] : this.sigmasInterpol[index - 1]
    ) as number;
    return divideByInputScale(out, sample, sigma);
  }

  protected override takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    _options?: StepOptions,
  ): StepOutput {
    const n = sample.length;
    const index = this.initStepIndex(timestep);
    const first = this.firstOrder;
    const at = first ? index : index - 1;
    const sigma = this.currentSigmas[at] as number;
    const sigmaInterpol = this.sigmasInterpol[at] as number;
    const sigmaUp = this.sigmasUp[at] as number;
    const sigmaDown = this.sigmasDown[Math.max(index - 1, 0)] as number;
    const original = this.originalBuffer(out, n);
    writeOriginalF32(
      original,
      modelOutput,
      sample,
      first ? sigma : sigmaInterpol,
      this.predictionType === 'v_prediction',
    );
    const saved = this.scratch('firstOrderSample', n);
    const prevSample = out.prevSample;
    if (first) {
      const dt = f(sigmaInterpol - sigma);
      saved.set(sample);
      eulerMoveInto(prevSample, sample, original, sigma, dt);
    } else {
      const dt = f(sigmaDown - sigma);
      const noiseValues = this.noiseFor(noise, n);
      eulerMoveInto(prevSample, sample, original, sigmaInterpol, dt, saved, noiseValues, sigmaUp);
    }
    this.firstOrder = !first;
    this.currentStepIndex = index + 1;
    return out;
  }
}
