import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '@genviz/core';
import { SafetensorsFile, float32Bytes, writeSafetensors } from '../src/safetensors.js';
import type { TensorToWrite } from '../src/safetensors.js';
import { errorLines, runMain } from './capture.js';
import type { CliRun } from './capture.js';
import { temporaryDir, writeTinyModel } from './fixtures.js';
import { installedPackage, runBin } from './installed-cli.js';

/*
 * Every command's output appears whole or not at all, output-path problems are one line naming
 * the path, and an interrupted build leaves nothing behind (issue 16).
 */

async function readAll(path: string): Promise<TensorToWrite[]> {
  const file = await SafetensorsFile.open(path);
  const tensors: TensorToWrite[] = [];
  for (const name of file.tensors.keys()) {
    const t = await file.read(name);
    tensors.push({ name, dtype: t.dtype, shape: t.shape, data: t.bytes });
  }
  await file.close();
  return tensors;
}

/** Shifts PyTorch's reference output for `key`, so verify fails that network's fp32 variant. */
async function breakReference(modelDir: string, key: string): Promise<void> {
  const tensors = await readAll(join(modelDir, 'reference.safetensors'));
  const shifted = tensors.map((tensor) =>
    tensor.name === key
      ? {
          ...tensor,
          data: float32Bytes(
            new Float32Array((tensor.data as Uint8Array).slice().buffer).map((v) => v + 0.01),
          ),
        }
      : tensor,
  );
  await writeSafetensors(join(modelDir, 'reference.safetensors'), shifted);
}

