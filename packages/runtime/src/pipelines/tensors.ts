import type { ModelManifest } from '@genviz/core';
import { GenvizError } from '../errors.js';

/** Side of the default models' square images (MNIST). */
export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

/** An input's shape from the manifest, with -1 for named (dynamic) dimensions. */
export function shapeOf(manifest: ModelManifest, network: string, input: string): number[] {
  const spec = manifest.networks[network]?.inputs.find((candidate) => candidate.name === input);
  if (!spec) {
    throw new GenvizError(
      'invalid-argument',
      `${manifest.id} has no input ${input} on ${network}.`,
    );
  }
  return spec.shape.map((dim) => (typeof dim === 'number' ? dim : -1));
}

/** How many items of `perItem` values `values` holds; a clear error when it is not whole. */
export function checkBatch(values: Float32Array, perItem: number, what: string): number {
  if (values.length === 0 || values.length % perItem !== 0) {
    throw new GenvizError(
      'invalid-argument',
      `${what}: ${values.length} values is not a whole number of items of ${perItem} values each.`,
      { detail: what },
    );
  }
  return values.length / perItem;
}
