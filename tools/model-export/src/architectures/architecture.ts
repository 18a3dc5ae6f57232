import type { ArchitectureParams } from '../config.js';
import type { GraphBuilder } from '../onnx/builder.js';

/*
 * What every architecture file shares. It imports no architecture, so the builders and the index
 * that lists them never import each other: a new architecture is one new file that exports an
 * `Architecture`, and one `export` line in ./index.ts.
 */

/**
 * Builds one network's graph from its inputs (named as config.json names them, in that order) and
 * returns its outputs in config.json's order.
 */
export type NetworkBuilder = (
  b: GraphBuilder,
  params: ArchitectureParams,
  inputs: readonly string[],
) => string[];

/** One `architecture.type` of models/<id>/config.json, mirroring that folder's model.py. */
export interface Architecture {
  /** The `architecture.type` string in config.json. */
  readonly type: string;
  /** A builder per network, keyed by the network's name under `networks` in config.json. */
  readonly networks: Readonly<Record<string, NetworkBuilder>>;
}

export function defineArchitecture(
  type: string,
  networks: Readonly<Record<string, NetworkBuilder>>,
): Architecture {
  return Object.freeze({ type, networks: Object.freeze({ ...networks }) });
}

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
