import { NormalGenerator, meanGradientMagnitude } from '@genviz/core';
import type { DigitReading } from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { digitImage } from '../kit/digits.js';
import { drawTensor } from '../kit/draw.js';
import { formatPercent } from '../kit/format.js';
import { RunController } from '../kit/run-controller.js';
import type { LatentMarker } from '../latent-pad/latent-pad.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';
import { unitToSigned } from './live-decoder.js';
import type { ExplorerServices } from './settings.js';

const SAMPLES = 16;
/** Images per set in the sharpness averages. */
const SET = 100;
const SIDE = 28;

interface Samples {
  codes: Float32Array;
  images: Float32Array;
  readings: DigitReading[];
}

/** Sharpness figures: one real digit and its reconstruction, and averages over sets of 100. */
export interface BlurFigures {
  readonly index: number;
  readonly real: Float32Array;
  readonly reconstruction: Float32Array;
  readonly realSharpness: number;
  readonly reconstructionSharpness: number;
  readonly meanReal: number;
  readonly meanReconstructed: number;
  readonly meanSampled: number;
}

const sharpnessOf = (images: Float32Array, index: number) =>
  meanGradientMagnitude(images, SIDE, SIDE, index * 784);
const meanSharpness = (images: Float32Array, count: number) => {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sharpnessOf(images, i);
  return sum / count;
};

/**
 * Sample and blur: codes drawn from the prior N(0, I) land on the map and decode into new
 * digits; a real digit beside its reconstruction, with the mean gradient magnitude of each
 * (and averages over 100 real digits, their reconstructions and 100 samples), measures how
 * much the decoder blurs.
 */
export class SampleView {
  readonly samples: RunController<Samples>;
  readonly blur: RunController<BlurFigures>;
  readonly #host: GenvizLatentExplorer;
  readonly #services: ExplorerServices;
  #round = 0;
  readonly #painted = new WeakMap<HTMLCanvasElement, unknown>();

  constructor(host: GenvizLatentExplorer, services: ExplorerServices) {
    this.#host = host;
    this.#services = services;
    this.samples = new RunController<Samples>(host, { onError: services.feedback.report });
    this.blur = new RunController<BlurFigures>(host, { onError: services.feedback.report });
  }

  get error(): unknown {
    if (this.samples.status === 'error') return this.samples.error;
    return this.blur.status === 'error' ? this.blur.error : undefined;
  }

  reset(): void {
    this.samples.reset();
    this.blur.reset();
    this.#round = 0;
  }

