import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { readModelConfig } from '../src/config.js';
import { convertNetwork, expectedWeights } from '../src/convert.js';
import { ExportError } from '../src/errors.js';
import { readOnnxModel } from '../src/onnx/reader.js';
import { writeOnnxModel } from '../src/onnx/writer.js';
import { SafetensorsFile, float32Bytes, writeSafetensors } from '../src/safetensors.js';
import type { TensorToWrite } from '../src/safetensors.js';
import { quantizeFile } from '../src/quantize.js';
import { runOnnx } from '../src/verify.js';
import {
  TINY_CONFIGS,
  syntheticInputs,
  syntheticWeights,
  temporaryDir,
  writeTinyModel,
} from './fixtures.js';

async function readAll(path: string): Promise<TensorToWrite[]> {
  const file = await SafetensorsFile.open(path);
  const out: TensorToWrite[] = [];
  for (const name of file.tensors.keys()) {
    const t = await file.read(name);
    out.push({ name, dtype: t.dtype, shape: t.shape, data: t.bytes });
  }
  await file.close();
  return out;
}

async function convertError(
  dir: string,
  network: string,
): Promise<{ error: unknown; outDir: string }> {
  const outDir = await temporaryDir();
  const config = await readModelConfig(dir);
  const error = await convertNetwork({
    modelDir: dir,
    config,
    network,
    outPath: join(outDir, `${network}.onnx`),
  }).catch((e: unknown) => e);
  return { error, outDir };
}

