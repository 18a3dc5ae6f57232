import { readNumberArray } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import { torchLinspaceFloat32 } from '../schedules.js';
import type { NoiseInput } from '../tensor-ops.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

const f = Math.fround;
const PI_F32 = Math.fround(Math.PI);

const IPNDM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'linspace',
  clipSample: false,
});

/**
 * Improved pseudo numerical methods (iPNDM, Zhang & Chen 2022), as diffusers' IPNDMScheduler,
 * from v-diffusion's sampler: a continuous-time schedule alpha = cos(pi s / 2), sigma = sin(pi s / 2)
 * over s in (0, 1], and a fourth-order Adams-Bashforth combination of the last four
 * "ets" = sample * sigma + output * alpha. Config keys: num_train_timesteps, trained_betas (n + 1
 * values: sigma per step and the final one). Timesteps are floats in (0, 1]; the model input is
 * not scaled. Deterministic; one evaluation per step. Each step takes the index of the timestep
 * it is given (as diffusers did before its step counter), and the ets are kept across
 * setTimesteps-less reruns as diffusers keeps them.
 */
export class IPNDMScheduler extends BaseScheduler {
  readonly className = 'IPNDMScheduler';
  // iPNDM looks its timestep up at every step (see the README), so a begin index would not hold.
  protected override readonly tracksStepIndex: boolean = false;
  readonly trainedBetas: readonly number[] | null;
  /** sigma_s per step (diffusers' betas) and alpha_s (diffusers' alphas), with the final entry. */
  betas: Float32Array = new Float32Array(0);
  alphas: Float32Array = new Float32Array(0);
  private readonly ets: Float32Array[] = [];
  private etsCount = 0;

  constructor(json: SchedulerConfigJson = {}) {
    super({ num_train_timesteps: json['num_train_timesteps'] }, IPNDM_DEFAULTS);
    this.trainedBetas = readNumberArray(json, 'trained_betas');
    this.setTimesteps(this.numTrainTimesteps);
    this.numInferenceSteps = 0;
  }

  /** diffusers' IPNDM has no add_noise. */
  override addNoise(): Float32Array {
    throw new TypeError('IPNDMScheduler has no add_noise (as in diffusers)');
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const steps = torchLinspaceFloat32(1, 0, n + 1);
    steps[n] = 0;
    const betas = new Float32Array(n + 1);
    if (this.trainedBetas) {
      if (this.trainedBetas.length !== n + 1) {
        throw new SchedulerConfigError(
          'trained_betas',
          `IPNDMScheduler needs num_inference_steps + 1 = ${n + 1} values, got ${this.trainedBetas.length}`,
        );
      }
      betas.set(this.trainedBetas);
    } else {
      for (let i = 0; i <= n; i++) {
        const angle = f(f((steps[i] as number) * PI_F32) / 2);
        const s = f(Math.sin(angle));
        betas[i] = f(s * s);
      }
    }
    const alphas = betas.map((b) => f(Math.sqrt(f(1 - f(b * b)))));
    const timesteps: number[] = [];
    for (let i = 0; i < n; i++) {
      const angle = f(Math.atan2(betas[i] as number, alphas[i] as number));
      timesteps.push(f(f(angle / PI_F32) * 2));
    }
    this.betas = betas;
    this.alphas = alphas;
    this.installTimesteps(timesteps, null);
    this.etsCount = 0;
  }

  protected takeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
    _noise?: NoiseInput,
    _options?: StepOptions,
  ): StepOutput {
    this.requireTimesteps();
    const n = sample.length;
    const index = this.indexForTimestep(timestep);
    const beta = this.betas[index] as number;
    const alpha = this.alphas[index] as number;
    // The ets ring: the oldest of four buffers becomes the newest.
    for (let k = this.ets.length; k < 4; k++) this.ets.push(new Float32Array(n));
    for (let k = 0; k < 4; k++)
      if ((this.ets[k] as Float32Array).length !== n) this.ets[k] = new Float32Array(n);
    const newest = this.ets.pop() as Float32Array;
    this.ets.unshift(newest);
    this.etsCount++;
    for (let i = 0; i < n; i++)
      newest[i] = f(f((sample[i] as number) * beta) + f((modelOutput[i] as number) * alpha));
    const [e0, e1, e2, e3] = this.ets as [Float32Array, Float32Array, Float32Array, Float32Array];
    const combined = this.scratch('ets', n);
    const count = this.etsCount;
    const oneOver24 = f(1 / 24);
    for (let i = 0; i < n; i++) {
      const a = e0[i] as number;
      if (count === 1) combined[i] = a;
      else if (count === 2) combined[i] = f(f(f(3 * a) - (e1[i] as number)) / 2);
      else if (count === 3) {
        combined[i] = f(
          f(f(f(23 * a) - f(16 * (e1[i] as number))) + f(5 * (e2[i] as number))) / 12,
        );
      } else {
        combined[i] = f(
          oneOver24 *
            f(
              f(f(f(55 * a) - f(59 * (e1[i] as number))) + f(37 * (e2[i] as number))) -
                f(9 * (e3[i] as number)),
            ),
        );
      }
    }
    const nextAlpha = this.alphas[index + 1] as number;
    const nextBeta = this.betas[index + 1] as number;
    const alphaFloor = Math.max(alpha, 1e-8);
    const prevSample = out.prevSample;
    const original = out.predOriginalSample;
    for (let i = 0; i < n; i++) {
      const e = combined[i] as number;
      const predicted = f(f((sample[i] as number) - f(beta * e)) / alphaFloor);
      if (original) original[i] = predicted;
      prevSample[i] = f(f(nextAlpha * predicted) + f(e * nextBeta));
    }
    this.currentStepIndex = index + 1;
    return out;
  }
}
