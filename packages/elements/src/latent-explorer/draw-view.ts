import type { DigitReading } from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { GenvizDrawingPad } from '../drawing-pad/drawing-pad.js';
import { drawTensor } from '../kit/draw.js';
import { articleFor, formatPercent } from '../kit/format.js';
import { RunController } from '../kit/run-controller.js';
import type { LatentMarker } from '../latent-pad/latent-pad.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';
import { unitToSigned } from './live-decoder.js';
import type { ExplorerServices } from './settings.js';

/** The encoder's answer for a drawing. */
export interface EncodedDrawing {
  /** The posterior mean: where the encoder puts the drawing. */
  readonly mean: readonly [number, number];
  /** The posterior standard deviation per axis, exp(logvar / 2): how unsure it is. */
  readonly sigma: readonly [number, number];
  readonly drawing: Float32Array;
  readonly reconstruction: Float32Array;
  readonly drawingReading: DigitReading;
  readonly reconstructionReading: DigitReading;
}

/**
 * Encode your own: each stroke sends the drawing through the encoder; its mean lands on the map
 * as a ring and its spread (two standard deviations) as an ellipse; the reconstruction decoded
 * from the mean sits beside the drawing, and the classifier reads both.
 */
export class DrawView {
  readonly run: RunController<EncodedDrawing | undefined>;
  readonly #host: GenvizLatentExplorer;
  readonly #services: ExplorerServices;
  /** The models whose encoder and classifier were asked to open ahead of the first stroke. */
  #prepared = '';

  constructor(host: GenvizLatentExplorer, services: ExplorerServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController(host, { onError: services.feedback.report });
  }

  /** The last drawing's encoding (undefined before the first stroke, or after Clear). */
  get encoded(): EncodedDrawing | undefined {
    return this.run.value;
  }

  get error(): unknown {
    return this.run.status === 'error' ? this.run.error : undefined;
  }

  reset(): void {
    this.run.reset();
  }

  /**
   * Opens the encoder and the classifier when the view is shown, so that the first stroke is
   * not the one that waits for them (the map loads only the decoder). A failure here is not
   * reported: the stroke's own call meets it and says so.
   */
  prepare(): void {
    const { model, device, classifier } = this.#host;
    const key = `${model} ${classifier} ${device ?? ''}`;
    if (this.#prepared === key) return;
    this.#prepared = key;
    const runtime = this.#services.runtime();
    void runtime.load(model, { device, networks: ['encoder'] }).catch(() => undefined);
    void runtime.load(classifier, { device }).catch(() => undefined);
  }

  markers(): LatentMarker[] {
    const encoded = this.run.value;
    if (!encoded) return [];
    const [x, y] = encoded.mean;
    return [
      { kind: 'ellipse', x, y, rx: 2 * encoded.sigma[0], ry: 2 * encoded.sigma[1] },
      { kind: 'ring', x, y, label: 'yours' },
    ];
  }

  #onChange = (event: Event) => {
    const pad = event.target as GenvizDrawingPad;
    if (pad.empty) {
      this.run.reset();
      return;
    }
    const drawing = pad.value;
    void this.run.run((signal) => this.#encode(drawing, signal));
  };

  async #encode(drawing: Float32Array, signal: AbortSignal): Promise<EncodedDrawing> {
    const runtime = this.#services.runtime();
    const { model, device, classifier } = this.#host;
    const { mean, logvar } = await runtime.vae.encode(drawing, { model, device, signal });
    const reconstruction = await runtime.vae.decode(mean, { model, device, signal });
    const both = new Float32Array(2 * 784);
    both.set(drawing);
    both.set(reconstruction, 784);
    const [drawingReading, reconstructionReading] = await runtime.classifier.read(both, {
      model: classifier,
      device,
      signal,
    });
    const encoded: EncodedDrawing = {
      mean: [mean[0]!, mean[1]!],
      sigma: [Math.exp(logvar[0]! / 2), Math.exp(logvar[1]! / 2)],
      drawing,
      reconstruction,
      drawingReading: drawingReading!,
      reconstructionReading: reconstructionReading!,
    };
    this.#services.feedback.announce(
      `Your drawing is encoded at z = (${encoded.mean[0].toFixed(1)}, ${encoded.mean[1].toFixed(1)}); the classifier reads ${articleFor(drawingReading!.digit)} ${drawingReading!.digit}, and ${articleFor(reconstructionReading!.digit)} ${reconstructionReading!.digit} in the reconstruction.`,
    );
    return encoded;
  }

  draw(root: ParentNode): void {
    const encoded = this.run.value;
    drawTensor(
      root.querySelector<HTMLCanvasElement>('[part~="reconstruction"]'),
      encoded ? unitToSigned(encoded.reconstruction) : undefined,
    );
  }

  render(): TemplateResult {
    const encoded = this.run.value;
    const reading = (label: string, value: DigitReading | undefined) =>
      value
        ? html`${label}: ${articleFor(value.digit)}
            <strong>${value.digit}</strong> (${formatPercent(value.confidence)})`
        : nothing;
    return html`<div class="draw" part="controls">
      <figure>
        <genviz-drawing-pad
          part="drawing"
          label="Draw a digit for the encoder"
          @change=${this.#onChange}
        ></genviz-drawing-pad>
        <figcaption>${reading('The classifier reads', encoded?.drawingReading)}</figcaption>
      </figure>
      <figure>
        <canvas
          part="reconstruction"
          class="pixels"
          width="28"
          height="28"
          role="img"
          aria-label="The reconstruction of your drawing"
        ></canvas>
        <figcaption>
          ${
            encoded
              ? html`Decoded from its code z = (${encoded.mean[0].toFixed(2)},
                ${encoded.mean[1].toFixed(2)}), spread ±${encoded.sigma[0].toFixed(2)},
                ±${encoded.sigma[1].toFixed(2)};
                ${reading('reads as', encoded.reconstructionReading)}`
              : 'Draw a digit: each stroke is encoded, and decoded back here.'
          }
        </figcaption>
        ${
          encoded
            ? html`<button
                part="button"
                type="button"
                @click=${() => this.#services.moveTo(encoded.mean[0], encoded.mean[1])}
              >
                Move the handle to its code
              </button>`
            : nothing
        }
      </figure>
    </div>`;
  }
}
