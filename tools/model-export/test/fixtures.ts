import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedWeights, convertNetwork } from '../src/convert.js';
import type { ModelConfig } from '../src/config.js';
import { float32Bytes, writeSafetensors } from '../src/safetensors.js';
import type { TensorToWrite } from '../src/safetensors.js';
import { runOnnx } from '../src/verify.js';
import type { FeedTensor } from '../src/verify.js';

export async function temporaryDir(prefix = 'genviz-export-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** mulberry32: small, seeded, good enough for test weights. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** PyTorch-like initial values: uniform(+-1/sqrt(fan_in)), norms near identity, positive variances. */
export function syntheticWeights(
  shapes: Map<string, readonly number[]>,
  seed: number,
): TensorToWrite[] {
  const random = seededRandom(seed);
  return [...shapes.entries()].map(([name, shape]) => {
    const count = shape.reduce((p, d) => p * d, 1);
    const values = new Float32Array(count);
    const fanIn = shape.length > 1 ? count / shape[0]! : shape[0]!;
    const bound = 1 / Math.sqrt(Math.max(fanIn, 1));
    for (let i = 0; i < count; i++) {
      if (name.endsWith('running_var')) values[i] = 0.5 + random();
      else if (name.endsWith('running_mean')) values[i] = 0.2 * (random() - 0.5);
      else if (shape.length === 1 && name.endsWith('.weight'))
        values[i] = 1 + 0.2 * (random() - 0.5);
      else if (name.startsWith('class_embedding')) values[i] = normal(random);
      else values[i] = bound * (2 * random() - 1);
    }
    return { name, dtype: 'F32', shape, data: float32Bytes(values) };
  });
}

const labels = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const image01 = {
  name: 'image',
  dtype: 'float32',
  shape: ['batch', 1, 28, 28],
  range: [0, 1],
} as const;
const imagePm1 = {
  name: 'image',
  dtype: 'float32',
  shape: ['batch', 1, 28, 28],
  range: [-1, 1],
} as const;

/** Tiny versions of the four default models: the same architectures, a fraction of the channels. */
export const TINY_CONFIGS: Readonly<Record<string, ModelConfig>> = {
  'tiny-classifier': {
    id: 'tiny-classifier',
    task: 'classifier',
    architecture: {
      type: 'cnn-classifier',
      in_channels: 1,
      image_size: 28,
      channels: [4, 8],
      kernel_size: 3,
      padding: 1,
      batch_norm_eps: 1e-5,
      hidden: 16,
      dropout: 0.3,
      num_classes: 10,
    },
    networks: {
      classifier: {
        weights: 'classifier.safetensors',
        inputs: [image01],
        outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }],
      },
    },
    labels,
  },
  'tiny-vae': {
    id: 'tiny-vae',
    task: 'vae',
    architecture: {
      type: 'conv-vae',
      image_size: 28,
      latent_dim: 2,
      hidden: 16,
      encoder_channels: [4, 8],
      decoder_channels: [4, 6],
      kernel_size: 4,
      stride: 2,
      padding: 1,
    },
    networks: {
      encoder: {
        weights: 'encoder.safetensors',
        inputs: [image01],
        outputs: [
          { name: 'mean', dtype: 'float32', shape: ['batch', 2] },
          { name: 'logvar', dtype: 'float32', shape: ['batch', 2] },
        ],
      },
      decoder: {
        weights: 'decoder.safetensors',
        inputs: [{ name: 'latent', dtype: 'float32', shape: ['batch', 2] }],
        outputs: [image01],
      },
    },
    labels,
  },
  'tiny-dcgan': {
    id: 'tiny-dcgan',
    task: 'gan',
    architecture: {
      type: 'dcgan',
      image_size: 28,
      latent_dim: 8,
      generator_channels: [4, 8],
      discriminator_channels: [4, 8],
      kernel_size: 4,
      stride: 2,
      padding: 1,
      leaky_relu_slope: 0.2,
      batch_norm_eps: 1e-5,
    },
    networks: {
      generator: {
        weights: 'generator.safetensors',
        inputs: [
          {
            name: 'latent',
            dtype: 'float32',
            shape: ['batch', 8],
            distribution: 'standard normal',
          },
        ],
        outputs: [imagePm1],
      },
      discriminator: {
        weights: 'discriminator.safetensors',
        inputs: [imagePm1],
        outputs: [{ name: 'logit', dtype: 'float32', shape: ['batch', 1] }],
      },
    },
    history: 'history.json',
  },
  'tiny-ddpm': {
    id: 'tiny-ddpm',
    task: 'diffusion',
    architecture: {
      type: 'conditional-unet',
      in_channels: 1,
      out_channels: 1,
      image_size: 28,
      channels: [8, 16],
      mid_blocks: 1,
      embedding_dim: 32,
      time_embedding_dim: 16,
      max_period: 10000,
      groups: 4,
      group_norm_eps: 1e-5,
      num_classes: 10,
    },
    networks: {
      unet: {
        weights: 'unet.safetensors',
        inputs: [
          { name: 'sample', dtype: 'float32', shape: ['batch', 1, 28, 28], range: [-1, 1] },
          { name: 'timestep', dtype: 'float32', shape: ['batch'], range: [0, 999] },
          { name: 'class_label', dtype: 'int64', shape: ['batch'], range: [0, 10] },
        ],
        outputs: [{ name: 'noise_pred', dtype: 'float32', shape: ['batch', 1, 28, 28] }],
      },
    },
    labels,
    scheduler: {
      _class_name: 'DDPMScheduler',
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
      prediction_type: 'epsilon',
      clip_sample: true,
      timestep_spacing: 'leading',
      steps_offset: 0,
    },
  },
};

