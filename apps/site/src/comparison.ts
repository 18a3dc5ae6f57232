import { NormalGenerator } from '@genviz/core';
import { GenvizRuntime } from '@genviz/runtime';
import type { DigitReading } from '@genviz/runtime';
import reference from './reference-figures.json' with { type: 'json' };

/**
 * The article's closing table, measured in the reader's own browser: each family's images are
 * made by its default model and judged by the classifier (quality: the share it reads with at
 * least 90% confidence; diversity: the entropy of the digits it reads; controllability: the
 * share that is the digit asked for), and timed per image. Nothing in the table is asserted.
 */

interface Figures {
  family: string;
  model: string;
  images: number;
  confident: number;
  entropyBits: number;
  askedDigit: number | undefined;
  msPerImage: number;
}

const CONFIDENT = 0.9;

function summarise(readings: DigitReading[], asked: number[] | undefined) {
  const histogram = new Array<number>(10).fill(0);
  for (const reading of readings) histogram[reading.digit]! += 1;
  let entropy = 0;
  for (const count of histogram) {
    if (count === 0) continue;
    const p = count / readings.length;
    entropy -= p * Math.log2(p);
  }
  return {
    confident:
      readings.filter((reading) => reading.confidence >= CONFIDENT).length / readings.length,
    entropyBits: entropy,
    askedDigit: asked
      ? readings.filter((reading, i) => reading.digit === asked[i]).length / readings.length
      : undefined,
  };
}

const digitsInTurn = (count: number) => Array.from({ length: count }, (_, i) => i % 10);

async function measureVae(runtime: GenvizRuntime, count: number): Promise<Figures> {
  const latents = new NormalGenerator(1).fill(new Float32Array(count * 2));
  // Time per image, not the first download: the network is opened before the clock starts.
  await runtime.load('mnist-vae', { networks: ['decoder'] });
  const started = performance.now();
  const images = await runtime.vae.decode(latents);
  const msPerImage = (performance.now() - started) / count;
  const readings = await runtime.classifier.read(images);
  return {
    family: 'VAE',
    model: 'mnist-vae',
    images: count,
    ...summarise(readings, undefined),
    msPerImage,
  };
}

async function measureGan(runtime: GenvizRuntime, count: number): Promise<Figures> {
  const size = 64;
  const latents = new NormalGenerator(2).fill(new Float32Array(count * size));
  // The default generator reads its digit from the largest of its first 10 latent entries:
  // asking for digit k is making entry k the largest.
  const asked = digitsInTurn(count);
  for (let n = 0; n < count; n++) {
    let max = -Infinity;
    for (let k = 0; k < 10; k++) max = Math.max(max, latents[n * size + k]!);
    latents[n * size + asked[n]!] = max + 0.5;
  }
  await runtime.load('mnist-dcgan', { networks: ['generator'] });
  const started = performance.now();
  const images = await runtime.gan.generate(latents);
  const msPerImage = (performance.now() - started) / count;
  const readings = await runtime.classifier.read(images, { range: 'minus-one-to-one' });
  return {
    family: 'GAN',
    model: 'mnist-dcgan',
    images: count,
    ...summarise(readings, asked),
    msPerImage,
  };
}

async function measureDiffusion(
  runtime: GenvizRuntime,
  model: string,
  family: string,
  count: number,
  sampler: { scheduler: string; steps: number } = { scheduler: 'ddim', steps: 50 },
): Promise<Figures> {
  const asked = digitsInTurn(count);
  await runtime.load(model);
  const started = performance.now();
  const result = await runtime.diffusion.sample({
    model,
    ...sampler,
    classLabels: asked,
    guidanceScale: 3,
    seed: 3,
    every: 0,
  });
  const msPerImage = (performance.now() - started) / count;
  const readings = result.image
    ? await runtime.classifier.read(result.image)
    : await runtime.classifier.read(result.sample, { range: 'minus-one-to-one' });
  return { family, model, images: count, ...summarise(readings, asked), msPerImage };
}

/** What the reference table reads of `genviz-export evaluate --json` (reference-figures.json). */
interface ReferenceRow {
  family: string;
  model: string;
  method: string;
  samples: number;
  confidentShare: number;
  classEntropyBits: number;
  askedDigitAccuracy?: number;
  msPerImage: number;
}

/** The export tool's figures for the same models, on many more samples, for reference. */
function referenceFigures(): Figures[] {
  return (reference.comparison as ReferenceRow[]).map((row) => ({
    family:
      row.family !== 'diffusion'
        ? row.family
        : row.method.includes('LCM-')
          ? 'Distilled diffusion'
          : row.method.startsWith('latent')
            ? 'Latent diffusion'
            : 'Diffusion',
    model: `${row.model}, ${row.method}`,
    images: row.samples,
    confident: row.confidentShare,
    entropyBits: row.classEntropyBits,
    askedDigit: row.askedDigitAccuracy,
    msPerImage: row.msPerImage,
  }));
}

const percent = (value: number | undefined) =>
  value === undefined ? '—' : `${(value * 100).toFixed(0)}%`;

function render(table: HTMLTableSectionElement, rows: Figures[]) {
  table.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement('tr');
      for (const text of [
        `${row.family} (${row.model}, ${row.images} images)`,
        percent(row.confident),
        `${row.entropyBits.toFixed(2)} bits`,
        percent(row.askedDigit),
        `${row.msPerImage < 10 ? row.msPerImage.toFixed(2) : row.msPerImage.toFixed(0)} ms`,
      ]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

/** Wires the table's button: each press measures every family again, one after another. */
export function setUpComparison(root: HTMLElement): void {
  const button = root.querySelector<HTMLButtonElement>('button[data-measure]');
  const body = root.querySelector<HTMLTableSectionElement>('tbody[data-measured]');
  const status = root.querySelector<HTMLElement>('[data-status]');
  const referenceBody = root.querySelector<HTMLTableSectionElement>('tbody[data-reference]');
  if (referenceBody) render(referenceBody, referenceFigures());
  const provenance = root.querySelector<HTMLElement>('[data-reference-source]');
  if (provenance)
    provenance.textContent = `${reference.samples} samples per model, ${reference.runtime}`;
  if (!button || !body || !status) return;
  button.addEventListener('click', () => void measureAll());
  const measureAll = async () => {
    button.disabled = true;
    const runtime = GenvizRuntime.shared();
    const rows: Figures[] = [];
    const steps: [string, () => Promise<Figures>][] = [
      ['the VAE', () => measureVae(runtime, 200)],
      ['the GAN', () => measureGan(runtime, 200)],
      ['pixel diffusion', () => measureDiffusion(runtime, 'mnist-ddpm', 'Diffusion', 20)],
      ['latent diffusion', () => measureDiffusion(runtime, 'mnist-ldm', 'Latent diffusion', 20)],
      // Distilled: a latent consistency model, 4 steps with one network call each.
      [
        'distilled diffusion',
        () =>
          measureDiffusion(runtime, 'mnist-lcm', 'Distilled diffusion (4 steps)', 20, {
            scheduler: 'lcm',
            steps: 4,
          }),
      ],
    ];
    try {
      for (const [name, measure] of steps) {
        status.textContent = `Measuring ${name}…`;
        rows.push(await measure());
        render(body, rows);
      }
      status.textContent = 'Measured on this device, just now.';
      root.dispatchEvent(new CustomEvent('genviz-comparison', { detail: rows, bubbles: true }));
    } catch (error) {
      status.textContent = `The measurement failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      button.disabled = false;
    }
  };
}
