import { describe, expect, test } from 'vitest';
import {
  DDIMParallelScheduler,
  DPMSolverMultistepScheduler,
  EulerDiscreteScheduler,
  KDPM2DiscreteScheduler,
  LMSDiscreteScheduler,
  NormalGenerator,
  SCHEDULER_CLASSES,
  TorchGenerator,
  createScheduler,
  parseSchedulerConfig,
} from '../src/index.js';
import type { SchedulerConfigJson } from '../src/index.js';
import { configError, expectAllClose } from './matchers.js';
import { dummyModel, dummySampleDeter } from './diffusers-harness.js';

describe('config files as diffusers writes them', () => {
  test("parseSchedulerConfig reads Python's -Infinity, Infinity and NaN tokens", () => {
    const text = `{
      "_class_name": "DPMSolverMultistepScheduler",
      "lambda_min_clipped": -Infinity,
      "note": "the string \\"-Infinity\\" and NaN stay text",
      "big": Infinity, "nothing": NaN, "list": [1, -Infinity]
    }`;
    const json = parseSchedulerConfig(text);
    expect(json['lambda_min_clipped']).toBe(-Infinity);
    expect(json['big']).toBe(Infinity);
    expect(Number.isNaN(json['nothing'])).toBe(true);
    expect(json['list']).toEqual([1, -Infinity]);
    expect(json['note']).toBe('the string "-Infinity" and NaN stay text');
    expect(() => JSON.parse(text)).toThrow();
    expect(createScheduler(json).className).toBe('DPMSolverMultistepScheduler');
    expect(() => parseSchedulerConfig('{"a": -Infinty}')).toThrow(SyntaxError);
    expect(configError(() => parseSchedulerConfig('[1, 2]')).message).toMatch(/JSON object/);
  });

  test('lambda_min_clipped takes -Infinity (the default), clips with a finite value, refuses NaN', () => {
    const open = new DPMSolverMultistepScheduler({ lambda_min_clipped: -Infinity });
    open.setTimesteps(10);
    expect(open.timesteps[0]).toBe(999);
    // The cosine schedule's lambda falls below -5.1 near t = 999: those timesteps are clipped.
    const clipped = new DPMSolverMultistepScheduler({
      beta_schedule: 'squaredcos_cap_v2',
      lambda_min_clipped: -5.1,
    });
    clipped.setTimesteps(10);
    expect(clipped.timesteps[0]).toBeLessThan(999);
    expect(
      configError(() => new DPMSolverMultistepScheduler({ lambda_min_clipped: NaN })).field,
    ).toBe('lambda_min_clipped');
  });

  test('use_lu_lambdas spaces log-sigma uniformly between the training extremes', () => {
    const lu = new DPMSolverMultistepScheduler({ use_lu_lambdas: true });
    lu.setTimesteps(8);
    const sigmas = lu.sigmas as Float32Array;
    const logs = Array.from(sigmas.subarray(0, 8), (s) => Math.log(s));
    const step = (logs[7] as number) - (logs[0] as number);
    expectAllClose(
      logs,
      logs.map((_, i) => (logs[0] as number) + (step * i) / 7),
      { abs: 1e-6, rel: 1e-5 },
      'log sigma',
    );
    expect(lu.timesteps[0]).toBe(999);
    expect(lu.timesteps[7]).toBe(0);
  });
});

describe("order keeps diffusers' meaning", () => {
  test('class attribute: 1, and 2 for the two-evaluation schedulers; the solver order is solverOrder', () => {
    for (const name of Object.keys(SCHEDULER_CLASSES)) {
      const scheduler = createScheduler({ solver_order: 3 }, { name });
      const expected = [
        'HeunDiscreteScheduler',
        'KDPM2DiscreteScheduler',
        'KDPM2AncestralDiscreteScheduler',
        'DPMSolverSDEScheduler',
      ].includes(name)
        ? 2
        : 1;
      expect(scheduler.order, name).toBe(expected);
    }
    expect(new DPMSolverMultistepScheduler({ solver_order: 3 }).solverOrder).toBe(3);
  });

  test("image-to-image slicing timesteps[tStart * order:] keeps the pipeline's steps", () => {
    const scheduler = createScheduler({ solver_order: 3 }, { name: 'dpmsolver++' });
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps.slice(4 * scheduler.order)).toHaveLength(6);
  });
});

