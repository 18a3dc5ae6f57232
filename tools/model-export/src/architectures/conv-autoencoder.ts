import type { ArchitectureParams } from '../config.js';
import type { NetworkBuilder } from './architecture.js';
import { convOutputSize, convTransposeOutputSize, defineArchitecture } from './architecture.js';
import { convTranspose2d, conv2d, relu, sigmoid } from './layers.js';

/**
 * models/mnist-autoencoder/model.py: a KL-regularised autoencoder with a spatial latent
 * [L, side, side] (the first stage of latent diffusion). Encoder: conv = [Conv2d 3x3, ReLU,
 * Conv2d 4x4/2, ReLU, Conv2d 4x4/2, ReLU, Conv2d 3x3, ReLU], then the 3x3 convs to_mean and
 * to_logvar. Decoder: net = [Conv2d 3x3, ReLU, Conv2d 3x3, ReLU, ConvTranspose2d 4x4/2, ReLU,
 * ConvTranspose2d 4x4/2, ReLU, Conv2d 3x3, Sigmoid]. The decoder takes the unscaled latent
 * (config.json's `scaling_factor` is the diffusion side's business).
 */
function latentSide(params: ArchitectureParams): number {
  const side = convOutputSize(convOutputSize(params.integer('image_size'), 4, 2, 1), 4, 2, 1);
  const declared = params.integer('latent_size', side);
  if (declared !== side)
    params.invalid('latent_size', `must be ${side} (image_size after two 4x4 stride-2 convs)`);
  return side;
}

const encoder: NetworkBuilder = (b, params, [image]) => {
  const [e0, e1, e2] = params.integers('encoder_channels', 3) as [number, number, number];
  const latent = params.integer('latent_channels');
  latentSide(params);
  let x = relu(
    b,
    conv2d(b, 'conv.0', image!, { inChannels: 1, outChannels: e0, kernel: 3, padding: 1 }),
    'conv.1',
  );
  x = relu(
    b,
    conv2d(b, 'conv.2', x, { inChannels: e0, outChannels: e1, kernel: 4, stride: 2, padding: 1 }),
    'conv.3',
  );
  x = relu(
    b,
    conv2d(b, 'conv.4', x, { inChannels: e1, outChannels: e2, kernel: 4, stride: 2, padding: 1 }),
    'conv.5',
  );
  x = relu(
    b,
    conv2d(b, 'conv.6', x, { inChannels: e2, outChannels: e2, kernel: 3, padding: 1 }),
    'conv.7',
  );
  const head = { inChannels: e2, outChannels: latent, kernel: 3, padding: 1 };
  return [conv2d(b, 'to_mean', x, head), conv2d(b, 'to_logvar', x, head)];
};

const decoder: NetworkBuilder = (b, params, [latent]) => {
  const [d0, d1, d2] = params.integers('decoder_channels', 3) as [number, number, number];
  const side = latentSide(params);
  if (
    convTransposeOutputSize(convTransposeOutputSize(side, 4, 2, 1), 4, 2, 1) !==
    params.integer('image_size')
  )
    params.invalid(
      'image_size',
      'must be a multiple of 4 (two 4x4 stride-2 transposed convs undo the encoder)',
    );
  let x = relu(
    b,
    conv2d(b, 'net.0', latent!, {
      inChannels: params.integer('latent_channels'),
      outChannels: d2,
      kernel: 3,
      padding: 1,
    }),
    'net.1',
  );
  x = relu(
    b,
    conv2d(b, 'net.2', x, { inChannels: d2, outChannels: d2, kernel: 3, padding: 1 }),
    'net.3',
  );
  x = relu(
    b,
    convTranspose2d(b, 'net.4', x, {
      inChannels: d2,
      outChannels: d1,
      kernel: 4,
      stride: 2,
      padding: 1,
    }),
    'net.5',
  );
  x = relu(
    b,
    convTranspose2d(b, 'net.6', x, {
      inChannels: d1,
      outChannels: d0,
      kernel: 4,
      stride: 2,
      padding: 1,
    }),
    'net.7',
  );
  return [
    sigmoid(
      b,
      conv2d(b, 'net.8', x, { inChannels: d0, outChannels: 1, kernel: 3, padding: 1 }),
      'net.9',
    ),
  ];
};

export const convAutoencoder = defineArchitecture('conv-autoencoder', { encoder, decoder });
