import { readBoolean } from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import { numpyArange, numpyLinspace, roundHalfEven } from '../timesteps.js';
import { BaseScheduler } from './base.js';
import type { CommonDefaults } from './base.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

const f = Math.fround;
const SIXTH = Math.fround(1 / 6);
const THIRD = Math.fround(1 / 3);
const ONE_24TH = Math.fround(1 / 24);

const PNDM_DEFAULTS: CommonDefaults = Object.freeze({
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  timestepSpacing: 'leading',
  clipSample: false,
});

/**
 * Pseudo numerical methods (Liu et al. 2022), as diffusers' PNDMScheduler. Config keys: the
 * schedule keys, skip_prk_steps, set_alpha_to_one, prediction_type ('epsilon' | 'v_prediction'),
 * timestep_spacing, steps_offset. With Runge-Kutta warm-up (skip_prk_steps false) N steps
 * cost N + 9 model evaluations, without it N + 1. predOriginalSample is not produced.
 */
export class PNDMScheduler extends BaseScheduler {
  readonly className = 'PNDMScheduler';
  // Steps by timestep value: no step index, no set_begin_index (as diffusers).
  protected override readonly tracksStepIndex: boolean = false;
  readonly skipPrkSteps: boolean;
  readonly finalAlphaCumprod: number;
  private prkTimesteps: number[] = [];
  private counter = 0;
  private etsCount = 0;
  private hasCurrentSample = false;
  /** ets ring: index 0 newest. */
  private readonly ets: Float32Array[] = [];

  constructor(json: SchedulerConfigJson = {}) {
    super(json, PNDM_DEFAULTS);
    this.skipPrkSteps = readBoolean(json, 'skip_prk_steps', false);
    this.finalAlphaCumprod = this.readFinalAlphaCumprod(json, false);
    if (this.predictionType === 'sample') {
      throw new SchedulerConfigError(
        'prediction_type',
        "'sample' is not supported by PNDMScheduler",
      );
    }
  }

