import type { ModelDtype } from '../dtypes.js';

/** Quality and diversity of a set of generated digits, judged by the fp32 classifier. */
export interface SampleFigures {
  readonly samples: number;
  /** Mean softmax probability of the predicted class. */
  readonly meanConfidence: number;
  /** Share classified with probability >= 0.9. */
  readonly confidentShare: number;
  /** Entropy of the predicted-class histogram, bits (max log2(10) = 3.32). */
  readonly classEntropyBits: number;
  readonly classHistogram: readonly number[];
  /** Mean L2 distance between all pairs of samples in [0, 1] pixel space. */
  readonly meanPairwiseL2: number;
}

/** One line of the explainer's VAE / GAN / diffusion comparison. */
export interface ComparisonRow extends SampleFigures {
  readonly family: 'VAE' | 'GAN' | 'diffusion';
  readonly model: string;
  readonly dtype: ModelDtype;
  /** How the samples were drawn, e.g. "DDIM-50 g=3, digits 0-9". */
  readonly method: string;
  /** Network time per image in the batched evaluation run (diffusion: the whole sampling loop). */
  readonly msPerImage: number;
  /** The batching behind msPerImage. */
  readonly batching: string;
  /** One image alone, as an element draws it (GAN/VAE: batch 1; diffusion: batch 2 per guided step). */
  readonly oneImageMs: number;
  /** Conditional diffusion: share classified as the asked digit. */
  readonly askedDigitAccuracy?: number;
}

export interface TargetRow {
  readonly model: string;
  readonly dtype: ModelDtype;
  readonly metric: string;
  readonly value: number;
  readonly comparator: '>=' | '<=';
  readonly threshold: number;
  readonly passed: boolean;
}

export interface ClassifierFigures {
  readonly dtype: ModelDtype;
  readonly heldoutAccuracy: number;
  readonly heldoutErrors: number;
  readonly perClassAccuracy: readonly number[];
}

export interface VaeFigures {
  readonly dtype: ModelDtype;
  /** Held-out reconstruction, decoding the posterior mean; nats (BCE, KL) per image, summed over pixels. */
  readonly bcePerImage: number;
  readonly msePerImage: number;
  readonly klPerImage: number;
  /** Classifier accuracy on the reconstructions. */
  readonly reconstructionAccuracy: number;
}

export interface SnapshotFigures {
  readonly index: number;
  readonly epoch: number;
  readonly iteration: number;
  readonly dReal: number;
  readonly dFake: number;
  readonly confidentShare: number;
  readonly classEntropyBits: number;
}

export interface GanFigures {
  readonly model: string;
  readonly dtype: ModelDtype;
  readonly snapshots?: readonly SnapshotFigures[];
}

export interface EvaluationReport {
  readonly assets: string;
  readonly dtypes: readonly ModelDtype[];
  /** Samples per generative metric. */
  readonly samples: number;
  readonly runtime: string;
  readonly seeds: Readonly<Record<string, number>>;
  readonly classifier: readonly ClassifierFigures[];
  readonly vae: readonly VaeFigures[];
  readonly gans: readonly GanFigures[];
  readonly comparison: readonly ComparisonRow[];
  readonly targets: readonly TargetRow[];
  /** Models or variants not evaluated, and why. */
  readonly skipped: readonly string[];
  /**
   * The files judged: model id -> file -> sha256. A copy of the figures kept elsewhere (the
   * site's reference table) is checked against the models it describes through these.
   */
  readonly files: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly seconds: number;
}

/** The models issue's pass marks. */
export const TARGETS = Object.freeze({
  classifierAccuracy: 0.985,
  ganConfidentShare: 0.8,
  ganEntropyBits: 3.1,
  collapsedGanMaxEntropyBits: 1.5,
  diffusionAskedDigitAccuracy: 0.95,
  diffusionNullEntropyBits: 3.2,
  /** The distilled consistency model (mnist-lcm): asked digit by step count (8 steps: no bar). */
  consistencyAskedDigitAccuracy: Object.freeze({ 1: 0.8, 2: 0.9, 4: 0.95 }) as Readonly<
    Record<number, number>
  >,
  /** Its null label's class entropy at CONSISTENCY_NULL_STEPS steps. */
  consistencyNullEntropyBits: 3.2,
});

/** The consistency model's rows: one seed's 1,000 samples at each step count, null at 4. */
export const CONSISTENCY_STEPS = Object.freeze([1, 2, 4, 8]);
export const CONSISTENCY_NULL_STEPS = 4;

export const CONFIDENCE_THRESHOLD = 0.9;

export function target(
  model: string,
  dtype: ModelDtype,
  metric: string,
  value: number,
  comparator: '>=' | '<=',
  threshold: number,
): TargetRow {
  const passed = comparator === '>=' ? value >= threshold : value <= threshold;
  return { model, dtype, metric, value, comparator, threshold, passed };
}

