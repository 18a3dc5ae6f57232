import type { NetworkBuilder } from './architecture.js';
import { defineArchitecture } from './architecture.js';
import { add, embedding, linear, silu, sinusoidalEmbedding } from './layers.js';

/**
 * models/mnist-vae-flow/model.py: a class-conditional diffusion denoiser on points [N, D]
 * (mnist-vae's 2-D latents). h = in_proj(sample) + time_proj(sinusoidal(timestep)) +
 * class_embedding(class_label); per block h = h + blocks.k(silu(h)); noise_pred =
 * out_proj(silu(h)). The sinusoidal embedding is mnist-ddpm's (cos first, then sin).
 */
const denoiser: NetworkBuilder = (b, params, [sample, timestep, classLabel]) => {
  const dim = params.integer('data_dim');
  const hidden = params.integer('hidden');
  const timeDim = params.integer('time_embedding_dim');
  const time = sinusoidalEmbedding(b, timestep!, timeDim, params.number('max_period', 10000));
  let h = add(
    b,
    linear(b, 'in_proj', sample!, dim, hidden),
    linear(b, 'time_proj', time, timeDim, hidden),
    'add_time',
  );
  h = add(
    b,
    h,
    embedding(b, 'class_embedding', classLabel!, params.integer('num_classes') + 1, hidden),
    'add_class',
  );
  for (let k = 0; k < params.integer('blocks'); k++)
    h = add(
      b,
      h,
      linear(b, `blocks.${k}`, silu(b, h, `blocks.${k}.silu`), hidden, hidden),
      `blocks.${k}.residual`,
    );
  return [linear(b, 'out_proj', silu(b, h, 'out_silu'), hidden, dim)];
};

export const mlpDenoiser = defineArchitecture('mlp-denoiser', { denoiser });
