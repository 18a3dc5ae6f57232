import { describe, expect, it } from 'vitest';
import {
  DDIMScheduler,
  NormalGenerator,
  isGuided,
  sampleGuided,
  samplingDefaults,
  schedulerForSampling,
} from '../src/index.js';
import type { DPMSolverSDEScheduler, DenoiserCall } from '../src/index.js';

const config = {
  _class_name: 'DDPMScheduler',
  num_train_timesteps: 1000,
  beta_schedule: 'linear',
  clip_sample: false,
};

/** A denoiser whose prediction depends on the label: label * 0.01 + 0.1 * x. */
const labelledDenoiser =
  (calls: { batch: number; labels: bigint[] }[]): DenoiserCall =>
  async ({ sample, labels, batch }) => {
    calls.push({ batch, labels: Array.from(labels) });
    const out = new Float32Array(sample.length);
    const item = sample.length / batch;
    for (let n = 0; n < batch; n++) {
      for (let i = 0; i < item; i++) {
        out[n * item + i] = Number(labels[n]) * 0.01 + 0.1 * sample[n * item + i]!;
      }
    }
    return out;
  };

describe('sampleGuided', () => {
  it("gives DPM-Solver SDE the run seed's Brownian tree instead of independent normals", async () => {
    const run = async (runSeed: number | undefined) => {
      const scheduler = schedulerForSampling(config, undefined, 'dpmsolver-sde', 6, runSeed);
      const { sample } = await sampleGuided({
        scheduler,
        itemShape: [1, 4, 4],
        labels: [2],
        nullLabel: 10,
        guidanceScale: 0,
        noise: new NormalGenerator(9),
        predict: labelledDenoiser([]),
      });
      return { sample, seed: (scheduler as DPMSolverSDEScheduler).noiseSamplerSeed };
    };
    const seeded = await run(9);
    expect(seeded.seed).toBe(9);
    expect((await run(9)).sample).toEqual(seeded.sample);
    expect((await run(10)).sample).not.toEqual(seeded.sample);
    // Without a run seed the steps take the loop's generator, as before.
    const independent = await run(undefined);
    expect(independent.seed).toBeNull();
    expect(independent.sample).not.toEqual(seeded.sample);
    // A config's own noise_sampler_seed wins over the run's seed.
    const pinned = schedulerForSampling(
      { ...config, noise_sampler_seed: 3 },
      undefined,
      'dpmsolver-sde',
      6,
      9,
    ) as DPMSolverSDEScheduler;
    expect(pinned.noiseSamplerSeed).toBe(3);
  });

  it('with guidanceInput calls the model once per step with the labels as given and the scale as an input (LCM)', async () => {
    const calls: { batch: number; labels: bigint[]; scales: number[] | undefined }[] = [];
    const lcm = {
      _class_name: 'LCMScheduler',
      num_train_timesteps: 1000,
      beta_schedule: 'linear',
      beta_start: 0.0001,
      beta_end: 0.02,
      original_inference_steps: 50,
    };
    const sampling = { sampler: 'lcm', num_inference_steps: 4, guidance_input: 'guidance_scale' };
    const defaults = samplingDefaults(sampling);
    expect(defaults.guidanceInput).toBe('guidance_scale');
    expect(defaults.sampler).toBe('lcm');
    expect(defaults.steps).toBe(4);
    expect(samplingDefaults({ sampler: 'ddim' }).guidanceInput).toBeUndefined();
    const scheduler = schedulerForSampling(lcm, sampling, defaults.sampler, defaults.steps);
    expect(scheduler.className).toBe('LCMScheduler');
    const result = await sampleGuided({
      scheduler,
      itemShape: [1, 2, 2],
      labels: [3, null],
      nullLabel: 10,
      guidanceScale: 5,
      guidanceInput: true,
      noise: new NormalGenerator(1),
      predict: async (inputs) => {
        calls.push({
          batch: inputs.batch,
          labels: Array.from(inputs.labels),
          scales: inputs.guidanceScales && Array.from(inputs.guidanceScales),
        });
        return labelledDenoiser([])(inputs);
      },
    });
    expect(result.evaluations).toBe(4);
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      expect(call).toEqual({ batch: 2, labels: [3n, 10n], scales: [5, 5] });
    }
    // Without the flag the same run is the batch-2 guided call and takes no scale input.
    const plain: { batch: number; labels: bigint[] }[] = [];
    await sampleGuided({
      scheduler: schedulerForSampling(lcm, sampling, 'lcm', 4),
      itemShape: [1, 2, 2],
      labels: [3, null],
      nullLabel: 10,
      guidanceScale: 5,
      noise: new NormalGenerator(1),
      predict: labelledDenoiser(plain),
    });
    expect(plain[0]!.batch).toBe(4);
  });

  it('lays out a guided batch as [labels, null labels] and combines them as eps(null) + s * (eps(c) - eps(null))', async () => {
    const calls: { batch: number; labels: bigint[] }[] = [];
    const steps: Float32Array[] = [];
    const result = await sampleGuided({
      scheduler: schedulerForSampling(config, undefined, 'ddim', 5),
      itemShape: [1, 2, 2],
      labels: [3, null],
      nullLabel: 10,
      guidanceScale: 4,
      noise: new NormalGenerator(1),
      predict: labelledDenoiser(calls),
      onStep: (state) => {
        steps.push(state.noise.slice());
        expect(state.conditionalNoise).toBeDefined();
        // Item 0: 0.1 x + 0.1 + 4 * (0.03 - 0.1); item 1 (no label): both halves equal.
        const u = state.unconditionalNoise!;
        const c = state.conditionalNoise!;
        for (let i = 0; i < 8; i++) {
          expect(state.noise[i]).toBeCloseTo(u[i]! + 4 * (c[i]! - u[i]!), 6);
        }
      },
    });
    expect(result.evaluations).toBe(5);
    expect(steps).toHaveLength(5);
    expect(calls[0]).toEqual({ batch: 4, labels: [3n, 10n, 10n, 10n] });
  });

  it('calls the model once per item without guidance, and scale 1 equals no guidance', async () => {
    const run = async (guidanceScale: number) => {
      const calls: { batch: number; labels: bigint[] }[] = [];
      const { sample } = await sampleGuided({
        scheduler: schedulerForSampling(config, undefined, 'dpmsolver++', 8),
        itemShape: [4],
        labels: [7],
        nullLabel: 10,
        guidanceScale,
        noise: new NormalGenerator(5),
        predict: labelledDenoiser(calls),
      });
      return { sample, calls };
    };
    const plain = await run(1);
    expect(plain.calls.every((call) => call.batch === 1)).toBe(true);
    expect(isGuided([null, null], 3)).toBe(false);
    const guided = await run(3);
    expect(guided.calls.every((call) => call.batch === 2)).toBe(true);
    expect(Array.from(guided.sample)).not.toEqual(Array.from(plain.sample));
  });

  it('stops at the checkpoint, and refuses a short model output by name', async () => {
    let calls = 0;
    await expect(
      sampleGuided({
        scheduler: schedulerForSampling(config, undefined, 'ddim', 10),
        itemShape: [4],
        labels: [1],
        nullLabel: 10,
        guidanceScale: 1,
        noise: new NormalGenerator(0),
        checkpoint: () => {
          if (calls === 3) throw new Error('stopped');
        },
        predict: async ({ sample }) => {
          calls += 1;
          return new Float32Array(sample.length);
        },
      }),
    ).rejects.toThrow('stopped');
    expect(calls).toBe(3);
    await expect(
      sampleGuided({
        scheduler: schedulerForSampling(config, undefined, 'ddim', 10),
        itemShape: [4],
        labels: [1],
        nullLabel: 10,
        guidanceScale: 1,
        noise: new NormalGenerator(0),
        predict: async () => new Float32Array(2),
      }),
    ).rejects.toThrow('returned 2 values for 1 items of 4');
  });

  it("applies a manifest's sampling block: set_alpha_to_one and the recommended settings", () => {
    const withOne = schedulerForSampling(config, { set_alpha_to_one: true }, 'ddim', 10);
    const without = schedulerForSampling(config, { set_alpha_to_one: false }, 'ddim', 10);
    expect(withOne).toBeInstanceOf(DDIMScheduler);
    expect(withOne.timesteps).toEqual(without.timesteps);
    // The final alpha differs, so the last step does too.
    const last = withOne.timesteps.at(-1)!;
    const sample = new Float32Array([0.5]);
    const eps = new Float32Array([0.2]);
    const a = withOne.step(eps, last, sample, { prevSample: new Float32Array(1) });
    const b = without.step(eps, last, sample, { prevSample: new Float32Array(1) });
    expect(a.prevSample[0]).not.toBeCloseTo(b.prevSample[0]!, 6);
    expect(samplingDefaults({ num_inference_steps: 20, guidance_scale: 2 })).toEqual({
      steps: 20,
      guidanceScale: 2,
      eta: 0,
      useClippedModelOutput: false,
    });
  });
});
