import { BrownianTree } from '../brownian-tree.js';
import { readOptionalNumber } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { sigmaToTimestep } from '../timesteps.js';
import { checkLength } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { HEUN_DEFAULTS, SigmaScheduler } from './sigma-schedulers.js';
import { divideByInputScale } from './sigma-steps.js';

const f = Math.fround;

/**
 * DPM-Solver++ (2S) SDE (k-diffusion's sample_dpmpp_sde), as diffusers' DPMSolverSDEScheduler:
 * each step evaluates the model at sigma and at the midpoint in log-sigma, and both halves add
 * noise scaled by sigma_up. Config keys: the schedule keys (defaults beta 0.00085-0.012 linear),
 * prediction_type ('epsilon' | 'v_prediction'), use_karras_sigmas, timestep_spacing, steps_offset;
 * noise_sampler_seed (below). `timesteps` interleaves the midpoints (2N - 1 evaluations for N
 * steps).
 *
 * Noise: diffusers draws it from torchsde's Brownian tree over [smallest sigma, largest sigma]
 * (BrownianTreeNoiseSampler): each half-step takes the Brownian increment between its two sigmas,
 * divided by the square root of their distance. With `noise_sampler_seed` set, a step called
 * without noise draws from the same tree here (`BrownianTree`, torchsde's numbers in float32), so a
 * run reproduces diffusers' CPU numbers. Noise passed to `step` takes precedence: a Float32Array
 * or NoiseSource of standard normals used as that normalised increment. Independent normals (a
 * NormalGenerator) give the two halves of a step independent noise, where the tree's increments
 * over [sigma, midpoint] and [sigma, next sigma] overlap and correlate (~0.7): still a valid SDE
 * sampler, not diffusers' numbers. Without a seed and without noise a stochastic step throws
 * (diffusers would pick a random seed; nothing here reads a global RNG).
 */
