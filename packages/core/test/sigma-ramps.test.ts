import { describe, expect, test } from 'vitest';
import {
  DPMSolverMultistepScheduler,
  EulerDiscreteScheduler,
  betaQuantile,
  createScheduler,
  rampSigmas,
  scheduleFromConfig,
  sigmaToTimestep,
} from '../src/index.js';
import { regularizedIncompleteBeta } from '../src/beta-quantile.js';
import { configError, expectAllClose } from './matchers.js';
import { refEulerLoop, refInitialSample } from './reference.js';
import { refDpmMultistepLoop } from './reference-dpm.js';
import { runLoop } from './run-loop.js';

// diffusers' use_exponential_sigmas and use_beta_sigmas (Lee et al. 2024). The pinned values below
// come from scipy 1.10.1's scipy.stats.beta.ppf and from diffusers' set_timesteps transcribed in
// numpy (with NumPy 2's float64 promotion) for the default linear schedule (beta 0.0001 to 0.02,
// 1000 steps), 10 steps.

const PINNED = {
  exponential: {
    sigmas: [
      157.4072265625, 53.78919219970703125, 18.380840301513671875, 6.281099796295166015625,
      2.146377086639404296875, 0.733459889888763427734375, 0.25063788890838623046875,
      0.0856479704380035400390625, 0.0292676202952861785888671875, 0.01000132970511913299560546875,
    ],
    eulerTimesteps: [
      999, 886.39910888671875, 757.33575439453125, 602.76953125, 409.974334716796875,
      202.2773895263671875, 72.8021087646484375, 21.9416942596435546875, 4.8064284324646, 0,
    ],
    // The integer solvers truncate them (an int64 cast of unrounded values). The first is 998:
    // exp(log(sigma_max)) lands a hair below the float32 log table's last entry, so _sigma_to_t
    // gives 998.99998 under NumPy 2's promotion rules (NEP 50: float64 arithmetic), which we follow;
    // NumPy 1 compared in float32 and gave 999.
    dpmTimesteps: [998, 886, 757, 602, 409, 202, 72, 21, 4, 0],
  },
  beta: {
    sigmas: [
      157.4072265625, 149.9951019287109375, 134.490020751953125, 114.0579376220703125,
      90.800689697265625, 66.6165313720703125, 43.359287261962890625, 22.9272098541259765625,
      7.422122955322265625, 0.01000132970511913299560546875,
    ],
    eulerTimesteps: [
      999, 994.216064453125, 983.30792236328125, 966.60028076171875, 942.9896240234375,
      909.94061279296875, 862.0255126953125, 785.60595703125, 629.006591796875, 0,
    ],
    dpmTimesteps: [998, 994, 983, 966, 942, 909, 862, 785, 629, 0],
  },
} as const;

