import type { SchedulerConfigJson } from '../config.js';
import type { NoiseInput } from '../tensor-ops.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { HEUN_DEFAULTS, SigmaScheduler } from './sigma-schedulers.js';

const f = Math.fround;

/**
 * Heun's method (Karras et al. 2022, Algorithm 1 without churn), as diffusers'
 * HeunDiscreteScheduler. Config keys: the schedule keys, prediction_type, use_karras_sigmas (or
 * exponential, beta), clip_sample, clip_sample_range, timestep_spacing, steps_offset, and
 * beta_schedule 'exp' (alpha_bar = exp(-12 t), Shap-E's) besides the others; custom
 * timesteps (float32, as diffusers).
 * `timesteps` repeats every timestep after the first (as diffusers): the loop calls the model
 * once per entry, so N steps cost 2N - 1 model evaluations.
 */
export class HeunDiscreteScheduler extends SigmaScheduler {
  readonly className = 'HeunDiscreteScheduler';
  override readonly order: number = 2;
  private firstOrderDt: number | null = null;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, { ...HEUN_DEFAULTS, acceptsExpBetaSchedule: true });
  }

  override modelEvaluations(numInferenceSteps: number): number {
    return 2 * numInferenceSteps - 1;
  }

  /** True when the next step is the first (Euler) half of a Heun step. */
  get stateInFirstOrder(): boolean {
    return this.firstOrderDt === null;
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, true);
    const doubledTimesteps: number[] = [timesteps[0] as number];
    const doubledSigmas: number[] = [sigmas[0] as number];
    for (let i = 1; i < timesteps.length; i++) {
      doubledTimesteps.push(timesteps[i] as number, timesteps[i] as number);
      doubledSigmas.push(sigmas[i] as number, sigmas[i] as number);
    }
    this.installSigmas(doubledTimesteps, doubledSigmas, 0);
    this.numInferenceSteps = timesteps.length;
    this.firstOrderDt = null;
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
    const index = this.initStepIndex(timestep);
    const sigmas = this.currentSigmas;
    const firstOrder = this.firstOrderDt === null;
    const sigma = (firstOrder ? sigmas[index] : sigmas[index - 1]) as number;
    const sigmaNext = (firstOrder ? sigmas[index + 1] : sigmas[index]) as number;
    const sigmaInput = firstOrder ? sigma : sigmaNext;
    const original = this.originalBuffer(out, n);
    this.writeOriginal(original, modelOutput, sample, sigmaInput, sigmaInput);
    this.clipOrThreshold(original, options?.batchSize ?? 1, this.common.clipSample);

    const derivative = this.scratch('derivative', n);
    const savedSample = this.scratch('firstOrderSample', n);
    const prevSample = out.prevSample;
    if (firstOrder) {
      const dt = f(sigmaNext - sigma);
      for (let i = 0; i < n; i++) {
        const x = sample[i] as number;
        const d = f(f(x - (original[i] as number)) / sigma);
        derivative[i] = d;
        savedSample[i] = x;
        prevSample[i] = f(x + f(d * dt));
      }
      this.firstOrderDt = dt;
    } else {
      const dt = this.firstOrderDt as number;
      for (let i = 0; i < n; i++) {
        const d = f(f((sample[i] as number) - (original[i] as number)) / sigmaNext);
        const averaged = f(f((derivative[i] as number) + d) / 2);
        prevSample[i] = f((savedSample[i] as number) + f(averaged * dt));
      }
      this.firstOrderDt = null;
    }
    this.currentStepIndex = index + 1;
    return out;
  }
}
