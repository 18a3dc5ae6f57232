import type { ModelDtype } from '@genviz/core';
import { GenvizError } from './errors.js';

export type { ModelDtype };

export interface TensorSpec {
  name: string;
  dtype: 'float32' | 'int64' | 'int32' | 'uint8';
  shape: Array<number | string>;
  range?: [number, number];
}

export interface ModelVariant {
  dtype: ModelDtype;
  file: string;
  bytes: number;
  sha256: string;
}

export interface NetworkManifest {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  variants: ModelVariant[];
}

/** A binary file of raw little-endian tensors, one after another. */
export interface DataFile {
  file: string;
  bytes: number;
  sha256: string;
  tensors: Array<{
    name: string;
    dtype: 'uint8' | 'float32' | 'int64';
    shape: number[];
    byteOffset: number;
  }>;
}

export interface GanSnapshot {
  index: number;
  epoch: number;
  iteration: number;
  /** The discriminator's mean P(real) on held-out real digits at this point. */
  d_real: number;
  /** The discriminator's mean P(real) on generated digits at this point. */
  d_fake: number;
  variants: ModelVariant[];
}

export interface ModelManifest {
  schemaVersion: 1;
  id: string;
  task: 'classifier' | 'vae' | 'gan' | 'diffusion';
  description?: string;
  labels?: string[];
  networks: Record<string, NetworkManifest>;
  /** Diffusion models: diffusers' scheduler_config.json. */
  scheduler?: Record<string, unknown>;
  /** GANs: generator snapshots along training, oldest first. */
  snapshots?: GanSnapshot[];
  /** Extra data that belongs to the model (the VAE's held-out latents), as raw tensors. */
  data?: Record<string, DataFile>;
  [extra: string]: unknown;
}

const TASKS = ['classifier', 'vae', 'gan', 'diffusion'];

/** Checks the parts of a manifest the runtime relies on, with errors that name the field. */
export function parseManifest(value: unknown, url: string): ModelManifest {
  const fail = (field: string, problem: string): never => {
    throw new GenvizError(
      'invalid-argument',
      `The model manifest at ${url} is invalid: ${field} ${problem}.`,
      {
        detail: field,
      },
    );
  };
  if (typeof value !== 'object' || value === null) fail('the document', 'is not a JSON object');
  const manifest = value as Record<string, unknown>;
  if (manifest.schemaVersion !== 1)
    fail('schemaVersion', `is ${JSON.stringify(manifest.schemaVersion)}, expected 1`);
  if (typeof manifest.id !== 'string') fail('id', 'is missing');
  if (!TASKS.includes(manifest.task as string)) fail('task', `must be one of ${TASKS.join(', ')}`);
  const networks = manifest.networks;
  if (typeof networks !== 'object' || networks === null) fail('networks', 'is missing');
  for (const [name, network] of Object.entries(networks as Record<string, NetworkManifest>)) {
    if (!Array.isArray(network.inputs) || !Array.isArray(network.outputs))
      fail(`networks.${name}`, 'lacks inputs or outputs');
    if (!Array.isArray(network.variants) || network.variants.length === 0)
      fail(`networks.${name}.variants`, 'is empty');
    for (const variant of network.variants) {
      if (typeof variant.file !== 'string' || !/^[0-9a-f]{64}$/.test(variant.sha256)) {
        fail(`networks.${name}.variants`, 'has an entry without file or sha256');
      }
    }
  }
  return manifest as ModelManifest;
}

export function findVariant(
  variants: readonly ModelVariant[],
  dtype: ModelDtype,
): ModelVariant | undefined {
  return variants.find((variant) => variant.dtype === dtype);
}
