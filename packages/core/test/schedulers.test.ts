import { describe, expect, test } from 'vitest';
import {
  SCHEDULER_NAMES,
  DDIMScheduler,
  DDPMScheduler,
  DEISMultistepScheduler,
  DPMSolverMultistepScheduler,
  EulerDiscreteScheduler,
  HeunDiscreteScheduler,
  NormalGenerator,
  SchedulerConfigError,
  UniPCMultistepScheduler,
  addNoise,
  createScheduler,
  scheduleFromConfig,
} from '../src/index.js';
import type { DPMSolverSinglestepScheduler } from '../src/index.js';
import { expectAllClose } from './matchers.js';
import {
  dummyModel,
  refAlphasCumprod,
  refDdimLoop,
  refDdpmLoop,
  refDeisLoop,
  refDpmSolverPlusPlus2M,
  refEulerLoop,
  refEulerSigmas,
  refHeunLoop,
  refInitialSample,
  refLinearBetas,
  refNoise,
  refTrainSigmas,
  refUniPcLoop,
} from './reference.js';
import type { RefUniPcOptions } from './reference.js';
import {
  refDdimInverseLoop,
  refDpmSdeLoop,
  refEdmDpmLoop,
  refEdmEulerLoop,
  refEdmSigmas,
  refIpndmLoop,
  refKdpm2AncestralLoop,
  refKdpm2Loop,
  refLcmLoop,
  refLmsLoop,
  refPlmsLoop,
  refTcdLoop,
} from './reference-extra.js';
import { refDpmInverseLoop, refDpmMultistepLoop, refDpmSinglestepLoop } from './reference-dpm.js';
import { N, runLoop } from './run-loop.js';

const linearAlphasCumprod = refAlphasCumprod(refLinearBetas(0.0001, 0.02, 1000));
const heunAlphasCumprod = refAlphasCumprod(refLinearBetas(0.00085, 0.012, 1000));

