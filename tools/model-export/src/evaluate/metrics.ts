/**
 * The quality figures of the models issue, as pure functions over Float32Array batches (NCHW,
 * one channel). Same definitions as models/metrics.py, so the Node figures and the model cards
 * measure the same thing (the samples differ: other RNG).
 */

/** Pixels of one 28x28 digit. */
export const PIXELS = 28 * 28;

/** A classifier's verdict on a batch: argmax class and its softmax probability per image. */
export interface Judgement {
  readonly predicted: Uint8Array;
  readonly confidence: Float32Array;
}

/** Softmax per row of `logits` ([N, classes]); keeps the argmax and its probability. */
export function judgeLogits(logits: Float32Array, classes: number): Judgement {
  const count = logits.length / classes;
  const predicted = new Uint8Array(count);
  const confidence = new Float32Array(count);
  for (let row = 0; row < count; row++) {
    const offset = row * classes;
    let best = 0;
    let highest = -Infinity;
    for (let c = 0; c < classes; c++) {
      const value = logits[offset + c]!;
      if (value > highest) {
        highest = value;
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[offset + c]! - highest);
    predicted[row] = best;
    confidence[row] = 1 / sum;
  }
  return { predicted, confidence };
}

/** Joins judgements of consecutive batches. */
export function concatJudgements(parts: readonly Judgement[]): Judgement {
  const total = parts.reduce((sum, part) => sum + part.predicted.length, 0);
  const predicted = new Uint8Array(total);
  const confidence = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    predicted.set(part.predicted, offset);
    confidence.set(part.confidence, offset);
    offset += part.predicted.length;
  }
  return { predicted, confidence };
}

export function classHistogram(predicted: Uint8Array, classes: number): number[] {
  const histogram = new Array<number>(classes).fill(0);
  for (const c of predicted) histogram[c] = histogram[c]! + 1;
  return histogram;
}

/** Shannon entropy of a histogram in bits: 0 for one class, log2(10) = 3.32 for ten equal ones. */
export function entropyBits(histogram: readonly number[]): number {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  let entropy = 0;
  for (const count of histogram) {
    if (count === 0) continue;
    const share = count / total;
    entropy -= share * Math.log2(share);
  }
  return entropy;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/** Share of values >= threshold. */
export function shareAtLeast(values: ArrayLike<number>, threshold: number): number {
  let hits = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! >= threshold) hits++;
  return values.length === 0 ? Number.NaN : hits / values.length;
}

/** Share of rows whose predicted class equals the expected one. */
export function accuracy(predicted: Uint8Array, expected: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === expected[i]) hits++;
  return predicted.length === 0 ? Number.NaN : hits / predicted.length;
}

/** [-1, 1] (tanh outputs, diffusion samples) to [0, 1] in place, clamped as the elements draw it. */
export function minusOneToUnitInPlace(images: Float32Array): Float32Array {
  for (let i = 0; i < images.length; i++)
    images[i] = Math.min(1, Math.max(0, (images[i]! + 1) / 2));
  return images;
}

/**
 * Mean L2 distance between all pairs of images ([N, PIXELS], [0, 1]): a pixel-space diversity
 * figure next to the class entropy (a collapsed GAN repeats near-identical digits: small).
 * Uses ||a - b||^2 = |a|^2 + |b|^2 - 2 a.b; O(N^2 * PIXELS), under a second for 1,000.
 */
export function meanPairwiseDistance(images: Float32Array, pixels = PIXELS): number {
  const count = images.length / pixels;
  if (count < 2) return Number.NaN;
  const squaredNorms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let p = i * pixels, end = p + pixels; p < end; p++) sum += images[p]! * images[p]!;
    squaredNorms[i] = sum;
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const a = i * pixels;
    for (let j = i + 1; j < count; j++) {
      const b = j * pixels;
      let dot = 0;
      for (let p = 0; p < pixels; p++) dot += images[a + p]! * images[b + p]!;
      total += Math.sqrt(Math.max(0, squaredNorms[i]! + squaredNorms[j]! - 2 * dot));
    }
  }
  return total / ((count * (count - 1)) / 2);
}

/** PyTorch's binary_cross_entropy clamps log at -100, so a saturated pixel costs 100 nats, not Infinity. */
const LOG_FLOOR = -100;
const clampedLog = (value: number): number => Math.max(LOG_FLOOR, Math.log(value));

/** Reconstruction error per image, summed over pixels and averaged over images. */
export function reconstructionErrors(
  reconstruction: Float32Array,
  target: Float32Array,
  pixels = PIXELS,
): { bcePerImage: number; msePerImage: number } {
  let bce = 0;
  let squared = 0;
  for (let i = 0; i < target.length; i++) {
    const x = target[i]!;
    const r = reconstruction[i]!;
    bce -= x * clampedLog(r) + (1 - x) * clampedLog(1 - r);
    squared += (r - x) * (r - x);
  }
  const count = target.length / pixels;
  return { bcePerImage: bce / count, msePerImage: squared / count };
}

/** KL(q(z|x) || N(0, I)) per image, in nats, from the encoder's mean and log-variance ([N, D]). */
export function klPerImage(
  latentMean: Float32Array,
  logVariance: Float32Array,
  latentDim: number,
): number {
  let kl = 0;
  for (let i = 0; i < latentMean.length; i++) {
    const m = latentMean[i]!;
    const lv = logVariance[i]!;
    kl += -0.5 * (1 + lv - m * m - Math.exp(lv));
  }
  return kl / (latentMean.length / latentDim);
}

/** Median of a few timings (ms), robust to one slow run on a shared machine. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
