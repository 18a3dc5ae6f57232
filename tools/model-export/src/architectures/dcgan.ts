import { OnnxDataType } from '../onnx/ir.js';
import { attr } from '../onnx/builder.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { NetworkBuilder } from './architecture.js';
import { convOutputSize, defineArchitecture } from './architecture.js';
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
 * With `categorical_code` K, the first K latent entries become a one-hot code first (model.py).
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

/**
 * model.py's categorical code: the first `code` latent entries become a one-hot vector, one at the
 * largest. Computed in fp32 in every variant: fp16 rounding could tie two entries and light both.
 */
function categoricalCode(
  b: GraphBuilder,
  params: Parameters<NetworkBuilder>[1],
  latent: string,
): string {
  const latentDim = params.integer('latent_dim');
  const code = params.integer('categorical_code');
  if (code < 2 || code > latentDim)
    params.invalid(
      'categorical_code',
      `must be 0 (none) or 2 to latent_dim (${latentDim}), got ${code}`,
    );
  const slice = (from: number, to: number, name: string): string =>
    b.op(
      'Slice',
      [
        latent,
        b.int64s(`starts_${from}`, [from]),
        b.int64s(`ends_${to}`, [to]),
        b.int64s('axes_1', [1]),
      ],
      { name, keepFp32: true },
    );
  const head = slice(0, code, 'code.head');
  const largest = b.op('ReduceMax', [head], {
    name: 'code.max',
    attributes: [attr.ints('axes', [1]), attr.int('keepdims', 1)],
    keepFp32: true,
  });
  const isLargest = b.op('Equal', [head, largest], { name: 'code.equal', keepFp32: true });
  const oneHot = b.op('Cast', [isLargest], {
    name: 'code.one_hot',
    attributes: [attr.int('to', OnnxDataType.FLOAT)],
    keepFp32: true,
  });
  return b.op('Concat', [oneHot, slice(code, latentDim, 'code.rest')], {
    name: 'code.concat',
    attributes: [attr.int('axis', 1)],
    keepFp32: true,
  });
}

const generator: NetworkBuilder = (b, params, [latent]) => {
  const [c0, c1] = params.integers('generator_channels', 2) as [number, number];
  const { kernel, stride, padding, side } = geometry(params);
  const eps = params.number('batch_norm_eps', 1e-5);
  const features = c1 * side * side;
  const latentDim = params.integer('latent_dim');
  const input =
    params.integer('categorical_code', 0) === 0 ? latent! : categoricalCode(b, params, latent!);
  let x = linear(b, 'fc.0', input, latentDim, features);
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

export const dcgan = defineArchitecture('dcgan', { generator, discriminator });
