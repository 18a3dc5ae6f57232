import type { ArchitectureParams } from '../config.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { OnnxDataType } from '../onnx/ir.js';
import type { NetworkBuilder } from './architecture.js';
import { convOutputSize, defineArchitecture } from './architecture.js';
import {
  add,
  concatChannels,
  conv2d,
  embedding,
  groupNorm,
  linear,
  linearNoBias,
  reshapeKeepBatch,
  silu,
  sinusoidalEmbedding,
  upsampleNearest2x,
} from './layers.js';

interface ResBlockContext {
  readonly b: GraphBuilder;
  readonly groups: number;
  readonly eps: number;
  /** silu(emb), shared by every block's emb_proj (each block computes the same value in model.py). */
  readonly activatedEmbedding: string;
  readonly embeddingDim: number;
}

/**
 * ResBlock(x, emb) of models/mnist-ddpm/model.py:
 * h = conv1(silu(norm1(x))); h = h + emb_proj(silu(emb))[:, :, None, None];
 * h = conv2(dropout(silu(norm2(h)))); return skip(x) + h  (skip: 1x1 conv when channels change).
 */
function resBlock(
  ctx: ResBlockContext,
  path: string,
  x: string,
  inChannels: number,
  outChannels: number,
  side: number,
): string {
  const { b, groups, eps } = ctx;
  const norm = (p: string, v: string, channels: number): string =>
    groupNorm(b, p, v, { groups, channels, height: side, width: side, eps });
  let h = conv2d(
    b,
    `${path}.conv1`,
    silu(b, norm(`${path}.norm1`, x, inChannels), `${path}.silu1`),
    {
      inChannels,
      outChannels,
      kernel: 3,
      padding: 1,
    },
  );
  const projected = linear(
    b,
    `${path}.emb_proj`,
    ctx.activatedEmbedding,
    ctx.embeddingDim,
    outChannels,
  );
  h = add(
    b,
    h,
    reshapeKeepBatch(b, projected, [outChannels, 1, 1], `${path}.emb_proj.view`),
    `${path}.add_emb`,
  );
  h = conv2d(b, `${path}.conv2`, silu(b, norm(`${path}.norm2`, h, outChannels), `${path}.silu2`), {
    inChannels: outChannels,
    outChannels,
    kernel: 3,
    padding: 1,
  });
  const skip =
    inChannels === outChannels
      ? x
      : conv2d(b, `${path}.skip`, x, { inChannels, outChannels, kernel: 1 });
  return add(b, skip, h, `${path}.residual`);
}

/**
 * mnist-lcm's guidance-scale conditioning (models/mnist-lcm/model.py, as diffusers' LCM w-embedding
 * into TimestepEmbedding.cond_proj): guidance_proj(sinusoidal(w * guidance_embedding_scale)), a
 * bias-free Linear to time_embedding_dim, added to the timestep's sinusoidal features.
 */
function guidanceFeatures(
  b: GraphBuilder,
  params: ArchitectureParams,
  guidanceScale: string,
  timeDim: number,
): string {
  const dim = params.integer('guidance_embedding_dim');
  const scale = b.constant(
    'guidance_embedding.scale',
    OnnxDataType.FLOAT,
    [1],
    [params.number('guidance_embedding_scale')],
  );
  const scaled = b.op('Mul', [guidanceScale, scale], {
    name: 'guidance_embedding.scaled',
    keepFp32: true,
  });
  const features = sinusoidalEmbedding(
    b,
    scaled,
    dim,
    params.number('max_period', 10000),
    'guidance_embedding',
  );
  return linearNoBias(b, 'guidance_proj', features, dim, timeDim);
}

const unet: NetworkBuilder = (b, params, [sample, timestep, classLabel, guidanceScale]) => {
  const channels = params.integers('channels');
  const embeddingDim = params.integer('embedding_dim');
  const timeDim = params.integer('time_embedding_dim');
  const numClasses = params.integer('num_classes');
  const ctxBase = {
    b,
    groups: params.integer('groups'),
    eps: params.number('group_norm_eps', 1e-5),
    embeddingDim,
  };

  let emb = sinusoidalEmbedding(b, timestep!, timeDim, params.number('max_period', 10000));
  if (params.has('guidance_embedding_dim')) {
    if (guidanceScale === undefined)
      params.invalid('guidance_embedding_dim', 'needs a fourth network input, the guidance scale');
    emb = add(b, emb, guidanceFeatures(b, params, guidanceScale, timeDim), 'time_features');
  }
  emb = linear(b, 'time_mlp.0', emb, timeDim, embeddingDim);
  emb = linear(b, 'time_mlp.2', silu(b, emb, 'time_mlp.1'), embeddingDim, embeddingDim);
  emb = add(
    b,
    emb,
    embedding(b, 'class_embedding', classLabel!, numClasses + 1, embeddingDim),
    'embedding_sum',
  );
  const ctx: ResBlockContext = { ...ctxBase, activatedEmbedding: silu(b, emb, 'embedding_silu') };

  let side = params.integer('image_size');
  let h = conv2d(b, 'conv_in', sample!, {
    inChannels: params.integer('in_channels', 1),
    outChannels: channels[0]!,
    kernel: 3,
    padding: 1,
  });
  const skips: { value: string; channels: number }[] = [];
  let previous = channels[0]!;
  for (const [i, c] of channels.entries()) {
    h = resBlock(ctx, `down.${i}.res`, h, previous, c, side);
    skips.push({ value: h, channels: c });
    if (i < channels.length - 1) {
      h = conv2d(b, `down.${i}.downsample.conv`, h, {
        inChannels: c,
        outChannels: c,
        kernel: 3,
        stride: 2,
        padding: 1,
      });
      side = convOutputSize(side, 3, 2, 1);
    }
    previous = c;
  }
  for (let j = 0; j < params.integer('mid_blocks'); j++)
    h = resBlock(ctx, `mid.${j}`, h, previous, previous, side);
  for (let k = 0; k < channels.length; k++) {
    const i = channels.length - 1 - k;
    const skip = skips.pop()!;
    h = resBlock(
      ctx,
      `up.${k}.res`,
      concatChannels(b, [h, skip.value], `up.${k}.cat`),
      previous + skip.channels,
      channels[i]!,
      side,
    );
    if (i > 0) {
      h = conv2d(b, `up.${k}.upsample.conv`, h, {
        inChannels: channels[i]!,
        outChannels: channels[i - 1]!,
        kernel: 3,
        padding: 1,
      });
      h = upsampleNearest2x(b, h, `up.${k}.upsample.interpolate`);
      side *= 2;
      previous = channels[i - 1]!;
    } else {
      previous = channels[0]!;
    }
  }
  h = groupNorm(b, 'out_norm', h, {
    groups: ctx.groups,
    channels: channels[0]!,
    height: side,
    width: side,
    eps: ctx.eps,
  });
  return [
    conv2d(b, 'conv_out', silu(b, h, 'out_silu'), {
      inChannels: channels[0]!,
      outChannels: params.integer('out_channels', 1),
      kernel: 3,
      padding: 1,
    }),
  ];
};

export const conditionalUnet = defineArchitecture('conditional-unet', { unet });
