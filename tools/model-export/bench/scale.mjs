// Scale check: converts a synthetic checkpoint of a few hundred MB (generated here, in bench/out/,
// not committed) and reports peak memory, to show that conversion holds about one tensor of the
// checkpoint beyond what it writes, and that external data works.
//
//   cd tools/model-export && npx tsc -p tsconfig.json && node bench/scale.mjs [megabytes=400]
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertNetwork, expectedWeights, writeSafetensors } from '../dist/index.js';

const targetMegabytes = Number(process.argv[2] ?? 400);
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
await rm(outDir, { recursive: true, force: true });
const modelDir = join(outDir, 'big-unet');
await mkdir(modelDir, { recursive: true });

// The conditional UNet of mnist-ddpm, widened until the checkpoint reaches the target: many
// tensors of tens of MB, so "one tensor at a time" shows against "the whole checkpoint".
const unetConfig = (base) => ({
  id: 'big-unet',
  task: 'diffusion',
  architecture: {
    type: 'conditional-unet',
    in_channels: 1,
    out_channels: 1,
    image_size: 28,
    channels: [base, 2 * base, 4 * base],
    mid_blocks: 2,
    embedding_dim: 4 * base,
    time_embedding_dim: 64,
    max_period: 10000,
    groups: 8,
    group_norm_eps: 1e-5,
    num_classes: 10,
  },
  networks: {
    unet: {
      weights: 'unet.safetensors',
      inputs: [
        { name: 'sample', dtype: 'float32', shape: ['batch', 1, 28, 28] },
        { name: 'timestep', dtype: 'float32', shape: ['batch'] },
        { name: 'class_label', dtype: 'int64', shape: ['batch'] },
      ],
      outputs: [{ name: 'noise_pred', dtype: 'float32', shape: ['batch', 1, 28, 28] }],
    },
  },
});
const bytesOf = (shapes) =>
  [...shapes.values()].reduce((sum, s) => sum + s.reduce((p, d) => p * d, 1) * 4, 0);
const probe = bytesOf(expectedWeights(unetConfig(64), 'unet'));
const base = Math.max(8, Math.round((64 * Math.sqrt((targetMegabytes * 2 ** 20) / probe)) / 8) * 8);
const config = unetConfig(base);
await writeFile(join(modelDir, 'config.json'), JSON.stringify(config));
const shapes = expectedWeights(config, 'unet');
await writeSafetensors(
  join(modelDir, 'unet.safetensors'),
  [...shapes.entries()].map(([name, shape]) => ({
    name,
    dtype: 'F32',
    shape,
    // Made when written, so generating the file does not hold it all either.
    data: () =>
      new Uint8Array(
        new Float32Array(shape.reduce((p, d) => p * d, 1)).fill(
          name.endsWith('running_var') ? 1 : 0.01,
        ).buffer,
      ),
  })),
);
const checkpointBytes = (await stat(join(modelDir, 'unet.safetensors'))).size;
const largestTensorBytes = Math.max(
  ...[...shapes.values()].map((s) => s.reduce((p, d) => p * d, 1) * 4),
);

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const baseline = process.memoryUsage().rss;
let peakRss = baseline;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 5);

for (const externalData of ['never', 'always']) {
  const started = performance.now();
  const outPath = join(outDir, `unet-${externalData}.onnx`);
  const result = await convertNetwork({
    modelDir,
    config,
    network: 'unet',
    outPath,
    write: { externalData },
  });
  process.stdout.write(
    `convert (external data: ${externalData}): ${mb(result.bytes)} written in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
clearInterval(sampler);
const maxRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  [
    `checkpoint: ${mb(checkpointBytes)} (largest tensor ${mb(largestTensorBytes)})`,
    `rss before converting: ${mb(baseline)}`,
    `peak rss while converting (sampled): ${mb(peakRss)}  -> ${mb(peakRss - baseline)} above the baseline`,
    `maxRSS (getrusage, whole process incl. generating the checkpoint): ${mb(maxRss)}`,
    `a reader that loads the whole checkpoint and then encodes would need about ${mb(2 * checkpointBytes)} above the baseline`,
    '',
  ].join('\n'),
);
await rm(outDir, { recursive: true, force: true });
