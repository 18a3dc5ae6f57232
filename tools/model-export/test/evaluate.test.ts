import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '@genviz/core';
import { EVALUATED_MODELS, evaluateCommand } from '../src/evaluate/command.js';
import type { EvaluationReport } from '../src/evaluate/command.js';
import {
  classHistogram,
  entropyBits,
  judgeLogits,
  klPerImage,
  meanPairwiseDistance,
  minusOneToUnitInPlace,
  reconstructionErrors,
} from '../src/evaluate/metrics.js';
import { alignColumns, formatReport } from '../src/evaluate/report.js';
import { silentReporter } from '../src/reporter.js';
import { temporaryDir } from './fixtures.js';

describe('evaluate metrics', () => {
  it('judges logits with a softmax: argmax and its probability', () => {
    const { predicted, confidence } = judgeLogits(
      Float32Array.from([0, 0, Math.log(8), 5, 5, 5]),
      3,
    );
    expect([...predicted]).toEqual([2, 0]);
    expect(confidence[0]).toBeCloseTo(0.8, 6);
    expect(confidence[1]).toBeCloseTo(1 / 3, 6);
  });

  it('measures class entropy in bits', () => {
    expect(entropyBits([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])).toBeCloseTo(
      Math.log2(10),
      12,
    );
    expect(entropyBits([0, 0, 1000, 0])).toBe(0);
    expect(entropyBits([1, 1, 0, 0])).toBeCloseTo(1, 12);
    expect(classHistogram(Uint8Array.from([0, 2, 2, 9]), 10)).toEqual([
      1, 0, 2, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  it('computes mean pairwise L2 like the direct sum', () => {
    const pixels = 3;
    const images = Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 1]);
    const direct = (1 + Math.sqrt(2) + Math.sqrt(3)) / 3;
    expect(meanPairwiseDistance(images, pixels)).toBeCloseTo(direct, 6);
    expect(meanPairwiseDistance(Float32Array.from([1, 2, 3]), pixels)).toBeNaN();
  });

  it('sums BCE and MSE per image (log clamped at -100 as PyTorch does) and KL per image', () => {
    const { bcePerImage, msePerImage } = reconstructionErrors(
      Float32Array.from([0.5, 1, 0.5, 0]),
      Float32Array.from([1, 0, 0, 0]),
      2,
    );
    expect(bcePerImage).toBeCloseTo((Math.log(2) + 100 + Math.log(2)) / 2, 6);
    expect(msePerImage).toBeCloseTo((0.25 + 1 + 0.25) / 2, 6);
    expect(
      klPerImage(Float32Array.from([0, 0, 1, 0]), Float32Array.from([0, 0, 0, 0]), 2),
    ).toBeCloseTo(0.25, 12);
  });

  it('maps [-1, 1] to [0, 1] with clamping', () => {
    expect([...minusOneToUnitInPlace(Float32Array.from([-1.5, -1, 0, 1, 2]))]).toEqual([
      0, 0, 0.5, 1, 1,
    ]);
  });

  it('aligns text columns, numbers to the right', () => {
    expect(
      alignColumns([
        ['name', 'value'],
        ['a', '1.5'],
        ['longer', '10.25'],
      ]),
    ).toBe('name    value\n------  -----\na         1.5\nlonger  10.25');
  });
});

/**
 * End to end on the built assets (packages/models/assets, or GENVIZ_EVALUATE_ASSETS): a tiny run
 * (20 samples, DDIM-10) that checks every row and the ranges of the figures. The models issue's
 * targets are asserted only where the trained checkpoints are in models/ (random-weight parity
 * builds have the same layout and chance-level figures).
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const assetsDir = process.env['GENVIZ_EVALUATE_ASSETS'] ?? join(repoRoot, 'packages/models/assets');
const hasManifest = (id: string): boolean => existsSync(join(assetsDir, id, 'manifest.json'));
// Latent diffusion (mnist-ldm with its mnist-autoencoder) is checked when the build has it.
const latentPresent = hasManifest('mnist-ldm') && hasManifest('mnist-autoencoder');
// The distilled consistency model (mnist-lcm) likewise, when the build has it.
const consistencyPresent = latentPresent && hasManifest('mnist-lcm');
const assetsPresent =
  EVALUATED_MODELS.every((id) => id === 'mnist-ldm' || id === 'mnist-lcm' || hasManifest(id)) &&
  hasManifest('mnist-data');
const trained = existsSync(join(repoRoot, 'models/mnist-classifier/classifier.safetensors'));
if (!assetsPresent) {
  console.warn(
    `evaluate.test.ts: skipping the end-to-end run: no built assets in ${assetsDir} (run npm run build -w @genviz/models, or set GENVIZ_EVALUATE_ASSETS)`,
  );
}

describe.skipIf(!assetsPresent)(`evaluate on ${assetsDir}`, () => {
  it('prints one row per model and sampler, and writes the figures as JSON', async () => {
    const jsonPath = join(await temporaryDir(), 'figures.json');
    const printed: string[] = [];
    const code = await evaluateCommand(
      { assets: assetsDir, samples: '20', steps: '10', json: jsonPath },
      silentReporter,
      (text) => printed.push(text),
    );
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(jsonPath, 'utf8')) as EvaluationReport;
    const text = printed.join('\n');
    expect(text).toBe(formatReport(report));

    expect(report.comparison.map((row) => `${row.model} ${row.method}`)).toEqual([
      'mnist-vae N(0,I) -> decoder',
      'mnist-dcgan N(0,I) -> generator',
      'mnist-dcgan-collapsed N(0,I) -> generator',
      'mnist-ddpm DDIM-10 g=3, digits 0-9',
      'mnist-ddpm DDIM-10 null label',
      'mnist-ddpm DPM-Solver++-20 g=3, digits 0-9',
      ...(latentPresent
        ? ['mnist-ldm latent DDIM-10 g=3, digits 0-9', 'mnist-ldm latent DDIM-10 null label']
        : []),
      // Not --steps: the consistency model is judged at 1, 2, 4 and 8 steps, null at 4.
      ...(consistencyPresent
        ? [
            'mnist-lcm latent LCM-1 g=3, digits 0-9',
            'mnist-lcm latent LCM-2 g=3, digits 0-9',
            'mnist-lcm latent LCM-4 g=3, digits 0-9',
            'mnist-lcm latent LCM-8 g=3, digits 0-9',
            'mnist-lcm latent LCM-4 null label',
          ]
        : []),
    ]);
    // One UNet call per step: the guidance scale is an input, never the batch-2 call.
    for (const row of report.comparison.filter((r) => r.model === 'mnist-lcm'))
      expect(row.batching).toBe('20 images, UNet batch 20, then decoded');
    // The files judged, by sha256, so a kept copy of the figures can be checked against them.
    const dcgan = JSON.parse(
      await readFile(join(assetsDir, 'mnist-dcgan', 'manifest.json'), 'utf8'),
    ) as ModelManifest;
    const discriminator = dcgan.networks['discriminator']!.variants.find(
      (v) => v.dtype === 'fp32',
    )!;
    expect(report.files['mnist-dcgan']![discriminator.file]).toBe(discriminator.sha256);
    expect(Object.keys(report.files['mnist-dcgan']!).every((file) => !file.includes('_'))).toBe(
      true,
    );
    for (const row of report.comparison) {
      expect(text).toContain(row.method);
      expect(row.samples).toBe(20);
      expect(row.classHistogram.reduce((a, b) => a + b, 0)).toBe(20);
      expect(row.meanConfidence).toBeGreaterThanOrEqual(0.1);
      expect(row.meanConfidence).toBeLessThanOrEqual(1);
      expect(row.confidentShare).toBeGreaterThanOrEqual(0);
      expect(row.confidentShare).toBeLessThanOrEqual(1);
      expect(row.classEntropyBits).toBeGreaterThanOrEqual(0);
      expect(row.classEntropyBits).toBeLessThanOrEqual(Math.log2(10) + 1e-9);
      expect(row.meanPairwiseL2).toBeGreaterThanOrEqual(0);
      expect(row.meanPairwiseL2).toBeLessThanOrEqual(28);
      expect(row.msPerImage).toBeGreaterThan(0);
      expect(row.oneImageMs).toBeGreaterThan(0);
    }
    expect(report.targets.map((t) => `${t.model} ${t.metric}`)).toEqual([
      'mnist-classifier held-out accuracy',
      'mnist-dcgan share confident >= 0.9',
      'mnist-dcgan class entropy (bits)',
      'mnist-dcgan-collapsed class entropy (bits)',
      'mnist-ddpm asked digit (DDIM-10 g=3, digits 0-9)',
      'mnist-ddpm class entropy (bits), DDIM-10 null label',
      ...(latentPresent
        ? [
            'mnist-ldm asked digit (latent DDIM-10 g=3, digits 0-9)',
            'mnist-ldm class entropy (bits), latent DDIM-10 null label',
          ]
        : []),
      ...(consistencyPresent
        ? [
            'mnist-lcm asked digit (latent LCM-1 g=3, digits 0-9)',
            'mnist-lcm asked digit (latent LCM-2 g=3, digits 0-9)',
            'mnist-lcm asked digit (latent LCM-4 g=3, digits 0-9)',
            'mnist-lcm class entropy (bits), latent LCM-4 null label',
          ]
        : []),
    ]);
    expect(text).toMatch(/Targets \(models issue\): \d+ pass, \d+ fail/);

    const [classifier] = report.classifier;
    expect(classifier?.perClassAccuracy).toHaveLength(10);
    if (trained) expect(classifier?.heldoutAccuracy).toBeGreaterThanOrEqual(0.985);
    else expect(classifier?.heldoutAccuracy).toBeGreaterThanOrEqual(0);
    const [vae] = report.vae;
    expect(vae?.bcePerImage).toBeGreaterThan(0);
    expect(vae?.msePerImage).toBeGreaterThan(0);
    expect(vae?.klPerImage).toBeGreaterThanOrEqual(0);
    if (trained) expect(vae?.msePerImage).toBeLessThan(784 / 10);
  }, 300_000);

  it.skipIf(!trained)(
    "meets the models issue's GAN targets on 1,000 samples of the shipped checkpoints",
    async () => {
      const jsonPath = join(await temporaryDir(), 'gan.json');
      await evaluateCommand(
        {
          assets: assetsDir,
          only: 'mnist-dcgan,mnist-dcgan-collapsed',
          samples: '1000',
          json: jsonPath,
        },
        silentReporter,
        () => {},
      );
      const report = JSON.parse(await readFile(jsonPath, 'utf8')) as EvaluationReport;
      const byMetric = new Map(report.targets.map((t) => [`${t.model} ${t.metric}`, t]));
      expect(byMetric.get('mnist-dcgan share confident >= 0.9')?.value).toBeGreaterThanOrEqual(0.8);
      expect(byMetric.get('mnist-dcgan class entropy (bits)')?.value).toBeGreaterThanOrEqual(3.1);
      expect(byMetric.get('mnist-dcgan-collapsed class entropy (bits)')?.value).toBeLessThanOrEqual(
        1.5,
      );
      expect(report.targets.every((t) => t.passed)).toBe(true);
    },
    300_000,
  );

  it.skipIf(!trained || !consistencyPresent)(
    'judges the consistency model against its bars on 1,000 samples: asked digit at 1, 2 and 4 steps, null-label entropy at 4',
    async () => {
      const jsonPath = join(await temporaryDir(), 'lcm.json');
      await evaluateCommand(
        { assets: assetsDir, only: 'mnist-lcm', samples: '1000', json: jsonPath },
        silentReporter,
        () => {},
      );
      const report = JSON.parse(await readFile(jsonPath, 'utf8')) as EvaluationReport;
      const byMetric = new Map(report.targets.map((t) => [t.metric, t]));
      expect(byMetric.get('asked digit (latent LCM-1 g=3, digits 0-9)')?.threshold).toBe(0.8);
      expect(byMetric.get('asked digit (latent LCM-2 g=3, digits 0-9)')?.threshold).toBe(0.9);
      expect(byMetric.get('asked digit (latent LCM-4 g=3, digits 0-9)')?.threshold).toBe(0.95);
      expect(byMetric.get('class entropy (bits), latent LCM-4 null label')?.threshold).toBe(3.2);
      expect(report.targets).toHaveLength(4);
      // The shipped checkpoint misses the 1-step bar (75.5%: models/mnist-lcm/README.md); the
      // others it meets, and must keep meeting.
      expect(report.targets.filter((t) => !t.passed).map((t) => t.metric)).toEqual([
        'asked digit (latent LCM-1 g=3, digits 0-9)',
      ]);
    },
    300_000,
  );

  it('rejects unknown dtypes and model ids with one clear message', async () => {
    await expect(
      evaluateCommand({ assets: assetsDir, dtype: 'fp8' }, silentReporter, () => {}),
    ).rejects.toThrow('unknown dtype "fp8"');
    await expect(
      evaluateCommand({ assets: assetsDir, only: 'mnist-gpt' }, silentReporter, () => {}),
    ).rejects.toThrow('unknown model "mnist-gpt"');
    await expect(
      evaluateCommand({ assets: assetsDir, samples: 'many' }, silentReporter, () => {}),
    ).rejects.toThrow('--samples needs a positive integer');
  });
});