export class DPMSolverSDEScheduler extends SigmaScheduler {
  readonly className = 'DPMSolverSDEScheduler';
  override readonly order: number = 2;
  /** diffusers' `noise_sampler_seed` (torchsde's entropy), or null for caller-supplied noise. */
  readonly noiseSamplerSeed: number | null;
  private firstOrder = true;
  private midpointSigma = 0;
  /** Built at the first stochastic step, as diffusers builds its noise sampler; reset by setTimesteps. */
  private brownianTree: BrownianTree | null = null;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, HEUN_DEFAULTS);
    if (this.predictionType === 'sample') {
      throw new SchedulerConfigError(
        'prediction_type',
        "'sample' is not supported by DPMSolverSDEScheduler",
      );
    }
    const seed = readOptionalNumber(json, 'noise_sampler_seed');
    if (seed !== null && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new SchedulerConfigError(
        'noise_sampler_seed',
        `expected a non-negative integer below 2^53, got ${seed}`,
      );
    }
    this.noiseSamplerSeed = seed;
  }

  override modelEvaluations(numInferenceSteps: number): number {
    return 2 * numInferenceSteps - 1;
  }

  get stateInFirstOrder(): boolean {
    return this.firstOrder;
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    // diffusers keeps these timesteps in float64 (no float32 rounding of linspace).
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, false, false);
    const n = timesteps.length;
    const all: number[] = [timesteps[0] as number];
    for (let i = 1; i < n; i++) {
      // _second_order_timesteps: the midpoint in t = -log(sigma), mapped back to a timestep.
      const t = -Math.log(sigmas[i - 1] as number);
      const next = -Math.log(sigmas[i] as number);
      const midpoint = Math.exp(-(t + (next - t) * 0.5));
      all.push(sigmaToTimestep(midpoint, this.logTrainSigmas), timesteps[i] as number);
    }
    const layout = new Float32Array(2 * n);
    layout[0] = sigmas[0] as number;
    for (let i = 1; i < n; i++) {
      layout[2 * i - 1] = sigmas[i] as number;
      layout[2 * i] = sigmas[i] as number;
    }
    layout[2 * n - 1] = 0;
    this.installTimesteps(all, layout);
    this.numInferenceSteps = n;
    this.firstOrder = true;
    this.brownianTree = null;
  }

  override scaleModelInput(
    out: Float32Array,
    sample: Float32Array,
    timestep: number,
  ): Float32Array {
    checkLength(this.className, 'out', out, sample.length);
    const index = this.initStepIndex(timestep);
    const sigma = this.firstOrder ? (this.currentSigmas[index] as number) : this.midpointSigma;
    return divideByInputScale(out, sample, sigma);
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
    const index = this.initStepIndex(timestep);
    const sigmas = this.currentSigmas;
    const first = this.firstOrder;
    const sigma = (first ? sigmas[index] : sigmas[index - 1]) as number;
    const sigmaNext = (first ? sigmas[index + 1] : sigmas[index]) as number;
    const t = f(-f(Math.log(sigma)));
    let tNext = f(-f(Math.log(sigmaNext)));
    const tProposed = f(t + f(f(tNext - t) * 0.5));
    const sigmaInput = first ? sigma : f(Math.exp(-tProposed));
    const original = this.originalBuffer(out, n);
    this.writeOriginal(original, modelOutput, sample, sigmaInput, sigmaInput);
    const saved = this.scratch('firstOrderSample', n);
    const prevSample = out.prevSample;
    if (sigmaNext === 0) {
      const dt = f(sigmaNext - sigma);
      for (let i = 0; i < n; i++) {
        const x = sample[i] as number;
        prevSample[i] = f(x + f(f(f(x - (original[i] as number)) / sigma) * dt));
      }
    } else {
      if (first) tNext = tProposed;
      const start = first ? sample : saved;
      const sigmaFrom = f(Math.exp(-t));
      const sigmaTo = f(Math.exp(-tNext));
      const to2 = f(sigmaTo * sigmaTo);
      const from2 = f(sigmaFrom * sigmaFrom);
      const sigmaUp = Math.min(sigmaTo, f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2))));
      const sigmaDown = f(Math.sqrt(f(to2 - f(sigmaUp * sigmaUp))));
      const ancestralT = f(-f(Math.log(sigmaDown)));
      const sampleScale = f(f(Math.exp(-ancestralT)) / sigmaFrom);
      const originalScale = f(Math.expm1(f(t - ancestralT)));
      const sNoise = options?.sNoise ?? 1;
      const noiseValues =
        noise === undefined && this.noiseSamplerSeed !== null
          ? this.treeNoise(sigmaFrom, sigmaTo, n)
          : this.noiseFor(noise, n);
      for (let i = 0; i < n; i++) {
        const x = start[i] as number;
        const moved = f(f(sampleScale * x) - f(originalScale * (original[i] as number)));
        const value = f(moved + f(f((noiseValues[i] as number) * sNoise) * sigmaUp));
        if (first) saved[i] = x;
        prevSample[i] = value;
      }
      if (first) {
        this.midpointSigma = sigmaTo;
        this.firstOrder = false;
      } else {
        this.firstOrder = true;
      }
    }
    this.currentStepIndex = index + 1;
    return out;
  }

  /**
   * diffusers' BrownianTreeNoiseSampler(sigma_from, sigma_to): the tree's increment from the
   * larger sigma to the smaller, negated (sigma falls as the loop runs), over sqrt(|distance|).
   */
  private treeNoise(sigmaFrom: number, sigmaTo: number, n: number): Float32Array {
    let tree = this.brownianTree;
    if (tree === null || tree.size !== n) {
      let smallest = Infinity;
      let largest = -Infinity;
      for (const sigma of this.currentSigmas) {
        if (sigma > 0) smallest = Math.min(smallest, sigma);
        largest = Math.max(largest, sigma);
      }
      tree = new BrownianTree(smallest, largest, n, this.noiseSamplerSeed as number);
      this.brownianTree = tree;
    }
    const buffer = this.scratch('noise', n);
    const low = Math.min(sigmaFrom, sigmaTo);
    const high = Math.max(sigmaFrom, sigmaTo);
    tree.increment(low, high, buffer);
    const sign = sigmaFrom > sigmaTo ? -1 : 1;
    const scale = f(Math.sqrt(f(Math.abs(f(sigmaTo - sigmaFrom)))));
    for (let i = 0; i < n; i++) buffer[i] = f((sign * (buffer[i] as number)) / scale);
    return buffer;
  }
}