/** Every file of a folder tree with its sha256, to compare before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return files;
}

function expectOneLineError(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  const lines = errorLines(run);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

describe('atomic output', () => {
  it('convert writes every network or none: a failing last network leaves no first one', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-vae');
    // config.json lists encoder, then decoder; the decoder's checkpoint lacks a tensor.
    const tensors = (await readAll(join(dir, 'decoder.safetensors'))).filter(
      (t) => t.name !== 'deconv.2.bias',
    );
    await writeSafetensors(join(dir, 'decoder.safetensors'), tensors);
    const out = await temporaryDir();
    const run = await runMain(['convert', dir, '--out', out]);
    expectOneLineError(run, /decoder\.safetensors: tensor "deconv\.2\.bias": missing tensor/);
    expect(await readdir(out)).toEqual([]);
  });

  it('quantize writes every dtype or none, and only variants onnxruntime loads', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-classifier');
    const out = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', out])).code).toBe(0);
    // A file that reads as ONNX but that onnxruntime refuses: an fp32 graph whose Reshape gets a
    // float shape. quantize must say so and write no variant.
    const model = await readFile(join(out, 'classifier.onnx'));
    await writeFile(join(out, 'broken.onnx'), model);
    const { readOnnxModel } = await import('../src/onnx/reader.js');
    const { writeOnnxModel } = await import('../src/onnx/writer.js');
    const parsed = await readOnnxModel(join(out, 'broken.onnx'));
    const flatten = parsed.graph.nodes.find((node) => node.op_type === 'Flatten')!;
    flatten.op_type = 'Reshape';
    flatten.input = [flatten.input[0]!, parsed.graph.inputs[0]!.name];
    await writeOnnxModel(join(out, 'broken.onnx'), parsed);
    const run = await runMain(['quantize', join(out, 'broken.onnx')]);
    expectOneLineError(run, /broken_fp16\.onnx: onnxruntime cannot load the written model/);
    expect((await readdir(out)).sort()).toEqual(['broken.onnx', 'classifier.onnx']);
  });

  it('a failed pack into a new folder leaves no folder', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-vae');
    const variants = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', variants])).code).toBe(0);
    await breakReference(dir, 'decoder.image');
    const parent = await temporaryDir();
    const run = await runMain(['pack', dir, '--in', variants, '--out', join(parent, 'tiny-vae')]);
    expectOneLineError(run, /tiny-vae: 1 variant\(s\) failed verify:/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('a failed pack over a good folder leaves it as it was, files matching their manifest', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-vae');
    const variants = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', variants])).code).toBe(0);
    expect((await runMain(['quantize', join(variants, 'encoder.onnx')])).code).toBe(0);
    const out = join(await temporaryDir(), 'tiny-vae');
    expect((await runMain(['pack', dir, '--in', variants, '--out', out])).code).toBe(0);
    await writeFile(join(out, 'NOTES.md'), 'the author keeps notes here');
    const before = await snapshot(out);

    // New encoder weights (so its files would change), and a decoder that fails verify.
    const other = await writeTinyModel(await temporaryDir(), 'tiny-vae', 9);
    await rm(variants, { recursive: true });
    expect((await runMain(['convert', other, '--out', variants])).code).toBe(0);
    await breakReference(other, 'decoder.image');
    const run = await runMain(['pack', other, '--in', variants, '--out', out]);
    expectOneLineError(run, /decoder\.onnx \(fp32\) failed verify/);
    expect(await snapshot(out)).toEqual(before);
    const manifest = JSON.parse(
      await readFile(join(out, 'manifest.json'), 'utf8'),
    ) as ModelManifest;
    for (const net of Object.values(manifest.networks))
      for (const variant of net.variants)
        expect(before[variant.file], variant.file).toBe(variant.sha256);
    expect((await readdir(join(out, '..'))).filter((name) => name !== 'tiny-vae')).toEqual([]);
  });

  it('a pack over a good folder replaces the variants it names and keeps the files it does not', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-vae');
    const variants = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', variants])).code).toBe(0);
    expect((await runMain(['quantize', join(variants, 'decoder.onnx')])).code).toBe(0);
    const out = join(await temporaryDir(), 'tiny-vae');
    expect((await runMain(['pack', dir, '--in', variants, '--out', out])).code).toBe(0);
    await writeFile(join(out, 'NOTES.md'), 'kept');
    await rm(join(variants, 'decoder_int8.onnx'));
    expect((await runMain(['pack', dir, '--in', variants, '--out', out])).code).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'NOTES.md',
      'decoder.onnx',
      'decoder_fp16.onnx',
      'encoder.onnx',
      'manifest.json',
    ]);
  });

  it('pack refuses an output folder that holds other files and no manifest', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-vae');
    const variants = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', variants])).code).toBe(0);
    const out = await temporaryDir();
    await writeFile(join(out, 'thesis.tex'), 'precious');
    const run = await runMain(['pack', dir, '--in', variants, '--out', out]);
    expectOneLineError(run, /holds files but no manifest\.json/);
    expect(await readdir(out)).toEqual(['thesis.tex']);
    const same = await runMain(['pack', dir, '--in', variants, '--out', variants]);
    expectOneLineError(same, /is both the folder of variants to pack and the output/);
    expect((await readdir(variants)).sort()).toEqual(['decoder.onnx', 'encoder.onnx']);
  });
});

describe('output-path problems', () => {
  it('--out naming a file: one line naming it, exit 1, for every command that writes', async () => {
    const models = await temporaryDir();
    const dir = await writeTinyModel(models, 'tiny-classifier');
    const variants = await temporaryDir();
    expect((await runMain(['convert', dir, '--out', variants])).code).toBe(0);
    const file = join(await temporaryDir(), 'not-a-folder');
    await writeFile(file, 'x');
    for (const argv of [
      ['convert', dir, '--out', file],
      ['quantize', join(variants, 'classifier.onnx'), '--out', file],
      ['pack', dir, '--in', variants, '--out', file],
      ['build', '--models', models, '--out', file],
      ['convert', dir, '--out', join(file, 'below')],
    ]) {
      const run = await runMain(argv);
      expectOneLineError(run, new RegExp(`${file}: is a file`));
    }
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('a folder this user cannot write: one line naming it, exit 1, nothing written', async () => {
    const dir = await writeTinyModel(await temporaryDir(), 'tiny-classifier');
    const parent = await temporaryDir();
    // root writes anywhere chmod allows nothing; /sys refuses even root.
    const readOnly = process.getuid?.() === 0 ? '/sys/genviz-export-test' : join(parent, 'locked');
    if (process.getuid?.() !== 0) {
      await mkdir(readOnly);
      await chmod(readOnly, 0o555);
    }
    for (const out of [readOnly, join(readOnly, 'assets')]) {
      const run = await runMain(['convert', dir, '--out', out]);
      expectOneLineError(run, /cannot write: (permission denied|operation not permitted)/);
      expect(errorLines(run)[0]).toContain(process.getuid?.() === 0 ? '/sys' : readOnly);
    }
  });
});

describe('temporary names', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  it.skipIf(!existsSync(join(root, '.git')))(
    'are git-ignored wherever a command writes (packages/models/assets included)',
    () => {
      for (const path of [
        'packages/models/.genviz-export-4242-0123456789ab.assets.tmp',
        'packages/models/assets/mnist-vae/.genviz-export-4242-0123456789ab.decoder.onnx.tmp',
        'models/my-ae/.genviz-export-4242-0123456789ab.manifest.json.old',
      ]) {
        // check-ignore exits 0 for an ignored path and 1 (a throw here) for one git would add.
        execFileSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: root });
      }
    },
  );
});

describe('an interrupted build', () => {
  it('removes its staging folder on SIGINT and SIGTERM, says so, and leaves the old output', async () => {
    const models = await temporaryDir();
    for (const id of ['tiny-classifier', 'tiny-dcgan', 'tiny-ddpm', 'tiny-vae'])
      await writeTinyModel(models, id);
    const parent = await temporaryDir();
    const out = join(parent, 'assets');
    await mkdir(out);
    await writeFile(join(out, 'previous.txt'), 'the last good build');
    const bin = join(await installedPackage(), 'bin', 'genviz-export.js');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const result = await runBin(
        bin,
        ['build', '--models', models, '--out', out],
        parent,
        async (child) => {
          // Signal once the build has made its staging folder (it then converts four models).
          for (let i = 0; i < 3000; i++) {
            const entries = await readdir(parent);
            if (entries.some((name) => name.startsWith('.genviz-export-'))) break;
            await new Promise((r) => setTimeout(r, 5));
          }
          child.kill(signal);
        },
      );
      expect(result.code, result.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(result.stderr).toMatch(
        new RegExp(
          `interrupted by ${signal}; removed the unfinished .*\\.genviz-export-.*; the earlier output is unchanged`,
        ),
      );
      expect((await readdir(parent)).sort()).toEqual(['assets']);
      expect(await readdir(out)).toEqual(['previous.txt']);
    }
  }, 120_000);
});
