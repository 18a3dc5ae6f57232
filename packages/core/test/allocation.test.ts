import { describe, expect, test } from 'vitest';
import {
  DDIMParallelScheduler,
  NormalGenerator,
  SCHEDULER_NAMES,
  clipInPlace,
  createScheduler,
  thresholdInPlace,
} from '../src/index.js';

/**
 * A denoising step must not allocate (CONVENTIONS.md: allocation-free math). Measured as V8 heap
 * growth over a whole loop on a 16k-float sample: a boxed number per element costs >= 256 KB
 * per step and a per-step array of the sample's size 64 KB, while this bound leaves room for the
 * measurement itself (process.memoryUsage allocates its result) and the test runner. (Verified
 * to fail on the old clipInPlace, whose conditional boxed every element.)
 */
const N = 16384;
const BYTES_PER_STEP = 4096;

/**
 * V8 heap plus ArrayBuffer backing stores: a typed array's data lives outside the V8 heap, so
 * heapUsed alone misses a step that allocates a Float32Array.
 */
function allocatedBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Heap growth per call of `body` (the least of a few tries, skipping tries a GC interrupted). */
function bytesPerCall(calls: number, body: () => void): number {
  let best = Infinity;
  for (let attempt = 0; attempt < 6; attempt++) {
    const before = allocatedBytes();
    for (let i = 0; i < calls; i++) body();
    const after = allocatedBytes();
    if (after >= before) best = Math.min(best, (after - before) / calls);
  }
  return best;
}

describe('steps allocate nothing', () => {
  test('clipInPlace', () => {
    const values = Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 3);
    for (let i = 0; i < 50; i++) clipInPlace(values, 1);
    expect(bytesPerCall(100, () => clipInPlace(values, 1))).toBeLessThan(BYTES_PER_STEP);
  });

  test('thresholdInPlace (dynamic thresholding)', () => {
    const values = new Float32Array(N);
    const scratch = new Float32Array(N / 2);
    const noise = new NormalGenerator(3);
    const body = (): void => {
      noise.fill(values);
      thresholdInPlace(values, 2, 0.9, 1.5, scratch);
    };
    for (let i = 0; i < 5; i++) body();
    expect(bytesPerCall(20, body)).toBeLessThan(BYTES_PER_STEP);
  });

  test.each(Object.keys(SCHEDULER_NAMES))('%s', (name) => {
    const scheduler = createScheduler(
      { clip_sample: true, thresholding: name === 'dpmsolver++' },
      { name },
    );
    const steps = name === 'lcm' || name === 'tcd' ? 8 : 12;
    const sample = new Float32Array(N);
    const modelInput = new Float32Array(N);
    const modelOutput = new NormalGenerator(1).fill(new Float32Array(N));
    const out = { prevSample: sample, predOriginalSample: new Float32Array(N) };
    const noise = new NormalGenerator(2);
    let timesteps: readonly number[] = [];
    const prepare = (): void => {
      scheduler.setTimesteps(steps);
      timesteps = scheduler.timesteps;
      noise.fill(sample);
    };
    const loop = (): void => {
      for (let i = 0; i < timesteps.length; i++) {
        const t = timesteps[i] as number;
        scheduler.scaleModelInput(modelInput, sample, t);
        scheduler.step(modelOutput, t, sample, out, noise);
      }
    };
    for (let warm = 0; warm < 2; warm++) {
      prepare();
      loop();
    }
    let best = Infinity;
    for (let attempt = 0; attempt < 3; attempt++) {
      prepare();
      best = Math.min(best, bytesPerCall(1, loop) / timesteps.length);
    }
    expect(best, `${name}: bytes allocated per step`).toBeLessThan(BYTES_PER_STEP);
  });

  test('DDIM parallel batch step (four items at their own timesteps)', () => {
    const scheduler = new DDIMParallelScheduler({ thresholding: true });
    scheduler.setTimesteps(50);
    const sample = new NormalGenerator(1).fill(new Float32Array(N));
    const modelOutput = new NormalGenerator(2).fill(new Float32Array(N));
    const out = new Float32Array(N);
    const timesteps = [981, 961, 941, 21];
    const body = (): void => {
      scheduler.batchStepNoNoise(modelOutput, timesteps, sample, out);
    };
    for (let i = 0; i < 5; i++) body();
    expect(bytesPerCall(20, body)).toBeLessThan(BYTES_PER_STEP);
  });
});
