import { describe, expect, test } from 'vitest';
import { DDIMParallelScheduler, createScheduler } from '../src/index.js';
import type { Scheduler } from '../src/index.js';
import { OTHER_SCHEDULER_CASES } from './diffusers-cases.js';
import { DPM_SOLVER_CASES } from './diffusers-cases-dpm.js';
import type { DiffusersCase } from './diffusers-cases.js';
import {
  ELEMENTS,
  diffusersLoop,
  dummyModel,
  dummyNoiseDeter,
  dummySampleDeter,
  scaleAll,
  sumAndMean,
} from './diffusers-harness.js';

/** Every transcribed case: the DPM-Solver family's and the other classes'. */
const DIFFUSERS_CASES: readonly DiffusersCase[] = [...OTHER_SCHEDULER_CASES, ...DPM_SOLVER_CASES];

/** Runs one case as diffusers' test does; returns the final sample. */
export function runCase(c: DiffusersCase): Float32Array {
  const scheduler: Scheduler = c.make
    ? c.make(c.config)
    : createScheduler(c.config, { name: c.className });
  if (c.steps !== null) scheduler.setTimesteps(c.steps);
  let sample = dummySampleDeter(c.perItem);
  if (c.scaleByInitSigma) sample = scaleAll(sample, scheduler.initNoiseSigma);
  let timesteps = [...scheduler.timesteps];
  if (c.tStart !== undefined) {
    timesteps = timesteps.slice(c.tStart * scheduler.order);
    sample = scheduler.addNoise(sample, sample, dummyNoiseDeter(c.perItem), timesteps[0] as number);
  }
  if (c.from !== undefined) timesteps = timesteps.slice(c.from);
  let result = diffusersLoop(scheduler, { ...c.loop, sample, timesteps });
  if (c.twice) result = diffusersLoop(scheduler, { ...c.loop, sample: result, timesteps });
  return result;
}

/** Half a unit in the last digit diffusers printed (0.044 -> 5e-4, 2.2676e-6 -> 5e-11). */
export function printedPrecision(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).split('e');
  const decimals = mantissa.includes('.') ? (mantissa.split('.')[1] as string).length : 0;
  return 0.5 * 10 ** (-decimals + Number(exponent));
}

/**
 * What float32 rounding allows on top of diffusers' printed digits: these loops shrink the sample
 * by up to three orders of magnitude from its start (sigma_max ~ 157 times the dummy sample), so
 * one float32 ulp there (6e-8 relative) becomes up to ~6e-5 of the result. We allow 1e-5.
 */
const FLOAT32_LOOP_TOLERANCE = 1e-5;

describe("diffusers' full-loop values", () => {
  test('DPM-Solver++ Karras v-prediction as diffusers computes it today is within its tolerance of the pin', () => {
    const karras = DIFFUSERS_CASES.find(
      (c) => c.make !== undefined && c.className === 'DPMSolverMultistepScheduler',
    ) as DiffusersCase;
    const { mean } = sumAndMean(runCase({ ...karras, make: undefined }));
    expect(Math.abs(mean - 0.2096)).toBeLessThan(1e-3);
    expect(Math.abs(mean - 0.2092)).toBeLessThan(1e-4);
  });

  test('inverse DPM-Solver++ Karras v-prediction as diffusers computes it today is within its tolerance of the pin', () => {
    const karras = DIFFUSERS_CASES.find(
      (c) => c.make !== undefined && c.className === 'DPMSolverMultistepInverseScheduler',
    ) as DiffusersCase;
    const { mean } = sumAndMean(runCase({ ...karras, make: undefined }));
    expect(Math.abs(mean - 1.7833)).toBeLessThan(2e-3);
    expect(Math.abs(mean - 1.7816)).toBeLessThan(1e-4);
  });

  test('PNDM with beta_start 0.01 as diffusers computes it today is within its tolerance of the pins', () => {
    const today = {
      full_loop_with_set_alpha_to_one: 230.0373,
      full_loop_with_no_set_alpha_to_one: 186.9453,
    };
    for (const c of DIFFUSERS_CASES.filter((c) => c.make && c.className === 'PNDMScheduler')) {
      const { sum } = sumAndMean(runCase({ ...c, make: undefined }));
      expect(Math.abs(sum - (c.sum as number))).toBeLessThan(1e-2);
      expect(sum).toBeCloseTo(today[c.name as keyof typeof today], 4);
    }
  });

  test('DDIMParallelScheduler batch_step_no_noise: three shifted samples at timesteps 0, 1 and 2', () => {
    // test_scheduler_ddim_parallel.py: stack([s, s + 0.1, s - 0.1]) flattened to 12 items, item j
    // at timestep j // 4, the model applied per item; diffusers pins sum 1147.7904, mean 0.4982.
    const scheduler = new DDIMParallelScheduler({ clip_sample: true });
    scheduler.setTimesteps(10);
    const base = dummySampleDeter();
    const samples = new Float32Array(3 * ELEMENTS);
    const residual = new Float32Array(3 * ELEMENTS);
    const timesteps: number[] = [];
    [0, 0.1, -0.1].forEach((shift, k) => {
      const block = samples.subarray(k * ELEMENTS, (k + 1) * ELEMENTS);
      block.set(base.map((v) => Math.fround(v + Math.fround(shift))));
      dummyModel(residual.subarray(k * ELEMENTS, (k + 1) * ELEMENTS), block, k);
      timesteps.push(k, k, k, k);
    });
    const prev = scheduler.batchStepNoNoise(
      residual,
      timesteps,
      samples,
      new Float32Array(3 * ELEMENTS),
    );
    const { sum, mean } = sumAndMean(prev);
    expect(Math.abs(sum - 1147.7904)).toBeLessThanOrEqual(
      printedPrecision(1147.7904) + FLOAT32_LOOP_TOLERANCE * 1147.7904,
    );
    expect(Math.abs(mean - 0.4982)).toBeLessThanOrEqual(printedPrecision(0.4982) + 1e-5);
  });

  test.each(DIFFUSERS_CASES.map((c) => [`${c.className} ${c.name}`, c] as const))('%s', (_, c) => {
    const { sum, mean } = sumAndMean(runCase(c));
    if (c.unexplainedGap !== undefined) {
      if (c.sum !== undefined) expect(Math.abs(sum - c.sum)).toBeLessThan(c.unexplainedGap);
      else expect(Math.abs(mean - c.mean)).toBeLessThan(c.unexplainedGap);
      return;
    }
    if (c.roundOff) {
      const start = createScheduler(c.config, { name: c.className });
      if (c.steps !== null) start.setTimesteps(c.steps);
      const bound = 1e-7 * sumAndMean(scaleAll(dummySampleDeter(), start.initNoiseSigma)).sum;
      expect(sum, 'ours cancels to round-off').toBeLessThan(bound);
      expect(c.sum ?? c.mean * 768, "diffusers' value is round-off too").toBeLessThan(bound);
      return;
    }
    if (c.sum !== undefined) {
      expect(Math.abs(sum - c.sum), `sum ${sum} vs diffusers ${c.sum}`).toBeLessThanOrEqual(
        printedPrecision(c.sum) + FLOAT32_LOOP_TOLERANCE * Math.abs(c.sum),
      );
    }
    expect(Math.abs(mean - c.mean), `mean ${mean} vs diffusers ${c.mean}`).toBeLessThanOrEqual(
      c.meanTolerance ??
        (c.meanTruncated
          ? 1e-3
          : printedPrecision(c.mean) + FLOAT32_LOOP_TOLERANCE * Math.abs(c.mean)),
    );
  });
});
