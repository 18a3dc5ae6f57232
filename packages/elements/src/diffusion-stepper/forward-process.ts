import type { GenvizRuntime } from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { ReactiveController, TemplateResult } from 'lit';
import { pickDigit } from '../kit/digits.js';
import { drawHistogram, drawTensor, moments } from '../kit/draw.js';
import type { FeedbackController } from '../kit/feedback-controller.js';
import { imageToTensor } from '../kit/image-input.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import { TRAIN_STEPS, drawSchedule, renderSchedule } from './schedule.js';
import type { ScheduleCurves } from './schedule.js';

const MILESTONES = [0, 200, 500, 800, 1000] as const;
/** t per animation frame when the forward process plays: 0 to 1000 in about two seconds. */
const T_PER_FRAME = 8;

interface ForwardData {
  /** x_t for t = 0..1000 (0: the clean image). */
  samples: Float32Array[];
  snr: number[];
  source: string;
}

export const formatSnr = (snr: number): string =>
  !Number.isFinite(snr) ? '∞' : snr >= 100 ? snr.toFixed(0) : snr.toPrecision(3);

/**
 * The forward view of `<genviz-diffusion-stepper>`: any image (a held-out digit, a URL, a file,
 * a drop or a paste) noised in closed form with one fixed noise draw, x_t for every t computed
 * once in the worker, the histogram converging on N(0, 1), and the signal-to-noise ratio.
 * Playing it walks t to 1000.
 */
export class ForwardProcess implements ReactiveController {
  readonly run: RunController<ForwardData>;
  readonly #host: GenvizDiffusionStepper;
  readonly #runtime: () => GenvizRuntime;
  readonly #feedback: FeedbackController;
  #imageOverride: { blob: Blob; name: string } | undefined;
  #animation: ReturnType<typeof setInterval> | undefined;

  constructor(
    host: GenvizDiffusionStepper,
    runtime: () => GenvizRuntime,
    feedback: FeedbackController,
  ) {
    this.#host = host;
    this.#runtime = runtime;
    this.#feedback = feedback;
    this.run = new RunController<ForwardData>(host, { onError: feedback.report });
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stop();
  }

  get hasOwnImage(): boolean {
    return this.#imageOverride !== undefined;
  }

  get animating(): boolean {
    return this.#animation !== undefined;
  }

  /** Uses a blob (a file, a paste) instead of the `image` attribute. */
  setBlob(blob: Blob, name: string): void {
    this.#imageOverride = { blob, name };
    this.run.reset();
  }

  clearBlob(): void {
    this.#imageOverride = undefined;
    this.run.reset();
  }

