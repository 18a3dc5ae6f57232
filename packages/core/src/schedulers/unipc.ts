import {
  readBoolean,
  readEnum,
  readInteger,
  readOptionalNumber,
  readNumberArray,
} from '../config.js';
import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { NoiseInput } from '../tensor-ops.js';
import type { SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';
import {
  MULTISTEP_DEFAULTS,
  MultistepScheduler,
  ModelOutputHistory,
  multistepSigmas,
  multistepTimesteps,
  predictOriginal,
} from './multistep.js';
import { alphaSigmaLambdaInto } from './dpm-update.js';
import { trainSigmaTables } from '../schedules.js';
import type { TrainSigmaTables } from '../schedules.js';

/**
 * UniPC (Zhao et al. 2023), as diffusers' UniPCMultistepScheduler: a multistep predictor (UniP)
 * and, from the second step on, a corrector (UniC) that refines the previous step's result with
 * the model output evaluated there, so it costs no extra evaluation. Config keys: the schedule
 * keys, solver_order (any positive integer), prediction_type, thresholding,
 * dynamic_thresholding_ratio, sample_max_value, predict_x0, solver_type ('bh1' | 'bh2'; DPM's
 * 'midpoint', 'heun' and 'logrho' map to 'bh2' as in diffusers), lower_order_final,
 * disable_corrector (step indices), use_karras_sigmas / use_exponential_sigmas / use_beta_sigmas (a ramp
 * between sigma_min and sigma_max when set), final_sigmas_type, timestep_spacing,
 * steps_offset, rescale_betas_zero_snr. Deterministic; one evaluation per step.
 */
export class UniPCMultistepScheduler extends MultistepScheduler {
  readonly className = 'UniPCMultistepScheduler';
  readonly solverOrder: number;
  readonly solverType: 'bh1' | 'bh2';
  readonly predictX0: boolean;
  readonly lowerOrderFinal: boolean;
  readonly disableCorrector: readonly number[];
  readonly finalSigmasType: 'zero' | 'sigma_min';
  /** Ramp endpoints from the config (sigma_min, sigma_max); null: the training extremes. */
  readonly sigmaMinOverride: number | null;
  readonly sigmaMaxOverride: number | null;
  private readonly tables: TrainSigmaTables;
  /** alpha, sigma, lambda of the noise level in hand (no tuple per call, so a step allocates nothing). */
  private readonly triple = new Float64Array(3);
  /** How many model outputs are stored (diffusers' lower_order_nums). */
  private lowerOrderNums = 0;
  /** Order of the last predictor step (diffusers' this_order), which the corrector repeats. */
  private lastOrder = 0;
  /** The sample the last predictor started from (diffusers' last_sample); null before the first step. */
  private lastSample: Float32Array | null = null;
  /** Whether lastSample holds this run's sample (the buffer is kept across runs). */
  private hasLastSample = false;
  /**
   * solver_order + 1 converted outputs: the corrector needs the previous solver_order outputs
   * while the current one is already converted.
   */
  private readonly history: ModelOutputHistory;
  // Small dense system R rho = b of the B(h) update, solved in place (no allocation per step).
  private readonly ratios: Float64Array;
  private readonly matrix: Float64Array;
  private readonly rhos: Float64Array;
  private readonly historyCoefficients: Float64Array;

  constructor(json: SchedulerConfigJson = {}) {
    super(json, MULTISTEP_DEFAULTS);
    this.solverOrder = readInteger(json, 'solver_order', 2, 1);
    const solverType = readEnum(
      json,
      'solver_type',
      ['bh1', 'bh2', 'midpoint', 'heun', 'logrho'] as const,
      'bh2',
    );
    this.solverType = solverType === 'bh1' ? 'bh1' : 'bh2';
    this.predictX0 = readBoolean(json, 'predict_x0', true);
    this.lowerOrderFinal = readBoolean(json, 'lower_order_final', true);
    const disabled = readNumberArray(json, 'disable_corrector') ?? [];
    if (disabled.some((v) => !Number.isInteger(v))) {
      throw new SchedulerConfigError('disable_corrector', 'expected step indices (integers)');
    }
    this.disableCorrector = Object.freeze([...disabled]);
    this.finalSigmasType = readEnum(
      json,
      'final_sigmas_type',
      ['zero', 'sigma_min'] as const,
      'zero',
    );
    this.sigmaMinOverride = readOptionalNumber(json, 'sigma_min');
    this.sigmaMaxOverride = readOptionalNumber(json, 'sigma_max');
    if (json['solver_p'] !== undefined && json['solver_p'] !== null) {
      throw new SchedulerConfigError('solver_p', 'is not supported (UniPC with another predictor)');
    }
    this.tables = trainSigmaTables(this.schedule);
    this.history = new ModelOutputHistory(this.solverOrder + 1);
    this.ratios = new Float64Array(this.solverOrder);
    this.matrix = new Float64Array(this.solverOrder * this.solverOrder);
    this.rhos = new Float64Array(this.solverOrder);
    this.historyCoefficients = new Float64Array(this.solverOrder);
  }

  setTimesteps(numInferenceSteps: number | null, options?: SetTimestepsOptions): void {
    this.rejectCustomTimesteps(options);
    const n = this.requireStepCount(numInferenceSteps);
    const timesteps = multistepTimesteps(this.common, n, this.numTrainTimesteps);
    const result = multistepSigmas(timesteps, this.tables, this.sigmaRamp, this.finalSigmasType, {
      sigmaMin: this.sigmaMinOverride,
      sigmaMax: this.sigmaMaxOverride,
    });
    // With a ramp diffusers' 'sigma_min' final sigma is the ramp's last sigma (the config's
    // sigma_min when set), not the training table's.
    if (this.sigmaRamp && this.finalSigmasType === 'sigma_min')
      result.sigmas[n] = result.sigmas[n - 1] as number;
    this.installTimesteps(result.timesteps, result.sigmas);
    this.lowerOrderNums = 0;
    this.lastOrder = 0;
    this.hasLastSample = false;
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
    this.requireTimesteps();
    const index = this.initStepIndex(timestep);
    const sigmas = this.sigmas as Float32Array;
    let lastSample = this.lastSample;
    const useCorrector =
      index > 0 &&
      !this.disableCorrector.includes(index - 1) &&
      this.hasLastSample &&
      lastSample !== null &&
      lastSample.length === n;

    // The current output is converted at the uncorrected sample, as diffusers does.
    const converted = this.history.advance(n);
    alphaSigmaLambdaInto(this.triple, 0, sigmas[index] as number, false);
    const alpha = this.triple[0] as number;
    const sigma = this.triple[1] as number;
    predictOriginal(converted, modelOutput, sample, alpha, sigma, this.predictionType);
    if (this.common.thresholding && this.predictX0)
      this.clipOrThreshold(converted, options?.batchSize ?? 1, false);
    if (out.predOriginalSample) out.predOriginalSample.set(converted);
    if (!this.predictX0) this.toEpsilon(converted, modelOutput, sample, alpha, sigma);

    if (lastSample === null || lastSample.length !== n) {
      lastSample = new Float32Array(n);
      this.lastSample = lastSample;
    }
    this.hasLastSample = true;
    if (useCorrector) {
      // UniC: redo the last step from last_sample with the output evaluated at its result.
      this.correct(lastSample, index, this.lastOrder);
    } else {
      lastSample.set(sample);
    }

    let order = this.lowerOrderFinal
      ? Math.min(this.solverOrder, this.timesteps.length - index)
      : this.solverOrder;
    order = Math.min(order, this.lowerOrderNums + 1);
    this.lastOrder = order;
    this.predict(out.prevSample, lastSample, index, order);

    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.currentStepIndex = index + 1;
    return out;
  }

  /** predict_x0 = false: the epsilon the x0 stands for (diffusers' non-x0 convert_model_output). */
  private toEpsilon(
    converted: Float32Array,
    modelOutput: Float32Array,
    sample: Float32Array,
    alpha: number,
    sigma: number,
  ): void {
    const type = this.predictionType;
    for (let i = 0; i < sample.length; i++) {
      const m = modelOutput[i] as number;
      const x = sample[i] as number;
      converted[i] =
        type === 'epsilon'
          ? m
          : type === 'sample'
            ? (x - alpha * m) / sigma
            : alpha * m + sigma * x;
    }
  }

  /**
   * Fills `this.rhos[0..size)` with the solution of R rho = b, where row i of R holds the step
   * ratios to the power i and b_i = i! h phi_{i+1}(h) / B(h) (diffusers' R and b, truncated to size).
   */
  private solveRhos(hh: number, bh: number, ratioCount: number, size: number): void {
    const matrix = this.matrix;
    const rhos = this.rhos;
    let hPhiK = Math.expm1(hh) / hh - 1;
    let factorial = 1;
    for (let row = 0; row < size; row++) {
      rhos[row] = (hPhiK * factorial) / bh;
      factorial *= row + 2;
      hPhiK = hPhiK / hh - 1 / factorial;
      for (let column = 0; column < size; column++) {
        const ratio = column < ratioCount ? (this.ratios[column] as number) : 1;
        matrix[row * size + column] = ratio ** row;
      }
    }
    // Gaussian elimination with partial pivoting.
    for (let pivot = 0; pivot < size; pivot++) {
      let best = pivot;
      for (let row = pivot + 1; row < size; row++) {
        if (
          Math.abs(matrix[row * size + pivot] as number) >
          Math.abs(matrix[best * size + pivot] as number)
        )
          best = row;
      }
      if (best !== pivot) {
        for (let column = 0; column < size; column++) {
          const held = matrix[pivot * size + column] as number;
          matrix[pivot * size + column] = matrix[best * size + column] as number;
          matrix[best * size + column] = held;
        }
        const held = rhos[pivot] as number;
        rhos[pivot] = rhos[best] as number;
        rhos[best] = held;
      }
      for (let row = pivot + 1; row < size; row++) {
        const factor =
          (matrix[row * size + pivot] as number) / (matrix[pivot * size + pivot] as number);
        for (let column = pivot; column < size; column++) {
          matrix[row * size + column] =
            (matrix[row * size + column] as number) -
            factor * (matrix[pivot * size + column] as number);
        }
        rhos[row] = (rhos[row] as number) - factor * (rhos[pivot] as number);
      }
    }
    for (let row = size - 1; row >= 0; row--) {
      let value = rhos[row] as number;
      for (let column = row + 1; column < size; column++)
        value -= (matrix[row * size + column] as number) * (rhos[column] as number);
      rhos[row] = value / (matrix[row * size + row] as number);
    }
  }

  /**
   * The B(h) update from sigma index `from` to `to`: with base = from `source`, m0 = the output
   * at `from` (history slot `newestSlot`) and older outputs m_k (slots newestSlot + k, at sigma
   * index from - k), writes
   *   target = c_x * source - c_0 * m0 - s_t * B(h) * (sum_k rho_k (m_k - m0) / r_k + rho_t * (mT - m0))
   * where the last term exists only for the corrector (mT = `current`).
   */
  private update(
    target: Float32Array,
    source: Float32Array,
    from: number,
    to: number,
    newestSlot: number,
    order: number,
    current: Float32Array | null,
  ): void {
    const sigmas = this.sigmas as Float32Array;
    alphaSigmaLambdaInto(this.triple, 0, sigmas[to] as number, false);
    const alphaT = this.triple[0] as number;
    const sigmaT = this.triple[1] as number;
    const lambdaT = this.triple[2] as number;
    alphaSigmaLambdaInto(this.triple, 0, sigmas[from] as number, false);
    const alphaS0 = this.triple[0] as number;
    const sigmaS0 = this.triple[1] as number;
    const lambdaS0 = this.triple[2] as number;
    const h = lambdaT - lambdaS0;
    if (h === 0) {
      // A zero-width step leaves the sample where it is (the ratios below would divide by h).
      if (target !== source) target.set(source);
      return;
    }
    const historyCount = order - 1;
    for (let k = 1; k <= historyCount; k++) {
      alphaSigmaLambdaInto(this.triple, 0, sigmas[from - k] as number, false);
      const lambdaSk = this.triple[2] as number;
      this.ratios[k - 1] = (lambdaSk - lambdaS0) / h;
    }
    const hh = this.predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bh = this.solverType === 'bh1' ? hh : Math.expm1(hh);
    const rhos = this.rhos;
    if (current === null) {
      // Predictor: rho from the first order - 1 equations (0.5 for order 2, as diffusers).
      if (historyCount === 1) rhos[0] = 0.5;
      else if (historyCount > 1) this.solveRhos(hh, bh, historyCount, historyCount);
    } else if (order === 1) {
      rhos[0] = 0.5;
    } else {
      this.solveRhos(hh, bh, historyCount, order);
    }
    const sampleCoefficient = this.predictX0 ? sigmaT / sigmaS0 : alphaT / alphaS0;
    const outputScale = this.predictX0 ? alphaT : sigmaT;
    const correctionScale = outputScale * bh;
    // Expand into target = c_x * source + c_0 * m0 + sum_k c_k * m_k (+ c_t * mT).
    let m0Coefficient = -outputScale * hPhi1;
    for (let k = 0; k < historyCount; k++) {
      const coefficient = (-correctionScale * (rhos[k] as number)) / (this.ratios[k] as number);
      this.historyCoefficients[k] = coefficient;
      m0Coefficient -= coefficient;
    }
    const currentCoefficient =
      current === null ? 0 : -correctionScale * (rhos[historyCount] as number);
    m0Coefficient -= currentCoefficient;
    const m0 = this.history.at(newestSlot);
    const n = source.length;
    for (let i = 0; i < n; i++) {
      let value = sampleCoefficient * (source[i] as number) + m0Coefficient * (m0[i] as number);
      for (let k = 0; k < historyCount; k++) {
        value +=
          (this.historyCoefficients[k] as number) *
          (this.history.at(newestSlot + k + 1)[i] as number);
      }
      if (current !== null) value += currentCoefficient * (current[i] as number);
      target[i] = value;
    }
  }

  /** UniP from sigma index `index` to index + 1; history slot 0 is the current output. */
  private predict(
    prevSample: Float32Array,
    sample: Float32Array,
    index: number,
    order: number,
  ): void {
    this.update(prevSample, sample, index, index + 1, 0, order, null);
  }

  /** UniC of the step index - 1 -> index, in place on last_sample; slot 0 is the output at index. */
  private correct(lastSample: Float32Array, index: number, order: number): void {
    this.update(lastSample, lastSample, index - 1, index, 1, order, this.history.at(0));
  }
}
