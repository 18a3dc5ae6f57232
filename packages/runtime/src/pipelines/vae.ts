import type { ModelHost } from '../model-host.js';
import type { CallOptions, ProgressCallback } from '../protocol.js';
import { IMAGE_PIXELS, checkBatch, shapeOf } from './tensors.js';

/** Posterior mean and log-variance [N, D] of images [N, 1, 28, 28] in [0, 1]. */
export async function encode(
  host: ModelHost,
  options: CallOptions,
  images: Float32Array,
  onProgress?: ProgressCallback,
): Promise<{ mean: Float32Array; logvar: Float32Array }> {
  const batch = checkBatch(images, IMAGE_PIXELS, 'encode images');
  const { outputs } = await host.run(
    options,
    'encoder',
    () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
    undefined,
    onProgress,
  );
  const mean = outputs.mean!.data as Float32Array;
  const logvar = outputs.logvar!.data as Float32Array;
  return { mean, logvar };
}

/** Images [N, 1, 28, 28] in [0, 1] from latents [N, D]. */
export async function decode(
  host: ModelHost,
  options: CallOptions,
  latents: Float32Array,
  onProgress?: ProgressCallback,
): Promise<Float32Array> {
  const manifest = await host.manifest(options.manifestUrl);
  const latentSize = shapeOf(manifest, 'decoder', 'latent')[1]!;
  const batch = checkBatch(latents, latentSize, 'decode latents');
  const { outputs } = await host.run(
    options,
    'decoder',
    () => ({ latent: { type: 'float32', data: latents, dims: [batch, latentSize] } }),
    undefined,
    onProgress,
  );
  const image = outputs.image!.data as Float32Array;
  return image;
}