const percent = (value: number): string =>
  Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(1)}%`;
const fixed = (value: number, digits: number): string =>
  Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

/** Aligned text: the first row is the header; numeric-looking columns are right-aligned. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = widths.map((_, column) =>
    rows.slice(1).every((row) => /^[-\d.%n/a]*$/.test(row[column] ?? '')),
  );
  const lines = rows.map((row) =>
    row
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines.join('\n');
}

/** The report as the text evaluate prints on stdout. */
export function formatReport(report: EvaluationReport): string {
  const sections: string[] = [];
  sections.push(
    `genviz-export evaluate: ${report.assets} (${report.dtypes.join(', ')}), ${report.samples} samples per generative metric, ${report.runtime}, ${report.seconds.toFixed(0)} s`,
  );
  if (report.comparison.length > 0) {
    const header = [
      'family',
      'model',
      'dtype',
      'sampling',
      'n',
      'mean conf',
      'conf>=0.9',
      'asked digit',
      'class H (bits)',
      'pair L2',
      'ms/image',
      'batching',
      '1 image ms',
    ];
    const rows = report.comparison.map((row) => [
      row.family,
      row.model,
      row.dtype,
      row.method,
      String(row.samples),
      fixed(row.meanConfidence, 3),
      percent(row.confidentShare),
      row.askedDigitAccuracy === undefined ? '-' : percent(row.askedDigitAccuracy),
      fixed(row.classEntropyBits, 2),
      fixed(row.meanPairwiseL2, 2),
      fixed(row.msPerImage, 2),
      row.batching,
      fixed(row.oneImageMs, 1),
    ]);
    sections.push(
      `Sample quality, diversity and time per image (classifier judge fp32; quality = confidence of the predicted class, diversity = class entropy and mean pairwise L2)\n${alignColumns([header, ...rows])}`,
    );
  }
  const details: string[][] = [['model', 'dtype', 'metric', 'value']];
  for (const figures of report.classifier) {
    details.push([
      'mnist-classifier',
      figures.dtype,
      'held-out accuracy',
      `${percent(figures.heldoutAccuracy)} (${figures.heldoutErrors} errors)`,
    ]);
    details.push([
      'mnist-classifier',
      figures.dtype,
      'per class',
      figures.perClassAccuracy
        .map((value, digit) => `${digit}:${(value * 100).toFixed(0)}`)
        .join(' '),
    ]);
  }
  for (const figures of report.vae) {
    details.push([
      'mnist-vae',
      figures.dtype,
      'held-out BCE / MSE per image',
      `${fixed(figures.bcePerImage, 2)} nats / ${fixed(figures.msePerImage, 2)}`,
    ]);
    details.push([
      'mnist-vae',
      figures.dtype,
      'held-out KL per image',
      `${fixed(figures.klPerImage, 2)} nats`,
    ]);
    details.push([
      'mnist-vae',
      figures.dtype,
      'classifier accuracy on reconstructions',
      percent(figures.reconstructionAccuracy),
    ]);
  }
  for (const row of report.comparison)
    details.push([
      row.model,
      row.dtype,
      `class histogram, ${row.method}`,
      row.classHistogram.join(' '),
    ]);
  if (details.length > 1) sections.push(`Model figures\n${alignColumns(details)}`);
  for (const gan of report.gans) {
    if (gan.snapshots === undefined) continue;
    const rows = gan.snapshots.map((s) => [
      String(s.index),
      String(s.epoch),
      String(s.iteration),
      fixed(s.dReal, 3),
      fixed(s.dFake, 3),
      percent(s.confidentShare),
      fixed(s.classEntropyBits, 2),
    ]);
    sections.push(
      `${gan.model} (${gan.dtype}) training history\n${alignColumns([['snapshot', 'epoch', 'iteration', 'D(real)', 'D(fake)', 'conf>=0.9', 'class H (bits)'], ...rows])}`,
    );
  }
  if (report.targets.length > 0) {
    const rows = report.targets.map((t) => [
      t.model,
      t.dtype,
      t.metric,
      t.metric.includes('bits') ? fixed(t.value, 3) : percent(t.value),
      `${t.comparator} ${t.metric.includes('bits') ? t.threshold : percent(t.threshold)}`,
      t.passed ? 'pass' : 'FAIL',
    ]);
    const failed = report.targets.filter((t) => !t.passed).length;
    sections.push(
      `Targets (models issue): ${report.targets.length - failed} pass, ${failed} fail\n${alignColumns([['model', 'dtype', 'metric', 'value', 'target', 'result'], ...rows])}`,
    );
  }
  if (report.skipped.length > 0)
    sections.push(`Not evaluated\n${report.skipped.map((line) => `  ${line}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}
