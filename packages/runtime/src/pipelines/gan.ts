import type { GanSnapshot, ModelManifest, ModelVariant } from '@genviz/core';
import { GenvizError, abortedError } from '../errors.js';
import type { ModelHost } from '../model-host.js';
import type {
  CallOptions,
  DuelMatrixRequest,
  DuelMatrixResult,
  DuelMatrixRow,
  ProgressCallback,
} from '../protocol.js';
import { IMAGE_PIXELS, checkBatch, shapeOf } from './tensors.js';

/** A GAN's training snapshot by index, or a clear error naming the ones it has. */
function snapshotOf(manifest: ModelManifest, index: number): GanSnapshot {
  const snapshot = manifest.snapshots?.find((candidate) => candidate.index === index);
  if (!snapshot) {
    const known = manifest.snapshots?.map((candidate) => candidate.index).join(', ') ?? 'none';
    throw new GenvizError(
      'invalid-argument',
      `The model ${manifest.id} has no snapshot ${index} (it has ${known}).`,
      { detail: 'snapshot' },
    );
  }
  return snapshot;
}

/** The discriminator's variants at a snapshot, or a clear error where training did not keep it. */
function discriminatorAt(manifest: ModelManifest, index: number): readonly ModelVariant[] {
  const variants = snapshotOf(manifest, index).discriminatorVariants;
  if (!variants || variants.length === 0) {
    throw new GenvizError(
      'invalid-argument',
      `The model ${manifest.id} has no discriminator at snapshot ${index}: its manifest lists only the generator's training history.`,
      { detail: 'snapshot' },
    );
  }
  return variants;
}

/** Images [N, 1, 28, 28] in [-1, 1] from latents [N, Z], at a training snapshot (default: the final weights). */
export async function generate(
  host: ModelHost,
  options: CallOptions & { snapshot?: number },
  latents: Float32Array,
  onProgress?: ProgressCallback,
): Promise<Float32Array> {
  const manifest = await host.manifest(options.manifestUrl);
  const latentSize = shapeOf(manifest, 'generator', 'latent')[1]!;
  const batch = checkBatch(latents, latentSize, 'generate latents');
  const variants =
    options.snapshot === undefined ? undefined : snapshotOf(manifest, options.snapshot).variants;
  const { outputs } = await host.run(
    options,
    'generator',
    () => ({ latent: { type: 'float32', data: latents, dims: [batch, latentSize] } }),
    variants,
    onProgress,
  );
  const image = outputs.image!.data as Float32Array;
  return image;
}

const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));

/**
 * The discriminator's P(real) [N] for images [N, 1, 28, 28] in [-1, 1], at a training snapshot
 * (default: the final weights).
 */
export async function discriminate(
  host: ModelHost,
  options: CallOptions & { snapshot?: number },
  images: Float32Array,
  onProgress?: ProgressCallback,
): Promise<Float32Array> {
  const batch = checkBatch(images, IMAGE_PIXELS, 'discriminate images');
  const variants =
    options.snapshot === undefined
      ? undefined
      : discriminatorAt(await host.manifest(options.manifestUrl), options.snapshot);
  const { outputs } = await host.run(
    options,
    'discriminator',
    () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
    variants,
    onProgress,
  );
  const logits = outputs.logit!.data as Float32Array;
  const probabilities = logits.map(sigmoid);
  return probabilities;
}

/** Snapshot indices asked for, checked against the manifest (default: every snapshot). */
function indicesOf(manifest: ModelManifest, asked: readonly number[] | undefined): number[] {
  const all = manifest.snapshots?.map((snapshot) => snapshot.index) ?? [];
  if (all.length === 0) {
    throw new GenvizError(
      'invalid-argument',
      `The model ${manifest.id} has no training snapshots, so it has no duel matrix.`,
      { detail: 'snapshot' },
    );
  }
  const indices = asked ? [...asked] : all;
  if (indices.length === 0) {
    throw new GenvizError('invalid-argument', 'A duel matrix needs at least one snapshot a side.', {
      detail: 'snapshot',
    });
  }
  for (const index of indices) snapshotOf(manifest, index);
  return indices;
}