  start(): void {
    if (!this.#services.data()) return;
    if (this.blur.status === 'initial') void this.blur.run((signal) => this.#measure(signal));
    if (this.samples.status === 'initial') this.draw16();
  }

  /** Draws 16 new codes from the prior (a new round of the seed's sequence) and decodes them. */
  draw16(): void {
    const round = this.#round++;
    void this.samples.run((signal) => this.#sample(round, signal));
  }

  async #sample(round: number, signal: AbortSignal): Promise<Samples> {
    const runtime = this.#services.runtime();
    const { model, device, classifier, seed } = this.#host;
    const rng = new NormalGenerator(seed);
    const codes = new Float32Array(SAMPLES * 2);
    for (let r = 0; r <= round; r++) rng.fill(codes);
    const images = await runtime.vae.decode(codes, { model, device, signal });
    const readings = await runtime.classifier.read(images, { model: classifier, device, signal });
    return { codes, images, readings };
  }

  async #measure(signal: AbortSignal): Promise<BlurFigures> {
    const runtime = this.#services.runtime();
    const data = this.#services.data()!;
    const { model, device, seed } = this.#host;
    const count = Math.min(SET, data.digits.count);
    const reals = new Float32Array(count * 784);
    for (let i = 0; i < count; i++) reals.set(digitImage(data.digits, i, 'unit').image, i * 784);
    const index = seed % data.digits.count;
    const real = digitImage(data.digits, index, 'unit').image;
    const batch = new Float32Array((count + 1) * 784);
    batch.set(reals);
    batch.set(real, count * 784);
    const { mean } = await runtime.vae.encode(batch, { model, device, signal });
    const reconstructions = await runtime.vae.decode(mean, { model, device, signal });
    const prior = new Float32Array(count * 2);
    new NormalGenerator(seed + 1).fill(prior);
    const sampled = await runtime.vae.decode(prior, { model, device, signal });
    const reconstruction = reconstructions.slice(count * 784);
    return {
      index,
      real,
      reconstruction,
      realSharpness: meanGradientMagnitude(real, SIDE, SIDE),
      reconstructionSharpness: meanGradientMagnitude(reconstruction, SIDE, SIDE),
      meanReal: meanSharpness(reals, count),
      meanReconstructed: meanSharpness(reconstructions, count),
      meanSampled: meanSharpness(sampled, count),
    };
  }

  markers(): LatentMarker[] {
    const codes = this.samples.value?.codes;
    if (!codes) return [];
    return Array.from({ length: SAMPLES }, (_, i) => ({
      kind: 'cross' as const,
      x: codes[2 * i]!,
      y: codes[2 * i + 1]!,
    }));
  }

  draw(root: ParentNode): void {
    const strip = root.querySelector<HTMLCanvasElement>('[part~="strip"]');
    const samples = this.samples.value;
    if (strip && samples && this.#painted.get(strip) !== samples) {
      const width = (SAMPLES / 2) * SIDE;
      const image = new Float32Array(width * 2 * SIDE);
      for (let i = 0; i < SAMPLES; i++) {
        const row = Math.floor(i / (SAMPLES / 2));
        const col = i % (SAMPLES / 2);
        for (let p = 0; p < 784; p++) {
          image[(row * SIDE + Math.floor(p / SIDE)) * width + col * SIDE + (p % SIDE)] =
            samples.images[i * 784 + p]! * 2 - 1;
        }
      }
      drawTensor(strip, image);
      this.#painted.set(strip, samples);
    }
    const blur = this.blur.value;
    drawTensor(root.querySelector('[part~="real"]'), blur ? unitToSigned(blur.real) : undefined);
    drawTensor(
      root.querySelector('[part~="reconstructed"]'),
      blur ? unitToSigned(blur.reconstruction) : undefined,
    );
  }

  render(): TemplateResult {
    const samples = this.samples.value;
    const blur = this.blur.value;
    const confident = samples
      ? samples.readings.filter((reading) => reading.confidence >= 0.9).length
      : 0;
    return html`<div class="sample">
      <div part="controls">
        <button part="button" type="button" @click=${() => this.draw16()}>
          Draw ${SAMPLES} codes from the prior
        </button>
      </div>
      <figure>
        <canvas
          part="strip"
          class="strip"
          width=${(SAMPLES / 2) * SIDE}
          height=${2 * SIDE}
          role="img"
          aria-label="${SAMPLES} digits decoded from random codes (crosses on the map)"
        ></canvas>
        <figcaption>
          ${
            samples
              ? html`Codes from N(0, I), marked × on the map. The classifier is at least 90% sure of
                  <strong data-confident=${confident}>${confident} of ${SAMPLES}</strong>; it reads
                  ${samples.readings.map((reading) => reading.digit).join(' ')}.`
              : 'Decoding…'
          }
        </figcaption>
      </figure>
      <section part="blur" role="group" aria-label="Why VAEs blur">
        <div class="figures">
          <figure>
            <canvas
              part="real"
              class="pixels"
              width="28"
              height="28"
              role="img"
              aria-label="A real held-out digit"
            ></canvas>
            <figcaption>
              Real digit #${blur?.index ?? '…'}: sharpness
              <strong data-sharpness=${blur?.realSharpness ?? ''}
                >${blur?.realSharpness.toFixed(3) ?? '…'}</strong
              >
            </figcaption>
          </figure>
          <figure>
            <canvas
              part="reconstructed"
              class="pixels"
              width="28"
              height="28"
              role="img"
              aria-label="Its reconstruction through the VAE"
            ></canvas>
            <figcaption>
              Its reconstruction: sharpness
              <strong data-sharpness=${blur?.reconstructionSharpness ?? ''}
                >${blur?.reconstructionSharpness.toFixed(3) ?? '…'}</strong
              >
            </figcaption>
          </figure>
        </div>
        ${
          blur
            ? html`<p>
                Sharpness is the mean gradient magnitude (how fast pixels change). Over ${SET}
                images: real digits ${blur.meanReal.toFixed(3)}, their reconstructions
                ${blur.meanReconstructed.toFixed(3)}
                (${formatPercent(blur.meanReconstructed / blur.meanReal)} of real), samples from the
                prior ${blur.meanSampled.toFixed(3)}. The decoder outputs the average of the digits
                a code could stand for, and averages are blurry.
              </p>`
            : nothing
        }
      </section>
    </div>`;
  }
}
