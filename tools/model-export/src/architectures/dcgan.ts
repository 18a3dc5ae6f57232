import type { NetworkBuilder } from './index.js';
import { convOutputSize } from './index.js';
import {
  batchNorm1d,
  batchNorm2d,
  conv2d,
  convTranspose2d,
  flatten,
  leakyRelu,
  linear,
  relu,
  reshapeKeepBatch,
  tanh,
} from './layers.js';

/**
 * models/mnist-dcgan/model.py (shared by mnist-dcgan-collapsed).
 * Generator: fc = [Linear, BatchNorm1d, ReLU], view [N, c1, side, side],
 * deconv = [ConvTranspose2d, BatchNorm2d, ReLU, ConvTranspose2d, Tanh].
 * Discriminator: conv = [Conv2d, LeakyReLU, Dropout, Conv2d, LeakyReLU, Dropout, Flatten, Linear].
 */
function geometry(params: Parameters<NetworkBuilder>[1]): {
  kernel: number;
  stride: number;
  padding: number;
  side: number;
} {
  const kernel = params.integer('kernel_size', 4);
  const stride = params.integer('stride', 2);
  const padding = params.integer('padding', 1);
  const side = convOutputSize(
    convOutputSize(params.integer('image_size'), kernel, stride, padding),
    kernel,
    stride,
    padding,
  );
  return { kernel, stride, padding, side };
}

const generator: NetworkBuilder = (b, params, [latent]) => {
  const [c0, c1] = params.integers('generator_channels', 2) as [number, number];
  const { kernel, stride, padding, side } = geometry(params);
  const eps = params.number('batch_norm_eps', 1e-5);
  const features = c1 * side * side;
  let x = linear(b, 'fc.0', latent!, params.integer('latent_dim'), features);
  x = relu(b, batchNorm1d(b, 'fc.1', x, features, eps), 'fc.2');
  x = reshapeKeepBatch(b, x, [c1, side, side]);
  x = convTranspose2d(b, 'deconv.0', x, {
    inChannels: c1,
    outChannels: c0,
    kernel,
    stride,
    padding,
  });
  x = relu(b, batchNorm2d(b, 'deconv.1', x, c0, eps), 'deconv.2');
  x = convTranspose2d(b, 'deconv.3', x, {
    inChannels: c0,
    outChannels: 1,
    kernel,
    stride,
    padding,
  });
  return [tanh(b, x, 'deconv.4')];
};

const discriminator: NetworkBuilder = (b, params, [image]) => {
  const [d0, d1] = params.integers('discriminator_channels', 2) as [number, number];
  const { kernel, stride, padding, side } = geometry(params);
  const slope = params.number('leaky_relu_slope', 0.2);
  let x = leakyRelu(
    b,
    conv2d(b, 'conv.0', image!, { inChannels: 1, outChannels: d0, kernel, stride, padding }),
    slope,
    'conv.1',
  );
  x = leakyRelu(
    b,
    conv2d(b, 'conv.3', x, { inChannels: d0, outChannels: d1, kernel, stride, padding }),
    slope,
    'conv.4',
  );
  x = flatten(b, x, 'conv.6');
  return [linear(b, 'conv.7', x, d1 * side * side, 1)];
};

export const dcgan = Object.freeze({ generator, discriminator });
