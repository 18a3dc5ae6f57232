import { NormalGenerator, sampleGuided, schedulerForSampling } from '@genviz/core';
import type { SchedulerConfigJson } from '@genviz/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { chooseDevice } from '../src/environment.js';
import { GenvizError, GenvizRuntime, clearModelCache } from '../src/index.js';
import type { DiffusionStep, GenvizErrorCode, ModelManifest } from '../src/index.js';
import type { NodeTensor } from './node-commands.js';

// The real default models, built by genviz-export into @genviz/models, on onnxruntime-web in
// the runtime's worker, checked against onnxruntime-node on the same files and inputs.

const runtime = new GenvizRuntime({ idleTimeoutMs: 60_000 });
afterAll(() => runtime.terminate());

function normals(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  new NormalGenerator(seed).fill(values);
  return values;
}

async function heldOutDigits(count: number): Promise<{ images: Float32Array; labels: Uint8Array }> {
  const manifestUrl = runtime
    .resolveModel('mnist-classifier')
    .replace('mnist-classifier/manifest.json', 'mnist-data/manifest.json');
  const manifest = (await (await fetch(manifestUrl)).json()) as {
    data: Record<
      string,
      { file: string; tensors: Array<{ name: string; shape: number[]; byteOffset: number }> }
    >;
  };
  const digits = Object.values(manifest.data)[0]!;
  const bytes = new Uint8Array(
    await (await fetch(new URL(digits.file, manifestUrl))).arrayBuffer(),
  );
  const imagesInfo = digits.tensors.find((tensor) => tensor.name === 'images')!;
  const labelsInfo = digits.tensors.find((tensor) => tensor.name === 'labels')!;
  const images = new Float32Array(count * 784);
  // Take digits spread over the classes (the file is not sorted by label in any promised way).
  for (let i = 0; i < count * 784; i++) images[i] = bytes[imagesInfo.byteOffset + i]! / 255;
  return { images, labels: bytes.slice(labelsInfo.byteOffset, labelsInfo.byteOffset + count) };
}

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (error > worst) {
      worst = error;
      worstIndex = i;
    }
  }
  expect(worst, `${what}: max abs error ${worst} at element ${worstIndex}`).toBeLessThanOrEqual(
    tolerance,
  );
}

const tensor = (
  dtype: NodeTensor['dtype'],
  dims: number[],
  data: ArrayLike<number>,
): NodeTensor => ({
  dtype,
  dims,
  data: Array.from(data),
});

