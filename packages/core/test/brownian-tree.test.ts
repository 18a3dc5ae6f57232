import { describe, expect, test } from 'vitest';
import { BrownianTree, pythonRound } from '../src/brownian-tree.js';
import { createScheduler } from '../src/index.js';
import { seedSequenceState } from '../src/seed-sequence.js';

describe('SeedSequence (numpy)', () => {
  // Values printed by numpy 1.24: list(np.random.SeedSequence(...).generate_state(n)).
  test.each([
    [0, [], 24, [4025752534, 2687548107, 2326983537]],
    [0, [0, 0], 24, [245430115, 3436620678, 4120055464, 1627243804]],
    [0, [5, 3], 24, [2230703150, 3316687717, 788529862, 3225615604]],
    [12345678901234, [2 ** 33 + 7, 40], 24, [1514599164, 1439746858, 686066099, 3958895498]],
    [42, [], 4, [3444837047, 2669555309, 2046530742, 3581440988, 1691623607, 2099784219]],
  ] as const)('entropy %s spawn key %j pool %s', (entropy, spawnKey, pool, expected) => {
    expect([...seedSequenceState(entropy, spawnKey, pool, expected.length)]).toEqual(expected);
  });
});

describe('pythonRound', () => {
  test.each([
    [0.0078125, 6, 0.007812], // an exact tie (1/128): to even, where toFixed rounds up
    [0.0234375, 6, 0.023438], // 3/128: the tie goes up to the even digit
    [-0.0078125, 6, -0.007812],
    [1.23456789, 6, 1.234568],
    [157.4072570800781, 6, 157.407257],
    [2.5, 0, 2],
    [3.5, 0, 4],
  ])('round(%s, %s) = %s', (x, digits, expected) => {
    expect(pythonRound(x, digits)).toBe(expected);
  });
});

describe('BrownianTree', () => {
  const size = 4096;
  const increment = (tree: BrownianTree, ta: number, tb: number): Float32Array =>
    tree.increment(ta, tb, new Float32Array(size));

  test('the same entropy gives the same path whatever the order of the queries (halfway tree)', () => {
    const queries: [number, number][] = [
      [0.5, 3],
      [3, 7.25],
      [0.03, 0.5],
      [12, 157],
      [1.75, 2.125],
    ];
    const forward = new BrownianTree(0.03, 157, size, 0);
    const backward = new BrownianTree(0.03, 157, size, 0);
    const first = queries.map(([a, b]) => increment(forward, a, b));
    const second = [...queries].reverse().map(([a, b]) => increment(backward, a, b));
    second.reverse();
    first.forEach((values, k) => expect(second[k]).toEqual(values));
    expect(increment(new BrownianTree(0.03, 157, size, 1), 0.5, 3)).not.toEqual(first[0]);
  });

  test('increments add up and have the variance of their length', () => {
    const tree = new BrownianTree(0.1, 10, size, 7);
    const whole = increment(tree, 0.5, 4);
    const left = increment(tree, 0.5, 1.3);
    const right = increment(tree, 1.3, 4);
    let squares = 0;
    for (let i = 0; i < size; i++) {
      expect(whole[i]).toBeCloseTo((left[i] as number) + (right[i] as number), 4);
      squares += (whole[i] as number) ** 2;
    }
    // E[W^2] = 3.5; 4096 draws put the sample variance within ~3% (1 sigma ~ 2.2%).
    expect(squares / size / 3.5).toBeGreaterThan(0.9);
    expect(squares / size / 3.5).toBeLessThan(1.1);
    // The root increment is the whole interval; a point query is zero; times outside clamp.
    expect(increment(tree, 2, 2).every((v) => v === 0)).toBe(true);
    expect(increment(tree, -5, 50)).toEqual(increment(tree, 0.1, 10));
  });

  test('bad arguments get a clear error', () => {
    expect(() => new BrownianTree(1, 1, size, 0)).toThrow(/t0 < t1/);
    expect(() => new BrownianTree(0, 1, 0, 0)).toThrow(/size/);
    expect(() => new BrownianTree(0, 1, size, -1)).toThrow(/entropy/);
    const tree = new BrownianTree(0, 1, size, 0);
    expect(() => tree.increment(0.5, 0.25, new Float32Array(size))).toThrow(/ta <= tb/);
    expect(() => tree.increment(0.25, 0.5, new Float32Array(size - 1))).toThrow(/out has/);
  });
});

describe('DPMSolverSDEScheduler noise_sampler_seed', () => {
  const run = (config: Record<string, unknown>, noise?: Float32Array): Float32Array => {
    const scheduler = createScheduler(config, { name: 'dpmsolver-sde' });
    scheduler.setTimesteps(4);
    const sample = new Float32Array(64).fill(1);
    const modelOutput = new Float32Array(64).fill(0.5);
    for (const t of scheduler.timesteps) {
      scheduler.step(modelOutput, t, sample, { prevSample: sample }, noise);
    }
    return sample;
  };

  test('with a seed a step draws from the tree; the same seed repeats, noise passed wins', () => {
    const seeded = run({ noise_sampler_seed: 3 });
    expect(run({ noise_sampler_seed: 3 })).toEqual(seeded);
    expect(run({ noise_sampler_seed: 4 })).not.toEqual(seeded);
    const zeros = new Float32Array(64);
    expect(run({ noise_sampler_seed: 3 }, zeros)).toEqual(run({}, zeros));
  });

  test('without a seed and without noise a stochastic step throws; a bad seed is refused', () => {
    expect(() => run({})).toThrow(/needs noise/);
    expect(() => createScheduler({ noise_sampler_seed: -1 }, { name: 'dpmsolver-sde' })).toThrow(
      /noise_sampler_seed/,
    );
    expect(() => createScheduler({ noise_sampler_seed: 0.5 }, { name: 'dpmsolver-sde' })).toThrow(
      /noise_sampler_seed/,
    );
  });
});
