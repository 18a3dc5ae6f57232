/** out = a + t (b - a). `out` may alias a or b. */
export function lerp(out: Float32Array, a: Float32Array, b: Float32Array, t: number): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const start = a[i] as number;
    out[i] = start + t * ((b[i] as number) - start);
  }
  return out;
}

/** Angles below which slerp falls back to lerp (the vectors are almost parallel). */
const SLERP_PARALLEL_DOT = 0.9995;

/**
 * Spherical interpolation between latents (Shoemake), which keeps the norm of Gaussian latents
 * typical where lerp would shrink it. Falls back to lerp when |cos| > 0.9995. `out` may alias a or b.
 */
export function slerp(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  t: number,
): Float32Array {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  const cosine = normA > 0 && normB > 0 ? dot / Math.sqrt(normA * normB) : 1;
  if (Math.abs(cosine) > SLERP_PARALLEL_DOT) return lerp(out, a, b, t);
  const theta = Math.acos(cosine);
  const sinTheta = Math.sin(theta);
  const weightA = Math.sin((1 - t) * theta) / sinTheta;
  const weightB = Math.sin(t * theta) / sinTheta;
  for (let i = 0; i < out.length; i++)
    out[i] = weightA * (a[i] as number) + weightB * (b[i] as number);
  return out;
}

export interface LatentRange {
  readonly min: number;
  readonly max: number;
}

/**
 * A rows x cols grid over a 2-D latent range, row-major, top row first: out[2k] = x, out[2k+1] = y,
 * x rising left to right over `xRange`, y falling top to bottom from `yRange.max` (as a plot).
 * `out` needs rows * cols * 2 floats.
 */
export function latentGrid(
  out: Float32Array,
  rows: number,
  cols: number,
  xRange: LatentRange,
  yRange: LatentRange,
): Float32Array {
  if (out.length < rows * cols * 2)
    throw new RangeError(`latentGrid: out needs ${rows * cols * 2} floats`);
  for (let r = 0; r < rows; r++) {
    const y =
      rows === 1
        ? (yRange.min + yRange.max) / 2
        : yRange.max + ((yRange.min - yRange.max) * r) / (rows - 1);
    for (let c = 0; c < cols; c++) {
      const x =
        cols === 1
          ? (xRange.min + xRange.max) / 2
          : xRange.min + ((xRange.max - xRange.min) * c) / (cols - 1);
      const k = (r * cols + c) * 2;
      out[k] = x;
      out[k + 1] = y;
    }
  }
  return out;
}
