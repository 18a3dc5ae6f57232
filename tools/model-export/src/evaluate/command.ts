import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeAtomically } from '../atomic.js';
import { MODEL_DTYPES, isModelDtype } from '../dtypes.js';
import type { ModelDtype } from '../dtypes.js';
import { ExportError } from '../errors.js';
import type { ModelManifest } from '@genviz/core';
import type { Reporter } from '../reporter.js';
import { MODEL_IDS, readHeldoutDigits, readModelManifest } from './assets.js';
import { defaultDiffusionSettings, evaluateDiffusion } from './diffusion.js';
import type { DiffusionSampling } from './diffusion.js';
import { SEEDS, evaluateClassifier, evaluateGan, evaluateVae, openJudge } from './evaluators.js';
import type { EvaluationContext } from './evaluators.js';
import {
  CONSISTENCY_NULL_STEPS,
  CONSISTENCY_STEPS,
  TARGETS,
  formatReport,
  target,
} from './report.js';
import type {
  ClassifierFigures,
  ComparisonRow,
  EvaluationReport,
  GanFigures,
  TargetRow,
  VaeFigures,
} from './report.js';

export { formatReport } from './report.js';
export type { EvaluationReport, ComparisonRow, TargetRow } from './report.js';

/** Which models evaluate can run, by the name `--only` takes. */
export const EVALUATED_MODELS = [
  MODEL_IDS.classifier,
  MODEL_IDS.vae,
  MODEL_IDS.gan,
  MODEL_IDS.collapsedGan,
  MODEL_IDS.diffusion,
  MODEL_IDS.latentDiffusion,
  MODEL_IDS.consistency,
] as const;

/** The extra diffusion sampler of the comparison: DPM-Solver++ (2nd order multistep), 20 steps. */
const DPM_SOLVER_STEPS = 20;

export interface EvaluateOptions {
  readonly assetsDir: string;
  /** Variants to evaluate; a model lacking one is listed under `skipped`. */
  readonly dtypes: readonly ModelDtype[];
  /** Samples per generative metric (VAE prior, GANs, each diffusion row). */
  readonly samples: number;
  /** DDIM steps (default: the manifest's sampling, 50). */
  readonly steps?: number;
  /** Also the DPM-Solver++-20 row (default true). */
  readonly dpmSolver?: boolean;
  /** GAN training history: each snapshot judged like the final generator. */
  readonly snapshots?: boolean;
  /** onnxruntime intra-op threads per session (default 1: the time columns are per core). */
  readonly threads?: number;
  /** Model ids to evaluate (default all present). */
  readonly only?: readonly string[];
  readonly reporter: Reporter;
}

/**
 * The models issue's quality metrics on the packed ONNX variants, plus the VAE / GAN / diffusion
 * comparison (quality, diversity, time per image). The fp32 classifier judges every sample;
 * everything runs on onnxruntime-node's CPU provider with one thread.
 */