describe('timesteps match diffusers', () => {
  test('DDPM/DDIM leading with steps_offset, linspace and trailing', () => {
    const ddim = new DDIMScheduler({ steps_offset: 1 });
    ddim.setTimesteps(5);
    expect(ddim.timesteps).toEqual([801, 601, 401, 201, 1]);
    const linspace = new DDIMScheduler({ timestep_spacing: 'linspace' });
    linspace.setTimesteps(4);
    expect(linspace.timesteps).toEqual([999, 666, 333, 0]);
    const trailing = new DDPMScheduler({ timestep_spacing: 'trailing' });
    trailing.setTimesteps(3);
    expect(trailing.timesteps).toEqual([999, 666, 332]);
  });

  test('DPM-Solver++ linspace rounds half to even like numpy', () => {
    const dpm = new DPMSolverMultistepScheduler({});
    dpm.setTimesteps(10);
    expect(dpm.timesteps).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
  });

  test('Euler float linspace timesteps and interpolated sigmas', () => {
    const euler = new EulerDiscreteScheduler({});
    euler.setTimesteps(4);
    expectAllClose(euler.timesteps, [999, 666, 333, 0], { abs: 0 });
    expectAllClose(
      euler.sigmas as Float32Array,
      refEulerSigmas(linearAlphasCumprod, [999, 666, 333, 0]),
      { rel: 2e-6 },
    );
    euler.setTimesteps(7);
    expectAllClose(euler.timesteps, [999, 832.5, 666, 499.5, 333, 166.5, 0], { abs: 0 });
    expect(euler.initNoiseSigma).toBeCloseTo(157.4073, 3);
    const leading = new EulerDiscreteScheduler({ timestep_spacing: 'leading', steps_offset: 1 });
    leading.setTimesteps(4);
    expect(leading.timesteps).toEqual([751, 501, 251, 1]);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.sqrt((leading.sigmas?.[0] ?? 0) ** 2 + 1), 4);
  });

  test('Heun repeats every timestep after the first', () => {
    const heun = new HeunDiscreteScheduler({});
    heun.setTimesteps(3);
    expectAllClose(heun.timesteps, [999, 499.5, 499.5, 0, 0], { abs: 0 });
    expect(heun.timesteps.length).toBe(heun.modelEvaluations(3));
    const sigmas = heun.sigmas as Float32Array;
    expect(sigmas.length).toBe(6);
    expect(sigmas[1]).toBe(sigmas[2]);
    expect(sigmas[5]).toBe(0);
  });

  test('PNDM PRK warm-up timesteps and evaluation count', () => {
    const pndm = createScheduler({}, { name: 'pndm' });
    pndm.setTimesteps(10);
    expect(pndm.timesteps).toEqual([
      900, 850, 850, 800, 800, 750, 750, 700, 700, 650, 650, 600, 600, 500, 400, 300, 200, 100, 0,
    ]);
    expect(pndm.modelEvaluations(10)).toBe(19);
    const skip = createScheduler({ skip_prk_steps: true }, { name: 'pndm' });
    skip.setTimesteps(10);
    expect(skip.timesteps).toEqual([900, 800, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(skip.modelEvaluations(10)).toBe(skip.timesteps.length);
  });

  test('LCM skips through the original 50-step schedule', () => {
    const lcm = createScheduler({}, { name: 'lcm' });
    lcm.setTimesteps(4);
    expect(lcm.timesteps).toEqual([999, 759, 499, 259]);
  });

  test('Karras sigmas: rho = 7 endpoints and integer timesteps for DPM-Solver++', () => {
    const dpm = createScheduler({}, { name: 'dpmsolver++-karras' });
    dpm.setTimesteps(10);
    const sigmas = dpm.sigmas as Float32Array;
    const train = refEulerSigmas(linearAlphasCumprod, [999, 0]);
    expect(sigmas[0]).toBeCloseTo(train[0] as number, 3);
    // sigma_min comes from float32 alphas_cumprod[0] (1 - 0.9999 cancels), as in diffusers.
    expectAllClose([sigmas[9] as number], [train[1] as number], { abs: 0, rel: 1e-3 }, 'sigma_min');
    const rampPoint =
      ((train[0] as number) ** (1 / 7) +
        (5 / 9) * ((train[1] as number) ** (1 / 7) - (train[0] as number) ** (1 / 7))) **
      7;
    expect(sigmas[5]).toBeCloseTo(rampPoint, 3);
    expect(dpm.timesteps.every(Number.isInteger)).toBe(true);
    expect(dpm.timesteps[0]).toBe(999);
    expect(dpm.timesteps[9]).toBe(0);
  });
});

describe('full sampling loops match a float64 transcription of diffusers', () => {
  test.each([
    [true, 10],
    [false, 25],
  ])('DDPM (clip_sample %s, %i steps)', (clip, steps) => {
    const scheduler = new DDPMScheduler({ clip_sample: clip });
    const result = runLoop(scheduler, steps);
    expectAllClose(
      result,
      refDdpmLoop(linearAlphasCumprod, [...scheduler.timesteps], refInitialSample(N), clip),
      { abs: 2e-5, rel: 2e-4 },
    );
  });

  test.each([
    [0, 'epsilon'],
    [0.7, 'epsilon'],
    [0, 'v_prediction'],
  ] as const)('DDIM eta %s %s', (eta, prediction) => {
    const scheduler = new DDIMScheduler({ clip_sample: false, prediction_type: prediction });
    const result = runLoop(scheduler, 20, { eta });
    expectAllClose(
      result,
      refDdimLoop(
        linearAlphasCumprod,
        [...scheduler.timesteps],
        50,
        refInitialSample(N),
        eta,
        prediction,
      ),
      {
        abs: 2e-5,
        rel: 2e-4,
      },
    );
  });

  test.each([false, true])('Euler (ancestral %s)', (ancestral) => {
    const scheduler = createScheduler({}, { name: ancestral ? 'euler-ancestral' : 'euler' });
    const result = runLoop(scheduler, 15);
    const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
    expectAllClose(
      result,
      refEulerLoop(sigmas, [...scheduler.timesteps], refInitialSample(N), ancestral),
      { abs: 1e-4, rel: 2e-4 },
    );
  });

  test('Heun', () => {
    const scheduler = new HeunDiscreteScheduler({});
    const result = runLoop(scheduler, 8);
    const base = [
      999,
      ...Array.from({ length: 7 }, (_, i) => Math.fround(999 - (999 * (i + 1)) / 7)),
    ];
    const sigmas = refEulerSigmas(heunAlphasCumprod, base);
    expectAllClose(result, refHeunLoop(sigmas, base, refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
  });

  test('Euler with custom sigmas (set_timesteps(sigmas=...)), the final one included', () => {
    const custom = [80, 14.6, 5, 1.2, 0.3, 0.05, 0];
    const scheduler = new EulerDiscreteScheduler({});
    const result = runLoop(scheduler, { sigmas: custom });
    expectAllClose(Array.from(scheduler.sigmas as Float32Array), custom, { abs: 0, rel: 1e-7 });
    // Each timestep maps back to its sigma through the training table (log-sigma interpolation).
    expectAllClose(
      refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]).slice(0, -1),
      custom.slice(0, -1),
      { abs: 0, rel: 1e-4 },
    );
    expectAllClose(
      result,
      refEulerLoop(custom, [...scheduler.timesteps], refInitialSample(N), false),
      { abs: 1e-4, rel: 2e-4 },
    );
    for (const bad of [[5], [5, 6, 0], [5, Number.NaN, 0], [5, 1, -1]]) {
      expect(() => scheduler.setTimesteps(null, { sigmas: bad })).toThrow(SchedulerConfigError);
    }
    expect(() => scheduler.setTimesteps(6, { sigmas: custom })).toThrow(SchedulerConfigError);
    const karras = new EulerDiscreteScheduler({ use_karras_sigmas: true });
    expect(() => karras.setTimesteps(null, { sigmas: custom })).toThrow(SchedulerConfigError);
    // Only Euler takes sigmas, as in diffusers.
    const heun = new HeunDiscreteScheduler({});
    expect(() => heun.setTimesteps(null, { sigmas: custom })).toThrow(/custom sigmas/);
    const ddim = new DDIMScheduler({});
    expect(() => ddim.setTimesteps(null, { sigmas: custom })).toThrow(/custom sigmas/);
  });

  test("Euler timestep_type 'continuous' with v_prediction: timesteps are 0.25 log(sigma)", () => {
    const continuous = new EulerDiscreteScheduler({
      timestep_type: 'continuous',
      prediction_type: 'v_prediction',
    });
    const discrete = new EulerDiscreteScheduler({ prediction_type: 'v_prediction' });
    continuous.setTimesteps(10);
    discrete.setTimesteps(10);
    const sigmas = Array.from(continuous.sigmas as Float32Array);
    expect(sigmas).toEqual(Array.from(discrete.sigmas as Float32Array));
    expect(continuous.timesteps).toEqual(
      sigmas.slice(0, -1).map((s) => Math.fround(Math.log(s)) * 0.25),
    );
    // The loop finds each step by its continuous timestep and runs to the end.
    const result = runLoop(continuous, 10);
    expect(result.every(Number.isFinite)).toBe(true);
    expect(() => continuous.setTimesteps(null, { timesteps: [900, 500] })).toThrow(
      SchedulerConfigError,
    );
    // With epsilon prediction diffusers keeps discrete timesteps.
    const epsilon = new EulerDiscreteScheduler({ timestep_type: 'continuous' });
    epsilon.setTimesteps(10);
    expect(epsilon.timesteps[0]).toBe(999);
  });

  test("Heun with beta_schedule 'exp' (Shap-E's alpha_bar = exp(-12 t)); refused elsewhere", () => {
    const scheduler = new HeunDiscreteScheduler({ beta_schedule: 'exp' });
    // Every beta is 1 - exp(-12 / 1000).
    const betas = Array.from({ length: 1000 }, () => 1 - Math.exp(-12 / 1000));
    expectAllClose(Array.from(scheduler.schedule.betas), betas, { abs: 0, rel: 1e-6 });
    const result = runLoop(scheduler, 8);
    const base = [
      999,
      ...Array.from({ length: 7 }, (_, i) => Math.fround(999 - (999 * (i + 1)) / 7)),
    ];
    const sigmas = refEulerSigmas(refAlphasCumprod(betas), base);
    expectAllClose(result, refHeunLoop(sigmas, base, refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
    for (const name of ['euler', 'kdpm2', 'ddpm', 'dpmsolver++']) {
      expect(() => createScheduler({ beta_schedule: 'exp' }, { name })).toThrow(/only implemented/);
    }
  });

  test('Heun with custom timesteps (float32, as diffusers)', () => {
    const custom = [999, 812.5, 430, 120.25, 8];
    const scheduler = new HeunDiscreteScheduler({});
    const result = runLoop(scheduler, custom);
    expect(scheduler.timesteps).toEqual([999, 812.5, 812.5, 430, 430, 120.25, 120.25, 8, 8]);
    const sigmas = refEulerSigmas(heunAlphasCumprod, custom);
    expectAllClose(result, refHeunLoop(sigmas, custom, refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
    expect(() => scheduler.setTimesteps(5, { timesteps: custom })).toThrow(SchedulerConfigError);
  });

  test.each([10, 25])('DPM-Solver++ 2M, %i steps', (steps) => {
    const scheduler = new DPMSolverMultistepScheduler({});
    const result = runLoop(scheduler, steps);
    const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
    expectAllClose(
      result,
      refDpmSolverPlusPlus2M(sigmas, [...scheduler.timesteps], refInitialSample(N)),
      { abs: 2e-5, rel: 2e-4 },
    );
  });
});

describe('DPM-Solver multistep: every algorithm type, order and solver type', () => {
  const cases = (['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver'] as const).flatMap(
    (algorithm) =>
      [1, 2, 3]
        .filter((order) => order < 3 || !algorithm.startsWith('sde'))
        .flatMap((order) =>
          (['midpoint', 'heun'] as const).flatMap((solverType) =>
            [10, 20].map((steps) => [algorithm, order, solverType, steps] as const),
          ),
        ),
  );
  test.each(cases)('%s order %i %s, %i steps', (algorithm, solverOrder, solverType, steps) => {
    const scheduler = new DPMSolverMultistepScheduler({
      algorithm_type: algorithm,
      solver_order: solverOrder,
      solver_type: solverType,
      final_sigmas_type: algorithm.endsWith('++') ? 'zero' : 'sigma_min',
    });
    const result = runLoop(scheduler, steps);
    const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
    if (!algorithm.endsWith('++')) sigmas[steps] = refTrainSigmas(linearAlphasCumprod)[0] as number;
    const noise = algorithm.startsWith('sde') ? (k: number) => refNoise(N, k) : undefined;
    expectAllClose(
      result,
      refDpmMultistepLoop(sigmas, [...scheduler.timesteps], refInitialSample(N), {
        algorithm,
        solverOrder,
        solverType,
        noise,
      }),
      { abs: 2e-5, rel: 2e-4 },
    );
  });
});

describe('an oracle model lands every scheduler on x0', () => {
  const names = [
    'ddpm',
    'ddim',
    'euler',
    'euler-ancestral',
    'dpmsolver++',
    'dpmsolver++-karras',
    'heun',
    'lms',
    'pndm',
    'lcm',
    'unipc',
  ] as const;
  test.each(names)('%s', (name) => {
    const scheduler = createScheduler({ clip_sample: false, set_alpha_to_one: true }, { name });
    scheduler.setTimesteps(name === 'lcm' ? 4 : 30);
    const x0 = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.37) * 0.8);
    const rng = new NormalGenerator(1234);
    const sample = rng.fill(new Float32Array(64)).map((v) => v * scheduler.initNoiseSigma);
    const input = new Float32Array(64);
    const eps = new Float32Array(64);
    const sigmas = scheduler.sigmas;
    for (const t of scheduler.timesteps) {
      scheduler.scaleModelInput(input, sample, t);
      // The model input is a variance-preserving sample: find its alpha-bar and return its exact noise.
      const sigma = sigmas ? (sigmas[scheduler.stepIndex ?? 0] as number) : 0;
      const alphaBar = sigmas
        ? 1 / (1 + sigma * sigma)
        : (scheduler.schedule.alphasCumprod[t] as number);
      for (let i = 0; i < 64; i++)
        eps[i] =
          ((input[i] as number) - Math.sqrt(alphaBar) * (x0[i] as number)) /
          Math.sqrt(1 - alphaBar);
      scheduler.step(eps, t, sample, { prevSample: sample }, rng);
    }
    expectAllClose(sample, x0, { abs: 2e-3, rel: 0 }, name);
  });
});

describe('properties', () => {
  test('DDIM with eta = 0 ignores the noise; eta > 0 does not', () => {
    const a = runLoop(new DDIMScheduler({}), 10, { eta: 0 });
    const scheduler = new DDIMScheduler({});
    scheduler.setTimesteps(10);
    const sample = Float32Array.from(refInitialSample(N));
    const model = new Float32Array(N);
    scheduler.timesteps.forEach((t) => {
      model.set(dummyModel(sample, t));
      scheduler.step(model, t, sample, { prevSample: sample }, new NormalGenerator(99));
    });
    expectAllClose(sample, a, { abs: 0, rel: 0 });
    const noisy = runLoop(new DDIMScheduler({}), 10, { eta: 1 });
    expect(Math.max(...noisy.map((v, i) => Math.abs(v - (a[i] as number))))).toBeGreaterThan(1e-3);
  });

  test('DDIM with eta = 1 uses DDPM posterior variance at full steps', () => {
    const ddim = new DDIMScheduler({ clip_sample: false });
    ddim.setTimesteps(1000);
    const ddpm = new DDPMScheduler({ clip_sample: false });
    ddpm.setTimesteps(1000);
    const alphasCumprod = ddim.schedule.alphasCumprod;
    for (const t of [1, 10, 500, 999]) {
      const posterior =
        ((1 - (alphasCumprod[t - 1] as number)) / (1 - (alphasCumprod[t] as number))) *
        (ddim.schedule.betas[t] as number);
      expectAllClose(
        [ddim.variance(t, t - 1)],
        [posterior],
        { abs: 0, rel: 1e-3 },
        `variance at ${t}`,
      );
    }
    // Same step: DDIM eta=1 and DDPM fixed_small with the same noise give the same sample.
    const sample = Float32Array.from(refInitialSample(N));
    const output = Float32Array.from(dummyModel(sample, 500));
    const noise = Float32Array.from(refNoise(N, 3));
    const fromDdim = new Float32Array(N);
    const fromDdpm = new Float32Array(N);
    ddim.step(output, 500, sample, { prevSample: fromDdim }, noise, { eta: 1 });
    ddpm.step(output, 500, sample, { prevSample: fromDdpm }, noise);
    expectAllClose(fromDdim, fromDdpm, { abs: 1e-5, rel: 1e-4 });
  });

  test('forward noising then a DDIM oracle reverse recovers x0', () => {
    const scheduler = new DDIMScheduler({ clip_sample: false });
    scheduler.setTimesteps(50);
    const x0 = Float32Array.from({ length: 32 }, (_, i) => (i % 5) / 5 - 0.4);
    const noise = new NormalGenerator(5).fill(new Float32Array(32));
    const sample = addNoise(
      new Float32Array(32),
      x0,
      noise,
      scheduler.timesteps[0] as number,
      scheduler.schedule,
    );
    for (const t of scheduler.timesteps) scheduler.step(noise, t, sample, { prevSample: sample });
    expectAllClose(sample, x0, { abs: 1e-4, rel: 0 });
  });

  test('a stochastic step without noise throws instead of reading a hidden RNG', () => {
    const scheduler = new DDPMScheduler({});
    scheduler.setTimesteps(10);
    const x = new Float32Array(4);
    expect(() => scheduler.step(x, 900, x, { prevSample: x })).toThrow(/needs noise/);
  });

  test('batch of 2 equals two batches of 1 (and thresholding is per item)', () => {
    const config = { thresholding: true, dynamic_thresholding_ratio: 0.9, sample_max_value: 3 };
    const single = (offset: number): Float32Array => {
      const s = new DDIMScheduler(config);
      s.setTimesteps(10);
      const sample = Float32Array.from(refInitialSample(N), (v) => v * (1 + offset));
      s.step(
        Float32Array.from(dummyModel(sample, 500)),
        501,
        sample,
        { prevSample: sample },
        undefined,
        {},
      );
      return sample;
    };
    const batched = new DDIMScheduler(config);
    batched.setTimesteps(10);
    const sample = Float32Array.from([
      ...refInitialSample(N).map((v) => v),
      ...refInitialSample(N).map((v) => v * 4),
    ]);
    batched.step(
      Float32Array.from(
        dummyModel(sample.subarray(0, N), 500).concat(dummyModel(sample.subarray(N), 500)),
      ),
      501,
      sample,
      { prevSample: sample },
      undefined,
      { batchSize: 2 },
    );
    expectAllClose(sample.subarray(0, N), single(0), { abs: 1e-6 });
    expectAllClose(sample.subarray(N), single(3), { abs: 1e-6 });
  });
});

test('scheduleFromConfig is re-exported for plots', () => {
  expect(scheduleFromConfig({}).alphasCumprod.length).toBe(1000);
});

describe('UniPC and DEIS', () => {
  const trainSigmaMin = refTrainSigmas(linearAlphasCumprod)[0] as number;

  test('timesteps and final sigmas follow diffusers set_timesteps', () => {
    const unipc = new UniPCMultistepScheduler({});
    unipc.setTimesteps(10);
    expect(unipc.timesteps).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
    expect(unipc.sigmas?.length).toBe(11);
    expect(unipc.sigmas?.[10]).toBe(0);
    // leading: 1000 // 6 = 166, arange(0, 6) * 166 reversed without its last entry, + steps_offset.
    const leading = new UniPCMultistepScheduler({ timestep_spacing: 'leading', steps_offset: 1 });
    leading.setTimesteps(5);
    expect(leading.timesteps).toEqual([831, 665, 499, 333, 167]);
    // trailing: round(arange(1000, 0, -1000 / 3)) - 1.
    const trailing = new DEISMultistepScheduler({ timestep_spacing: 'trailing' });
    trailing.setTimesteps(3);
    expect(trailing.timesteps).toEqual([999, 666, 332]);
    const sigmaMin = new UniPCMultistepScheduler({ final_sigmas_type: 'sigma_min' });
    sigmaMin.setTimesteps(4);
    expectAllClose(
      [sigmaMin.sigmas?.[4] as number],
      [trainSigmaMin],
      { abs: 0, rel: 1e-3 },
      'UniPC sigma_min',
    );
    // DEIS has no final_sigmas_type: the last sigma is sqrt((1 - a0) / a0).
    const deis = new DEISMultistepScheduler({});
    deis.setTimesteps(4);
    // round(linspace(0, 999, 5)) = [0, 250, 500, 749, 999] (499.5 rounds to even), reversed, without 0.
    expect(deis.timesteps).toEqual([999, 749, 500, 250]);
    expectAllClose(
      deis.sigmas as Float32Array,
      refEulerSigmas(linearAlphasCumprod, [999, 749, 500, 250]).slice(0, 4).concat(trainSigmaMin),
      {
        abs: 0,
        rel: 1e-3,
      },
    );
    // With Karras sigmas DEIS repeats the last sigma (np.concatenate([sigmas, sigmas[-1:]])).
    const karras = new DEISMultistepScheduler({ use_karras_sigmas: true });
    karras.setTimesteps(6);
    const karrasSigmas = karras.sigmas as Float32Array;
    expect(karrasSigmas[6]).toBe(karrasSigmas[5]);
    expect(karras.timesteps[0]).toBe(999);
    expect(karras.timesteps[5]).toBe(0);
    for (const name of ['unipc', 'deis']) {
      const scheduler = createScheduler({}, { name });
      expect(scheduler.modelEvaluations(17)).toBe(17);
      scheduler.setTimesteps(17);
      expect(scheduler.timesteps.length).toBe(17);
    }
  });

  const uniPcCases: [
    string,
    Record<string, unknown>,
    Partial<RefUniPcOptions>,
    number,
    'zero' | 'sigma_min',
  ][] = [
    ['bh2 order 2 (defaults)', {}, {}, 10, 'zero'],
    ['bh2 order 2, 25 steps', {}, {}, 25, 'zero'],
    [
      'bh1 order 3',
      { solver_type: 'bh1', solver_order: 3, final_sigmas_type: 'sigma_min' },
      { solverType: 'bh1', solverOrder: 3 },
      12,
      'sigma_min',
    ],
    ['bh2 order 4', { solver_order: 4 }, { solverOrder: 4 }, 12, 'zero'],
    [
      'disable_corrector [0, 3]',
      { disable_corrector: [0, 3] },
      { disableCorrector: [0, 3] },
      8,
      'zero',
    ],
    [
      'predict_x0 false',
      { predict_x0: false, final_sigmas_type: 'sigma_min' },
      { predictX0: false },
      10,
      'sigma_min',
    ],
    [
      'lower_order_final false',
      { lower_order_final: false, solver_order: 3, final_sigmas_type: 'sigma_min' },
      { lowerOrderFinal: false, solverOrder: 3 },
      10,
      'sigma_min',
    ],
  ];
  test.each(uniPcCases)(
    'UniPC %s matches the transcription',
    (_, config, options, steps, finalSigma) => {
      const scheduler = new UniPCMultistepScheduler(config);
      const result = runLoop(scheduler, steps);
      const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
      if (finalSigma === 'sigma_min') sigmas[sigmas.length - 1] = trainSigmaMin;
      const expected = refUniPcLoop(sigmas, [...scheduler.timesteps], refInitialSample(N), {
        solverOrder: 2,
        solverType: 'bh2',
        predictX0: true,
        lowerOrderFinal: true,
        disableCorrector: [],
        ...options,
      });
      expectAllClose(result, expected, { abs: 2e-5, rel: 2e-4 });
    },
  );

  test('the UniC corrector changes the result, and disabling it everywhere changes it back to UniP alone', () => {
    const withCorrector = runLoop(new UniPCMultistepScheduler({}), 8);
    const disabled = runLoop(
      new UniPCMultistepScheduler({ disable_corrector: [0, 1, 2, 3, 4, 5, 6, 7] }),
      8,
    );
    expect(
      Math.max(...withCorrector.map((v, i) => Math.abs(v - (disabled[i] as number)))),
    ).toBeGreaterThan(1e-3);
  });

  test('bh1 with a zero final sigma ends on the x0 prediction (diffusers multiplies -inf by 0 there)', () => {
    const scheduler = new UniPCMultistepScheduler({ solver_type: 'bh1' });
    scheduler.setTimesteps(6);
    const sample = Float32Array.from(refInitialSample(N));
    const predOriginalSample = new Float32Array(N);
    for (const t of scheduler.timesteps) {
      scheduler.step(Float32Array.from(dummyModel(sample, t)), t, sample, {
        prevSample: sample,
        predOriginalSample,
      });
    }
    expect(sample.every(Number.isFinite)).toBe(true);
    expectAllClose(sample, predOriginalSample, { abs: 0, rel: 0 });
  });

  test.each([
    [1, 10, true],
    [2, 10, true],
    [3, 10, true],
    [3, 20, true],
    [2, 12, false],
  ])(
    'DEIS order %i, %i steps (lower_order_final %s) matches the transcription',
    (order, steps, lowerOrderFinal) => {
      const scheduler = new DEISMultistepScheduler({
        solver_order: order,
        lower_order_final: lowerOrderFinal,
      });
      const result = runLoop(scheduler, steps);
      const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
      sigmas[sigmas.length - 1] = trainSigmaMin;
      expectAllClose(
        result,
        refDeisLoop(sigmas, [...scheduler.timesteps], refInitialSample(N), order, lowerOrderFinal),
        {
          abs: 2e-5,
          rel: 2e-4,
        },
      );
    },
  );

  test.each([1, 2, 3])(
    'DEIS order %i with an oracle model lands on x0 noised to the smallest training sigma',
    (order) => {
      const scheduler = new DEISMultistepScheduler({ solver_order: order });
      scheduler.setTimesteps(30);
      const x0 = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.37) * 0.8);
      const noise = new NormalGenerator(1234).fill(new Float32Array(64));
      const sigmas = scheduler.sigmas as Float32Array;
      const start = 1 / Math.sqrt(1 + (sigmas[0] as number) ** 2);
      const sample = Float32Array.from(
        x0,
        (v, i) => start * v + Math.sqrt(1 - start * start) * (noise[i] as number),
      );
      for (const t of scheduler.timesteps) scheduler.step(noise, t, sample, { prevSample: sample });
      const end = 1 / Math.sqrt(1 + (sigmas[30] as number) ** 2);
      const expected = Array.from(
        x0,
        (v, i) => end * v + Math.sqrt(1 - end * end) * (noise[i] as number),
      );
      expectAllClose(sample, expected, { abs: 2e-4, rel: 0 });
    },
  );

  test('config: diffusers aliases are accepted, unsupported options name their key', () => {
    // A DPM-Solver++ config drives DEIS and UniPC (diffusers maps these values).
    expect(() =>
      createScheduler({ algorithm_type: 'dpmsolver++', solver_type: 'midpoint' }, { name: 'deis' }),
    ).not.toThrow();
    const mapped = createScheduler(
      { solver_type: 'midpoint' },
      { name: 'unipc' },
    ) as UniPCMultistepScheduler;
    expect(mapped.solverType).toBe('bh2');
    const cases: [string, Record<string, unknown>, string][] = [
      ['deis', { algorithm_type: 'sde-dpmsolver++' }, 'algorithm_type'],
      ['deis', { solver_order: 4 }, 'solver_order'],
      ['deis', { use_exponential_sigmas: true, use_karras_sigmas: true }, 'use_exponential_sigmas'],
      ['unipc', { solver_type: 'euler' }, 'solver_type'],
      ['unipc', { solver_p: {} }, 'solver_p'],
      ['unipc', { disable_corrector: [0.5] }, 'disable_corrector'],
      ['unipc', { use_flow_sigmas: true }, 'use_flow_sigmas'],
      ['unipc', { final_sigmas_type: 'max' }, 'final_sigmas_type'],
    ];
    for (const [name, config, field] of cases) {
      let error: unknown;
      try {
        createScheduler(config, { name });
      } catch (caught) {
        error = caught;
      }
      expect(error, `${name} ${JSON.stringify(config)}`).toBeInstanceOf(SchedulerConfigError);
      expect((error as SchedulerConfigError).field).toBe(field);
    }
  });
});

describe('a DDPM training config drives every sampler', () => {
  // A model trained with diffusers' DDPMScheduler ships that config; diffusers' from_config
  // lets any sampler read it, ignoring keys such as variance_type that it does not use.
  const ddpmTrainingConfig = {
    _class_name: 'DDPMScheduler',
    num_train_timesteps: 1000,
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
    variance_type: 'fixed_small',
    clip_sample: true,
    prediction_type: 'epsilon',
    timestep_spacing: 'leading',
    steps_offset: 0,
  };
  for (const name of Object.keys(SCHEDULER_NAMES)) {
    test(`${name} accepts it`, () => {
      const scheduler = createScheduler(ddpmTrainingConfig, { name });
      scheduler.setTimesteps(name === 'lcm' ? 4 : 10);
      expect(scheduler.timesteps.length).toBeGreaterThan(0);
    });
  }
});

describe('the added schedulers match float64 transcriptions of diffusers', () => {
  const base = (steps: number): number[] =>
    Array.from({ length: steps }, (_, i) => Math.fround(999 - (999 * i) / (steps - 1)));

  test.each([false, true])('KDPM2 (ancestral %s)', (ancestral) => {
    const scheduler = createScheduler({}, { name: ancestral ? 'kdpm2-ancestral' : 'kdpm2' });
    const result = runLoop(scheduler, 8);
    const sigmas = refEulerSigmas(heunAlphasCumprod, base(8));
    const loop = ancestral ? refKdpm2AncestralLoop : refKdpm2Loop;
    expect(scheduler.timesteps).toHaveLength(15);
    expectAllClose(result, loop(sigmas, [...scheduler.timesteps], refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
  });

  test('DPM-Solver++ SDE with caller-supplied noise', () => {
    const scheduler = createScheduler({}, { name: 'dpmsolver-sde' });
    const result = runLoop(scheduler, 8);
    const sigmas = refEulerSigmas(heunAlphasCumprod, base(8));
    expectAllClose(result, refDpmSdeLoop(sigmas, [...scheduler.timesteps], refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
  });

  test.each(['edm-euler', 'edm-dpmsolver++'])('%s', (name) => {
    const scheduler = createScheduler({}, { name });
    const result = runLoop(scheduler, 12);
    const loop = name === 'edm-euler' ? refEdmEulerLoop : refEdmDpmLoop;
    expectAllClose(result, loop(refEdmSigmas(12), refInitialSample(N)), { abs: 1e-4, rel: 2e-4 });
  });

  test('iPNDM', () => {
    const scheduler = createScheduler({}, { name: 'ipndm' });
    const result = runLoop(scheduler, 12);
    expectAllClose(result, refIpndmLoop(12, refInitialSample(N)), { abs: 2e-5, rel: 2e-4 });
  });

  const tcdCases = [0, 0.3, 1].map((eta) => [eta, 6] as [number, number | number[]]);
  tcdCases.push([0.3, [999, 640, 321, 77]]);
  test.each(tcdCases)('TCD (gamma %s, steps %j)', (eta, steps) => {
    const scheduler = createScheduler({}, { name: 'tcd' });
    const result = runLoop(scheduler, steps, { eta });
    if (Array.isArray(steps)) expect(scheduler.timesteps).toEqual(steps);
    const alphasCumprod = refAlphasCumprod(
      refLinearBetas(Math.sqrt(0.00085), Math.sqrt(0.012), 1000).map((b) => b * b),
    );
    expectAllClose(
      result,
      refTcdLoop(alphasCumprod, [...scheduler.timesteps], refInitialSample(N), eta),
      { abs: 2e-5, rel: 2e-4 },
    );
  });

  test('DDIM inverse (and DDIM parallel equals DDIM)', () => {
    const scheduler = createScheduler({}, { name: 'ddim-inverse' });
    const result = runLoop(scheduler, 10);
    expect(scheduler.timesteps).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expectAllClose(
      result,
      refDdimInverseLoop(linearAlphasCumprod, [...scheduler.timesteps], 100, refInitialSample(N)),
      { abs: 2e-5, rel: 2e-4 },
    );
    const parallel = runLoop(
      createScheduler({ clip_sample: false }, { name: 'ddim-parallel' }),
      20,
      {
        eta: 0.5,
      },
    );
    const ddim = runLoop(new DDIMScheduler({ clip_sample: false }), 20, { eta: 0.5 });
    expectAllClose(parallel, ddim, { abs: 0, rel: 0 });
  });

  test.each([
    ['dpmsolver++', 2, 'midpoint', [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]],
    ['dpmsolver++', 3, 'midpoint', [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]],
    ['dpmsolver++', 3, 'heun', [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]],
    ['sde-dpmsolver++', 2, 'midpoint', [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]],
    ['sde-dpmsolver++', 2, 'heun', [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]],
    ['sde-dpmsolver++', 3, 'midpoint', [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]],
    ['sde-dpmsolver++', 3, 'heun', [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]],
  ] as const)('DPM-Solver singlestep %s order %i %s', (algorithm, order, solverType, orders) => {
    const scheduler = createScheduler(
      { algorithm_type: algorithm, solver_order: order, solver_type: solverType },
      { name: 'dpmsolver-singlestep' },
    );
    const result = runLoop(scheduler, 10);
    expect((scheduler as DPMSolverSinglestepScheduler).orderList).toEqual(orders);
    const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
    const noise = algorithm === 'sde-dpmsolver++' ? (step: number) => refNoise(N, step) : undefined;
    expectAllClose(
      result,
      refDpmSinglestepLoop(sigmas, [...scheduler.timesteps], refInitialSample(N), {
        orders,
        solverType,
        noise,
      }),
      { abs: 2e-5, rel: 2e-4 },
    );
  });

  test('DPM-Solver singlestep with custom timesteps equals its own schedule (diffusers test_custom_timesteps)', () => {
    for (const prediction_type of ['epsilon', 'sample', 'v_prediction']) {
      for (const lower_order_final of [true, false]) {
        for (const final_sigmas_type of ['sigma_min', 'zero']) {
          const config = { prediction_type, lower_order_final, final_sigmas_type };
          const scheduler = createScheduler(config, { name: 'dpmsolver-singlestep' });
          const reference = runLoop(scheduler, 10);
          const custom = createScheduler(config, { name: 'dpmsolver-singlestep' });
          custom.setTimesteps(null, { timesteps: [...scheduler.timesteps] });
          const sample = Float32Array.from(refInitialSample(N));
          for (const t of custom.timesteps) {
            const output = Float32Array.from(dummyModel(sample, t));
            custom.step(output, t, sample, { prevSample: sample });
          }
          expectAllClose(sample, reference, { abs: 0, rel: 0 });
        }
      }
    }
  });

  test('DPM-Solver++ inverse', () => {
    const scheduler = createScheduler({}, { name: 'dpmsolver-inverse' });
    const result = runLoop(scheduler, 10);
    expect(scheduler.timesteps).toEqual([0, 100, 200, 300, 400, 500, 599, 699, 799, 899]);
    const sigmas = [
      ...refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]).slice(0, -1),
      refTrainSigmas(linearAlphasCumprod)[999] as number,
    ];
    expectAllClose(
      result,
      refDpmInverseLoop(sigmas, [...scheduler.timesteps], refInitialSample(N)),
      { abs: 2e-5, rel: 2e-4 },
    );
  });
});

describe('LMS, LCM and PLMS match float64 transcriptions of diffusers', () => {
  test('LMS (order 4)', () => {
    const scheduler = createScheduler({}, { name: 'lms' });
    const result = runLoop(scheduler, 12);
    const sigmas = refEulerSigmas(linearAlphasCumprod, [...scheduler.timesteps]);
    expectAllClose(result, refLmsLoop(sigmas, [...scheduler.timesteps], refInitialSample(N)), {
      abs: 1e-4,
      rel: 2e-4,
    });
  });

  // Custom timesteps (diffusers' set_timesteps(timesteps=...)) need not lie on the distillation schedule.
  test.each([6, [999, 640, 321, 77]])('LCM (steps %j)', (steps) => {
    const scheduler = createScheduler({}, { name: 'lcm' });
    const result = runLoop(scheduler, steps);
    if (Array.isArray(steps)) expect(scheduler.timesteps).toEqual(steps);
    const alphasCumprod = refAlphasCumprod(
      refLinearBetas(Math.sqrt(0.00085), Math.sqrt(0.012), 1000).map((b) => b * b),
    );
    expectAllClose(
      result,
      refLcmLoop(alphasCumprod, [...scheduler.timesteps], refInitialSample(N)),
      {
        abs: 2e-5,
        rel: 2e-4,
      },
    );
  });

  test('PNDM with skip_prk_steps (PLMS)', () => {
    const scheduler = createScheduler({ skip_prk_steps: true }, { name: 'pndm' });
    const result = runLoop(scheduler, 10);
    expect(scheduler.timesteps).toEqual([900, 800, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expectAllClose(
      result,
      refPlmsLoop(linearAlphasCumprod, [...scheduler.timesteps], 100, refInitialSample(N)),
      { abs: 2e-5, rel: 2e-4 },
    );
  });
});
