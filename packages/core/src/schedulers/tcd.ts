import type { SchedulerConfigJson } from '../config.js';
import type { NoiseInput } from '../tensor-ops.js';
import { ConsistencyScheduler } from './lcm.js';
import type { StepOptions, StepOutput } from './scheduler.js';

const f = Math.fround;

/** Default gamma of TCD's strategic stochastic sampling (diffusers' step argument `eta`). */
export const TCD_DEFAULT_ETA = 0.3;

/**
 * Trajectory consistency distillation (Zheng et al. 2024), as diffusers' TCDScheduler: each step
 * predicts x0, moves it to an intermediate timestep s = floor((1 - gamma) * t_prev) and, with
 * gamma > 0, noises it forward to t_prev. Config keys: the schedule keys (defaults
 * scaled_linear 0.00085-0.012), original_inference_steps, prediction_type, timestep_spacing,
 * steps_offset, rescale_betas_zero_snr. Step option `eta` is TCD's gamma (default 0.3, as
 * diffusers' step); with eta > 0 every step but the last draws noise. `predOriginalSample`
 * receives the x0 prediction. One evaluation per step.
 */
export class TCDScheduler extends ConsistencyScheduler {
  readonly className = 'TCDScheduler';

  constructor(json: SchedulerConfigJson = {}) {
    super(json);
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    noise?: NoiseInput,
    options?: StepOptions,
  ): StepOutput {
    this.requireTimesteps();
    const n = sample.length;
    const eta = options?.eta ?? TCD_DEFAULT_ETA;
    if (!(eta >= 0 && eta <= 1))
      throw new RangeError(`TCDScheduler: eta must be in [0, 1], got ${eta}`);
    const index = this.initStepIndex(timestep);
    const prevTimestep =
      index + 1 < this.timesteps.length ? (this.timesteps[index + 1] as number) : 0;
    const intermediate = Math.floor(f(f(1 - eta) * prevTimestep));
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodAt(prevTimestep);
    const alphaProdS = this.alphaCumprodAt(intermediate);
    const sqrtAlphaProd = f(Math.sqrt(alphaProd));
    const sqrtBetaProd = f(Math.sqrt(f(1 - alphaProd)));
    const sqrtAlphaProdS = f(Math.sqrt(alphaProdS));
    const sqrtBetaProdS = f(Math.sqrt(f(1 - alphaProdS)));
    const type = this.predictionType;
    const original = this.originalBuffer(out, n);
    const noised = this.scratch('predNoisedSample', n);
    for (let i = 0; i < n; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      let x0: number;
      let epsilon: number;
      if (type === 'epsilon') {
        x0 = f(f(x - f(sqrtBetaProd * m)) / sqrtAlphaProd);
        epsilon = m;
      } else if (type === 'sample') {
        x0 = m;
        epsilon = f(f(x - f(sqrtAlphaProd * x0)) / sqrtBetaProd);
      } else {
        x0 = f(f(sqrtAlphaProd * x) - f(sqrtBetaProd * m));
        epsilon = f(f(sqrtAlphaProd * m) + f(sqrtBetaProd * x));
      }
      original[i] = x0;
      noised[i] = f(f(sqrtAlphaProdS * x0) + f(sqrtBetaProdS * epsilon));
    }
    const prevSample = out.prevSample;
    if (eta > 0 && index !== this.numInferenceSteps - 1) {
      const noiseValues = this.noiseFor(noise, n);
      const ratio = f(alphaProdPrev / alphaProdS);
      const keep = f(Math.sqrt(ratio));
      const add = f(Math.sqrt(f(1 - ratio)));
      for (let i = 0; i < n; i++)
        prevSample[i] = f(f(keep * (noised[i] as number)) + f(add * (noiseValues[i] as number)));
    } else {
      prevSample.set(noised);
    }
    this.currentStepIndex = index + 1;
    return out;
  }
}
