import type { SchedulerConfigJson } from '../config.js';
import type { NoiseInput } from '../tensor-ops.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import { EULER_DEFAULTS, SigmaScheduler } from './sigma-schedulers.js';

const f = Math.fround;

// Gauss-Legendre, 3 nodes on [-1, 1]: exact for the polynomials (degree <= 3) LMS integrates.
const GAUSS_NODES = Object.freeze([-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)]);
const GAUSS_WEIGHTS = Object.freeze([5 / 9, 8 / 9, 5 / 9]);

/**
 * Linear multistep (k-diffusion's sample_lms), as diffusers' LMSDiscreteScheduler. Config keys:
 * the schedule keys, prediction_type, use_karras_sigmas, timestep_spacing, steps_offset.
 * Step option lmsOrder (default 4). One model evaluation per step.
 */
export class LMSDiscreteScheduler extends SigmaScheduler {
  readonly className = 'LMSDiscreteScheduler';
  private derivativeCount = 0;
  private derivativeHead = 0;
  /** The last four derivatives, a ring indexed by derivativeHead (reused, so a step allocates nothing). */
  private readonly derivatives: Float32Array[] = [];
  private readonly coefficients = new Float64Array(4);

  constructor(json: SchedulerConfigJson = {}) {
    super(json, EULER_DEFAULTS);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    const { timesteps, sigmas } = this.inferenceSigmas(numInferenceSteps, options, false);
    this.installSigmas(timesteps, sigmas, 0);
    this.derivativeCount = 0;
    this.derivativeHead = 0;
  }

  /** Integral over [sigma_t, sigma_t+1] of the Lagrange basis polynomial `current` (diffusers' get_lms_coefficient). */
  lmsCoefficient(order: number, index: number, current: number): number {
    const sigmas = this.currentSigmas;
    const a = sigmas[index] as number;
    const b = sigmas[index + 1] as number;
    const half = (b - a) / 2;
    const middle = (a + b) / 2;
    const node = sigmas[index - current] as number;
    let sum = 0;
    for (let j = 0; j < 3; j++) {
      const tau = middle + half * (GAUSS_NODES[j] as number);
      let product = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        const other = sigmas[index - k] as number;
        product *= (tau - other) / (node - other);
      }
      sum += (GAUSS_WEIGHTS[j] as number) * product;
    }
    return sum * half;
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
    const maxOrder = options?.lmsOrder ?? 4;
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 4) {
      throw new RangeError(`LMSDiscreteScheduler: lmsOrder must be 1..4, got ${maxOrder}`);
    }
    const index = this.initStepIndex(timestep);
    const sigma = this.currentSigmas[index] as number;
    const original = this.originalBuffer(out, n);
    this.writeOriginal(original, modelOutput, sample, sigma, sigma);
    for (let k = this.derivatives.length; k < 4; k++) this.derivatives.push(new Float32Array(n));
    for (let k = 0; k < 4; k++)
      if ((this.derivatives[k] as Float32Array).length !== n)
        this.derivatives[k] = new Float32Array(n);
    const slot = this.derivativeHead;
    const derivative = this.derivatives[slot] as Float32Array;
    for (let i = 0; i < n; i++)
      derivative[i] = f(f((sample[i] as number) - (original[i] as number)) / sigma);
    this.derivativeHead = (slot + 1) % 4;
    this.derivativeCount = Math.min(this.derivativeCount + 1, maxOrder);
    // diffusers: the coefficients of order min(step_index + 1, order), zipped with the derivatives
    // stored so far (fewer when a run starts mid-schedule, as image-to-image does).
    const order = Math.min(index + 1, maxOrder);
    const used = Math.min(order, this.derivativeCount);
    for (let k = 0; k < used; k++) this.coefficients[k] = f(this.lmsCoefficient(order, index, k));
    const d0 = this.derivatives[slot] as Float32Array;
    const d1 = this.derivatives[(slot + 3) % 4] as Float32Array;
    const d2 = this.derivatives[(slot + 2) % 4] as Float32Array;
    const d3 = this.derivatives[(slot + 1) % 4] as Float32Array;
    const c0 = this.coefficients[0] as number;
    const c1 = this.coefficients[1] as number;
    const c2 = this.coefficients[2] as number;
    const c3 = this.coefficients[3] as number;
    const prevSample = out.prevSample;
    for (let i = 0; i < n; i++) {
      // Python's sum() over coefficient * derivative, newest first, in float32.
      let total = f(c0 * (d0[i] as number));
      if (used > 1) total = f(total + f(c1 * (d1[i] as number)));
      if (used > 2) total = f(total + f(c2 * (d2[i] as number)));
      if (used > 3) total = f(total + f(c3 * (d3[i] as number)));
      prevSample[i] = f((sample[i] as number) + total);
    }
    this.currentStepIndex = index + 1;
    return out;
  }
}
