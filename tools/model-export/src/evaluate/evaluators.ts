import { NormalGenerator } from '@genviz/core';
import type { ModelDtype } from '../dtypes.js';
import { ExportError } from '../errors.js';
import type { ModelManifest } from '@genviz/core';
import type { Reporter } from '../reporter.js';
import { findVariant, openVariant } from './assets.js';
import type { EvaluatedNetwork, HeldoutDigits } from './assets.js';
import {
  PIXELS,
  accuracy,
  classHistogram,
  concatJudgements,
  entropyBits,
  judgeLogits,
  klPerImage,
  mean,
  meanPairwiseDistance,
  median,
  minusOneToUnitInPlace,
  reconstructionErrors,
  shareAtLeast,
} from './metrics.js';
import type { Judgement } from './metrics.js';
import { CONFIDENCE_THRESHOLD } from './report.js';
import type {
  ClassifierFigures,
  ComparisonRow,
  SampleFigures,
  SnapshotFigures,
  VaeFigures,
} from './report.js';

/** Fixed seeds (NormalGenerator), so reruns print the same figures. */
export const SEEDS = Object.freeze({
  vaePrior: 1,
  gan: 2024,
  diffusionGuided: 0,
  diffusionNull: 1,
});

/** GAN and VAE grids are drawn 64 at a time by the elements. */
export const IMAGE_BATCH = 64;
/** Diffusion images per batch in the evaluation: with guidance the UNet sees twice as many. */
export const DIFFUSION_BATCH = 100;
const JUDGE_BATCH = 250;
const LATENCY_REPEATS = 5;

export interface EvaluationContext {
  readonly assetsDir: string;
  readonly judge: Judge;
  readonly heldout: HeldoutDigits;
  readonly samples: number;
  /** onnxruntime intra-op threads per session (1 unless --threads). */
  readonly threads: number;
  readonly reporter: Reporter;
}

/** The fp32 classifier as the judge of every generated digit. */
export class Judge {
  constructor(
    private readonly classifier: EvaluatedNetwork,
    private readonly inputName: string,
    readonly classes: number,
  ) {}

  /** images: [N, 1, 28, 28] in [0, 1]. */
  async judge(images: Float32Array): Promise<Judgement> {
    const count = images.length / PIXELS;
    const parts: Judgement[] = [];
    for (let start = 0; start < count; start += JUDGE_BATCH) {
      const size = Math.min(JUDGE_BATCH, count - start);
      const logits = await this.classifier.runSingle({
        [this.inputName]: {
          data: images.slice(start * PIXELS, (start + size) * PIXELS),
          shape: [size, 1, 28, 28],
        },
      });
      parts.push(judgeLogits(logits, this.classes));
    }
    return concatJudgements(parts);
  }
}

export async function openJudge(
  assetsDir: string,
  manifest: ModelManifest,
  threads = 1,
): Promise<Judge> {
  const variant = findVariant(manifest, 'classifier', 'fp32');
  if (variant === undefined)
    throw new ExportError(`${manifest.id}: no fp32 classifier variant to judge with`);
  const network = manifest.networks['classifier']!;
  const classes = Number(network.outputs[0]?.shape[1] ?? manifest.labels?.length ?? 10);
  return new Judge(
    await openVariant(assetsDir, manifest, variant, threads),
    network.inputs[0]!.name,
    classes,
  );
}

export async function sampleFigures(
  judge: Judge,
  images: Float32Array,
): Promise<{ figures: SampleFigures; judgement: Judgement }> {
  const judgement = await judge.judge(images);
  const histogram = classHistogram(judgement.predicted, judge.classes);
  return {
    judgement,
    figures: {
      samples: judgement.predicted.length,
      meanConfidence: mean(judgement.confidence),
      confidentShare: shareAtLeast(judgement.confidence, CONFIDENCE_THRESHOLD),
      classEntropyBits: entropyBits(histogram),
      classHistogram: histogram,
      meanPairwiseL2: meanPairwiseDistance(images),
    },
  };
}

export function inputName(manifest: ModelManifest, network: string, index = 0): string {
  const name = manifest.networks[network]?.inputs[index]?.name;
  if (name === undefined)
    throw new ExportError(
      `${manifest.id}: network "${network}" has no input ${index} in its manifest`,
    );
  return name;
}

