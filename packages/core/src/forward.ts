import type { NoiseSchedule } from './schedules.js';

function alphaCumprodAt(schedule: NoiseSchedule, timestep: number): number {
  const count = schedule.alphasCumprod.length;
  if (!Number.isInteger(timestep) || timestep < 0 || timestep >= count) {
    throw new RangeError(`timestep ${timestep} is not an integer in [0, ${count})`);
  }
  return schedule.alphasCumprod[timestep] as number;
}

/**
 * The forward process in closed form, as diffusers' add_noise:
 * out = sqrt(alphasCumprod[t]) * x0 + sqrt(1 - alphasCumprod[t]) * noise. `out` may alias x0 or noise.
 */
export function addNoise(
  out: Float32Array,
  x0: Float32Array,
  noise: Float32Array,
  timestep: number,
  schedule: NoiseSchedule,
): Float32Array {
  const alphaBar = alphaCumprodAt(schedule, timestep);
  const signal = Math.sqrt(alphaBar);
  const noiseScale = Math.sqrt(1 - alphaBar);
  for (let i = 0; i < out.length; i++)
    out[i] = signal * (x0[i] as number) + noiseScale * (noise[i] as number);
  return out;
}

/** x_t for each t in `timesteps` from one x0 and one noise draw; `outs[k]` receives x_{timesteps[k]}. */
export function forwardTrajectory(
  outs: readonly Float32Array[],
  x0: Float32Array,
  noise: Float32Array,
  timesteps: readonly number[],
  schedule: NoiseSchedule,
): readonly Float32Array[] {
  if (outs.length < timesteps.length) {
    throw new RangeError(
      `forwardTrajectory: ${timesteps.length} timesteps but ${outs.length} output buffers`,
    );
  }
  timesteps.forEach((t, k) => addNoise(outs[k] as Float32Array, x0, noise, t, schedule));
  return outs;
}

/** Signal-to-noise ratio alphasCumprod / (1 - alphasCumprod) at training timestep t. */
export function snrAt(schedule: NoiseSchedule, timestep: number): number {
  const alphaBar = alphaCumprodAt(schedule, timestep);
  return alphaBar / (1 - alphaBar);
}

/** The noise that maps x0 to xt at t: (xt - sqrt(abar) x0) / sqrt(1 - abar). An oracle for tests and demos. */
export function noiseFromSample(
  out: Float32Array,
  xt: Float32Array,
  x0: Float32Array,
  timestep: number,
  schedule: NoiseSchedule,
): Float32Array {
  const alphaBar = alphaCumprodAt(schedule, timestep);
  const signal = Math.sqrt(alphaBar);
  const noiseScale = Math.sqrt(1 - alphaBar);
  for (let i = 0; i < out.length; i++)
    out[i] = ((xt[i] as number) - signal * (x0[i] as number)) / noiseScale;
  return out;
}