  /** Computes the trajectory when the view needs it and has none. */
  start(): void {
    if (this.run.status === 'initial') void this.run.run((signal) => this.#compute(signal));
  }

  clampedTimestep(): number {
    const t = Number.isFinite(this.#host.timestep) ? Math.round(this.#host.timestep) : 0;
    return Math.max(0, Math.min(TRAIN_STEPS, t));
  }

  setTimestep(t: number): void {
    this.#host.timestep = t;
    const snr = this.run.value?.snr[this.clampedTimestep()];
    this.#feedback.announce(
      `t = ${this.clampedTimestep()}${snr === undefined ? '' : `, signal-to-noise ratio ${formatSnr(snr)}`}.`,
    );
  }

  /** Walks t up to 1000 (from 0 when already there); at once when motion is reduced. */
  play(reducedMotion: boolean): void {
    this.stop();
    const from = this.clampedTimestep() >= TRAIN_STEPS ? 0 : this.clampedTimestep();
    if (reducedMotion) {
      this.setTimestep(TRAIN_STEPS);
      return;
    }
    this.#host.timestep = from;
    this.#animation = setInterval(() => {
      const next = Math.min(TRAIN_STEPS, this.clampedTimestep() + T_PER_FRAME);
      if (next >= TRAIN_STEPS) {
        this.stop();
        this.setTimestep(TRAIN_STEPS);
      } else {
        this.#host.timestep = next;
      }
    }, 16);
    this.#host.requestUpdate();
  }

  stop(): void {
    if (this.#animation === undefined) return;
    clearInterval(this.#animation);
    this.#animation = undefined;
    this.#host.requestUpdate();
  }

  async #compute(signal: AbortSignal): Promise<ForwardData> {
    const runtime = this.#runtime();
    const host = this.#host;
    let image: Float32Array;
    let source: string;
    if (this.#imageOverride) {
      image = await imageToTensor(this.#imageOverride.blob, signal);
      source = this.#imageOverride.name;
    } else if (host.image) {
      image = await imageToTensor(host.image, signal);
      source = host.image.startsWith('data:')
        ? 'an embedded image'
        : host.image.split('/').at(-1) || host.image;
    } else {
      const picked = pickDigit(await runtime.data.heldOutDigits({ signal }), host.digit);
      image = picked.image;
      source = `a held-out ${picked.label} (test digit #${picked.index})`;
    }
    const timesteps = Array.from({ length: TRAIN_STEPS + 1 }, (_, t) => t);
    const result = await runtime.diffusion.forward({
      model: host.model,
      image,
      timesteps,
      seed: host.seed,
      signal,
    });
    return { samples: result.samples, snr: result.snr, source };
  }

  draw(root: ParentNode, curves: ScheduleCurves): void {
    const canvas = (part: string) => root.querySelector<HTMLCanvasElement>(`[part~="${part}"]`);
    const sample = this.run.value?.samples[this.clampedTimestep()];
    drawTensor(canvas('image'), sample);
    drawHistogram(canvas('histogram'), sample);
    drawSchedule(canvas('schedule'), curves, this.clampedTimestep());
  }

  render(handlers: {
    onDrop: (event: DragEvent) => void;
    onDragOver: (event: DragEvent) => void;
    onFile: (event: Event) => void;
    useDefaultImage: () => void;
  }): TemplateResult {
    const host = this.#host;
    const t = this.clampedTimestep();
    const data = this.run.value;
    const sample = data?.samples[t];
    const snr = data?.snr[t];
    const stats = sample ? moments(sample) : undefined;
    const logSnr = snr === undefined ? undefined : Math.log(snr);
    return html`<section
      part="forward"
      role="group"
      aria-label="Forward process"
      @dragover=${handlers.onDragOver}
      @drop=${handlers.onDrop}
    >
      <div class="figures">
        <figure>
          <canvas
            part="image"
            class="pixels"
            width="28"
            height="28"
            role="img"
            aria-label="The image at t = ${t}"
          ></canvas>
          <figcaption>x<sub>t</sub> at t = ${t}</figcaption>
        </figure>
        <figure>
          <canvas
            part="histogram"
            width="240"
            height="120"
            role="img"
            aria-label="Histogram of pixel values at t = ${t} with the standard normal curve${
              stats ? `; mean ${stats.mean.toFixed(2)}, variance ${stats.variance.toFixed(2)}` : ''
            }"
          ></canvas>
          <figcaption>Pixel values, and the N(0, 1) curve</figcaption>
        </figure>
        ${renderSchedule(`Cursor at t = ${t}.`)}
      </div>
      <p part="readout">
        <span class="snr"
          >Signal-to-noise ratio at t = ${t}:
          <strong data-snr=${snr ?? ''}>${snr === undefined ? '…' : formatSnr(snr)}</strong>
          ${
            logSnr !== undefined && Number.isFinite(logSnr)
              ? html`(log-SNR ${logSnr.toFixed(2)})`
              : nothing
          }</span
        >
        ${
          stats
            ? html`<span class="stats"
                >Pixels: mean <span data-mean=${stats.mean}>${stats.mean.toFixed(2)}</span>,
                variance
                <span data-variance=${stats.variance}>${stats.variance.toFixed(2)}</span></span
              >`
            : nothing
        }
      </p>
      <label class="slider-row">
        <span>t</span>
        <input
          part="slider timestep-slider"
          type="range"
          min="0"
          max=${TRAIN_STEPS}
          step="1"
          .value=${String(t)}
          aria-valuetext=${`t = ${t}${snr === undefined ? '' : `, signal-to-noise ratio ${formatSnr(snr)}`}`}
          @input=${(event: Event) =>
            this.setTimestep((event.target as HTMLInputElement).valueAsNumber)}
        />
        <output>${t}</output>
      </label>
      <div part="milestones" role="group" aria-label="Milestones">
        ${MILESTONES.map(
          (milestone) =>
            html`<button
              part="button milestone"
              type="button"
              aria-pressed=${t === milestone ? 'true' : 'false'}
              @click=${() => {
                this.stop();
                this.setTimestep(milestone);
              }}
            >
              t = ${milestone}
            </button>`,
        )}
      </div>
      <div part="source">
        <span
          >Image: ${this.run.pending ? 'loading…' : (data?.source ?? (host.image || 'none'))}</span
        >
        <label class="file">
          <span>Choose an image</span>
          <input type="file" accept="image/*" @change=${handlers.onFile} />
        </label>
        ${
          host.image || this.#imageOverride
            ? html`<button part="button" type="button" @click=${handlers.useDefaultImage}>
                Use a held-out digit
              </button>`
            : nothing
        }
        <span class="hint">or drop or paste one here</span>
      </div>
    </section>`;
  }
}