function latentDim(manifest: ModelManifest, network: string): number {
  const dim = manifest.networks[network]?.inputs[0]?.shape[1];
  if (typeof dim !== 'number')
    throw new ExportError(
      `${manifest.id}: network "${network}" needs a fixed latent size in its manifest`,
    );
  return dim;
}

/** Median ms of a batch-1 call (after the batched run, so the session is warm). */
async function oneImageLatency(run: () => Promise<unknown>): Promise<number> {
  const timings: number[] = [];
  for (let i = 0; i < LATENCY_REPEATS; i++) {
    const started = performance.now();
    await run();
    timings.push(performance.now() - started);
  }
  return median(timings);
}

/** Decodes latents ([count, dim]) batch by batch with a generator or decoder; returns images in [0, 1]. */
async function generateFromLatents(
  network: EvaluatedNetwork,
  input: string,
  latents: Float32Array,
  dim: number,
  outputRange: 'zero-to-one' | 'minus-one-to-one',
): Promise<Float32Array> {
  const count = latents.length / dim;
  const images = new Float32Array(count * PIXELS);
  for (let start = 0; start < count; start += IMAGE_BATCH) {
    const size = Math.min(IMAGE_BATCH, count - start);
    const output = await network.runSingle({
      [input]: { data: latents.slice(start * dim, (start + size) * dim), shape: [size, dim] },
    });
    images.set(output, start * PIXELS);
  }
  return outputRange === 'minus-one-to-one' ? minusOneToUnitInPlace(images) : images;
}

export async function evaluateClassifier(
  context: EvaluationContext,
  manifest: ModelManifest,
  dtype: ModelDtype,
): Promise<ClassifierFigures | undefined> {
  const variant = findVariant(manifest, 'classifier', dtype);
  if (variant === undefined) return undefined;
  const network = await openVariant(context.assetsDir, manifest, variant, context.threads);
  try {
    const judge = new Judge(network, inputName(manifest, 'classifier'), context.judge.classes);
    const { predicted } = await judge.judge(context.heldout.images);
    const labels = context.heldout.labels;
    const perClassAccuracy = Array.from({ length: context.judge.classes }, (_, digit) => {
      const indices = [...labels.keys()].filter((i) => labels[i] === digit);
      return indices.length === 0
        ? Number.NaN
        : indices.filter((i) => predicted[i] === digit).length / indices.length;
    });
    const heldoutAccuracy = accuracy(predicted, labels);
    return {
      dtype,
      heldoutAccuracy,
      heldoutErrors: Math.round((1 - heldoutAccuracy) * labels.length),
      perClassAccuracy,
    };
  } finally {
    await network.release();
  }
}

