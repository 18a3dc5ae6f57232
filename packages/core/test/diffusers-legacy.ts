/**
 * Test-only subclasses that restore the arithmetic of older diffusers releases, for the pins
 * diffusers computed then and never updated: they check everything else against those digits,
 * while diffusers-values.test.ts checks today's numbers (which the schedulers compute) within
 * diffusers' own tolerance.
 */
import {
  DPMSolverMultistepInverseScheduler,
  DPMSolverMultistepScheduler,
  PNDMScheduler,
} from '../src/index.js';
import type { SchedulerConfigJson } from '../src/index.js';

/**
 * diffusers' pinned 0.2096 for DPM-Solver++ with Karras sigmas and v-prediction dates from
 * convert_model_output reading alpha_t, sigma_t from the training tables at the (rounded)
 * timestep; diffusers now takes them from the Karras sigma itself, as we do, which gives 0.2092
 * (inside diffusers' own 1e-3 tolerance, so the pin was never updated). This subclass restores
 * the old lookup to check everything else against the pinned digits.
 */
function legacyConvert(
  scheduler: DPMSolverMultistepScheduler,
  converted: Float32Array,
  modelOutput: Float32Array,
  sample: Float32Array,
  index: number,
): void {
  const f = Math.fround;
  const alphaBar = scheduler.schedule.alphasCumprod[scheduler.timesteps[index] as number] as number;
  const alpha = f(Math.sqrt(alphaBar));
  const sigma = f(Math.sqrt(f(1 - alphaBar)));
  for (let i = 0; i < sample.length; i++) {
    converted[i] = f(f(alpha * (sample[i] as number)) - f(sigma * (modelOutput[i] as number)));
  }
}

export class LegacyKarrasDpm extends DPMSolverMultistepScheduler {
  protected override convertModelOutput(
    converted: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
  ): void {
    legacyConvert(this, converted, modelOutput, sample, index);
  }
}

/**
 * diffusers' pinned 1.7833 for the inverse DPM-Solver++ with Karras sigmas and v-prediction dates
 * from before huggingface/diffusers#4986 ("refactor DPMSolverMultistepScheduler using sigmas"),
 * when the inverse scheduler took alpha_t, sigma_t and lambda_t, in convert_model_output and in
 * the updates, from the training tables at the rounded Karras timesteps (and at
 * noisiest_timestep after the last one) instead of from the Karras sigmas. The refactor moved the
 * result to 1.7816, which we compute; diffusers kept the pin and widened its tolerance from 1e-3
 * to 2e-3. This subclass puts each rounded timestep's training sigma in place of its Karras
 * sigma, which restores the old arithmetic, to check everything else against the pinned digits.
 */
export class LegacyKarrasDpmInverse extends DPMSolverMultistepInverseScheduler {
  override setTimesteps(numInferenceSteps: number | null): void {
    super.setTimesteps(numInferenceSteps);
    const noisiest = this.numTrainTimesteps - 1 - this.clippedCount();
    const train = this.tables.trainSigmas;
    this.sigmas = Float32Array.from([...this.timesteps, noisiest], (t) => train[t] as number);
  }
}

/**
 * diffusers' PNDM pins for beta_start 0.01 (230.0399, 186.9482) date from its numpy schedulers
 * (tensor_format), which built betas with np.linspace(..., dtype=np.float32), computed in float64
 * and then rounded, and alphas_cumprod with np.cumprod, which accumulates in float32. Today's
 * torch.linspace (float32 arithmetic) and torch.cumprod (float64 accumulation on the CPU) move
 * alphas_cumprod by up to ~1e-5 relative near t = 900, where it is ~1e-6 and PNDM's coefficients
 * amplify the difference: diffusers now gives 230.0373 and 186.9453, as we do bit for bit, inside
 * its 1e-2 tolerance, so the pins were never updated. The default-beta pins agree under both. This
 * subclass restores the numpy alphas_cumprod to check everything else to the pinned digits.
 */
function numpyEraAlphasCumprod(start: number, end: number, count: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(count);
  const step = (end - start) / (count - 1);
  let product = 1;
  for (let t = 0; t < count; t++) {
    // np.linspace: t * step + start in float64, the last point `end` itself; then float32.
    const beta = f(t === count - 1 ? end : t * step + start);
    product = f(product * f(1 - beta));
    out[t] = product;
  }
  return out;
}

export class NumpyEraPndm extends PNDMScheduler {
  private readonly numpyAlphasCumprod: Float32Array;

  constructor(config: SchedulerConfigJson) {
    super(config);
    // final_alpha_cumprod (alphas_cumprod[0] = 1 - float32(beta_start)) is the same in both eras.
    const { betaStart, betaEnd, numTrainTimesteps } = this.schedule.config;
    this.numpyAlphasCumprod = numpyEraAlphasCumprod(betaStart, betaEnd, numTrainTimesteps);
  }

  protected override alphaCumprodAt(timestep: number): number {
    super.alphaCumprodAt(timestep); // the range check
    return this.numpyAlphasCumprod[timestep] as number;
  }
}