export async function evaluateAssets(options: EvaluateOptions): Promise<EvaluationReport> {
  const started = performance.now();
  const { assetsDir, reporter, samples } = options;
  if (!Number.isInteger(samples) || samples < 10)
    throw new ExportError(`--samples must be an integer >= 10 (got ${samples})`);
  const wanted = (id: string): boolean => options.only === undefined || options.only.includes(id);
  const classifierManifest = await readModelManifest(assetsDir, MODEL_IDS.classifier);
  if (classifierManifest === undefined)
    throw new ExportError(
      `${resolve(assetsDir, MODEL_IDS.classifier, 'manifest.json')}: missing: evaluate judges every sample with the classifier (build mnist-classifier)`,
    );
  reporter.step(`load held-out digits and the fp32 classifier from ${assetsDir}`);
  const heldout = await readHeldoutDigits(assetsDir);
  const threads = options.threads ?? 1;
  const judge = await openJudge(assetsDir, classifierManifest, threads);
  const context: EvaluationContext = { assetsDir, judge, heldout, samples, threads, reporter };

  const classifier: ClassifierFigures[] = [];
  const vae: VaeFigures[] = [];
  const gans: GanFigures[] = [];
  const comparison: ComparisonRow[] = [];
  const targets: TargetRow[] = [];
  const skipped: string[] = [];

  const manifests = new Map<string, ModelManifest>([[MODEL_IDS.classifier, classifierManifest]]);
  for (const id of EVALUATED_MODELS) {
    if (!wanted(id) || manifests.has(id)) continue;
    const manifest = await readModelManifest(assetsDir, id);
    if (manifest === undefined) skipped.push(`${id}: no manifest in ${assetsDir}`);
    else manifests.set(id, manifest);
  }
  const missingVariant = (id: string, dtype: ModelDtype): void => {
    skipped.push(`${id} ${dtype}: no ${dtype} variant in the manifest (dropped or not built)`);
    reporter.warn(`${id}: no ${dtype} variant, skipped`);
  };

  for (const dtype of options.dtypes) {
    const classifierModel = wanted(MODEL_IDS.classifier)
      ? manifests.get(MODEL_IDS.classifier)
      : undefined;
    if (classifierModel) {
      reporter.step(`[${MODEL_IDS.classifier}] ${dtype} held-out accuracy`);
      const figures = await evaluateClassifier(context, classifierModel, dtype);
      if (figures === undefined) missingVariant(MODEL_IDS.classifier, dtype);
      else {
        classifier.push(figures);
        targets.push(
          target(
            MODEL_IDS.classifier,
            dtype,
            'held-out accuracy',
            figures.heldoutAccuracy,
            '>=',
            TARGETS.classifierAccuracy,
          ),
        );
      }
    }
    const vaeModel = manifests.get(MODEL_IDS.vae);
    if (vaeModel) {
      reporter.step(
        `[${MODEL_IDS.vae}] ${dtype} held-out reconstruction, ${samples} prior samples`,
      );
      const result = await evaluateVae(context, vaeModel, dtype);
      if (result === undefined) missingVariant(MODEL_IDS.vae, dtype);
      else {
        vae.push(result.figures);
        comparison.push(result.row);
      }
    }
    for (const id of [MODEL_IDS.gan, MODEL_IDS.collapsedGan]) {
      const ganModel = manifests.get(id);
      if (!ganModel) continue;
      reporter.step(
        `[${id}] ${dtype} ${samples} samples${options.snapshots ? ' (and every snapshot)' : ''}`,
      );
      const result = await evaluateGan(context, ganModel, dtype, options.snapshots ?? false);
      if (result === undefined) {
        missingVariant(id, dtype);
        continue;
      }
      comparison.push(result.row);
      gans.push({ model: id, dtype, ...(result.snapshots ? { snapshots: result.snapshots } : {}) });
      if (id === MODEL_IDS.gan) {
        targets.push(
          target(
            id,
            dtype,
            'share confident >= 0.9',
            result.row.confidentShare,
            '>=',
            TARGETS.ganConfidentShare,
          ),
        );
        targets.push(
          target(
            id,
            dtype,
            'class entropy (bits)',
            result.row.classEntropyBits,
            '>=',
            TARGETS.ganEntropyBits,
          ),
        );
      } else {
        targets.push(
          target(
            id,
            dtype,
            'class entropy (bits)',
            result.row.classEntropyBits,
            '<=',
            TARGETS.collapsedGanMaxEntropyBits,
          ),
        );
      }
    }
    // Pixel diffusion, then latent diffusion (its UNet samples 4x7x7 latents that the autoencoder
    // named in its manifest decodes; the time columns include the decoding).
    for (const diffusionId of [MODEL_IDS.diffusion, MODEL_IDS.latentDiffusion]) {
      const diffusionModel = manifests.get(diffusionId);
      if (!diffusionModel) continue;
      const defaults = defaultDiffusionSettings(diffusionModel);
      const steps = options.steps ?? defaults.steps;
      const samplings: DiffusionSampling[] = [
        {
          scheduler: 'ddim',
          steps,
          guidanceScale: defaults.guidanceScale,
          conditional: true,
          seed: SEEDS.diffusionGuided,
        },
        {
          scheduler: 'ddim',
          steps,
          guidanceScale: 1,
          conditional: false,
          seed: SEEDS.diffusionNull,
        },
      ];
      if ((options.dpmSolver ?? true) && diffusionId === MODEL_IDS.diffusion)
        samplings.push({
          scheduler: 'dpmsolver++',
          steps: DPM_SOLVER_STEPS,
          guidanceScale: defaults.guidanceScale,
          conditional: true,
          seed: SEEDS.diffusionGuided,
        });
      const rows = await evaluateDiffusion(context, diffusionModel, dtype, samplings);
      if (rows === undefined) missingVariant(diffusionId, dtype);
      else {
        comparison.push(...rows);
        const [guided, nullLabel] = rows;
        if (guided?.askedDigitAccuracy !== undefined) {
          targets.push(
            target(
              diffusionId,
              dtype,
              `asked digit (${guided.method})`,
              guided.askedDigitAccuracy,
              '>=',
              TARGETS.diffusionAskedDigitAccuracy,
            ),
          );
        }
        if (nullLabel)
          targets.push(
            target(
              diffusionId,
              dtype,
              `class entropy (bits), ${nullLabel.method}`,
              nullLabel.classEntropyBits,
              '>=',
              TARGETS.diffusionNullEntropyBits,
            ),
          );
      }
    }
    // The distilled consistency model (mnist-lcm): one seed's samples at 1, 2, 4 and 8 steps,
    // one UNet call per step (the guidance scale is an input), and the null label at 4 steps.
    const consistencyModel = manifests.get(MODEL_IDS.consistency);
    if (consistencyModel) {
      const { guidanceScale } = defaultDiffusionSettings(consistencyModel);
      const samplings: DiffusionSampling[] = [
        ...CONSISTENCY_STEPS.map((steps) => ({
          scheduler: 'lcm' as const,
          steps,
          guidanceScale,
          conditional: true,
          seed: SEEDS.diffusionGuided,
        })),
        {
          scheduler: 'lcm',
          steps: CONSISTENCY_NULL_STEPS,
          guidanceScale,
          conditional: false,
          seed: SEEDS.diffusionNull,
        },
      ];
      const rows = await evaluateDiffusion(context, consistencyModel, dtype, samplings);
      if (rows === undefined) missingVariant(MODEL_IDS.consistency, dtype);
      else {
        comparison.push(...rows);
        rows.forEach((row, index) => {
          const sampling = samplings[index]!;
          const bar = TARGETS.consistencyAskedDigitAccuracy[sampling.steps];
          if (sampling.conditional && bar !== undefined && row.askedDigitAccuracy !== undefined)
            targets.push(
              target(
                MODEL_IDS.consistency,
                dtype,
                `asked digit (${row.method})`,
                row.askedDigitAccuracy,
                '>=',
                bar,
              ),
            );
          if (!sampling.conditional)
            targets.push(
              target(
                MODEL_IDS.consistency,
                dtype,
                `class entropy (bits), ${row.method}`,
                row.classEntropyBits,
                '>=',
                TARGETS.consistencyNullEntropyBits,
              ),
            );
        });
      }
    }
  }
  return {
    assets: assetsDir,
    dtypes: options.dtypes,
    samples,
    runtime: `onnxruntime-node CPU, ${threads} thread${threads === 1 ? '' : 's'}`,
    seeds: SEEDS,
    classifier,
    vae,
    gans,
    comparison,
    targets,
    skipped,
    files: evaluatedFiles(manifests, options.dtypes),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The sha256 of every network file of the dtypes evaluated, by model id and file name. */
function evaluatedFiles(
  manifests: ReadonlyMap<string, ModelManifest>,
  dtypes: readonly ModelDtype[],
): Record<string, Record<string, string>> {
  const files: Record<string, Record<string, string>> = {};
  for (const [id, manifest] of manifests) {
    files[id] = Object.fromEntries(
      Object.values(manifest.networks).flatMap((network) =>
        network.variants
          .filter((variant) => dtypes.includes(variant.dtype))
          .map((variant) => [variant.file, variant.sha256]),
      ),
    );
  }
  return files;
}

function parseDtypeOption(value: unknown): ModelDtype[] {
  if (value === undefined) return ['fp32'];
  if (value === 'all') return [...MODEL_DTYPES];
  return String(value)
    .split(',')
    .map((dtype) => {
      const trimmed = dtype.trim();
      if (!isModelDtype(trimmed))
        throw new ExportError(
          `unknown dtype "${trimmed}" (known: ${MODEL_DTYPES.join(', ')}, all)`,
        );
      return trimmed;
    });
}

function parseCount(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new ExportError(`--${option} needs a positive integer (got "${String(value)}")`);
  return parsed;
}

/** `genviz-export evaluate`: prints the report on stdout; `--json FILE` also writes it as JSON. */
export async function evaluateCommand(
  values: Record<string, unknown>,
  reporter: Reporter,
  out: (text: string) => void,
): Promise<number> {
  const assets = values['assets'];
  if (typeof assets !== 'string' || assets === '')
    throw new ExportError('evaluate needs --assets (see genviz-export evaluate --help)');
  const only =
    typeof values['only'] === 'string'
      ? values['only'].split(',').map((id) => id.trim())
      : undefined;
  for (const id of only ?? []) {
    if (!(EVALUATED_MODELS as readonly string[]).includes(id))
      throw new ExportError(
        `--only: unknown model "${id}" (known: ${EVALUATED_MODELS.join(', ')})`,
      );
  }
  const steps =
    values['steps'] === undefined ? undefined : parseCount(values['steps'], 'steps', 50);
  const report = await evaluateAssets({
    assetsDir: resolve(assets),
    dtypes: parseDtypeOption(values['dtype']),
    samples: parseCount(values['samples'], 'samples', 1000),
    ...(steps === undefined ? {} : { steps }),
    dpmSolver: values['no-dpm'] !== true,
    snapshots: values['snapshots'] === true,
    threads: parseCount(values['threads'], 'threads', 1),
    ...(only ? { only } : {}),
    reporter,
  });
  out(formatReport(report));
  const jsonPath = values['json'];
  if (typeof jsonPath === 'string' && jsonPath !== '') {
    await writeAtomically(resolve(jsonPath), (temp) =>
      writeFile(
        temp,
        `${JSON.stringify(
          // The assets folder as given (relative to where the command ran), so that a copy of
          // the figures kept in a repository does not carry one machine's absolute path.
          { ...report, assets },
          (_, value: unknown) => (typeof value === 'number' && Number.isNaN(value) ? null : value),
          1,
        )}\n`,
      ),
    );
    reporter.detail(`figures written to ${jsonPath}`);
  }
  const failed = report.targets.filter((row) => !row.passed);
  return values['strict'] === true && failed.length > 0 ? 1 : 0;
}