describe('addNoise', () => {
  test('sigma schedulers: original + noise * sigma at the timestep (its second occurrence for KDPM2)', () => {
    const original = Float32Array.from({ length: 8 }, (_, i) => i / 8 - 0.4);
    const noise = new NormalGenerator(4).fill(new Float32Array(8));
    const euler = new EulerDiscreteScheduler({});
    euler.setTimesteps(5);
    const t = euler.timesteps[2] as number;
    const sigma = (euler.sigmas as Float32Array)[2] as number;
    expectAllClose(
      euler.addNoise(new Float32Array(8), original, noise, t),
      Array.from(original, (x, i) => x + (noise[i] as number) * sigma),
      { abs: 1e-6, rel: 1e-6 },
    );
    const kdpm2 = new KDPM2DiscreteScheduler({});
    kdpm2.setTimesteps(5);
    // timesteps [t0, ti1, t1, ...]: t1 (index 2) is the sigma at layout index 2.
    const kdpmSigma = (kdpm2.sigmas as Float32Array)[2] as number;
    expectAllClose(
      kdpm2.addNoise(new Float32Array(8), original, noise, kdpm2.timesteps[2] as number),
      Array.from(original, (x, i) => x + (noise[i] as number) * kdpmSigma),
      { abs: 1e-6, rel: 1e-6 },
    );
  });

  test('every class has it (IPNDM, which diffusers gives none, says so)', () => {
    for (const name of Object.keys(SCHEDULER_CLASSES)) {
      const scheduler = createScheduler({}, { name });
      scheduler.setTimesteps(name === 'LCMScheduler' || name === 'TCDScheduler' ? 4 : 10);
      const t = scheduler.timesteps[1] as number;
      const x = new Float32Array(4).fill(0.5);
      const noise = new Float32Array(4).fill(1);
      if (name === 'IPNDMScheduler') {
        expect(() => scheduler.addNoise(x, x, noise, t)).toThrow(/no add_noise/);
        continue;
      }
      const noisy = scheduler.addNoise(new Float32Array(4), x, noise, t);
      expect(
        noisy.every((v) => Number.isFinite(v) && v !== 0.5),
        name,
      ).toBe(true);
    }
  });
});