/**
 * The arms race as a matrix: the discriminator of snapshot i (the detective) against the
 * generator of snapshot j (the counterfeiter), scored on the same real images and on fakes from
 * the same latents. Each counterfeiter's fakes are made once; then each detective judges the
 * real images and every counterfeiter's fakes in one batch, and its row is sent back before the
 * next row starts. P(real) >= 0.5 counts as calling an image real. Stops between runs when aborted.
 */
export async function duelMatrix(
  host: ModelHost,
  options: DuelMatrixRequest,
  isAborted: () => boolean,
  onRow?: (row: DuelMatrixRow) => void | Promise<void>,
  onProgress?: ProgressCallback,
): Promise<DuelMatrixResult> {
  const started = performance.now();
  const manifest = await host.manifest(options.manifestUrl);
  const latentSize = shapeOf(manifest, 'generator', 'latent')[1]!;
  const real = checkBatch(options.real, IMAGE_PIXELS, 'duel matrix real images');
  const fakes = checkBatch(options.latents, latentSize, 'duel matrix latents');
  const detectives = indicesOf(manifest, options.detectives);
  const counterfeiters = indicesOf(manifest, options.counterfeiters);
  for (const index of detectives) discriminatorAt(manifest, index);
  const checkpoint = () => {
    if (isAborted()) throw abortedError();
  };
  const columns = counterfeiters.length;
  const judged = real + columns * fakes;
  // The batch every detective judges: the real images, then each counterfeiter's fakes.
  const batch = new Float32Array(judged * IMAGE_PIXELS);
  batch.set(options.real);
  for (const [column, index] of counterfeiters.entries()) {
    checkpoint();
    const { pooled } = await host.session(
      options,
      'generator',
      snapshotOf(manifest, index).variants,
      onProgress,
    );
    const outputs = await host.runOn(pooled, {
      latent: { type: 'float32', data: options.latents, dims: [fakes, latentSize] },
    });
    batch.set(outputs.image!.data as Float32Array, (real + column * fakes) * IMAGE_PIXELS);
  }
  const accuracy = new Float32Array(detectives.length * columns);
  const realRight = new Uint16Array(detectives.length);
  const fakeRight = new Uint16Array(detectives.length * columns);
  for (const [row, index] of detectives.entries()) {
    checkpoint();
    const { pooled } = await host.session(
      options,
      'discriminator',
      discriminatorAt(manifest, index),
      onProgress,
    );
    const outputs = await host.runOn(pooled, {
      image: { type: 'float32', data: batch, dims: [judged, 1, 28, 28] },
    });
    const logits = outputs.logit!.data as Float32Array;
    // P(real) >= 0.5 exactly when the logit is >= 0.
    let realCalls = 0;
    for (let k = 0; k < real; k += 1) if (logits[k]! >= 0) realCalls += 1;
    realRight[row] = realCalls;
    const rowAccuracy = new Float32Array(columns);
    const rowFakeRight = new Uint16Array(columns);
    for (let column = 0; column < columns; column += 1) {
      let caught = 0;
      const offset = real + column * fakes;
      for (let k = 0; k < fakes; k += 1) if (logits[offset + k]! < 0) caught += 1;
      rowFakeRight[column] = caught;
      rowAccuracy[column] = (realCalls + caught) / (real + fakes);
    }
    accuracy.set(rowAccuracy, row * columns);
    fakeRight.set(rowFakeRight, row * columns);
    const meanReal = meanSigmoid(logits, 0, real);
    await onRow?.({
      row,
      detective: index,
      accuracy: rowAccuracy,
      realRight: realCalls,
      fakeRight: rowFakeRight,
      meanReal,
      elapsedMs: performance.now() - started,
    });
  }
  return {
    detectives,
    counterfeiters,
    real,
    fakes,
    accuracy,
    realRight,
    fakeRight,
    elapsedMs: performance.now() - started,
  };
}

function meanSigmoid(logits: Float32Array, from: number, count: number): number {
  let sum = 0;
  for (let k = from; k < from + count; k += 1) sum += sigmoid(logits[k]!);
  return sum / count;
}
