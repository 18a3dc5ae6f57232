import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetManifest } from '@genviz/core';
import { replaceDirectoryAtomically } from './atomic.js';
import { readModelConfig } from './config.js';
import type { ModelConfig } from './config.js';
import { MODEL_DTYPES } from './dtypes.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { packDataset, packModelFiles, stageModel } from './pack.js';
import type { PackResult } from './pack.js';
import { silentReporter } from './reporter.js';
import type { Reporter } from './reporter.js';

export interface BuildOptions {
  readonly modelsDir: string;
  readonly outDir: string;
  readonly dtypes?: readonly ModelDtype[];
  readonly only?: readonly string[];
  readonly reporter?: Reporter;
}

export interface BuildResult {
  readonly models: readonly PackResult[];
  readonly dataset?: DatasetManifest;
}

/**
 * Every model folder with a config.json: convert, quantize, verify, pack. The output appears whole
 * or not at all. With `only`, the other entries of an existing output folder are kept as they are
 * (the new folder gets hard links to them), so rebuilding one model does not delete the others.
 */
export async function buildAll(options: BuildOptions): Promise<BuildResult> {
  const reporter = options.reporter ?? silentReporter;
  const dtypes = options.dtypes ?? MODEL_DTYPES;
  const entries = (
    await readdir(options.modelsDir, { withFileTypes: true }).catch((error: unknown) => {
      throw new ExportError(`cannot read the models folder: ${(error as Error).message}`, {
        file: options.modelsDir,
        cause: error,
      });
    })
  )
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const dataDir = join(options.modelsDir, 'mnist-data');
  const hasData = existsSync(join(dataDir, 'heldout.safetensors'));
  const modelDirs: string[] = [];
  for (const name of entries) {
    if (options.only && !options.only.includes(name)) continue;
    if (existsSync(join(options.modelsDir, name, 'config.json'))) modelDirs.push(name);
  }
  const known = [
    ...entries.filter((name) => existsSync(join(options.modelsDir, name, 'config.json'))),
  ];
  if (hasData) known.push('mnist-data');
  for (const id of options.only ?? []) {
    if (!known.includes(id))
      throw new ExportError(
        `--only ${id}: no such model folder (with a config.json) in ${options.modelsDir} (there are: ${known.join(', ')})`,
      );
  }
  const configs = new Map<string, ModelConfig>();
  for (const name of modelDirs)
    configs.set(name, await readModelConfig(join(options.modelsDir, name)));
  const buildData = hasData && (!options.only || options.only.includes('mnist-data'));
  const rebuilt = new Set([...configs.values()].map((config) => config.id));
  if (buildData) rebuilt.add('mnist-data');

  const models: PackResult[] = [];
  let dataset: DatasetManifest | undefined;
  await replaceDirectoryAtomically(
    options.outDir,
    async (staging) => {
      for (const name of modelDirs) {
        const modelDir = join(options.modelsDir, name);
        const variantsDir = join(staging, '.variants', name);
        const config = await stageModel(modelDir, variantsDir, { dtypes, reporter });
        models.push(
          await packModelFiles(modelDir, variantsDir, join(staging, config.id), {
            reporter,
            onQuantizedFailure: 'drop',
          }),
        );
      }
      if (buildData) dataset = await packDataset(dataDir, join(staging, 'mnist-data'), reporter);
      await rm(join(staging, '.variants'), { recursive: true, force: true });
    },
    options.only ? { keep: (entry) => !rebuilt.has(entry) && entry !== '.variants' } : {},
  );
  return { models, ...(dataset ? { dataset } : {}) };
}