describe('clear errors for bad input', () => {
  test('a model output (or output buffer, or noise) shorter than the sample', () => {
    for (const name of Object.keys(SCHEDULER_CLASSES)) {
      const scheduler = createScheduler({}, { name });
      scheduler.setTimesteps(name === 'LCMScheduler' || name === 'TCDScheduler' ? 4 : 10);
      const t = scheduler.timesteps[0] as number;
      const sample = new Float32Array(16);
      const noise = new NormalGenerator(1);
      expect(() =>
        scheduler.step(new Float32Array(15), t, sample, { prevSample: sample }, noise),
      ).toThrow(new RegExp(`${name}: modelOutput has 15 values, fewer than the sample's 16`));
      expect(() =>
        scheduler.step(new Float32Array(16), t, sample, { prevSample: new Float32Array(8) }, noise),
      ).toThrow(/out.prevSample has 8 values/);
    }
    const ddpm = createScheduler({}, { name: 'ddpm' });
    ddpm.setTimesteps(10);
    const x = new Float32Array(16);
    expect(() => ddpm.step(x, 900, x, { prevSample: x }, new Float32Array(4))).toThrow(
      /noise has 4 values/,
    );
  });

  test('DDIM parallel batch step: timesteps that do not split the batch, no schedule, a bad timestep', () => {
    const scheduler = new DDIMParallelScheduler();
    const x = new Float32Array(12);
    expect(() => scheduler.batchStepNoNoise(x, [1, 1], x, x)).toThrow(/call setTimesteps/);
    scheduler.setTimesteps(10);
    expect(() => scheduler.batchStepNoNoise(x, [1, 1, 1, 1, 1], x, x)).toThrow(
      /5 timesteps do not divide a sample of 12 values/,
    );
    expect(() => scheduler.batchStepNoNoise(x, [], x, x)).toThrow(/one timestep per item/);
    expect(() => scheduler.batchStepNoNoise(new Float32Array(6), [1, 1], x, x)).toThrow(
      /modelOutput has 6 values/,
    );
    expect(() => scheduler.batchStepNoNoise(x, [1, 1000], x, x)).toThrow(/timestep 1000/);
  });

  test("DPM-Solver: a zero final sigma with a noise-prediction algorithm, and the singlestep solver's limits", () => {
    for (const name of ['DPMSolverMultistepScheduler', 'DPMSolverSinglestepScheduler']) {
      const error = configError(() => createScheduler({ algorithm_type: 'dpmsolver' }, { name }));
      expect(error.field).toBe('final_sigmas_type');
      expect(error.message).toContain("choose 'sigma_min'");
      createScheduler({ algorithm_type: 'dpmsolver', final_sigmas_type: 'sigma_min' }, { name });
    }
    expect(
      configError(() =>
        createScheduler(
          { algorithm_type: 'sde-dpmsolver', final_sigmas_type: 'sigma_min' },
          { name: 'dpmsolver-singlestep' },
        ),
      ).field,
    ).toBe('algorithm_type');
    expect(
      configError(() =>
        createScheduler(
          { algorithm_type: 'sde-dpmsolver++', solver_order: 3 },
          { name: 'DPMSolverMultistepScheduler' },
        ),
      ).message,
    ).toContain('solver_order 1 to 2');
    createScheduler(
      { algorithm_type: 'sde-dpmsolver++', solver_order: 3 },
      { name: 'dpmsolver-singlestep' },
    );
    const karras = createScheduler({ use_karras_sigmas: true }, { name: 'dpmsolver-singlestep' });
    expect(configError(() => karras.setTimesteps(null, { timesteps: [900, 500, 100] })).field).toBe(
      'timesteps',
    );
    const plain = createScheduler({}, { name: 'dpmsolver-singlestep' });
    expect(
      configError(() => plain.setTimesteps(3, { timesteps: [900, 500, 100] })).message,
    ).toContain('not both');
    expect(configError(() => plain.setTimesteps(null, { timesteps: [500, 900] })).field).toBe(
      'timesteps',
    );
    const sde = createScheduler(
      { algorithm_type: 'sde-dpmsolver++' },
      { name: 'dpmsolver-singlestep' },
    );
    sde.setTimesteps(4);
    const x = new Float32Array(4);
    expect(() => sde.step(x, sde.timesteps[0] as number, x, { prevSample: x })).toThrow(
      /stochastic and needs noise/,
    );
  });

  test('unknown names, including Object.prototype keys, are named in the error', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const error = configError(() => createScheduler({}, { name }));
      expect(error.field).toBe('name');
      expect(error.message).toContain(`unknown scheduler "${name}"`);
      const fromClass = configError(() => createScheduler({ _class_name: name }));
      expect(fromClass.field).toBe('_class_name');
    }
  });
});

test('LMS from mid-schedule takes order-min(step + 1, 4) coefficients with the derivatives it has', () => {
  const scheduler = new LMSDiscreteScheduler({});
  scheduler.setTimesteps(10);
  const sample = Float32Array.from({ length: 6 }, (_, i) => 3 + i);
  const output = Float32Array.from({ length: 6 }, (_, i) => 0.5 - i / 10);
  const t = scheduler.timesteps[3] as number;
  const sigma = (scheduler.sigmas as Float32Array)[3] as number;
  const next = new Float32Array(6);
  scheduler.step(output, t, sample, { prevSample: next });
  // diffusers: order = min(3 + 1, 4) = 4, zipped with the single stored derivative.
  const coefficient = Math.fround(scheduler.lmsCoefficient(4, 3, 0));
  const euler = ((scheduler.sigmas as Float32Array)[4] as number) - sigma;
  expect(Math.abs(coefficient - euler)).toBeGreaterThan(1e-3);
  expectAllClose(
    next,
    Array.from(sample, (x, i) => x + coefficient * (output[i] as number)),
    { abs: 1e-5, rel: 1e-6 },
  );
});

