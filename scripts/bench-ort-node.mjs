// The default models on onnxruntime-node (CPU, this machine), for comparison with the browser:
// the same files, inputs and schedulers. Prints a table and writes bench-results/ort-node.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { NormalGenerator, applyGuidance, createScheduler } from '@genviz/core';

const root = resolve(import.meta.dirname, '..');
const assets = join(root, 'packages/models/assets');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const rows = [];

async function session(id, file) {
  return ort.InferenceSession.create(join(assets, id, file), options);
}
function normals(count, seed) {
  const values = new Float32Array(count);
  new NormalGenerator(seed).fill(values);
  return values;
}
async function p50(repeats, body) {
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await body();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const decoder = await session('mnist-vae', 'decoder.onnx');
for (const batch of [1, 64]) {
  const latent = new ort.Tensor('float32', normals(batch * 2, batch), [batch, 2]);
  await decoder.run({ latent });
  rows.push({
    metric: `VAE decode, batch ${batch} (p50)`,
    value: await p50(50, () => decoder.run({ latent })),
    unit: 'ms',
  });
}
const ganManifest = JSON.parse(await readFile(join(assets, 'mnist-dcgan/manifest.json'), 'utf8'));
const latentSize = ganManifest.networks.generator.inputs[0].shape[1];
const generator = await session('mnist-dcgan', 'generator.onnx');
for (const batch of [1, 64]) {
  const latent = new ort.Tensor('float32', normals(batch * latentSize, batch), [batch, latentSize]);
  await generator.run({ latent });
  rows.push({
    metric: `GAN generate, batch ${batch} (p50)`,
    value: await p50(50, () => generator.run({ latent })),
    unit: 'ms',
  });
}
const ddpmManifest = JSON.parse(await readFile(join(assets, 'mnist-ddpm/manifest.json'), 'utf8'));
const unet = await session('mnist-ddpm', 'unet.onnx');
async function sample(name, steps) {
  const scheduler = createScheduler(ddpmManifest.scheduler, { name });
  scheduler.setTimesteps(steps);
  const rng = new NormalGenerator(11);
  const sampleValues = new Float32Array(784);
  rng.fill(sampleValues);
  for (let i = 0; i < 784; i++) sampleValues[i] *= scheduler.initNoiseSigma;
  const input = new Float32Array(2 * 784);
  const noise = new Float32Array(784);
  const labels = new ort.Tensor('int64', BigInt64Array.from([10n, 7n]), [2]);
  const started = performance.now();
  for (const t of scheduler.timesteps) {
    scheduler.scaleModelInput(input.subarray(0, 784), sampleValues, t);
    input.copyWithin(784, 0, 784);
    const { noise_pred } = await unet.run({
      sample: new ort.Tensor('float32', input, [2, 1, 28, 28]),
      timestep: new ort.Tensor('float32', Float32Array.from([t, t]), [2]),
      class_label: labels,
    });
    applyGuidance(noise, noise_pred.data.subarray(0, 784), noise_pred.data.subarray(784), 3);
    scheduler.step(noise, t, sampleValues, { prevSample: sampleValues }, rng);
  }
  return performance.now() - started;
}
await sample('ddim', 5);
rows.push({
  metric: 'UNet step with guidance, batch 2 (mean of DDIM-50)',
  value: (await sample('ddim', 50)) / 50,
  unit: 'ms',
});
for (const [name, steps] of [
  ['ddpm', 1000],
  ['ddim', 50],
  ['dpmsolver++', 20],
]) {
  rows.push({
    metric: `full sample, ${name}-${steps}, guidance 3`,
    value: await sample(name, steps),
    unit: 'ms',
  });
}

// The distilled consistency model: 4 LCM steps, one UNet call each with the guidance scale as an
// input, then mnist-autoencoder's decoder (what the live view draws at every input).
{
  const lcmManifest = JSON.parse(await readFile(join(assets, 'mnist-lcm/manifest.json'), 'utf8'));
  const lcmUnet = await session('mnist-lcm', 'unet.onnx');
  const latentDecoder = await session('mnist-autoencoder', 'decoder.onnx');
  const { shape, scaling_factor: scale } = lcmManifest.sampling.latent;
  const size = shape.reduce((a, b) => a * b, 1);
  const digit = async () => {
    const scheduler = createScheduler(lcmManifest.scheduler, { name: 'lcm' });
    scheduler.setTimesteps(4);
    const rng = new NormalGenerator(11);
    const x = new Float32Array(size);
    rng.fill(x);
    const labels = new ort.Tensor('int64', BigInt64Array.from([7n]), [1]);
    const guidance = new ort.Tensor('float32', Float32Array.from([3]), [1]);
    for (const t of scheduler.timesteps) {
      const { noise_pred } = await lcmUnet.run({
        sample: new ort.Tensor('float32', x.slice(), [1, ...shape]),
        timestep: new ort.Tensor('float32', Float32Array.from([t]), [1]),
        class_label: labels,
        guidance_scale: guidance,
      });
      scheduler.step(noise_pred.data, t, x, { prevSample: x }, rng);
    }
    return latentDecoder.run({
      latent: new ort.Tensor(
        'float32',
        x.map((value) => value / scale),
        [1, ...shape],
      ),
    });
  };
  await digit();
  rows.push({
    metric: 'consistency 4 steps, guidance 3 as an input, plus decode (p50)',
    value: await p50(30, digit),
    unit: 'ms',
  });
}

await mkdir(join(root, 'bench-results'), { recursive: true });
await writeFile(
  join(root, 'bench-results/ort-node.json'),
  `${JSON.stringify({ threads, rows }, null, 2)}\n`,
);
console.log(`\nonnxruntime-node ${ort.env.versions.node}, ${threads} thread(s), CPU`);
for (const row of rows)
  console.log(
    `  ${row.metric.padEnd(64)} ${row.value.toFixed(row.value < 10 ? 2 : 0).padStart(8)} ${row.unit}`,
  );
