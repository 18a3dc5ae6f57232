import type { Scheduler, SetTimestepsOptions, StepOptions } from '../src/index.js';
import { dummyModel, refInitialSample, refNoise } from './reference.js';

/** The sample length of the float64-reference loops. */
export const N = 12;

/**
 * Runs a full loop with the dummy model and reference noise over `steps` inference steps, the
 * given custom timesteps or set_timesteps options (custom sigmas); returns the final sample. The float64 references in reference*.ts run
 * the same loop.
 */
export function runLoop(
  scheduler: Scheduler,
  steps: number | readonly number[] | SetTimestepsOptions,
  options?: StepOptions,
  scaleStart = true,
): Float32Array {
  if (typeof steps === 'number') scheduler.setTimesteps(steps);
  else if (Array.isArray(steps)) scheduler.setTimesteps(null, { timesteps: steps });
  else scheduler.setTimesteps(null, steps as SetTimestepsOptions);
  const sample = Float32Array.from(refInitialSample(N), (v) =>
    scaleStart ? v * scheduler.initNoiseSigma : v,
  );
  const modelInput = new Float32Array(N);
  const predOriginalSample = new Float32Array(N);
  scheduler.timesteps.forEach((t, k) => {
    scheduler.scaleModelInput(modelInput, sample, t);
    const output = Float32Array.from(dummyModel(modelInput, t));
    scheduler.step(
      output,
      t,
      sample,
      { prevSample: sample, predOriginalSample },
      Float32Array.from(refNoise(N, k)),
      options,
    );
  });
  return sample;
}