/** Feeds like the reference inputs train.py writes: in-range images, normal latents, integer timesteps. */
export function syntheticInputs(
  config: ModelConfig,
  network: string,
  batch: number,
  seed: number,
): Record<string, FeedTensor> {
  const random = seededRandom(seed);
  const feeds: Record<string, FeedTensor> = {};
  for (const spec of config.networks[network]!.inputs) {
    const shape = spec.shape.map((dim) => (typeof dim === 'string' ? batch : dim));
    const count = shape.reduce((p, d) => p * d, 1);
    if (spec.dtype === 'int64') {
      const [low, high] = spec.range ?? [0, 9];
      feeds[spec.name] = {
        dtype: 'int64',
        shape,
        data: BigInt64Array.from({ length: count }, () =>
          BigInt(low + Math.floor(random() * (high - low + 1))),
        ),
      };
    } else if (spec.name === 'timestep') {
      feeds[spec.name] = {
        dtype: 'float32',
        shape,
        data: Float32Array.from({ length: count }, () => Math.floor(random() * 1000)),
      };
    } else if (spec.range) {
      const [low, high] = spec.range;
      feeds[spec.name] = {
        dtype: 'float32',
        shape,
        data: Float32Array.from({ length: count }, () => low + (high - low) * random()),
      };
    } else {
      feeds[spec.name] = {
        dtype: 'float32',
        shape,
        data: Float32Array.from({ length: count }, () => normal(random)),
      };
    }
  }
  return feeds;
}

function feedToWrite(name: string, feed: FeedTensor): TensorToWrite {
  const data = new Uint8Array(feed.data.buffer, feed.data.byteOffset, feed.data.byteLength);
  return { name, dtype: feed.dtype === 'int64' ? 'I64' : 'F32', shape: feed.shape, data };
}

/**
 * A complete model folder: config.json, random weights, GAN snapshots and history, and a
 * reference.safetensors. The reference outputs come from our own fp32 ONNX (no PyTorch here), so
 * these folders test the plumbing and the quantizers; parity with PyTorch is tested on models/.
 */
export async function writeTinyModel(modelsDir: string, id: string, seed = 1): Promise<string> {
  const config = TINY_CONFIGS[id]!;
  const dir = join(modelsDir, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const referenceTensors: TensorToWrite[] = [];
  for (const [index, [network, net]] of Object.entries(config.networks).entries()) {
    await writeSafetensors(
      join(dir, net.weights),
      syntheticWeights(expectedWeights(config, network), seed + index),
    );
    const scratch = await temporaryDir();
    const onnxPath = join(scratch, `${network}.onnx`);
    await convertNetwork({ modelDir: dir, config, network, outPath: onnxPath });
    const inputs = syntheticInputs(config, network, 4, seed + 100 + index);
    const outputs = await runOnnx(onnxPath, inputs);
    for (const [name, feed] of Object.entries(inputs))
      referenceTensors.push(feedToWrite(`${network}.${name}`, feed));
    for (const [name, output] of Object.entries(outputs)) {
      referenceTensors.push({
        name: `${network}.${name}`,
        dtype: 'F32',
        shape: output.shape,
        data: float32Bytes(output.data),
      });
    }
  }
  await writeSafetensors(join(dir, 'reference.safetensors'), referenceTensors);
  if (config.task === 'gan') {
    await mkdir(join(dir, 'snapshots'), { recursive: true });
    const snapshots = [];
    const shapes = expectedWeights(config, 'generator');
    const judgeShapes = expectedWeights(config, 'discriminator');
    const judgeSeed = seed + Object.keys(config.networks).indexOf('discriminator');
    for (const index of [0, 1]) {
      const file = `snapshots/generator-0${index}.safetensors`;
      const discriminatorFile = `snapshots/discriminator-0${index}.safetensors`;
      // The last snapshot is the final generator and discriminator (the contract), earlier ones
      // other weights.
      const weights =
        index === 1 ? syntheticWeights(shapes, seed) : syntheticWeights(shapes, seed + 50);
      await writeSafetensors(join(dir, file), weights);
      await writeSafetensors(
        join(dir, discriminatorFile),
        syntheticWeights(judgeShapes, index === 1 ? judgeSeed : seed + 60),
      );
      snapshots.push({
        index,
        epoch: index,
        iteration: index * 100,
        file,
        discriminator_file: discriminatorFile,
        d_real: 0.5 + index * 0.1,
        d_fake: 0.5 - index * 0.1,
      });
    }
    await writeFile(join(dir, 'history.json'), JSON.stringify({ snapshots }));
  }
  return dir;
}

export async function writeHeldoutData(modelsDir: string): Promise<void> {
  const dir = join(modelsDir, 'mnist-data');
  await mkdir(dir, { recursive: true });
  const random = seededRandom(7);
  const images = Uint8Array.from({ length: 20 * 784 }, () => Math.floor(random() * 256));
  const labelsData = Uint8Array.from({ length: 20 }, (_, i) => i % 10);
  await writeSafetensors(join(dir, 'heldout.safetensors'), [
    { name: 'images', dtype: 'U8', shape: [20, 28, 28], data: images },
    { name: 'labels', dtype: 'U8', shape: [20], data: labelsData },
  ]);
}
