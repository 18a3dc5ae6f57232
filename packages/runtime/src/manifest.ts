import type {
  DatasetManifest,
  ModelDtype,
  ModelManifest,
  ModelVariant,
  NetworkManifest,
} from '@genviz/core';
import { GenvizError } from './errors.js';

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
  return manifest as unknown as ModelManifest;
}

/** Checks a dataset manifest (task `dataset`: data files of raw tensors, no networks). */
export function parseDatasetManifest(value: unknown, url: string): DatasetManifest {
  const fail = (field: string, problem: string): never => {
    throw new GenvizError(
      'invalid-argument',
      `The dataset manifest at ${url} is invalid: ${field} ${problem}.`,
      { detail: field },
    );
  };
  if (typeof value !== 'object' || value === null) fail('the document', 'is not a JSON object');
  const manifest = value as Record<string, unknown>;
  if (manifest.schemaVersion !== 1)
    fail('schemaVersion', `is ${JSON.stringify(manifest.schemaVersion)}, expected 1`);
  if (manifest.task !== 'dataset')
    fail('task', `is ${JSON.stringify(manifest.task)}, expected "dataset"`);
  const data = manifest.data;
  if (typeof data !== 'object' || data === null) fail('data', 'is missing');
  for (const [name, entry] of Object.entries(data as Record<string, Record<string, unknown>>)) {
    if (typeof entry.file !== 'string' || !/^[0-9a-f]{64}$/.test(String(entry.sha256))) {
      fail(`data.${name}`, 'has no file or sha256');
    }
    if (!Array.isArray(entry.tensors)) fail(`data.${name}.tensors`, 'is missing');
  }
  return manifest as unknown as DatasetManifest;
}

export function findVariant(
  variants: readonly ModelVariant[],
  dtype: ModelDtype,
): ModelVariant | undefined {
  return variants.find((variant) => variant.dtype === dtype);
}
