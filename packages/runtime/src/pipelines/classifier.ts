import type { ModelHost } from '../model-host.js';
import type { CallOptions, DigitReading, PixelRange, ProgressCallback } from '../protocol.js';
import { IMAGE_PIXELS, IMAGE_SIDE, checkBatch } from './tensors.js';

/** Class probabilities [N, classes] for images [N, 1, 28, 28] with values in [0, 1]. */
export async function classify(
  host: ModelHost,
  options: CallOptions,
  images: Float32Array,
  onProgress?: ProgressCallback,
): Promise<Float32Array> {
  const batch = checkBatch(images, IMAGE_PIXELS, 'classify images');
  const { outputs } = await host.run(
    options,
    'classifier',
    () => ({
      image: { type: 'float32', data: images, dims: [batch, 1, IMAGE_SIDE, IMAGE_SIDE] },
    }),
    undefined,
    onProgress,
  );
  const logits = outputs.logits!.data as Float32Array;
  const classes = logits.length / batch;
  const probabilities = new Float32Array(logits.length);
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++)
      sum += probabilities[row + k] = Math.exp(logits[row + k]! - max);
    for (let k = 0; k < classes; k++) probabilities[row + k]! /= sum;
  }
  return probabilities;
}

/**
 * The classifier's reading of each image: the most probable digit, its probability and all of
 * them. Images in `range` are mapped to the classifier's [0, 1] here, in the worker, so a result
 * computed in the worker never travels to the page and back to be judged.
 */
export async function read(
  host: ModelHost,
  options: CallOptions,
  images: Float32Array,
  range: PixelRange,
  onProgress?: ProgressCallback,
): Promise<DigitReading[]> {
  const unit =
    range === 'unit' ? images : images.map((value) => Math.min(1, Math.max(0, (value + 1) / 2)));
  const probabilities = await classify(host, options, unit, onProgress);
  const batch = unit.length / IMAGE_PIXELS;
  const classes = probabilities.length / batch;
  return Array.from({ length: batch }, (_, n) => {
    const row = probabilities.slice(n * classes, (n + 1) * classes);
    let digit = 0;
    for (let k = 1; k < classes; k++) if (row[k]! > row[digit]!) digit = k;
    return { digit, confidence: row[digit]!, probabilities: row };
  });
}
