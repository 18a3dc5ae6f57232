import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../src/build.js';
import type { BuildResult } from '../src/build.js';
import { ExportError } from '../src/errors.js';
import type { ModelManifest } from '@genviz/core';
import { SafetensorsFile, float32Bytes, writeSafetensors } from '../src/safetensors.js';
import { validate } from './json-schema.js';
import { TINY_CONFIGS, temporaryDir, writeHeldoutData, writeTinyModel } from './fixtures.js';

const schema = JSON.parse(
  await readFile(new URL('../manifest.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** The first describe's build, for later checks of its manifests. */
let TINY_OUT: string | undefined;

describe('build', () => {
  let modelsDir: string;
  let outDir: string;
  let result: BuildResult;

  beforeAll(async () => {
    modelsDir = await temporaryDir();
    for (const id of Object.keys(TINY_CONFIGS)) await writeTinyModel(modelsDir, id);
    await writeHeldoutData(modelsDir);
    outDir = join(await temporaryDir(), 'assets');
    result = await buildAll({ modelsDir, outDir });
    TINY_OUT = outDir;
  }, 120_000);

  it('writes a manifest per model that the JSON Schema accepts, and one for the held-out digits', async () => {
    const folders = (await readdir(outDir)).sort();
    expect(folders).toEqual([
      'mnist-data',
      'tiny-classifier',
      'tiny-dcgan',
      'tiny-ddpm',
      'tiny-vae',
    ]);
    for (const folder of folders) {
      const manifest = JSON.parse(
        await readFile(join(outDir, folder, 'manifest.json'), 'utf8'),
      ) as unknown;
      expect(validate(schema, manifest), folder).toEqual([]);
    }
  });

  it('ships every dtype of every network, each file matching its bytes and sha256', async () => {
    for (const model of result.models) {
      for (const [network, net] of Object.entries(model.manifest.networks)) {
        expect(
          net.variants.map((v) => v.dtype),
          `${model.manifest.id}/${network}`,
        ).toEqual(['fp32', 'fp16', 'int8']);
        for (const variant of net.variants) {
          const bytes = await readFile(join(outDir, model.manifest.id, variant.file));
          expect(bytes.length).toBe(variant.bytes);
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(variant.sha256);
        }
      }
    }
  });

  it('makes int8 smaller than fp16, and fp16 smaller than fp32', () => {
    const unet = result.models.find((m) => m.manifest.id === 'tiny-ddpm')!.manifest.networks[
      'unet'
    ]!;
    const [fp32, fp16, int8] = unet.variants;
    expect(fp16!.bytes).toBeLessThan(fp32!.bytes * 0.7);
    expect(int8!.bytes).toBeLessThan(fp16!.bytes);
  });

  it('lists GAN snapshots with their history and a generator file for each', () => {
    const gan = result.models.find((m) => m.manifest.id === 'tiny-dcgan')!.manifest;
    expect(gan.snapshots!.map((s) => [s.index, s.iteration, s.d_real])).toEqual([
      [0, 0, 0.5],
      [1, 100, 0.6],
    ]);
    expect(gan.snapshots![0]!.variants.map((v) => v.file)).toEqual([
      'generator-00.onnx',
      'generator-00_fp16.onnx',
      'generator-00_int8.onnx',
    ]);
    // The last snapshot is the final generator, so it is held to PyTorch's reference.
    expect(gan.snapshots![1]!.variants[0]!.verification.against).toBe('pytorch-reference');
    expect(gan.snapshots![0]!.variants[1]!.verification.against).toBe('fp32-onnx');
  });

  it("names each snapshot's discriminator, verified as the generators are", async () => {
    const gan = result.models.find((m) => m.manifest.id === 'tiny-dcgan')!.manifest;
    // The last snapshot's weights files are the final networks' own (the contract), so it names
    // their verified files instead of copies; the earlier one has its own, held to its fp32 ONNX.
    expect(gan.snapshots!.map((s) => s.discriminatorVariants!.map((v) => v.file))).toEqual([
      ['discriminator-00.onnx', 'discriminator-00_fp16.onnx', 'discriminator-00_int8.onnx'],
      ['discriminator.onnx', 'discriminator_fp16.onnx', 'discriminator_int8.onnx'],
    ]);
    const [first, last] = gan.snapshots!;
    expect(last!.discriminatorVariants).toEqual(gan.networks['discriminator']!.variants);
    expect(last!.variants).toEqual(gan.networks['generator']!.variants);
    expect(last!.discriminatorVariants![0]!.verification.against).toBe('pytorch-reference');
    expect(first!.discriminatorVariants![2]!.verification.against).toBe('fp32-onnx');
    const files = await readdir(join(outDir, 'tiny-dcgan'));
    expect(files.filter((file) => file.includes('-01'))).toEqual([]);
  });

  it('carries the diffusers scheduler config into the diffusion manifest', () => {
    const ddpm: ModelManifest = result.models.find((m) => m.manifest.id === 'tiny-ddpm')!.manifest;
    expect(ddpm.scheduler).toMatchObject({
      _class_name: 'DDPMScheduler',
      num_train_timesteps: 1000,
      beta_schedule: 'linear',
    });
    expect(ddpm.networks['unet']!.inputs.map((i) => i.name)).toEqual([
      'sample',
      'timestep',
      'class_label',
    ]);
  });

  it('packs the held-out digits as raw uint8 images and labels', async () => {
    const data = result.dataset!.data['heldout']!;
    const bytes = await readFile(join(outDir, 'mnist-data', data.file));
    const images = data.tensors.find((t) => t.name === 'images')!;
    const labels = data.tensors.find((t) => t.name === 'labels')!;
    expect(images.shape).toEqual([20, 28, 28]);
    expect(Array.from(bytes.subarray(labels.byteOffset, labels.byteOffset + 20))).toEqual(
      Array.from({ length: 20 }, (_, i) => i % 10),
    );
  });

  it('fails on an fp32 variant that misses the reference, naming it and by how much, and leaves the old output', async () => {
    const badModels = await temporaryDir();
    const dir = await writeTinyModel(badModels, 'tiny-vae');
    const reference = await SafetensorsFile.open(join(dir, 'reference.safetensors'));
    const tensors = [];
    for (const name of reference.tensors.keys()) {
      const t = await reference.read(name);
      tensors.push({ name, dtype: t.dtype, shape: t.shape, data: t.bytes });
    }
    await reference.close();
    const image = tensors.find((t) => t.name === 'decoder.image')!;
    const shifted = new Float32Array(image.data.buffer.slice(0)).map((v) => v + 0.01);
    image.data = float32Bytes(shifted);
    await writeSafetensors(join(dir, 'reference.safetensors'), tensors);
    const out = join(await temporaryDir(), 'assets');
    await mkdir(out);
    await writeFile(join(out, 'previous.txt'), 'still here');
    const error = await buildAll({ modelsDir: badModels, outDir: out }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(
      /decoder\.onnx \(fp32\) failed verify: image: max abs error 1\.00e-2 > 1e-4/,
    );
    expect(await readdir(out)).toEqual(['previous.txt']);
  }, 60_000);

  it('--only rebuilds the models it names and keeps the others in the output', async () => {
    const before = await readFile(join(outDir, 'tiny-ddpm', 'manifest.json'), 'utf8');
    await writeFile(join(outDir, 'README.md'), 'assets of the tiny models');
    const rebuilt = await buildAll({ modelsDir, outDir, only: ['tiny-vae'], dtypes: ['fp32'] });
    expect(rebuilt.models.map((m) => m.manifest.id)).toEqual(['tiny-vae']);
    expect((await readdir(outDir)).sort()).toEqual([
      'README.md',
      'mnist-data',
      'tiny-classifier',
      'tiny-dcgan',
      'tiny-ddpm',
      'tiny-vae',
    ]);
    // The models it did not name are untouched; the one it named is new (fp32 only now).
    expect(await readFile(join(outDir, 'tiny-ddpm', 'manifest.json'), 'utf8')).toBe(before);
    expect((await readdir(join(outDir, 'tiny-vae'))).sort()).toEqual([
      'decoder.onnx',
      'encoder.onnx',
      'manifest.json',
    ]);
    const error = await buildAll({ modelsDir, outDir, only: ['tiny-vea'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(/--only tiny-vea: no such model folder/);
    // Put the full build back for the tests that follow.
    result = await buildAll({ modelsDir, outDir });
  }, 120_000);

  it('drops a quantized variant that onnxruntime cannot load, with the reason, and keeps the rest', async () => {
    const { packModel } = await import('../src/pack.js');
    const { quantizeFile } = await import('../src/quantize.js');
    const { convertNetwork } = await import('../src/convert.js');
    const dir = join(modelsDir, 'tiny-classifier');
    const variants = await temporaryDir();
    await convertNetwork({
      modelDir: dir,
      config: TINY_CONFIGS['tiny-classifier']!,
      network: 'classifier',
      outPath: join(variants, 'classifier.onnx'),
    });
    await quantizeFile(
      join(variants, 'classifier.onnx'),
      join(variants, 'classifier_int8.onnx'),
      'int8',
    );
    await writeFile(join(variants, 'classifier_fp16.onnx'), Buffer.from([8, 1, 18, 0]));
    const warnings: string[] = [];
    const packed = await packModel(dir, variants, join(await temporaryDir(), 'out'), {
      onQuantizedFailure: 'drop',
      reporter: { step: () => {}, detail: () => {}, warn: (m) => warnings.push(m) },
    });
    expect(packed.manifest.networks['classifier']!.variants.map((v) => v.dtype)).toEqual([
      'fp32',
      'int8',
    ]);
    expect(warnings.join()).toMatch(
      /dropping classifier_fp16\.onnx \(fp16\) failed verify: onnxruntime cannot load/,
    );
  }, 60_000);

  it('removes the staging folders that killed builds left behind, and only those', async () => {
    const parent = await temporaryDir();
    // A pid above Linux's largest (2^22) belongs to no process: a build that was killed.
    const abandoned = [
      'assets.99999999-0123456789ab.tmp',
      'assets.99999999-ba9876543210.old',
      '.genviz-export-99999999-0123456789ab.assets.tmp',
      '.genviz-export-99999999-0123456789ab.manifest.json.old',
    ];
    // This process is alive: a build running next to this one keeps its folder.
    const running = `.genviz-export-${process.pid}-0123456789ab.assets.tmp`;
    for (const name of [...abandoned, running, 'assets-notes.tmp'])
      await mkdir(join(parent, name, 'mnist-dcgan'), { recursive: true });
    await buildAll({ modelsDir, outDir: join(parent, 'assets') });
    expect((await readdir(parent)).sort()).toEqual(['assets', 'assets-notes.tmp', running].sort());
  }, 120_000);
});

describe('preferred_dtypes', () => {
  it('takes {"wasm": "int8"} and refuses fp16 or anything else, with one clear message', async () => {
    const { validateConfig } = await import('../src/config.js');
    const base = TINY_CONFIGS['tiny-classifier']!;
    expect(
      validateConfig({ ...base, preferred_dtypes: { wasm: 'int8' } }, 'config.json')
        .preferred_dtypes,
    ).toEqual({ wasm: 'int8' });
    for (const bad of [{ wasm: 'fp16' }, { webgpu: 'int8' }, 'int8', null]) {
      expect(() => validateConfig({ ...base, preferred_dtypes: bad }, 'config.json')).toThrow(
        /"preferred_dtypes" must be \{"wasm": "int8"\}/,
      );
    }
    // The schema: the built tiny classifier's manifest, with a preference added.
    const built = JSON.parse(
      await readFile(join(TINY_OUT ?? '', 'tiny-classifier', 'manifest.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(validate(schema, { ...built, preferredDtypes: { wasm: 'int8' } })).toEqual([]);
    expect(validate(schema, { ...built, preferredDtypes: { wasm: 'fp16' } })).not.toEqual([]);
  });
});
