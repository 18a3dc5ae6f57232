/*
 * The float32 sample updates that the sigma-space (k-diffusion) schedulers share: the input
 * scaling x / sqrt(sigma^2 + 1), the Euler move x + (x - x0) / sigma * dt and KDPM2's first half
 * step. Each writes into a caller's buffer and allocates nothing; every intermediate is rounded to
 * float32 as diffusers' torch tensors are.
 */

const f = Math.fround;

/** out = sample / sqrt(sigma^2 + 1): diffusers' scale_model_input for the sigma schedulers. */
export function divideByInputScale(
  out: Float32Array,
  sample: Float32Array,
  sigma: number,
): Float32Array {
  const scale = f(Math.sqrt(f(f(sigma * sigma) + 1)));
  for (let i = 0; i < sample.length; i++) out[i] = f((sample[i] as number) / scale);
  return out;
}

/** out = sample * scale (EDM's c_in, already computed in float32). */
export function multiplyByInputScale(
  out: Float32Array,
  sample: Float32Array,
  scale: number,
): Float32Array {
  for (let i = 0; i < sample.length; i++) out[i] = f((sample[i] as number) * scale);
  return out;
}

/**
 * One Euler move along the probability-flow ODE: out = x + ((x - x0) / sigma) * dt, with
 * `x` the point the derivative is taken at and `from` the point moved (the same for Euler; KDPM2's
 * second half moves the first half's start with the midpoint's derivative). `noise` times
 * `noiseScale` is added after the move (Euler ancestral, KDPM2 ancestral), in that rounding order.
 */
export function eulerMoveInto(
  out: Float32Array,
  x: Float32Array,
  original: Float32Array,
  sigma: number,
  dt: number,
  from: Float32Array = x,
  noise: Float32Array | null = null,
  noiseScale = 0,
): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const derivative = f(f((x[i] as number) - (original[i] as number)) / sigma);
    const moved = f((from[i] as number) + f(derivative * dt));
    out[i] = noise ? f(moved + f((noise[i] as number) * noiseScale)) : moved;
  }
  return out;
}
