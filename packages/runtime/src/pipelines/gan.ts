import type { ModelVariant } from '@genviz/core';
import { GenvizError } from '../errors.js';
import type { ModelHost } from '../model-host.js';
import type { CallOptions, ProgressCallback } from '../protocol.js';
import { IMAGE_PIXELS, checkBatch, shapeOf } from './tensors.js';

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
  let variants: readonly ModelVariant[] | undefined;
  if (options.snapshot !== undefined) {
    const snapshot = manifest.snapshots?.find((candidate) => candidate.index === options.snapshot);
    if (!snapshot) {
      const known = manifest.snapshots?.map((candidate) => candidate.index).join(', ') ?? 'none';
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no snapshot ${options.snapshot} (it has ${known}).`,
        {
          detail: 'snapshot',
        },
      );
    }
    variants = snapshot.variants;
  }
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

/** The discriminator's P(real) [N] for images [N, 1, 28, 28] in [-1, 1]. */
export async function discriminate(
  host: ModelHost,
  options: CallOptions,
  images: Float32Array,
  onProgress?: ProgressCallback,
): Promise<Float32Array> {
  const batch = checkBatch(images, IMAGE_PIXELS, 'discriminate images');
  const { outputs } = await host.run(
    options,
    'discriminator',
    () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
    undefined,
    onProgress,
  );
  const logits = outputs.logit!.data as Float32Array;
  const probabilities = logits.map((logit) => 1 / (1 + Math.exp(-logit)));
  return probabilities;
}
