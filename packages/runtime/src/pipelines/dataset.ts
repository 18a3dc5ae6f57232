import { GenvizError } from '../errors.js';
import type { ModelHost } from '../model-host.js';
import type { CallOptions, DataTensors, HeldOutDigits } from '../protocol.js';

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

const TYPED = {
  uint8: (bytes: Uint8Array) => bytes.slice(),
  float32: (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer),
  int64: (bytes: Uint8Array) => new BigInt64Array(bytes.slice().buffer),
} as const;
const BYTES_PER = { uint8: 1, float32: 4, int64: 8 } as const;

/**
 * A data file that belongs to a model (`manifest.data.<name>`, such as the VAE's encoded
 * held-out digits), as typed arrays by tensor name, fetched and checked like the model's files.
 */
export async function modelData(
  host: ModelHost,
  options: CallOptions,
  name: string,
): Promise<DataTensors> {
  const manifest = await host.manifest(options.manifestUrl);
  const { entry, bytes } = await host.dataFile(options.manifestUrl, manifest, name);
  const tensors: DataTensors = {};
  for (const tensor of entry.tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    const end = tensor.byteOffset + count * BYTES_PER[tensor.dtype];
    if (end > bytes.length) {
      throw new GenvizError(
        'invalid-argument',
        `${entry.file}: tensor ${tensor.name} ends at byte ${end}, past the file's ${bytes.length}.`,
        { detail: name },
      );
    }
    tensors[tensor.name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data: TYPED[tensor.dtype](bytes.subarray(tensor.byteOffset, end)),
    };
  }
  return tensors;
}
