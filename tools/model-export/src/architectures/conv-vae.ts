import type { NetworkBuilder } from './architecture.js';
import { convOutputSize, defineArchitecture } from './architecture.js';
import {
  convTranspose2d,
  conv2d,
  flatten,
  linear,
  relu,
  reshapeKeepBatch,
  sigmoid,
} from './layers.js';

/**
 * models/mnist-vae/model.py. Encoder: conv = [Conv2d, ReLU, Conv2d, ReLU, Flatten, Linear, ReLU],
 * then to_mean and to_logvar. Decoder: fc = [Linear, ReLU, Linear, ReLU], view to
 * [N, c1, side, side], deconv = [ConvTranspose2d, ReLU, ConvTranspose2d, Sigmoid].
 * (model.py writes the 7 of 28 -> 14 -> 7 literally; here it follows from image_size and the convs.)
 */
const encoder: NetworkBuilder = (b, params, [image]) => {
  const [c0, c1] = params.integers('encoder_channels', 2) as [number, number];
  const kernel = params.integer('kernel_size', 4);
  const stride = params.integer('stride', 2);
  const padding = params.integer('padding', 1);
  const hidden = params.integer('hidden');
  const latent = params.integer('latent_dim');
  const side = convOutputSize(
    convOutputSize(params.integer('image_size'), kernel, stride, padding),
    kernel,
    stride,
    padding,
  );
  let x = conv2d(b, 'conv.0', image!, { inChannels: 1, outChannels: c0, kernel, stride, padding });
  x = relu(b, x, 'conv.1');
  x = conv2d(b, 'conv.2', x, { inChannels: c0, outChannels: c1, kernel, stride, padding });
  x = relu(b, x, 'conv.3');
  x = flatten(b, x, 'conv.4');
  x = relu(b, linear(b, 'conv.5', x, c1 * side * side, hidden), 'conv.6');
  return [linear(b, 'to_mean', x, hidden, latent), linear(b, 'to_logvar', x, hidden, latent)];
};

const decoder: NetworkBuilder = (b, params, [latent]) => {
  const [c0, c1] = params.integers('decoder_channels', 2) as [number, number];
  const kernel = params.integer('kernel_size', 4);
  const stride = params.integer('stride', 2);
  const padding = params.integer('padding', 1);
  const hidden = params.integer('hidden');
  const side = convOutputSize(
    convOutputSize(params.integer('image_size'), kernel, stride, padding),
    kernel,
    stride,
    padding,
  );
  let x = relu(b, linear(b, 'fc.0', latent!, params.integer('latent_dim'), hidden), 'fc.1');
  x = relu(b, linear(b, 'fc.2', x, hidden, c1 * side * side), 'fc.3');
  x = reshapeKeepBatch(b, x, [c1, side, side]);
  x = relu(
    b,
    convTranspose2d(b, 'deconv.0', x, { inChannels: c1, outChannels: c0, kernel, stride, padding }),
    'deconv.1',
  );
  x = convTranspose2d(b, 'deconv.2', x, {
    inChannels: c0,
    outChannels: 1,
    kernel,
    stride,
    padding,
  });
  return [sigmoid(b, x, 'deconv.3')];
};

export const convVae = defineArchitecture('conv-vae', { encoder, decoder });
