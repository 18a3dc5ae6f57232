import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '@genviz/core';
import { readOnnxModel } from '../src/onnx/reader.js';
import { compareOutput, runOnnx } from '../src/verify.js';
import type { FeedTensor, OutputTensor } from '../src/verify.js';
import { errorLines, runMain } from './capture.js';
import { seededRandom, temporaryDir } from './fixtures.js';
import {
  FOREIGN_CONFIG,
  FOREIGN_IMAGE_SIZE,
  FOREIGN_LATENT,
  writeForeignModel,
} from './foreign-model.js';
import { validate } from './json-schema.js';
import { npyBytes } from './npy.js';

const schema = JSON.parse(
  await readFile(new URL('../manifest.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const BATCH = 4;

/** PSNR floors for this model's variants, a few dB under what they reach (printed by the test). */
const MIN_PSNR_DB = { fp16: 60, int8: 30 } as const;

describe('a model exported by torch.onnx.export, end to end through the CLI', () => {
  let modelDir: string;
  let work: string;
  let refs: string;
  let assets: string;
  const feeds: Record<string, Record<string, FeedTensor>> = {};
  const expected: Record<string, Record<string, OutputTensor>> = {};
  const refArgs: string[] = [];

  beforeAll(async () => {
    modelDir = await writeForeignModel(await temporaryDir());
    work = await temporaryDir();
    refs = await temporaryDir();
    assets = join(await temporaryDir(), 'assets');
    // The author's references, as their own tools would save them: .npy files from np.save, and
    // one raw float32 file (tensor.numpy().tofile) whose shape goes on the command line. The
    // outputs come from onnxruntime on the exported files, standing in for PyTorch's.
    const random = seededRandom(21);
    const side = FOREIGN_IMAGE_SIZE;
    feeds['encoder'] = {
      image: {
        dtype: 'float32',
        shape: [BATCH, 1, side, side],
        data: Float32Array.from({ length: BATCH * side * side }, () => random()),
      },
    };
    feeds['decoder'] = {
      latent: {
        dtype: 'float32',
        shape: [BATCH, FOREIGN_LATENT],
        data: Float32Array.from({ length: BATCH * FOREIGN_LATENT }, () => 2 * random() - 1),
      },
    };
    for (const network of ['encoder', 'decoder']) {
      expected[network] = await runOnnx(
        join(modelDir, 'exported', `${network}.onnx`),
        feeds[network]!,
      );
    }
    const save = async (name: string, tensor: { shape: readonly number[]; data: Float32Array }) =>
      writeFile(join(refs, `${name}.npy`), npyBytes(tensor.data, tensor.shape));
    await save(
      'encoder.image',
      feeds['encoder']['image'] as { shape: readonly number[]; data: Float32Array },
    );
    await save('encoder.latent', expected['encoder']['latent']!);
    await save(
      'decoder.latent',
      feeds['decoder']['latent'] as { shape: readonly number[]; data: Float32Array },
    );
    const image = expected['decoder']['image']!;
    const raw = join(refs, 'decoded.f32');
    await writeFile(
      raw,
      new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength),
    );
    refArgs.push('--ref', refs, '--ref', `decoder.image=${raw}:${image.shape.join('x')}`);
  }, 60_000);

  it('convert checks each network against config.json and passes it on unchanged', async () => {
    const run = await runMain(['convert', modelDir, '--out', work]);
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    for (const network of ['encoder', 'decoder']) {
      expect(await readFile(join(work, `${network}.onnx`))).toEqual(
        await readFile(join(modelDir, 'exported', `${network}.onnx`)),
      );
    }
  });

  it('quantize writes fp16 and int8 variants that onnxruntime loads, Reshape shapes still int64', async () => {
    for (const network of ['encoder', 'decoder']) {
      const run = await runMain(['quantize', join(work, `${network}.onnx`)]);
      expect(errorLines(run), network).toEqual([]);
      expect(run.code).toBe(0);
    }
    expect((await readdir(work)).sort()).toEqual([
      'decoder.onnx',
      'decoder_fp16.onnx',
      'decoder_int8.onnx',
      'encoder.onnx',
      'encoder_fp16.onnx',
      'encoder_int8.onnx',
    ]);
    // The int64 Constant that torch writes for x.view(-1, 8, 4, 4) reaches Reshape as it was.
    const fp16 = await readOnnxModel(join(work, 'decoder_fp16.onnx'));
    const reshape = fp16.graph.nodes.find((node) => node.op_type === 'Reshape')!;
    const shapeSource = fp16.graph.nodes.find((node) => node.output.includes(reshape.input[1]!))!;
    expect(shapeSource.op_type).toBe('Constant');
    expect(fp16.graph.initializers.filter((init) => init.dataType === 10).length).toBeGreaterThan(
      5,
    );
  });

  it('verify takes the references from .npy files and raw float32, and passes every variant', async () => {
    const run = await runMain(['verify', modelDir, '--in', work, ...refArgs]);
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('foreign-ae: 6 variant(s) pass');
  });

  it('pack writes a manifest the schema accepts, and every packed variant runs close to the reference', async () => {
    const out = join(assets, FOREIGN_CONFIG.id);
    const run = await runMain(['pack', modelDir, '--in', work, '--out', out, ...refArgs]);
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    const manifest = JSON.parse(
      await readFile(join(out, 'manifest.json'), 'utf8'),
    ) as ModelManifest;
    expect(validate(schema, manifest)).toEqual([]);
    const figures: string[] = [];
    for (const network of ['encoder', 'decoder']) {
      const variants = manifest.networks[network]!.variants;
      expect(variants.map((v) => v.dtype)).toEqual(['fp32', 'fp16', 'int8']);
      const spec = FOREIGN_CONFIG.networks[network]!.outputs[0]!;
      for (const variant of variants) {
        const path = join(out, variant.file);
        const bytes = await readFile(path);
        expect(bytes.length).toBe(variant.bytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(variant.sha256);
        const actual = (await runOnnx(path, feeds[network]!))[spec.name]!;
        const metrics = compareOutput(spec, actual, expected[network]![spec.name]!);
        figures.push(
          `${variant.file}: max|d| ${metrics.maxAbs.toExponential(2)}, PSNR ${metrics.psnrDb === null ? 'inf' : metrics.psnrDb.toFixed(1)} dB`,
        );
        if (variant.dtype === 'fp32') expect(metrics.maxAbs).toBeLessThanOrEqual(1e-6);
        else expect(metrics.psnrDb!, variant.file).toBeGreaterThan(MIN_PSNR_DB[variant.dtype]);
      }
    }
    process.stderr.write(
      `foreign model, packed variants vs reference:\n  ${figures.join('\n  ')}\n`,
    );
  });
});