async function expectCode(promise: Promise<unknown>, code: GenvizErrorCode) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a ${code} error`).toBeInstanceOf(GenvizError);
  expect((error as GenvizError).code).toBe(code);
  return error as GenvizError;
}

describe('device choice', () => {
  test('auto picks WASM on the SwiftShader WebGPU adapter, and says why', async () => {
    const environment = await runtime.environment();
    expect(environment.webgpu.available).toBe(true);
    expect(environment.webgpu.fallbackAdapter).toBe(true);
    expect(environment.crossOriginIsolated).toBe(false);
    expect(environment.wasmThreads).toBe(1);
    const loaded = await runtime.load('mnist-ddpm');
    expect(loaded.choice.device).toBe('wasm');
    expect(loaded.choice.dtype).toBe('fp32');
    expect(loaded.choice.reason).toMatch(/software/);
    // The classifier's manifest prefers int8 on WASM (within its accuracy bar).
    const classifier = await runtime.load('mnist-classifier');
    expect(classifier.choice).toMatchObject({ device: 'wasm', dtype: 'int8' });
  });
});

describe('dtype auto on WASM', () => {
  test('takes int8 where the manifest prefers it (folded at load), and never fp16', async () => {
    const environment = await runtime.environment();
    const manifest = (await commands.readDefaultManifest('mnist-lcm')) as ModelManifest;
    const variants = manifest.networks.unet!.variants.map((variant) => variant.dtype);
    expect(variants).toEqual(expect.arrayContaining(['fp32', 'fp16', 'int8']));
    const plain = { ...manifest, preferredDtypes: undefined };
    const prefersInt8 = { ...manifest, preferredDtypes: { wasm: 'int8' as const } };
    // 'auto' lands on WASM here (a software WebGPU adapter), as asking for WASM does.
    for (const device of ['wasm', 'auto'] as const) {
      expect(chooseDevice(environment, plain, 'unet', device, 'auto').dtype).toBe('fp32');
      const int8 = chooseDevice(environment, prefersInt8, 'unet', device, 'auto');
      expect(int8).toMatchObject({ device: 'wasm', dtype: 'int8' });
      expect(int8.reason).toMatch(/int8 \(within its quality bars/);
      // fp16 is never chosen on WASM, whatever a manifest says (its Casts make it slower).
      const fp16 = { ...manifest, preferredDtypes: { wasm: 'fp16' } } as unknown as ModelManifest;
      expect(chooseDevice(environment, fp16, 'unet', device, 'auto').dtype).toBe('fp32');
    }
    // Asked for, fp16 still runs on WASM (a reader's choice, not auto's).
    expect(chooseDevice(environment, plain, 'unet', 'wasm', 'fp16').dtype).toBe('fp16');
    // An int8 preference without an int8 file falls back to fp32.
    const noInt8 = {
      ...prefersInt8,
      networks: {
        unet: {
          ...manifest.networks.unet!,
          variants: manifest.networks.unet!.variants.filter((v) => v.dtype !== 'int8'),
        },
      },
    };
    expect(chooseDevice(environment, noInt8, 'unet', 'wasm', 'auto').dtype).toBe('fp32');

    // Loaded for real: a copy of the manifest that prefers int8 loads the int8 file on WASM
    // and draws the asked digit from it.
    const url = runtime.resolveModel('mnist-lcm');
    const served = (await (await fetch(url)).json()) as ModelManifest;
    for (const network of Object.values(served.networks)) {
      for (const variant of network.variants) {
        (variant as { file: string }).file = new URL(variant.file, url).href;
      }
    }
    const sampling = served.sampling as { latent: { autoencoder: string } };
    sampling.latent.autoencoder = runtime.resolveModel('mnist-autoencoder');
    const blob = URL.createObjectURL(
      new Blob([JSON.stringify({ ...served, preferredDtypes: { wasm: 'int8' } })], {
        type: 'application/json',
      }),
    );
    const own = new GenvizRuntime({ device: 'wasm' });
    try {
      const loaded = await own.load(blob);
      expect(loaded.choice.dtype).toBe('int8');
      const result = await own.diffusion.sample({
        model: blob,
        classLabels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        guidanceScale: 3,
        seed: 11,
      });
      expect(result.evaluations).toBe(4);
      const read = (await own.classifier.read(result.image!)).map((reading) => reading.digit);
      expect(read.filter((digit, i) => digit === i).length, read.join(',')).toBeGreaterThanOrEqual(
        9,
      );
    } finally {
      own.terminate();
      URL.revokeObjectURL(blob);
    }
  });
});

for (const device of ['wasm', 'webgpu'] as const) {
  describe(`pipelines on ${device}`, () => {
    const tolerance = device === 'wasm' ? 1e-4 : 2e-3;

    test('classifier: probabilities match onnxruntime-node and read real digits', async () => {
      const { images, labels } = await heldOutDigits(8);
      const probabilities = await runtime.classifier.classify(images, { device });
      expect(probabilities).toHaveLength(80);
      // On WASM `auto` takes the int8 file the classifier prefers there (within its accuracy
      // bar); on WebGPU the fp32 or fp16 one.
      const reference = await commands.ortNodeRun(
        'mnist-classifier',
        device === 'wasm' ? 'classifier_int8.onnx' : 'classifier.onnx',
        { image: tensor('float32', [8, 1, 28, 28], images) },
      );
      const logits = reference.logits!.data;
      for (let n = 0; n < 8; n++) {
        const row = logits.slice(n * 10, n * 10 + 10);
        const max = Math.max(...row);
        const exps = row.map((value) => Math.exp(value - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        expectClose(
          probabilities.subarray(n * 10, n * 10 + 10),
          exps.map((value) => value / sum),
          tolerance,
          `digit ${n}`,
        );
        const predicted = Array.from(probabilities.subarray(n * 10, n * 10 + 10)).indexOf(
          Math.max(...probabilities.subarray(n * 10, n * 10 + 10)),
        );
        expect(predicted, `digit ${n}`).toBe(labels[n]);
      }
    });

    test('vae: encode and decode match onnxruntime-node', async () => {
      const { images } = await heldOutDigits(4);
      const { mean, logvar } = await runtime.vae.encode(images, { device });
      const encoded = await commands.ortNodeRun('mnist-vae', 'encoder.onnx', {
        image: tensor('float32', [4, 1, 28, 28], images),
      });
      expectClose(mean, encoded.mean!.data, tolerance, 'mean');
      expectClose(logvar, encoded.logvar!.data, tolerance, 'logvar');
      const latents = Float32Array.from([0, 0, 1, -1, -2, 0.5]);
      const decoded = await runtime.vae.decode(latents, { device });
      expect(decoded).toHaveLength(3 * 784);
      const reference = await commands.ortNodeRun('mnist-vae', 'decoder.onnx', {
        latent: tensor('float32', [3, 2], latents),
      });
      expectClose(decoded, reference.image!.data, tolerance, 'decoded image');
      expect(Math.min(...decoded)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...decoded)).toBeLessThanOrEqual(1);
    });

    test('gan: generate at the final and an early snapshot, and discriminate', async () => {
      const manifest = (await commands.readDefaultManifest('mnist-dcgan')) as ModelManifest;
      const latentSize = manifest.networks.generator!.inputs[0]!.shape[1] as number;
      const latents = normals(2 * latentSize, 7);
      const final = await runtime.gan.generate(latents, { device });
      expect(final).toHaveLength(2 * 784);
      const reference = await commands.ortNodeRun('mnist-dcgan', 'generator.onnx', {
        latent: tensor('float32', [2, latentSize], latents),
      });
      expectClose(final, reference.image!.data, tolerance, 'final generator');
      const first = manifest.snapshots![0]!;
      const early = await runtime.gan.generate(latents, { device, snapshot: first.index });
      const earlyReference = await commands.ortNodeRun('mnist-dcgan', first.variants[0]!.file, {
        latent: tensor('float32', [2, latentSize], latents),
      });
      expectClose(early, earlyReference.image!.data, tolerance, 'first snapshot');
      const verdicts = await runtime.gan.discriminate(final, { device });
      expect(verdicts).toHaveLength(2);
      const logits = await commands.ortNodeRun('mnist-dcgan', 'discriminator.onnx', {
        image: tensor('float32', [2, 1, 28, 28], final),
      });
      expectClose(
        verdicts,
        logits.logit!.data.map((logit) => 1 / (1 + Math.exp(-logit))),
        tolerance,
        'P(real)',
      );
    });

    test('diffusion: a guided step matches onnxruntime-node, and steps stream back', async () => {
      const steps: number[] = [];
      const result = await runtime.diffusion.sample({
        device,
        scheduler: 'ddim',
        steps: device === 'wasm' ? 10 : 2,
        seed: 3,
        classLabel: 3,
        guidanceScale: 3,
        includeGuidance: true,
        onStep: (step) => {
          steps.push(step.timestep);
          expect(step.sample).toHaveLength(784);
          expect(step.predictedOriginal).toHaveLength(784);
          expect(step.unconditionalNoise).toHaveLength(784);
        },
      });
      expect(result.shape).toEqual([1, 1, 28, 28]);
      expect(result.evaluations).toBe(device === 'wasm' ? 10 : 2);
      expect(steps).toHaveLength(result.steps);
      expect(steps[0]).toBeGreaterThan(steps.at(-1)!);
      // The first model call of that run, recomputed in Node: x_T from the same seed.
      const start = normals(784, 3);
      const reference = await commands.ortNodeRun('mnist-ddpm', 'unet.onnx', {
        sample: tensor('float32', [2, 1, 28, 28], [...start, ...start]),
        timestep: tensor('float32', [2], [steps[0]!, steps[0]!]),
        class_label: tensor('int64', [2], [10, 3]),
      });
      let firstStep:
        { unconditionalNoise?: Float32Array; conditionalNoise?: Float32Array } | undefined;
      await runtime.diffusion.sample({
        device,
        scheduler: 'ddim',
        steps: 1,
        seed: 3,
        classLabel: 3,
        guidanceScale: 3,
        includeGuidance: true,
        onStep: (step) => {
          firstStep = step;
        },
      });
      expect(firstStep).toBeDefined();
      // steps=1 uses timestep 0 under 'leading' spacing; compare the model call at that t instead.
      const atZero = await commands.ortNodeRun('mnist-ddpm', 'unet.onnx', {
        sample: tensor('float32', [2, 1, 28, 28], [...start, ...start]),
        timestep: tensor('float32', [2], [0, 0]),
        class_label: tensor('int64', [2], [10, 3]),
      });
      expectClose(
        firstStep!.unconditionalNoise!,
        atZero.noise_pred!.data.slice(0, 784),
        tolerance * 10,
        'unconditional noise',
      );
      expectClose(
        firstStep!.conditionalNoise!,
        atZero.noise_pred!.data.slice(784),
        tolerance * 10,
        'conditional noise',
      );
      expect(reference.noise_pred!.data).toHaveLength(2 * 784);
    });
  });
}

describe('gan: detectives of the training history against its counterfeiters', () => {
  const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));

  test("discriminate at a snapshot runs that snapshot's discriminator", async () => {
    const manifest = (await commands.readDefaultManifest('mnist-dcgan')) as ModelManifest;
    const snapshot = manifest.snapshots![1]!;
    const images = (await heldOutDigits(3)).images.map((value) => value * 2 - 1);
    const verdicts = await runtime.gan.discriminate(images, {
      device: 'wasm',
      snapshot: snapshot.index,
    });
    const reference = await commands.ortNodeRun(
      'mnist-dcgan',
      snapshot.discriminatorVariants![0]!.file,
      { image: tensor('float32', [3, 1, 28, 28], images) },
    );
    expectClose(verdicts, reference.logit!.data.map(sigmoid), 1e-5, 'P(real) at the snapshot');
    await expectCode(
      runtime.gan.discriminate(images, { device: 'wasm', snapshot: 99 }),
      'invalid-argument',
    );
  });

  test('duelMatrix scores each detective against each counterfeiter as onnxruntime-node does, row by row', async () => {
    const manifest = (await commands.readDefaultManifest('mnist-dcgan')) as ModelManifest;
    const [a, b] = manifest.snapshots!;
    const real = (await heldOutDigits(6)).images.map((value) => value * 2 - 1);
    const latents = normals(5 * 64, 11);
    const rows: number[] = [];
    const result = await runtime.gan.duelMatrix({
      device: 'wasm',
      real,
      latents,
      detectives: [b!.index, a!.index],
      counterfeiters: [a!.index, b!.index],
      onRow: (row) => {
        rows.push(row.row);
      },
    });
    expect(rows).toEqual([0, 1]);
    expect(result.detectives).toEqual([b!.index, a!.index]);
    expect(result.counterfeiters).toEqual([a!.index, b!.index]);
    expect([result.real, result.fakes]).toEqual([6, 5]);
    const fakes = await Promise.all(
      [a!, b!].map(async (snapshot) => {
        const out = await commands.ortNodeRun('mnist-dcgan', snapshot.variants[0]!.file, {
          latent: tensor('float32', [5, 64], latents),
        });
        return out.image!.data;
      }),
    );
    for (const [row, detective] of [b!, a!].entries()) {
      const file = detective.discriminatorVariants![0]!.file;
      const onReal = await commands.ortNodeRun('mnist-dcgan', file, {
        image: tensor('float32', [6, 1, 28, 28], real),
      });
      const realRight = onReal.logit!.data.filter((logit) => logit >= 0).length;
      expect(result.realRight[row]).toBe(realRight);
      for (const [column, images] of fakes.entries()) {
        const onFakes = await commands.ortNodeRun('mnist-dcgan', file, {
          image: tensor('float32', [5, 1, 28, 28], images),
        });
        const caught = onFakes.logit!.data.filter((logit) => logit < 0).length;
        expect(result.fakeRight[row * 2 + column], `row ${row} column ${column}`).toBe(caught);
        expect(result.accuracy[row * 2 + column]).toBeCloseTo((realRight + caught) / 11, 6);
      }
    }
  });

  test('duelMatrix refuses a snapshot the model does not have, and stops when aborted', async () => {
    const real = new Float32Array(784);
    const latents = normals(64, 1);
    await expectCode(
      runtime.gan.duelMatrix({ device: 'wasm', real, latents, detectives: [42] }),
      'invalid-argument',
    );
    await expectCode(
      runtime.gan.duelMatrix({ device: 'wasm', real: new Float32Array(100), latents }),
      'invalid-argument',
    );
    const controller = new AbortController();
    const aborted = runtime.gan.duelMatrix({
      device: 'wasm',
      real,
      latents,
      signal: controller.signal,
      onRow: () => controller.abort(),
    });
    await expectCode(aborted, 'aborted');
  });
});

describe('held-out digits and readings come from the worker', () => {
  test('data.heldOutDigits: the real digits, fetched once and checked by sha256', async () => {
    const direct = await heldOutDigits(8);
    const digits = await runtime.data.heldOutDigits();
    expect(digits.count).toBe(1000);
    expect(digits.side).toBe(28);
    expect(digits.images).toHaveLength(1000 * 784);
    expect(Array.from(digits.labels.subarray(0, 8))).toEqual(Array.from(direct.labels));
    for (let i = 0; i < 8 * 784; i++) {
      if (Math.fround(digits.images[i]! / 255) !== direct.images[i]) {
        expect.fail(`pixel ${i}: ${digits.images[i]} vs ${direct.images[i]! * 255}`);
      }
    }
    expect(runtime.data.heldOutDigits()).toBe(runtime.data.heldOutDigits());
  });

  test('a dataset whose bytes do not match its sha256 is an integrity-mismatch', async () => {
    const url = runtime
      .resolveModel('mnist-classifier')
      .replace('mnist-classifier/manifest.json', 'mnist-data/manifest.json');
    const manifest = (await (await fetch(url)).json()) as {
      data: Record<string, { file: string; sha256: string }>;
    };
    manifest.data.heldout!.file = new URL(manifest.data.heldout!.file, url).href;
    manifest.data.heldout!.sha256 = '0'.repeat(64);
    const dataset = URL.createObjectURL(
      new Blob([JSON.stringify(manifest)], { type: 'application/json' }),
    );
    await expectCode(runtime.data.heldOutDigits({ dataset }), 'integrity-mismatch');
    await expectCode(
      runtime.data.heldOutDigits({ dataset: runtime.resolveModel('mnist-vae') }),
      'invalid-argument',
    );
  });

  test("vae.heldOutLatents: the VAE's packed means of the held-out digits, as its encoder gives them", async () => {
    const { mean, labels, dims } = await runtime.vae.heldOutLatents();
    expect(dims).toBe(2);
    expect(mean).toHaveLength(2000);
    const { images, labels: direct } = await heldOutDigits(8);
    expect(Array.from(labels.subarray(0, 8))).toEqual(Array.from(direct));
    const encoded = await runtime.vae.encode(images);
    expectClose(mean.subarray(0, 16), encoded.mean, 1e-3, 'packed vs encoded means');
    await expectCode(runtime.data.modelData('mnist-vae', 'nope'), 'invalid-argument');
  });

  test('classifier.read: digit, confidence and probabilities, from [0, 1] or [-1, 1]', async () => {
    const { images, labels } = await heldOutDigits(8);
    const probabilities = await runtime.classifier.classify(images);
    const readings = await runtime.classifier.read(images);
    expect(readings.map((reading) => reading.digit)).toEqual(Array.from(labels));
    readings.forEach((reading, n) => {
      expectClose(reading.probabilities, probabilities.subarray(n * 10, n * 10 + 10), 1e-6, `${n}`);
      expect(reading.confidence).toBe(Math.max(...reading.probabilities));
    });
    const signed = images.map((value) => value * 2 - 1);
    const fromSigned = await runtime.classifier.read(signed, { range: 'minus-one-to-one' });
    fromSigned.forEach((reading, n) => {
      expect(reading.digit).toBe(readings[n]!.digit);
      expect(reading.confidence).toBeCloseTo(readings[n]!.confidence, 5);
    });
  });
});

describe('diffusion with other denoisers', () => {
  test('mnist-vae-flow: 256 points with their own labels flow into their classes on the map', async () => {
    const labels = Array.from({ length: 256 }, (_, i) => i % 10);
    const steps: DiffusionStep[] = [];
    const result = await runtime.diffusion.sample({
      model: 'mnist-vae-flow',
      classLabels: labels,
      guidanceScale: 3,
      steps: 50,
      seed: 1,
      every: 10,
      onStep: (step) => void steps.push(step),
    });
    expect(result.shape).toEqual([256, 2]);
    expect(result.evaluations).toBe(50);
    expect(steps.map((step) => step.index)).toEqual([0, 10, 20, 30, 40, 49]);
    // Where the flow ends, the held-out digits nearby are mostly of the asked class.
    const { mean, labels: held } = await runtime.vae.heldOutLatents();
    let agree = 0;
    for (let p = 0; p < 256; p++) {
      const x = result.sample[2 * p]!;
      const y = result.sample[2 * p + 1]!;
      const near = Array.from(held, (label, i) => ({
        label,
        d: (mean[2 * i]! - x) ** 2 + (mean[2 * i + 1]! - y) ** 2,
      }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 10);
      const votes = new Array<number>(10).fill(0);
      for (const { label } of near) votes[label]! += 1;
      if (votes.indexOf(Math.max(...votes)) === labels[p]) agree += 1;
    }
    expect(agree / 256).toBeGreaterThan(0.7);
  });
});

describe('a latent consistency model (mnist-lcm)', () => {
  test('4 steps, one UNet call each with the guidance scale as an input, decoded; the classifier reads the asked digits; the chain matches onnxruntime-node', async () => {
    const labels = Array.from({ length: 10 }, (_, digit) => digit);
    const seen: DiffusionStep[] = [];
    // fp32: the chain below runs unet.onnx (auto would take the int8 file mnist-lcm prefers).
    const result = await runtime.diffusion.sample({
      model: 'mnist-lcm',
      device: 'wasm',
      dtype: 'fp32',
      classLabels: labels,
      guidanceScale: 3,
      steps: 4,
      seed: 11,
      onStep: (step) => void seen.push(step),
    });
    // One evaluation per step: the guidance scale is an input, not a batch-2 call.
    expect(result.evaluations).toBe(4);
    expect(result.steps).toBe(4);
    expect(seen.map((step) => step.timestep)).toEqual([999, 799, 499, 299]);
    expect(result.shape).toEqual([10, 4, 7, 7]);
    expect(result.imageShape).toEqual([10, 1, 28, 28]);
    const readings = await runtime.classifier.read(result.image!);
    const read = readings.map((reading) => reading.digit);
    const right = read.filter((digit, i) => digit === labels[i]).length;
    expect(right, `read ${read.join(',')}`).toBeGreaterThanOrEqual(9);

    // The same chain in Node: core's LCMScheduler and loop, every UNet call and the decode on
    // onnxruntime-node with the same files.
    const manifest = (await commands.readDefaultManifest('mnist-lcm')) as ModelManifest;
    const scheduler = schedulerForSampling(
      manifest.scheduler as SchedulerConfigJson,
      manifest.sampling,
      undefined,
      4,
    );
    const chain = await sampleGuided({
      scheduler,
      itemShape: [4, 7, 7],
      labels,
      nullLabel: 10,
      guidanceScale: 3,
      guidanceInput: true,
      noise: new NormalGenerator(11),
      predict: async ({ sample, timesteps, labels: classLabels, batch, guidanceScales }) => {
        expect(guidanceScales).toBeDefined();
        const out = await commands.ortNodeRun('mnist-lcm', 'unet.onnx', {
          sample: tensor('float32', [batch, 4, 7, 7], sample),
          timestep: tensor('float32', [batch], timesteps),
          class_label: tensor('int64', [batch], Array.from(classLabels, Number)),
          guidance_scale: tensor('float32', [batch], guidanceScales!),
        });
        return Float32Array.from(out.noise_pred!.data);
      },
    });
    expectClose(result.sample, chain.sample, 1e-3, 'final latents');
    const scale = (manifest.sampling!['latent'] as { scaling_factor: number }).scaling_factor;
    const decoded = await commands.ortNodeRun('mnist-autoencoder', 'decoder.onnx', {
      latent: tensor(
        'float32',
        [10, 4, 7, 7],
        chain.sample.map((value) => value / scale),
      ),
    });
    expectClose(result.image!, decoded.image!.data, 1e-3, 'decoded digits');
  });

  test('a guidance scale changes the digit it draws (it reaches the network)', async () => {
    const options = { model: 'mnist-lcm', classLabel: 4, steps: 2, seed: 5 } as const;
    const weak = await runtime.diffusion.sample({ ...options, guidanceScale: 1 });
    const strong = await runtime.diffusion.sample({ ...options, guidanceScale: 8 });
    expect(weak.evaluations).toBe(2);
    let difference = 0;
    for (let i = 0; i < weak.sample.length; i++)
      difference += Math.abs(weak.sample[i]! - strong.sample[i]!);
    expect(difference / weak.sample.length).toBeGreaterThan(1e-3);
    // noiseSeed changes only the fresh noise between steps: the first step is the same.
    const first = async (noiseSeed: number | undefined) => {
      let step: DiffusionStep | undefined;
      const result = await runtime.diffusion.sample({
        ...options,
        guidanceScale: 3,
        noiseSeed,
        onStep: (s) => void (s.index === 0 ? (step = s) : undefined),
      });
      return { step: step!, sample: result.sample };
    };
    const [plain, other] = [await first(undefined), await first(77)];
    expect(other.step.predictedOriginal).toEqual(plain.step.predictedOriginal);
    expect(other.sample).not.toEqual(plain.sample);
    await expectCode(
      runtime.diffusion.sample({ ...options, guidanceScale: 3, noiseSeed: -1 }),
      'invalid-argument',
    );
  });
});

describe('diffusion with the SDE sampler', () => {
  test("DPM-Solver++ SDE draws the run seed's Brownian tree: the same seed repeats and the digits read as asked", async () => {
    const classLabels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const sample = (seed: number, labels: number[], steps: number) =>
      runtime.diffusion.sample({
        scheduler: 'dpmsolver-sde',
        steps,
        seed,
        classLabels: labels,
        guidanceScale: 3,
      });
    const first = await sample(4, classLabels, 10);
    expect(first.evaluations).toBe(19);
    const short = await sample(4, [3], 3);
    expect((await sample(4, [3], 3)).sample).toEqual(short.sample);
    expect((await sample(5, [3], 3)).sample).not.toEqual(short.sample);
    const readings = await runtime.classifier.read(first.sample, { range: 'minus-one-to-one' });
    const right = readings.filter((reading, n) => reading.digit === classLabels[n]).length;
    expect(right).toBeGreaterThanOrEqual(8);
  });
});

describe('forward process', () => {
  test('x_t from one noise draw: t=0 is the image, t=1000 is nearly pure noise', async () => {
    const image = new Float32Array(784).fill(-1);
    const { samples, noise, snr } = await runtime.diffusion.forward({
      image,
      timesteps: [0, 500, 1000],
      seed: 1,
    });
    expect(samples[0]).toEqual(image);
    expect(snr[1]).toBeGreaterThan(snr[2]!);
    const last = samples[2]!;
    let correlation = 0;
    for (let i = 0; i < 784; i++) correlation += last[i]! * noise[i]!;
    expect(correlation / 784).toBeGreaterThan(0.95);
  });
});

describe('long runs, errors and the worker', () => {
  test('abort stops a 1000-step DDPM run within one step', async () => {
    const controller = new AbortController();
    let seen = 0;
    let abortedAt = -1;
    const run = runtime.diffusion.sample({
      scheduler: 'ddpm',
      steps: 1000,
      classLabel: 1,
      guidanceScale: 3,
      signal: controller.signal,
      onStep: () => {
        seen += 1;
        if (seen === 3) {
          abortedAt = seen;
          controller.abort();
        }
      },
    });
    await expectCode(run, 'aborted');
    // Still usable afterwards. The worker answers in order, so once this answer is here, any
    // step it streamed after the abort has arrived too (no wall-clock wait).
    const probabilities = await runtime.classifier.classify(new Float32Array(784));
    expect(probabilities).toHaveLength(10);
    expect(seen - abortedAt).toBeLessThanOrEqual(1);
  });

  test('a pending promise from onStep pauses the loop, after at most one step computed ahead', async () => {
    // The worker computes step k+1 while the page handles step k, then waits for the page's
    // answer before streaming. Holding step 0 for `holdMs` must show in step 2's worker clock
    // (the loop was held) but not in step 1's (it was computed during the hold).
    // Long beside one step, even on a loaded machine.
    const holdMs = 5000;
    const steps: DiffusionStep[] = [];
    const result = await runtime.diffusion.sample({
      scheduler: 'ddim',
      steps: 4,
      classLabel: 2,
      guidanceScale: 3,
      onStep: (step) => {
        steps.push(step);
        if (step.index === 0) return new Promise((resolve) => setTimeout(resolve, holdMs));
        return undefined;
      },
    });
    expect(steps.map((step) => step.index)).toEqual([0, 1, 2, 3]);
    expect(steps.map((step) => step.evaluations)).toEqual([1, 2, 3, 4]);
    expect(result.evaluations).toBe(4);
    expect(steps[1]!.elapsedMs - steps[0]!.elapsedMs).toBeLessThan(holdMs);
    expect(steps[2]!.elapsedMs - steps[0]!.elapsedMs).toBeGreaterThanOrEqual(holdMs);
  });

  describe('broken models give their error code and leave the runtime usable', () => {
    let manifest: ModelManifest;
    let fileUrl: string;
    beforeAll(async () => {
      manifest = (await commands.readDefaultManifest('mnist-classifier')) as ModelManifest;
      fileUrl = new URL(
        manifest.networks.classifier!.variants[0]!.file,
        runtime.resolveModel('mnist-classifier'),
      ).href;
    });
    const manifestBlob = (patch: (variant: { file: string; sha256: string }) => void) => {
      // A plain JSON copy to break on purpose (the manifest types are read-only).
      const copy = structuredClone(manifest) as unknown as {
        id: string;
        networks: Record<string, { variants: Array<{ file: string; sha256: string }> }>;
      };
      copy.id = `broken-${Math.random()}`;
      const variant = copy.networks.classifier!.variants[0]!;
      variant.file = fileUrl;
      patch(variant);
      copy.networks.classifier!.variants = [variant];
      return URL.createObjectURL(new Blob([JSON.stringify(copy)], { type: 'application/json' }));
    };

    test('a wrong sha256 is an integrity-mismatch', async () => {
      const model = manifestBlob((variant) => (variant.sha256 = '0'.repeat(64)));
      const error = await expectCode(
        runtime.classifier.classify(new Float32Array(784), { model }),
        'integrity-mismatch',
      );
      expect(error.message).toContain('classifier.onnx');
    });

    test('a missing file is model-not-found, and so is a missing manifest', async () => {
      // A file whose hash is cached is never fetched again: empty the cache to reach the server.
      await clearModelCache();
      const model = manifestBlob(
        (variant) => (variant.file = fileUrl.replace('classifier.onnx', 'nope.onnx')),
      );
      await expectCode(
        runtime.classifier.classify(new Float32Array(784), { model }),
        'model-not-found',
      );
      await expectCode(
        runtime.classifier.classify(new Float32Array(784), { model: '/no/such/manifest.json' }),
        'model-not-found',
      );
    });

    test('a corrupted file is an integrity-mismatch and is never run', async () => {
      const bytes = new Uint8Array(await (await fetch(fileUrl)).arrayBuffer());
      bytes[bytes.length >> 1] ^= 0xff;
      const corrupted = URL.createObjectURL(new Blob([bytes]));
      await clearModelCache();
      const model = manifestBlob((variant) => (variant.file = corrupted));
      await expectCode(
        runtime.classifier.classify(new Float32Array(784), { model }),
        'integrity-mismatch',
      );
    });

    test('bad arguments are invalid-argument', async () => {
      await expectCode(runtime.classifier.classify(new Float32Array(100)), 'invalid-argument');
      await expectCode(runtime.diffusion.sample({ steps: 0 }), 'invalid-argument');
      await expectCode(
        runtime.diffusion.sample({ scheduler: 'nope', steps: 5 }),
        'invalid-argument',
      );
    });

    afterAll(async () => {
      expect(await runtime.classifier.classify(new Float32Array(784))).toHaveLength(10);
    });
  });

  test('a GPU device lost mid-session: the call still completes, on WASM', async () => {
    const own = new GenvizRuntime({ device: 'webgpu' });
    try {
      const { images, labels } = await heldOutDigits(2);
      const before = await own.classifier.classify(images);
      expect(await own.simulateGpuDeviceLoss()).toBe(true);
      const after = await own.classifier.classify(images);
      expectClose(after, before, 2e-3, 'probabilities before and after the loss');
      expect(Array.from(after.subarray(0, 10)).indexOf(Math.max(...after.subarray(0, 10)))).toBe(
        labels[0],
      );
      const loaded = await own.load('mnist-classifier');
      expect(loaded.choice.device).toBe('wasm');
      expect(loaded.choice.reason).toMatch(/lost/);
    } finally {
      own.terminate();
    }
  });

  test('two callers asking for one model share one session', async () => {
    const own = new GenvizRuntime();
    try {
      const before = (await own.stats()).sessionsCreated;
      const latents = new Float32Array(2);
      await Promise.all([
        own.vae.decode(latents),
        own.vae.decode(latents),
        own.vae.decode(latents),
      ]);
      expect((await own.stats()).sessionsCreated - before).toBe(1);
    } finally {
      own.terminate();
    }
  });

  test('load with networks opens only those; the others open on their first run', async () => {
    const own = new GenvizRuntime();
    try {
      const before = (await own.stats()).sessionsCreated;
      const loaded = await own.load('mnist-vae', { networks: ['decoder'] });
      expect(Object.keys(loaded.timings!)).toEqual(['decoder']);
      expect((await own.stats()).sessionsCreated - before).toBe(1);
      await own.vae.decode(new Float32Array(2));
      expect((await own.stats()).sessionsCreated - before).toBe(1);
      // The encoder was not opened: its first run opens the second session.
      await own.vae.encode(new Float32Array(784));
      expect((await own.stats()).sessionsCreated - before).toBe(2);
      const refused = await expectCode(
        own.load('mnist-vae', { networks: ['decoder', 'unet'] }),
        'invalid-argument',
      );
      expect(refused.message).toBe(
        'The model mnist-vae has no unet network; its networks are encoder, decoder.',
      );
    } finally {
      own.terminate();
    }
  });

  test('a worker killed mid-run fails that call and is restarted on the next', async () => {
    const own = new GenvizRuntime();
    const run = own.diffusion.sample({
      scheduler: 'ddpm',
      steps: 1000,
      onStep: () => own.terminate(),
    });
    await expectCode(run, 'worker-crashed');
    expect(own.running).toBe(false);
    const probabilities = await own.classifier.classify(new Float32Array(784));
    expect(probabilities).toHaveLength(10);
    expect(own.running).toBe(true);
    own.terminate();
  });
});
