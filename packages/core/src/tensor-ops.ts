import type { NoiseSource } from './rng.js';

/** Noise for a stochastic step: a ready array of standard normals, or a generator to draw from. */
export type NoiseInput = Float32Array | NoiseSource;

/** Clamps every element of `values` to [-range, range] in place. */
export function clipInPlace(values: Float32Array, range: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    values[i] = v > range ? range : v < -range ? -range : v;
  }
}

/**
 * Dynamic thresholding (Imagen, Saharia et al. 2022) in place, as diffusers' _threshold_sample:
 * per batch item, s = quantile(|x|, ratio) (linear interpolation like torch.quantile), clamped
 * to [1, maxValue]; x = clamp(x, -s, s) / s. `sortScratch` needs one batch item's length.
 */
export function thresholdInPlace(
  values: Float32Array,
  batchSize: number,
  ratio: number,
  maxValue: number,
  sortScratch: Float32Array,
): void {
  const itemLength = values.length / batchSize;
  if (!Number.isInteger(itemLength)) {
    throw new RangeError(
      `sample length ${values.length} is not divisible by batchSize ${batchSize}`,
    );
  }
  const sorted = sortScratch.subarray(0, itemLength);
  for (let b = 0; b < batchSize; b++) {
    const start = b * itemLength;
    for (let i = 0; i < itemLength; i++) sorted[i] = Math.abs(values[start + i] as number);
    sorted.sort();
    const rank = ratio * (itemLength - 1);
    const below = Math.floor(rank);
    const above = Math.min(below + 1, itemLength - 1);
    const low = sorted[below] as number;
    const quantile = low + (rank - below) * ((sorted[above] as number) - low);
    const s = Math.min(Math.max(quantile, 1), maxValue);
    for (let i = start; i < start + itemLength; i++) {
      const v = values[i] as number;
      values[i] = (v > s ? s : v < -s ? -s : v) / s;
    }
  }
}

/** `out = uncond + scale * (cond - uncond)`: classifier-free guidance. `out` may alias either input. */
export function applyGuidance(
  out: Float32Array,
  uncond: Float32Array,
  cond: Float32Array,
  scale: number,
): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i] as number;
    out[i] = u + scale * ((cond[i] as number) - u);
  }
  return out;
}

/** Copies `length` floats of noise into `scratch` (from a generator) or returns the caller's array. */
export function resolveNoise(
  noise: NoiseInput | undefined,
  length: number,
  scratch: () => Float32Array,
  who: string,
): Float32Array {
  if (noise === undefined) {
    throw new TypeError(
      `${who}: this step is stochastic and needs noise (a Float32Array or a NoiseSource)`,
    );
  }
  if (noise instanceof Float32Array) {
    if (noise.length < length)
      throw new RangeError(`${who}: noise has ${noise.length} values, needs ${length}`);
    return noise;
  }
  const buffer = scratch();
  noise.fill(buffer);
  return buffer;
}
