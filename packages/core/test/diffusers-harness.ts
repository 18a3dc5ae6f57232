/**
 * diffusers' scheduler-test fixtures (tests/schedulers/test_schedulers.py), in float32 as torch
 * computes them, for reproducing their full-loop result_sum / result_mean in our tests.
 *
 * Tensors are [4, 3, 8, 8] and are held here in logical (row-major b, c, h, w) order, the order in
 * which torch.randn fills a new tensor: dummy_sample_deter is arange(768) reshaped to
 * (3, 8, 8, 4), divided by 768 and permuted to (4, 3, 8, 8), so logical element
 * L = b * 192 + r holds (r * 4 + b) / 768; dummy_noise_deter is the same of arange(768).flip(-1).
 */
import { TorchGenerator } from '../src/index.js';
import type { Scheduler, StepOptions } from '../src/index.js';

export const ELEMENTS = 4 * 3 * 8 * 8;
const f = Math.fround;

/** `perItem`: 192 for the [4, 3, 8, 8] tests, 24 for the [4, 3, 8] (1-D) ones. */
function deterministic(flip: boolean, perItem: number): Float32Array {
  const total = 4 * perItem;
  const out = new Float32Array(total);
  for (let logical = 0; logical < total; logical++) {
    const flat = (logical % perItem) * 4 + Math.floor(logical / perItem);
    out[logical] = f((flip ? total - 1 - flat : flat) / total);
  }
  return out;
}

export const dummySampleDeter = (perItem = 192): Float32Array => deterministic(false, perItem);
export const dummyNoiseDeter = (perItem = 192): Float32Array => deterministic(true, perItem);

/** dummy_model: sample * t / (t + 1), with t cast to the sample's dtype (float32). */
export function dummyModel(
  out: Float32Array,
  sample: Float32Array,
  timestep: number,
): Float32Array {
  const t = f(timestep);
  const denominator = f(t + 1);
  for (let i = 0; i < sample.length; i++) out[i] = f(f((sample[i] as number) * t) / denominator);
  return out;
}

export function scaleAll(sample: Float32Array, factor: number): Float32Array {
  // torch multiplies a float32 tensor by a 0-d float32 tensor (init_noise_sigma) or a Python float.
  const scale = f(factor);
  return sample.map((v) => f(v * scale));
}

/** torch.sum(torch.abs(x)) and torch.mean(...), accumulated in float64 (torch's float32 sum differs in its last bits). */
export function sumAndMean(sample: Float32Array): { sum: number; mean: number } {
  let sum = 0;
  for (const v of sample) sum += Math.abs(v);
  return { sum, mean: sum / sample.length };
}

export interface LoopOptions {
  /** The test reassigns `sample = scheduler.scale_model_input(sample, t)` before the model (Euler-style tests). */
  readonly reassignScaled?: boolean;
  /** The model sees scale_model_input's output but step gets the unscaled sample (EDM tests). */
  readonly scaleForModelOnly?: boolean;
  /** torch.manual_seed for the step's generator; none: a deterministic step. */
  readonly seed?: number;
  readonly stepOptions?: StepOptions;
  /** Loop over these timesteps instead of scheduler.timesteps. */
  readonly timesteps?: readonly number[];
  /** Initial sample (default dummy_sample_deter). */
  readonly sample?: Float32Array;
}

/** The denoising loop of diffusers' scheduler tests; returns the final sample. */
export function diffusersLoop(scheduler: Scheduler, options: LoopOptions = {}): Float32Array {
  let sample = options.sample ?? dummySampleDeter();
  const generator = options.seed === undefined ? undefined : new TorchGenerator(options.seed);
  const length = sample.length;
  const modelInput = new Float32Array(length);
  const modelOutput = new Float32Array(length);
  const timesteps = options.timesteps ?? [...scheduler.timesteps];
  for (const t of timesteps) {
    if (options.reassignScaled) {
      scheduler.scaleModelInput(sample, sample, t);
      dummyModel(modelOutput, sample, t);
    } else if (options.scaleForModelOnly) {
      scheduler.scaleModelInput(modelInput, sample, t);
      dummyModel(modelOutput, modelInput, t);
    } else {
      dummyModel(modelOutput, sample, t);
    }
    const next = new Float32Array(length);
    scheduler.step(modelOutput, t, sample, { prevSample: next }, generator, options.stepOptions);
    sample = next;
  }
  return sample;
}
