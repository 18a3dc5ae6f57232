import { defineArchitecture } from './architecture.js';
import type { NetworkBuilder } from './architecture.js';
import { batchNorm2d, conv2d, flatten, linear, maxPool2d, relu } from './layers.js';

/**
 * models/mnist-classifier/model.py: per stage (conv, BN, ReLU) x 2 then MaxPool2d(2) in an
 * nn.Sequential `features` (7 modules a stage), then head = Flatten, Dropout, Linear, ReLU,
 * Dropout, Linear. Dropout is the identity at inference.
 */
const classifier: NetworkBuilder = (b, params, [image]) => {
  const channels = params.integers('channels');
  const kernel = params.integer('kernel_size', 3);
  const padding = params.integer('padding', 1);
  const eps = params.number('batch_norm_eps', 1e-5);
  let x = image!;
  let previous = params.integer('in_channels', 1);
  let side = params.integer('image_size');
  let index = 0;
  const modulesPerStage = 7;
  for (const [stage, c] of channels.entries()) {
    index = stage * modulesPerStage;
    for (let conv = 0; conv < 2; conv++) {
      const at = index + conv * 3;
      x = conv2d(b, `features.${at}`, x, {
        inChannels: conv === 0 ? previous : c,
        outChannels: c,
        kernel,
        padding,
      });
      x = batchNorm2d(b, `features.${at + 1}`, x, c, eps);
      x = relu(b, x, `features.${at + 2}`);
    }
    x = maxPool2d(b, x, 2, `features.${index + 6}`);
    side = Math.floor(side / 2);
    previous = c;
  }
  const hidden = params.integer('hidden');
  x = flatten(b, x, 'head.0');
  x = linear(b, 'head.2', x, previous * side * side, hidden);
  x = relu(b, x, 'head.3');
  return [linear(b, 'head.5', x, hidden, params.integer('num_classes'))];
};

export const cnnClassifier = defineArchitecture('cnn-classifier', { classifier });
