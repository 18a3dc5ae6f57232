import type { NoiseSource } from './rng.js';

/** Noise for a stochastic step: a ready array of standard normals, or a generator to draw from. */
export type NoiseInput = Float32Array | NoiseSource;

/** Clamps every element of `values` to [-range, range] in place. Allocates nothing. */
export function clipInPlace(values: Float32Array, range: number): void {
  // Math.min/Math.max keep every value an unboxed double; a conditional that mixes the `range`
  // parameter with element values made V8 box a HeapNumber per element (100+ minor GCs per
  // 800 clips of 32k floats).
  const high = Math.max(range, -range);
  const low = -high;
  for (let i = 0; i < values.length; i++)
    values[i] = Math.min(Math.max(values[i] as number, low), high);
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
    const rank = ratio * (itemLength - 1);
    const below = Math.floor(rank);
    // The two order statistics the quantile interpolates, found by selection in place:
    // TypedArray#sort would copy the item into boxed numbers (V8), allocating per element.
    const low = selectInPlace(sorted, below);
    let high = low;
    if (below + 1 < itemLength) {
      high = Infinity;
      for (let i = below + 1; i < itemLength; i++) high = Math.min(high, sorted[i] as number);
    }
    const quantile = low + (rank - below) * (high - low);
    const s = Math.min(Math.max(quantile, 1), maxValue);
    for (let i = start; i < start + itemLength; i++) {
      const v = values[i] as number;
      values[i] = (v > s ? s : v < -s ? -s : v) / s;
    }
  }
}

/**
 * Hoare's selection (quickselect) in place: reorders `values` so that values[k] is the k-th
 * smallest, everything before it <= it and everything after >= it; returns values[k].
 */
function selectInPlace(values: Float32Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const held = values[i] as number;
        values[i] = values[j] as number;
        values[j] = held;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k] as number;
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
