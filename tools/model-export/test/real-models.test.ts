import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readModelConfig } from '../src/config.js';
import { packModel, stageModel } from '../src/pack.js';
import { temporaryDir } from './fixtures.js';

/**
 * Parity with PyTorch on the real checkpoints in models/: runs for every model folder whose
 * training has written its reference.safetensors (and is skipped, visibly, until then).
 */
const modelsDir = fileURLToPath(new URL('../../../models/', import.meta.url));
const ready = existsSync(modelsDir)
  ? readdirSync(modelsDir).filter(
      (id) =>
        existsSync(join(modelsDir, id, 'config.json')) &&
        existsSync(join(modelsDir, id, 'reference.safetensors')),
    )
  : [];

describe.skipIf(ready.length === 0)('real models from models/', () => {
  for (const id of ready) {
    it(`${id}: every fp32 network matches PyTorch to 1e-4`, async () => {
      const modelDir = join(modelsDir, id);
      const staging = await temporaryDir();
      await stageModel(modelDir, staging, { dtypes: ['fp32'] });
      const result = await packModel(modelDir, staging, await temporaryDir(), {
        onQuantizedFailure: 'fail',
      });
      const config = await readModelConfig(modelDir);
      expect(Object.keys(result.manifest.networks)).toEqual(Object.keys(config.networks));
      for (const v of result.verifications)
        for (const output of v.outputs)
          expect(output.maxAbs, `${v.file} ${output.name}`).toBeLessThanOrEqual(1e-4);
    }, 120_000);
  }
});
