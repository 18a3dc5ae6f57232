import { GenvizError } from '../errors.js';
import type { ModelHost } from '../model-host.js';
import type { HeldOutDigits } from '../protocol.js';

/**
 * The real held-out digits that `@genviz/models` ships beside the default models (the dataset
 * manifest `mnist-data`), fetched like a model file: the Cache API, keyed and checked by sha256.
 */
export async function heldOutDigits(host: ModelHost, manifestUrl: string): Promise<HeldOutDigits> {
  const manifest = await host.dataset(manifestUrl);
  const { entry, bytes } = await host.dataFile(manifestUrl, manifest, 'heldout');
  const images = entry.tensors.find((tensor) => tensor.name === 'images');
  const labels = entry.tensors.find((tensor) => tensor.name === 'labels');
  const [count = 0, side = 0, width = 0] = images?.shape ?? [];
  if (
    !images ||
    !labels ||
    images.dtype !== 'uint8' ||
    labels.dtype !== 'uint8' ||
    side !== width
  ) {
    throw new GenvizError(
      'invalid-argument',
      `${manifestUrl}: data.heldout must hold uint8 "images" [N, side, side] and uint8 "labels" [N].`,
      { detail: 'heldout' },
    );
  }
  const pixels = count * side * side;
  if (images.byteOffset + pixels > bytes.length || labels.byteOffset + count > bytes.length) {
    throw new GenvizError('invalid-argument', `${entry.file} is shorter than its manifest says.`, {
      detail: 'heldout',
    });
  }
  return {
    images: bytes.slice(images.byteOffset, images.byteOffset + pixels),
    labels: bytes.slice(labels.byteOffset, labels.byteOffset + count),
    count,
    side,
  };
}