describe('convert', () => {
  it('lists the state_dict keys of each architecture as model.py names them', () => {
    expect([...expectedWeights(TINY_CONFIGS['tiny-classifier']!, 'classifier').keys()]).toEqual(
      expect.arrayContaining([
        'features.0.weight',
        'features.1.running_var',
        'features.10.weight',
        'head.2.weight',
        'head.5.bias',
      ]),
    );
    expect(
      expectedWeights(TINY_CONFIGS['tiny-dcgan']!, 'generator').get('deconv.0.weight'),
    ).toEqual([8, 4, 4, 4]);
    const unet = expectedWeights(TINY_CONFIGS['tiny-ddpm']!, 'unet');
    expect(unet.get('up.0.res.conv1.weight')).toEqual([16, 32, 3, 3]);
    expect(unet.get('up.0.upsample.conv.weight')).toEqual([8, 16, 3, 3]);
    expect(unet.get('down.1.res.skip.weight')).toEqual([16, 8, 1, 1]);
    expect(unet.get('class_embedding.weight')).toEqual([11, 32]);
  });

  it('writes graphs with a dynamic batch dimension', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-ddpm');
    const out = join(await temporaryDir(), 'unet.onnx');
    await convertNetwork({
      modelDir: dir,
      config: TINY_CONFIGS['tiny-ddpm']!,
      network: 'unet',
      outPath: out,
    });
    for (const batch of [1, 3]) {
      const result = await runOnnx(
        out,
        syntheticInputs(TINY_CONFIGS['tiny-ddpm']!, 'unet', batch, batch),
      );
      expect(result['noise_pred']!.shape).toEqual([batch, 1, 28, 28]);
    }
    const model = await readOnnxModel(out);
    expect(model.graph.inputs[0]!.type?.tensor_type?.shape?.dim[0]).toEqual({ dim_param: 'batch' });
    expect(model.opsetImports).toEqual([{ domain: '', version: 17 }]);
  });

  it('reads the categorical code from the latent as model.py does, in every dtype', async () => {
    // Same weights twice: a generator with a 4-way code, and one without that is fed the one-hot
    // code by hand. The coded generator must only see which of latent[0..3] is largest.
    const plain = TINY_CONFIGS['tiny-dcgan']!;
    const coded = {
      ...plain,
      id: 'tiny-dcgan-code',
      architecture: { ...plain.architecture!, categorical_code: 4 },
    };
    const models = await temporaryDir();
    const dir = join(models, coded.id);
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(coded));
    await writeSafetensors(
      join(dir, 'generator.safetensors'),
      syntheticWeights(expectedWeights(coded, 'generator'), 3),
    );
    const out = await temporaryDir();
    const paths = { coded: join(out, 'coded.onnx'), plain: join(out, 'plain.onnx') };
    await convertNetwork({
      modelDir: dir,
      config: coded,
      network: 'generator',
      outPath: paths.coded,
    });
    await convertNetwork({
      modelDir: dir,
      config: plain,
      network: 'generator',
      outPath: paths.plain,
    });
    const rest = [0.3, -1.2, 0.8, 0.1];
    const latents = (rows: number[][]) => ({
      latent: {
        dtype: 'float32' as const,
        shape: [rows.length, 8],
        data: Float32Array.from(rows.flatMap((head) => [...head, ...rest])),
      },
    });
    const image = async (path: string, rows: number[][]) =>
      Array.from((await runOnnx(path, latents(rows)))['image']!.data);
    const codedImages = await image(paths.coded, [
      [0.1, 2, -1, 0.5],
      [-3, 0.7, 0.2, 0.69999],
      [2, 0.1, -1, 0.5],
    ]);
    const oneHotImages = await image(paths.plain, [
      [0, 1, 0, 0],
      [1, 0, 0, 0],
    ]);
    const pixels = 28 * 28;
    const row = (images: number[], r: number) => images.slice(r * pixels, (r + 1) * pixels);
    expect(row(codedImages, 0)).toEqual(row(oneHotImages, 0));
    expect(row(codedImages, 1)).toEqual(row(oneHotImages, 0));
    expect(row(codedImages, 2)).toEqual(row(oneHotImages, 1));
    expect(row(codedImages, 2)).not.toEqual(row(codedImages, 0));

    // fp16 would round 0.7 and 0.69999 to the same value and light two entries: the code stays fp32.
    for (const dtype of ['fp16', 'int8'] as const) {
      const path = join(out, `coded_${dtype}.onnx`);
      await quantizeFile(paths.coded, path, dtype);
      const images = await image(path, [
        [0.1, 2, -1, 0.5],
        [-3, 0.7, 0.2, 0.69999],
      ]);
      expect(row(images, 1)).toEqual(row(images, 0));
      const error = Math.max(
        ...row(images, 0).map((v, i) => Math.abs(v - row(codedImages, 0)[i]!)),
      );
      expect(error).toBeLessThan(0.05);
    }
  });

  it('rejects a categorical code that the latent cannot hold', async () => {
    const plain = TINY_CONFIGS['tiny-dcgan']!;
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-dcgan');
    for (const code of [1, 9]) {
      const config = { ...plain, architecture: { ...plain.architecture!, categorical_code: code } };
      const error = await convertNetwork({
        modelDir: dir,
        config,
        network: 'generator',
        outPath: join(await temporaryDir(), 'generator.onnx'),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExportError);
      expect((error as Error).message).toMatch(
        /"architecture\.categorical_code" must be 0 \(none\) or 2 to latent_dim \(8\), got \d/,
      );
    }
  });

  it('names the tensor that a checkpoint is missing, and writes nothing', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const tensors = (await readAll(join(dir, 'decoder.safetensors'))).filter(
      (t) => t.name !== 'deconv.2.bias',
    );
    await writeSafetensors(join(dir, 'decoder.safetensors'), tensors);
    const { error, outDir } = await convertError(dir, 'decoder');
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(
      /decoder\.safetensors: tensor "deconv\.2\.bias": missing tensor: .* shape \[1\]/,
    );
    expect(await readdir(outDir)).toEqual([]);
  });

  it('names a misshapen tensor and the shape config.json implies', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const tensors = (await readAll(join(dir, 'decoder.safetensors'))).map((t) =>
      t.name === 'fc.0.weight'
        ? { ...t, shape: [8, 4], data: float32Bytes(new Float32Array(32)) }
        : t,
    );
    await writeSafetensors(join(dir, 'decoder.safetensors'), tensors);
    const { error } = await convertError(dir, 'decoder');
    expect((error as Error).message).toMatch(
      /tensor "fc\.0\.weight": has shape \[8, 4\] but the architecture in config.json needs \[16, 2\]/,
    );
  });

  it('says when config.json describes another model than the checkpoint', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      architecture: { hidden: number };
    };
    config.architecture.hidden = 32;
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const { error } = await convertError(dir, 'encoder');
    expect((error as Error).message).toMatch(
      /encoder\.safetensors: tensor "conv\.5\.weight": has shape \[16, 392\] .* needs \[32, 392\] \(config does not match checkpoint\)/,
    );
  });

  it('refuses a checkpoint with tensors the architecture does not use', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const tensors = await readAll(join(dir, 'encoder.safetensors'));
    tensors.push({
      name: 'extra.weight',
      dtype: 'F32',
      shape: [2],
      data: float32Bytes(new Float32Array(2)),
    });
    await writeSafetensors(join(dir, 'encoder.safetensors'), tensors);
    const { error } = await convertError(dir, 'encoder');
    expect((error as Error).message).toMatch(
      /tensor "extra\.weight": has tensors the architecture in config.json does not use: extra\.weight/,
    );
  });

  it('refuses integer weights', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const tensors = (await readAll(join(dir, 'decoder.safetensors'))).map((t) =>
      t.name === 'deconv.2.bias' ? { ...t, dtype: 'I32' as const } : t,
    );
    await writeSafetensors(join(dir, 'decoder.safetensors'), tensors);
    const { error } = await convertError(dir, 'decoder');
    expect((error as Error).message).toMatch(
      /tensor "deconv\.2\.bias": dtype I32 is not a floating-point type/,
    );
  });

  it('passes an .onnx network on unchanged, and rejects an unreadable one by name', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const config = TINY_CONFIGS['tiny-vae']!;
    const scratch = await temporaryDir();
    await convertNetwork({
      modelDir: dir,
      config,
      network: 'decoder',
      outPath: join(dir, 'decoder.onnx'),
    });
    await rm(join(dir, 'decoder.safetensors'));
    const withOnnx = {
      ...config,
      networks: {
        ...config.networks,
        decoder: { ...config.networks['decoder']!, weights: 'decoder.onnx' },
      },
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(withOnnx));
    const result = await convertNetwork({
      modelDir: dir,
      config: withOnnx,
      network: 'decoder',
      outPath: join(scratch, 'decoder.onnx'),
    });
    expect(result.passedThrough).toBe(true);
    expect(await readFile(join(scratch, 'decoder.onnx'))).toEqual(
      await readFile(join(dir, 'decoder.onnx')),
    );

    await writeFile(
      join(dir, 'decoder.onnx'),
      Buffer.from('this is not a protobuf at all \x00\xff\xff\xff'),
    );
    const error = await convertNetwork({
      modelDir: dir,
      config: withOnnx,
      network: 'decoder',
      outPath: join(scratch, 'again.onnx'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(/decoder\.onnx: not a readable ONNX model/);
    expect(await readdir(scratch)).toEqual(['decoder.onnx']);
  });

  it('writes tensors as external data when asked, and onnxruntime reads them', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-ddpm');
    const config = TINY_CONFIGS['tiny-ddpm']!;
    const out = await temporaryDir();
    const inline = await runOnnx(
      (
        await convertNetwork({
          modelDir: dir,
          config,
          network: 'unet',
          outPath: join(out, 'inline.onnx'),
        })
      ).path,
      syntheticInputs(config, 'unet', 2, 5),
    );
    await convertNetwork({
      modelDir: dir,
      config,
      network: 'unet',
      outPath: join(out, 'external.onnx'),
      write: { externalData: 'always' },
    });
    expect((await readdir(out)).sort()).toEqual([
      'external.onnx',
      'external.onnx.data',
      'inline.onnx',
    ]);
    const external = await runOnnx(
      join(out, 'external.onnx'),
      syntheticInputs(config, 'unet', 2, 5),
    );
    expect(Array.from(external['noise_pred']!.data)).toEqual(
      Array.from(inline['noise_pred']!.data),
    );
    // An .onnx network with external data (as torch.onnx.export writes large models) is passed
    // on as one self-contained file.
    await mkdir(join(dir, 'exported'));
    await writeOnnxModel(
      join(dir, 'exported', 'unet.onnx'),
      await readOnnxModel(join(out, 'external.onnx')),
      {
        externalData: 'always',
      },
    );
    const withExternal = {
      ...config,
      networks: { unet: { ...config.networks['unet']!, weights: 'exported/unet.onnx' } },
    };
    const passed = await convertNetwork({
      modelDir: dir,
      config: withExternal,
      network: 'unet',
      outPath: join(out, 'passed', 'unet.onnx'),
    });
    expect(passed.passedThrough).toBe(true);
    expect(await readdir(join(out, 'passed'))).toEqual(['unet.onnx']);
    expect(
      Array.from(
        (await runOnnx(join(out, 'passed', 'unet.onnx'), syntheticInputs(config, 'unet', 2, 5)))[
          'noise_pred'
        ]!.data,
      ),
    ).toEqual(Array.from(inline['noise_pred']!.data));
    // The reader follows external data too, so a re-written copy runs the same.
    await writeOnnxModel(join(out, 'copy.onnx'), await readOnnxModel(join(out, 'external.onnx')));
    expect(
      Array.from(
        (await runOnnx(join(out, 'copy.onnx'), syntheticInputs(config, 'unet', 2, 5)))[
          'noise_pred'
        ]!.data,
      ),
    ).toEqual(Array.from(inline['noise_pred']!.data));
  });

  it('exits non-zero from the CLI with one line naming the file', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-classifier');
    await writeFile(join(dir, 'classifier.safetensors'), Buffer.from([1, 2]));
    const error = await main(['convert', dir, '--out', await temporaryDir()]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toContain(join(dir, 'classifier.safetensors'));
  });
});