test('TorchGenerator gives torch.manual_seed(0) + torch.randn values', () => {
  // torch.randn(2, 3) (under 16 elements: float64 Box-Muller) and torch.randn(4, 4) (normal_fill).
  expectAllClose(
    new TorchGenerator(0).fill(new Float32Array(6)),
    [1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986],
    { abs: 5e-5, rel: 0 },
  );
  expectAllClose(
    new TorchGenerator(0).fill(new Float32Array(16)),
    [
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35,
      0.3081, 0.1198, 1.2377, 1.1168, -0.2473,
    ],
    { abs: 5e-5, rel: 0 },
  );
});

test('flow-matching sigmas, which we do not implement, are refused by name where diffusers has them', () => {
  for (const name of [
    'dpmsolver++',
    'dpmsolver-singlestep',
    'dpmsolver-inverse',
    'unipc',
    'deis',
  ]) {
    expect(configError(() => createScheduler({ use_flow_sigmas: true }, { name })).field).toBe(
      'use_flow_sigmas',
    );
  }
  // Euler, Heun, LMS, KDPM2 and DPM-Solver SDE have no such key in diffusers: from_config ignores it.
  for (const name of ['euler', 'heun', 'lms', 'kdpm2', 'dpmsolver-sde']) {
    expect(() => createScheduler({ use_flow_sigmas: true }, { name })).not.toThrow();
  }
});

describe('a zero-width final step (final sigma equal to the last scheduled one) keeps its sample', () => {
  // diffusers' test_zero_width_final_step: Karras or Lu sigmas end on sigma_min, and
  // final_sigmas_type 'sigma_min' repeats it; the higher-order updates divided by h = 0 (NaN).
  const cases: [string, SchedulerConfigJson][] = [];
  for (const sigmas of [{ use_karras_sigmas: true }, { use_lu_lambdas: true }]) {
    for (const [solver_order, solver_type] of [
      [3, 'midpoint'],
      [2, 'heun'],
    ] as const) {
      cases.push(['DPMSolverMultistepScheduler', { ...sigmas, solver_order, solver_type }]);
      cases.push(['EDMDPMSolverMultistepScheduler', { solver_order, solver_type }]);
    }
  }
  for (const solver_type of ['bh1', 'bh2']) {
    cases.push([
      'UniPCMultistepScheduler',
      {
        use_karras_sigmas: true,
        solver_order: 3,
        solver_type,
        lower_order_final: false,
        disable_corrector: [18],
      },
    ]);
  }
  cases.push([
    'DPMSolverMultistepInverseScheduler',
    { use_karras_sigmas: true, solver_order: 3, lower_order_final: false },
  ]);
  test.each(cases)('%s %j', (name, config) => {
    const scheduler = createScheduler(
      { ...config, final_sigmas_type: 'sigma_min', lower_order_final: false },
      { name },
    );
    scheduler.setTimesteps(20);
    const sigmas = scheduler.sigmas as Float32Array;
    expect(sigmas[sigmas.length - 1]).toBe(sigmas[sigmas.length - 2]);
    let sample = dummySampleDeter();
    const output = new Float32Array(sample.length);
    const input = new Float32Array(sample.length);
    scheduler.timesteps.forEach((t) => {
      scheduler.scaleModelInput(input, sample, t);
      dummyModel(output, input, t);
      const next = new Float32Array(sample.length);
      scheduler.step(output, t, sample, { prevSample: next });
      expect(next.every(Number.isFinite)).toBe(true);
      if (t === scheduler.timesteps[scheduler.timesteps.length - 1]) {
        expectAllClose(next, sample, { abs: 0, rel: 0 });
      }
      sample = next;
    });
  });
});

