import { expect } from 'vitest';
import { SchedulerConfigError } from '../src/index.js';

export interface Tolerance {
  readonly abs?: number;
  readonly rel?: number;
}

/** Element-wise |actual - expected| <= abs + rel * |expected|; the failure names the first bad index. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { abs = 1e-6, rel = 1e-5 }: Tolerance = {},
  label = 'array',
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const limit = abs + rel * Math.abs(e);
    if (!(Math.abs(a - e) <= limit) && !(a === e)) {
      throw new Error(
        `${label}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${limit})`,
      );
    }
  }
}

/** The SchedulerConfigError `run` throws (any other outcome fails the test), for its field and message. */
export function configError(run: () => unknown): SchedulerConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof SchedulerConfigError) return error;
    throw error;
  }
  throw new Error('expected a SchedulerConfigError');
}