  override modelEvaluations(numInferenceSteps: number): number {
    return this.skipPrkSteps ? numInferenceSteps + 1 : numInferenceSteps + 9;
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const trainCount = this.numTrainTimesteps;
    this.numInferenceSteps = n;
    let base: number[];
    const spacing = this.common.timestepSpacing;
    if (spacing === 'linspace')
      base = Array.from(numpyLinspace(0, trainCount - 1, n), roundHalfEven);
    else if (spacing === 'leading') {
      const ratio = Math.floor(trainCount / n);
      base = Array.from({ length: n }, (_, i) => i * ratio + this.common.stepsOffset);
    } else {
      base = Array.from(
        numpyArange(trainCount, 0, -trainCount / n),
        (v) => roundHalfEven(v) - 1,
      ).reverse();
    }
    let plms: number[];
    if (this.skipPrkSteps) {
      this.prkTimesteps = [];
      plms = [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse();
    } else {
      if (n < 4)
        throw new SchedulerConfigError(
          'num_inference_steps',
          'PNDM with PRK warm-up needs at least 4 steps',
        );
      const half = Math.floor(Math.floor(trainCount / n) / 2);
      const lastFour = base.slice(-4);
      const repeated: number[] = [];
      for (const t of lastFour) repeated.push(t, t + half);
      const doubled: number[] = [];
      for (const t of repeated.slice(0, -1)) doubled.push(t, t);
      this.prkTimesteps = doubled.slice(1, -1).reverse();
      plms = base.slice(0, -3).reverse();
    }
    this.timesteps = Object.freeze([...this.prkTimesteps, ...plms]);
    this.counter = 0;
    this.etsCount = 0;
    this.hasCurrentSample = false;
  }

  private get stride(): number {
    return Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
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
    if (this.counter < this.prkTimesteps.length && !this.skipPrkSteps)
      this.stepPrk(modelOutput, timestep, sample, out);
    else this.stepPlms(modelOutput, timestep, sample, out);
    this.counter++;
    return out;
  }

  private pushEts(modelOutput: Float32Array): void {
    const n = modelOutput.length;
    for (let k = this.ets.length; k < 4; k++) this.ets.push(new Float32Array(n));
    for (let k = 0; k < 4; k++)
      if ((this.ets[k] as Float32Array).length !== n) this.ets[k] = new Float32Array(n);
    const oldest = this.ets.pop() as Float32Array;
    oldest.set(modelOutput);
    this.ets.unshift(oldest);
    this.etsCount = Math.min(this.etsCount + 1, 4);
  }

  private stepPrk(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
  ): void {
    const n = sample.length;
    const diffToPrev = this.counter % 2 ? 0 : Math.floor(this.stride / 2);
    const prevTimestep = timestep - diffToPrev;
    const baseTimestep = this.prkTimesteps[Math.floor(this.counter / 4) * 4] as number;
    const accumulated = this.scratch('accumulatedModelOutput', n);
    const currentSample = this.scratch('currentSample', n);
    const effective = this.scratch('effectiveModelOutput', n);
    const phase = this.counter % 4;
    // diffusers accumulates cur_model_output (starting from 0) in float32 with float32 1/6, 1/3.
    if (phase === 0) {
      for (let i = 0; i < n; i++)
        accumulated[i] = f((accumulated[i] as number) + f(SIXTH * (modelOutput[i] as number)));
      this.pushEts(modelOutput);
      currentSample.set(sample);
      this.hasCurrentSample = true;
      effective.set(modelOutput);
    } else if (phase === 1 || phase === 2) {
      for (let i = 0; i < n; i++)
        accumulated[i] = f((accumulated[i] as number) + f(THIRD * (modelOutput[i] as number)));
      effective.set(modelOutput);
    } else {
      for (let i = 0; i < n; i++)
        effective[i] = f((accumulated[i] as number) + f(SIXTH * (modelOutput[i] as number)));
      accumulated.fill(0);
    }
    const source = this.hasCurrentSample ? currentSample : sample;
    this.previousSample(out.prevSample, source, baseTimestep, prevTimestep, effective);
  }

  private stepPlms(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    out: StepOutput,
  ): void {
    const n = sample.length;
    let prevTimestep = timestep - this.stride;
    let currentTimestep = timestep;
    if (this.counter !== 1) {
      this.pushEts(modelOutput);
    } else {
      prevTimestep = timestep;
      currentTimestep = timestep + this.stride;
    }
    const effective = this.scratch('effectiveModelOutput', n);
    const currentSample = this.scratch('currentSample', n);
    let source = sample;
    const [e0, e1, e2, e3] = this.ets as [Float32Array, Float32Array, Float32Array, Float32Array];
    if (this.etsCount === 1 && this.counter === 0) {
      effective.set(modelOutput);
      currentSample.set(sample);
      this.hasCurrentSample = true;
    } else if (this.etsCount === 1 && this.counter === 1) {
      for (let i = 0; i < n; i++)
        effective[i] = f(f((modelOutput[i] as number) + (e0[i] as number)) / 2);
      source = currentSample;
      this.hasCurrentSample = false;
    } else if (this.etsCount === 2) {
      for (let i = 0; i < n; i++)
        effective[i] = f(f(f(3 * (e0[i] as number)) - (e1[i] as number)) / 2);
    } else if (this.etsCount === 3) {
      for (let i = 0; i < n; i++) {
        effective[i] = f(
          f(f(f(23 * (e0[i] as number)) - f(16 * (e1[i] as number))) + f(5 * (e2[i] as number))) /
            12,
        );
      }
    } else {
      for (let i = 0; i < n; i++) {
        effective[i] = f(
          ONE_24TH *
            f(
              f(
                f(f(55 * (e0[i] as number)) - f(59 * (e1[i] as number))) +
                  f(37 * (e2[i] as number)),
              ) - f(9 * (e3[i] as number)),
            ),
        );
      }
    }
    this.previousSample(out.prevSample, source, currentTimestep, prevTimestep, effective);
  }

  /** diffusers' _get_prev_sample: formula (9) of the PNDM paper. */
  private previousSample(
    prevSample: Float32Array,
    sample: Float32Array,
    timestep: number,
    prevTimestep: number,
    modelOutput: Float32Array,
  ): void {
    // Float32 as diffusers' tensors.
    const alphaProd = this.alphaCumprodAt(timestep);
    const alphaProdPrev = this.alphaCumprodPrevAt(prevTimestep, this.finalAlphaCumprod);
    const betaProd = f(1 - alphaProd);
    const betaProdPrev = f(1 - alphaProdPrev);
    const sampleCoeff = f(Math.sqrt(f(alphaProdPrev / alphaProd)));
    const denominator = f(
      f(alphaProd * f(Math.sqrt(betaProdPrev))) +
        f(Math.sqrt(f(f(alphaProd * betaProd) * alphaProdPrev))),
    );
    const difference = f(alphaProdPrev - alphaProd);
    const vPrediction = this.predictionType === 'v_prediction';
    const sqrtAlphaProd = f(Math.sqrt(alphaProd));
    const sqrtBetaProd = f(Math.sqrt(betaProd));
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      let m = modelOutput[i] as number;
      if (vPrediction) m = f(f(sqrtAlphaProd * m) + f(sqrtBetaProd * x));
      prevSample[i] = f(f(sampleCoeff * x) - f(f(difference * m) / denominator));
    }
  }
}