describe("set_begin_index: image-to-image starts at tStart * order, as diffusers' pipelines", () => {
  const names = [
    'euler',
    'euler-ancestral',
    'heun',
    'lms',
    'kdpm2',
    'kdpm2-ancestral',
    'dpmsolver-sde',
    'dpmsolver++',
    'dpmsolver-singlestep',
    'unipc',
    'deis',
    'lcm',
    'tcd',
    'edm-euler',
    'edm-dpmsolver++',
  ];
  /** Noises an image to timesteps[begin] and denoises from there; returns the result. */
  function imageToImage(name: string, useBeginIndex: boolean): Float32Array {
    const scheduler = createScheduler({}, { name });
    scheduler.setTimesteps(8);
    const begin = 3 * scheduler.order;
    const timesteps = scheduler.timesteps.slice(begin);
    if (useBeginIndex) scheduler.setBeginIndex(begin);
    const image = dummySampleDeter();
    const noise = new TorchGenerator(0).fill(new Float32Array(image.length));
    let sample = scheduler.addNoise(new Float32Array(image.length), image, noise, timesteps[0]!);
    const input = new Float32Array(image.length);
    const output = new Float32Array(image.length);
    const generator = new TorchGenerator(1);
    for (const t of timesteps) {
      scheduler.scaleModelInput(input, sample, t);
      dummyModel(output, input, t);
      const next = new Float32Array(image.length);
      scheduler.step(output, t, sample, { prevSample: next }, generator);
      sample = next;
    }
    return sample;
  }

  test.each(names)(
    '%s: the begin index gives the run that looking its timestep up gives',
    (name) => {
      const withIndex = imageToImage(name, true);
      expect(withIndex.every(Number.isFinite)).toBe(true);
      expect(Array.from(withIndex)).toEqual(Array.from(imageToImage(name, false)));
    },
  );

  test('add_noise uses the begin index before the first step and the step index after it', () => {
    const scheduler = new EulerDiscreteScheduler({});
    scheduler.setTimesteps(10);
    scheduler.setBeginIndex(4);
    const sigmas = scheduler.sigmas as Float32Array;
    const zeros = new Float32Array(3);
    const ones = new Float32Array(3).fill(1);
    // The timestep is not looked up (a begin index is set), so any value reads sigmas[4].
    expect(scheduler.addNoise(new Float32Array(3), zeros, ones, -1)[0]).toBe(sigmas[4]);
    const input = new Float32Array(3);
    scheduler.scaleModelInput(input, ones, -1);
    scheduler.step(new Float32Array(3), -1, ones, { prevSample: new Float32Array(3) });
    expect(scheduler.stepIndex).toBe(5);
    expect(scheduler.addNoise(new Float32Array(3), zeros, ones, -1)[0]).toBe(sigmas[5]);
    // set_timesteps clears it; without it an unknown timestep is an error.
    scheduler.setTimesteps(10);
    expect(scheduler.beginIndex).toBe(null);
    expect(() => scheduler.addNoise(new Float32Array(3), zeros, ones, -1)).toThrow(RangeError);
  });

  test('bad begin indices and timestep-valued schedulers throw', () => {
    const euler = new EulerDiscreteScheduler({});
    euler.setTimesteps(10);
    for (const bad of [-1, 10, 2.5])
      expect(configError(() => euler.setBeginIndex(bad)).field).toBe('begin_index');
    for (const name of ['ddpm', 'ddim', 'ddim-inverse', 'ddim-parallel', 'pndm', 'ipndm']) {
      const scheduler = createScheduler({}, { name });
      scheduler.setTimesteps(10);
      expect(configError(() => scheduler.setBeginIndex(2)).field).toBe('begin_index');
    }
  });
});