export async function evaluateVae(
  context: EvaluationContext,
  manifest: ModelManifest,
  dtype: ModelDtype,
): Promise<{ figures: VaeFigures; row: ComparisonRow } | undefined> {
  const encoderVariant = findVariant(manifest, 'encoder', dtype);
  const decoderVariant = findVariant(manifest, 'decoder', dtype);
  if (encoderVariant === undefined || decoderVariant === undefined) return undefined;
  const encoder = await openVariant(context.assetsDir, manifest, encoderVariant, context.threads);
  const decoder = await openVariant(context.assetsDir, manifest, decoderVariant, context.threads);
  try {
    const dim = latentDim(manifest, 'decoder');
    const decoderInput = inputName(manifest, 'decoder');
    const [meanName, logVarianceName] = manifest.networks['encoder']!.outputs.map(
      (output) => output.name,
    );
    const { images, count } = context.heldout;
    const latentMeans = new Float32Array(count * dim);
    const logVariances = new Float32Array(count * dim);
    for (let start = 0; start < count; start += JUDGE_BATCH) {
      const size = Math.min(JUDGE_BATCH, count - start);
      const outputs = await encoder.run({
        [inputName(manifest, 'encoder')]: {
          data: images.slice(start * PIXELS, (start + size) * PIXELS),
          shape: [size, 1, 28, 28],
        },
      });
      latentMeans.set(outputs[meanName ?? 'mean']!, start * dim);
      logVariances.set(outputs[logVarianceName ?? 'logvar']!, start * dim);
    }
    const reconstructions = await generateFromLatents(
      decoder,
      decoderInput,
      latentMeans,
      dim,
      'zero-to-one',
    );
    const errors = reconstructionErrors(reconstructions, images);
    const reconstructionJudgement = await context.judge.judge(reconstructions);
    const figures: VaeFigures = {
      dtype,
      bcePerImage: errors.bcePerImage,
      msePerImage: errors.msePerImage,
      klPerImage: klPerImage(latentMeans, logVariances, dim),
      reconstructionAccuracy: accuracy(reconstructionJudgement.predicted, context.heldout.labels),
    };
    const priorLatents = new NormalGenerator(SEEDS.vaePrior).fill(
      new Float32Array(context.samples * dim),
    );
    decoder.runMs = 0;
    const samples = await generateFromLatents(
      decoder,
      decoderInput,
      priorLatents,
      dim,
      'zero-to-one',
    );
    const msPerImage = decoder.runMs / context.samples;
    const one = priorLatents.slice(0, dim);
    const oneImageMs = await oneImageLatency(() =>
      decoder.runSingle({ [decoderInput]: { data: one, shape: [1, dim] } }),
    );
    const { figures: sampled } = await sampleFigures(context.judge, samples);
    const row: ComparisonRow = {
      family: 'VAE',
      model: manifest.id,
      dtype,
      method: 'N(0,I) -> decoder',
      ...sampled,
      msPerImage,
      batching: `batch ${IMAGE_BATCH}`,
      oneImageMs,
    };
    return { figures, row };
  } finally {
    await encoder.release();
    await decoder.release();
  }
}

export async function evaluateGan(
  context: EvaluationContext,
  manifest: ModelManifest,
  dtype: ModelDtype,
  withSnapshots: boolean,
): Promise<{ row: ComparisonRow; snapshots?: SnapshotFigures[] } | undefined> {
  const variant = findVariant(manifest, 'generator', dtype);
  if (variant === undefined) return undefined;
  const dim = latentDim(manifest, 'generator');
  const input = inputName(manifest, 'generator');
  const latents = new NormalGenerator(SEEDS.gan).fill(new Float32Array(context.samples * dim));
  const generator = await openVariant(context.assetsDir, manifest, variant, context.threads);
  let row: ComparisonRow;
  try {
    const samples = await generateFromLatents(generator, input, latents, dim, 'minus-one-to-one');
    const msPerImage = generator.runMs / context.samples;
    const one = latents.slice(0, dim);
    const oneImageMs = await oneImageLatency(() =>
      generator.runSingle({ [input]: { data: one, shape: [1, dim] } }),
    );
    const { figures } = await sampleFigures(context.judge, samples);
    row = {
      family: 'GAN',
      model: manifest.id,
      dtype,
      method: 'N(0,I) -> generator',
      ...figures,
      msPerImage,
      batching: `batch ${IMAGE_BATCH}`,
      oneImageMs,
    };
  } finally {
    await generator.release();
  }
  if (!withSnapshots || manifest.snapshots === undefined) return { row };
  const snapshots: SnapshotFigures[] = [];
  for (const snapshot of manifest.snapshots) {
    const snapshotVariant = snapshot.variants.find((v) => v.dtype === dtype);
    if (snapshotVariant === undefined) continue;
    context.reporter.detail(`${manifest.id} snapshot ${snapshot.index} (${dtype})`);
    const network = await openVariant(
      context.assetsDir,
      manifest,
      snapshotVariant,
      context.threads,
    );
    try {
      const samples = await generateFromLatents(network, input, latents, dim, 'minus-one-to-one');
      const judgement = await context.judge.judge(samples);
      snapshots.push({
        index: snapshot.index,
        epoch: snapshot.epoch,
        iteration: snapshot.iteration,
        dReal: snapshot.d_real,
        dFake: snapshot.d_fake,
        confidentShare: shareAtLeast(judgement.confidence, CONFIDENCE_THRESHOLD),
        classEntropyBits: entropyBits(classHistogram(judgement.predicted, context.judge.classes)),
      });
    } finally {
      await network.release();
    }
  }
  return { row, snapshots };
}