const RAMPS = ['exponential', 'beta'] as const;
/** Every class with diffusers' sigma ramps, on the default DDPM schedule so all share one ramp. */
const RAMP_CLASSES = [
  'euler',
  'heun',
  'lms',
  'kdpm2',
  'kdpm2-ancestral',
  'dpmsolver-sde',
  'dpmsolver++',
  'dpmsolver-singlestep',
  'dpmsolver-inverse',
  'unipc',
  'deis',
] as const;
const LINEAR = { beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' } as const;

describe('the beta distribution quantile (scipy.stats.beta.ppf)', () => {
  test('matches scipy at diffusers parameters and elsewhere', () => {
    const quantiles = Array.from({ length: 10 }, (_, i) => betaQuantile(1 - i / 9, 0.6, 0.6));
    expectAllClose(
      quantiles,
      [
        1, 0.95290818245095754, 0.85439890285858455, 0.72458670922237656, 0.57682523683936315,
        0.42317476316063685, 0.2754132907776235, 0.14560109714141556, 0.047091817549042465, 0,
      ],
      { abs: 1e-13, rel: 0 },
    );
    expectAllClose(
      [1e-6, 0.01, 0.3, 0.9, 0.999999].map((q) => betaQuantile(q, 2.5, 0.7)),
      [
        0.0050112985071793471, 0.19597479033740997, 0.70977589121488038, 0.98604772602954571,
        0.99999999900818648,
      ],
      { abs: 0, rel: 1e-12 },
    );
  });

  test('inverts the CDF and refuses arguments outside its domain', () => {
    for (const q of [0.001, 0.25, 0.5, 0.75, 0.999]) {
      expect(regularizedIncompleteBeta(betaQuantile(q, 0.6, 0.6), 0.6, 0.6)).toBeCloseTo(q, 13);
    }
    expect(() => betaQuantile(1.5, 0.6, 0.6)).toThrow(RangeError);
    expect(() => betaQuantile(0.5, 0, 0.6)).toThrow(RangeError);
  });
});

describe('use_exponential_sigmas and use_beta_sigmas match diffusers', () => {
  test.each(RAMPS)('%s: rampSigmas and EulerDiscreteScheduler sigmas and timesteps', (ramp) => {
    const pinned = PINNED[ramp];
    expectAllClose(
      Array.from(rampSigmas(ramp, 0.010001329705119133, 157.4072265625, 10)),
      pinned.sigmas,
      { abs: 0, rel: 1e-6 },
    );
    const euler = new EulerDiscreteScheduler({ [`use_${ramp}_sigmas`]: true });
    euler.setTimesteps(10);
    expectAllClose(Array.from(euler.sigmas as Float32Array), [...pinned.sigmas, 0], {
      abs: 0,
      rel: 1e-6,
    });
    expectAllClose([...euler.timesteps], pinned.eulerTimesteps, { abs: 1e-3, rel: 0 });
  });

  test.each(RAMPS)('%s: DPMSolverMultistepScheduler truncates the timesteps', (ramp) => {
    const dpm = new DPMSolverMultistepScheduler({ [`use_${ramp}_sigmas`]: true });
    dpm.setTimesteps(10);
    expect(dpm.timesteps).toEqual(PINNED[ramp].dpmTimesteps);
    expectAllClose(Array.from(dpm.sigmas as Float32Array), [...PINNED[ramp].sigmas, 0], {
      abs: 0,
      rel: 1e-6,
    });
  });

  // Where each class puts the ramp: all of them run it from the noisiest training sigma to the
  // cleanest (upwards for the inverse solver); the second-order ones repeat it in their layout.
  test.each(RAMP_CLASSES.flatMap((name) => RAMPS.map((ramp) => [name, ramp] as const)))(
    '%s with use_%s_sigmas schedules the ramp',
    (name, ramp) => {
      const scheduler = createScheduler({ ...LINEAR, [`use_${ramp}_sigmas`]: true }, { name });
      scheduler.setTimesteps(10);
      const sigmas = Array.from(scheduler.sigmas as Float32Array);
      const distinct = sigmas.filter((s, i) => s !== 0 && s !== sigmas[i - 1]);
      const expected =
        name === 'dpmsolver-inverse' ? [...PINNED[ramp].sigmas].reverse() : PINNED[ramp].sigmas;
      expectAllClose(distinct, expected, { abs: 0, rel: 1e-6 });
      const integers = [
        'dpmsolver++',
        'dpmsolver-singlestep',
        'dpmsolver-inverse',
        'unipc',
        'deis',
      ];
      if (integers.includes(name)) {
        const timesteps =
          name === 'dpmsolver-inverse' ? [...scheduler.timesteps].reverse() : scheduler.timesteps;
        expect(timesteps).toEqual(PINNED[ramp].dpmTimesteps);
      } else {
        // The float classes keep _sigma_to_t's fractions (Heun, KDPM2 and SDE interleave midpoints).
        for (const t of PINNED[ramp].eulerTimesteps) {
          expect(scheduler.timesteps.some((s) => Math.abs(s - t) < 1e-3)).toBe(true);
        }
      }
    },
  );

  test.each(RAMPS)('%s: full Euler and DPM-Solver++ loops match the float64 references', (ramp) => {
    const flag = { [`use_${ramp}_sigmas`]: true };
    const sigmas = [...PINNED[ramp].sigmas, 0];
    const euler = new EulerDiscreteScheduler(flag);
    expectAllClose(
      runLoop(euler, 10),
      refEulerLoop(sigmas, [...euler.timesteps], refInitialSample(12), false),
      { abs: 1e-4, rel: 2e-4 },
    );
    const dpm = new DPMSolverMultistepScheduler(flag);
    expectAllClose(
      runLoop(dpm, 10),
      refDpmMultistepLoop(sigmas, [...dpm.timesteps], refInitialSample(12), {
        algorithm: 'dpmsolver++',
        solverOrder: 2,
        solverType: 'midpoint',
      }),
      { abs: 2e-5, rel: 2e-4 },
    );
  });

  test('Karras timesteps: rounded by KDPM2 (not Heun), truncated by DPM-Solver with squaredcos_cap_v2', () => {
    const kdpm2 = createScheduler({ use_karras_sigmas: true }, { name: 'kdpm2' });
    kdpm2.setTimesteps(5);
    // diffusers' KDPM2 rounds _sigma_to_t of the Karras ramp; the midpoints between stay fractional.
    expect([0, 2, 4, 6].map((i) => kdpm2.timesteps[i])).toEqual([999, 784, 449, 75]);
    expect(Number.isInteger(kdpm2.timesteps[1])).toBe(false);
    const heun = createScheduler({ use_karras_sigmas: true }, { name: 'heun' });
    heun.setTimesteps(5);
    expect(Number.isInteger(heun.timesteps[2])).toBe(false);
    // DPM-Solver multistep rounds Karras timesteps except for the cosine schedule (int64 cast).
    const cosine = { beta_schedule: 'squaredcos_cap_v2', use_karras_sigmas: true } as const;
    const dpm = new DPMSolverMultistepScheduler(cosine);
    dpm.setTimesteps(10);
    const train = scheduleFromConfig(cosine).alphasCumprod;
    const logSigmas = Float32Array.from(train, (a) =>
      Math.log(Math.sqrt(Math.fround(Math.fround(1 - a) / a))),
    );
    const exact = Array.from(dpm.sigmas as Float32Array)
      .slice(0, 10)
      .map((s) => sigmaToTimestep(s, logSigmas));
    expect(dpm.timesteps).toEqual(exact.map(Math.trunc));
    expect(exact.map(Math.round)).not.toEqual(exact.map(Math.trunc));
  });

  test("UniPC's sigma_min / sigma_max bound its ramp (and end it with 'sigma_min'); DPM-Solver has no such keys", () => {
    const bounds = { use_exponential_sigmas: true, sigma_min: 0.1, sigma_max: 10 };
    const unipc = createScheduler({ ...bounds, final_sigmas_type: 'sigma_min' }, { name: 'unipc' });
    unipc.setTimesteps(5);
    expectAllClose(
      Array.from(unipc.sigmas as Float32Array),
      [10, 10 ** 0.5, 1, 0.1 ** 0.5, 0.1, 0.1],
      { abs: 0, rel: 1e-6 },
    );
    const dpm = createScheduler(bounds, { name: 'dpmsolver++' });
    dpm.setTimesteps(5);
    expectAllClose([(dpm.sigmas as Float32Array)[0] as number], [PINNED.exponential.sigmas[0]], {
      abs: 0,
      rel: 1e-6,
    });
  });

  test('one ramp at a time; none with custom timesteps; Euler ancestral has none', () => {
    const both = configError(() =>
      createScheduler({ use_karras_sigmas: true, use_beta_sigmas: true }, { name: 'euler' }),
    );
    expect(both.field).toBe('use_beta_sigmas');
    expect(both.message).toMatch(/only one of/);
    for (const name of ['euler', 'dpmsolver++', 'dpmsolver-singlestep']) {
      const scheduler = createScheduler({ use_exponential_sigmas: true }, { name });
      expect(
        configError(() => scheduler.setTimesteps(null, { timesteps: [900, 500, 100] })).field,
      ).toBe('timesteps');
    }
    // diffusers' EulerAncestralDiscreteScheduler has no such keys; from_config ignores them.
    const ancestral = createScheduler({ use_beta_sigmas: true }, { name: 'euler-ancestral' });
    const plain = createScheduler({}, { name: 'euler-ancestral' });
    ancestral.setTimesteps(10);
    plain.setTimesteps(10);
    expect(Array.from(ancestral.sigmas as Float32Array)).toEqual(
      Array.from(plain.sigmas as Float32Array),
    );
    expect(
      configError(() => createScheduler({ use_flow_sigmas: true }, { name: 'unipc' })).field,
    ).toBe('use_flow_sigmas');
  });
});
