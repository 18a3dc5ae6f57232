import type { ArchitectureParams } from '../config.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { cnnClassifier } from './cnn-classifier.js';
import { convVae } from './conv-vae.js';
import { dcgan } from './dcgan.js';
import { conditionalUnet } from './conditional-unet.js';

/**
 * Builds one network's graph from its inputs (named as config.json names them, in that order) and
 * returns its outputs in config.json's order.
 */
export type NetworkBuilder = (
  b: GraphBuilder,
  params: ArchitectureParams,
  inputs: readonly string[],
) => string[];

/** One entry per `architecture.type` in models/<id>/config.json, mirroring that folder's model.py. */
export const ARCHITECTURES: Readonly<Record<string, Readonly<Record<string, NetworkBuilder>>>> =
  Object.freeze({
    'cnn-classifier': cnnClassifier,
    'conv-vae': convVae,
    dcgan,
    'conditional-unet': conditionalUnet,
  });

/** Output side of nn.Conv2d. */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Output side of nn.ConvTranspose2d with output_padding 0. */
export function convTransposeOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
): number {
  return (size - 1) * stride - 2 * padding + kernel;
}
