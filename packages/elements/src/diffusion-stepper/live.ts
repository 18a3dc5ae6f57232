import type { DiffusionResult, DigitReading } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { drawTensor } from '../kit/draw.js';
import { digitConverter, emit, formatPercent, isAborted } from '../kit/format.js';
import { readImage } from '../kit/reading.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import { GenvizCompleteEvent } from './events.js';
import type { StepperServices } from './reverse-process.js';

/** Steps of the live digit: the distilled model's own (its manifest says 4). */
export const LIVE_STEPS = 4;
/** The "steps against quality" strip: one seed at each of these step counts. */
export const QUALITY_STEPS = Object.freeze([1, 2, 4, 8]);
/** The guidance range the consistency model was distilled on (its manifest's input range). */
export const LIVE_GUIDANCE = Object.freeze({ min: 1, max: 8, step: 0.1 });
/** How long the reader leaves the inputs alone before the strip is drawn (it costs 15 calls). */
export const REST_MS = 250;
/** The noise seed dial's range. */
export const NOISE_SEED_MAX = 999;

/** What a drawn digit shows: the decoded image and what the classifier reads in it. */
export interface LiveDrawing {
  readonly steps: number;
  /** The decoded digit in [-1, 1], 28x28. */
  readonly image: Float32Array;
  readonly evaluations: number;
  /** Sampling and decoding in the worker. */
  readonly elapsedMs: number;
  readonly result: DiffusionResult;
  reading?: DigitReading;
}

/** The inputs a live digit depends on. */
export const liveKey = (host: GenvizDiffusionStepper): string =>
  JSON.stringify([
    host.consistencyModel,
    host.device,
    host.seed,
    host.noiseSeed,
    host.digit,
    host.guidance,
  ]);

/**
 * The live view of `<genviz-diffusion-stepper>`: a distilled latent consistency model draws the
 * digit in 4 steps (one UNet call each, the guidance scale an input of the network) at every
 * input (guidance slider, digit, seed, noise seed dial) while the pointer moves, without Play.
 * A newer input aborts the run in flight: runs are dropped, never queued. When the reader rests,
 * the same seed is drawn at 1, 2, 4 and 8 steps side by side, each read by the classifier.
 */
export class LiveView {
  readonly #host: GenvizDiffusionStepper;
  readonly #services: StepperServices;
  #controller: AbortController | undefined;
  #key: string | undefined;
  /** When the input that started the run in flight happened (event.timeStamp). */
  #inputAt = 0;
  #pendingInputAt: number | undefined;
  #drawing: LiveDrawing | undefined;
  #strip: LiveDrawing[] = [];
  #runs = 0;
  #dropped = 0;
  #drawn = 0;
  /** Input event to painted digit of the last drawing, ms. */
  #latencyMs: number | undefined;
  #latencies: number[] = [];
  /** Whether the run in flight has painted its digit. */
  #painted = false;
  #error: string | undefined;

  constructor(host: GenvizDiffusionStepper, services: StepperServices) {
    this.#host = host;
    this.#services = services;
  }

  /** The digit drawn last, and the steps-against-quality strip. */
  get drawing(): LiveDrawing | undefined {
    return this.#drawing;
  }

  get strip(): readonly LiveDrawing[] {
    return this.#strip;
  }

  /**
   * Runs started, runs dropped because a newer input overtook them, digits painted, and for
   * each painted digit the time from its input event to the frame that showed it (ms).
   */
  get stats(): { runs: number; dropped: number; drawn: number; latenciesMs: readonly number[] } {
    return {
      runs: this.#runs,
      dropped: this.#dropped,
      drawn: this.#drawn,
      latenciesMs: this.#latencies,
    };
  }

  get pending(): boolean {
    return this.#controller !== undefined;
  }

  /** The time of the input event that changes a setting next (its `timeStamp`). */
  noteInput(timeStamp: number): void {
    this.#pendingInputAt = timeStamp;
  }

  /** Draws the digit of the element's settings now, unless that is the one drawn or in flight. */
  request(): void {
    const key = liveKey(this.#host);
    if (key === this.#key) return;
    this.#key = key;
    if (this.#controller) {
      this.#controller.abort();
      // Dropped: overtaken before its digit was painted (a run that painted and was reading or
      // drawing the strip is not a dropped digit).
      if (!this.#painted) this.#dropped += 1;
    }
    this.#painted = false;
    const controller = new AbortController();
    this.#controller = controller;
    this.#inputAt = this.#pendingInputAt ?? performance.now();
    this.#pendingInputAt = undefined;
    this.#runs += 1;
    void this.#draw(controller.signal, this.#inputAt).then(
      () => {
        if (this.#controller === controller) this.#controller = undefined;
      },
      (error: unknown) => {
        if (this.#controller === controller) this.#controller = undefined;
        if (controller.signal.aborted || isAborted(error)) return;
        // The key stays: the same settings are not retried at every update, a new input is.
        this.#error = error instanceof Error ? error.message : String(error);
        this.#services.feedback.report(error);
        this.#host.requestUpdate();
      },
    );
  }

  /** Stops the run in flight (the element left the page, or the view changed). */
  stop(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    this.#key = undefined;
  }

  async #sample(steps: number, signal: AbortSignal): Promise<LiveDrawing> {
    const host = this.#host;
    const result: DiffusionResult = await this.#services.runtime().diffusion.sample({
      model: host.consistencyModel,
      device: host.device,
      scheduler: 'lcm',
      steps,
      seed: host.seed,
      noiseSeed: host.noiseSeed,
      classLabel: host.digit,
      guidanceScale: host.guidance,
      every: 0,
      signal,
    });
    this.#services.model.noteDevice(result.device);
    return {
      steps,
      image: result.image!.map((value) => value * 2 - 1),
      evaluations: result.evaluations,
      elapsedMs: result.elapsedMs,
      result,
    };
  }

  #read(drawing: LiveDrawing, signal: AbortSignal): Promise<DigitReading | undefined> {
    return readImage(this.#services.runtime(), drawing.image, {
      classifier: this.#host.classifier,
      device: this.#host.device,
      signal,
      tag: 'genviz-diffusion-stepper',
    });
  }

  async #draw(signal: AbortSignal, inputAt: number): Promise<void> {
    const host = this.#host;
    this.#error = undefined;
    const drawing = await this.#sample(LIVE_STEPS, signal);
    signal.throwIfAborted();
    this.#drawing = drawing;
    this.#strip = [];
    // Painted at once, not at the next Lit update: the drag is what the reader watches.
    drawTensor(host.renderRoot.querySelector('[part~="live-canvas"]'), drawing.image);
    this.#drawn += 1;
    this.#painted = true;
    host.requestUpdate();
    // The next frame is the first that shows it: from the input event to there is the latency.
    await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    this.#latencyMs = performance.now() - inputAt;
    this.#latencies.push(this.#latencyMs);
    signal.throwIfAborted();
    drawing.reading = await this.#read(drawing, signal);
    signal.throwIfAborted();
    emit(host, new GenvizCompleteEvent(drawing.result, 'live', 'lcm', drawing.reading));
    host.requestUpdate();
    // Once the reader rests: one seed at 1, 2, 4 and 8 steps (the 4-step one is the digit
    // above). Not during a drag: its 15 calls would hold up the next input's digit.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, REST_MS);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
    for (const steps of QUALITY_STEPS) {
      const step = steps === LIVE_STEPS ? drawing : await this.#sample(steps, signal);
      signal.throwIfAborted();
      step.reading ??= await this.#read(step, signal);
      signal.throwIfAborted();
      this.#strip = [...this.#strip, step];
      host.requestUpdate();
    }
  }

  draw(root: ParentNode): void {
    drawTensor(root.querySelector('[part~="live-canvas"]'), this.#drawing?.image);
    for (const steps of QUALITY_STEPS) {
      drawTensor(
        root.querySelector(`[part~="quality-canvas-${steps}"]`),
        this.#strip.find((drawing) => drawing.steps === steps)?.image,
      );
    }
  }

  render(): TemplateResult {
    const host = this.#host;
    const drawing = this.#drawing;
    const input =
      (apply: (value: number) => void) =>
      (event: Event): void => {
        const value = (event.target as HTMLInputElement).valueAsNumber;
        if (!Number.isFinite(value)) return;
        this.noteInput(event.timeStamp);
        apply(value);
      };
    return html`<section part="live" aria-label="Live">
      <div part="controls">
        <label>
          <span>Digit</span>
          <select
            @change=${(event: Event) => {
              this.noteInput(event.timeStamp);
              host.digit = digitConverter.fromAttribute((event.target as HTMLSelectElement).value);
            }}
          >
            <option value="none" ?selected=${host.digit === null}>none</option>
            ${Array.from(
              { length: 10 },
              (_, d) => html`<option value=${d} ?selected=${host.digit === d}>${d}</option>`,
            )}
          </select>
        </label>
        <label class="guidance-field">
          <span>Guidance</span>
          <input
            part="slider guidance-slider live-guidance"
            type="range"
            min=${LIVE_GUIDANCE.min}
            max=${LIVE_GUIDANCE.max}
            step=${LIVE_GUIDANCE.step}
            .value=${String(host.guidance)}
            ?disabled=${host.digit === null}
            @input=${input((value) => (host.guidance = value))}
          />
          <output>${host.guidance}</output>
        </label>
        <label>
          <span>Seed</span>
          <input
            part="live-seed"
            type="number"
            min="0"
            step="1"
            .value=${String(host.seed)}
            @input=${input((value) => {
              if (Number.isInteger(value) && value >= 0) host.seed = value;
            })}
          />
        </label>
        <label>
          <span>Noise seed</span>
          <input
            part="slider noise-seed-dial"
            type="range"
            min="0"
            max=${NOISE_SEED_MAX}
            step="1"
            .value=${String(host.noiseSeed)}
            @input=${input((value) => (host.noiseSeed = value))}
          />
          <output>${host.noiseSeed}</output>
        </label>
      </div>
      <figure class="live-figure">
        <canvas
          part="panel live-canvas"
          class="pixels"
          width="28"
          height="28"
          role="img"
          aria-label="The digit, redrawn at every input"
        ></canvas>
        <figcaption
          part="live-caption"
          data-runs=${this.#runs}
          data-dropped=${this.#dropped}
          data-drawn=${this.#drawn}
          data-latency=${this.#latencyMs ?? ''}
        >
          ${
            drawing
              ? html`<span
                    >${LIVE_STEPS} steps ·
                    <strong data-evaluations=${drawing.evaluations}>${drawing.evaluations}</strong>
                    evaluations · ${Math.round(drawing.elapsedMs)} ms</span
                  >
                  <span data-reading=${drawing.reading?.digit ?? ''}
                    >${
                      drawing.reading
                        ? `Reads ${drawing.reading.digit} (${formatPercent(drawing.reading.confidence)})`
                        : ''
                    }</span
                  >`
              : html`<span>${this.#error ? `Failed: ${this.#error}` : 'Drawing…'}</span>`
          }
        </figcaption>
      </figure>
      <div part="quality" class="lanes" aria-label="Steps against quality">
        ${QUALITY_STEPS.map((steps) => {
          const step = this.#strip.find((drawing) => drawing.steps === steps);
          return html`<figure part="quality-step quality-step-${steps}" data-steps=${steps}>
            <canvas
              part="panel quality-canvas-${steps}"
              class="pixels"
              width="28"
              height="28"
              role="img"
              aria-label="${steps} step${steps === 1 ? '' : 's'}"
            ></canvas>
            <figcaption>
              <span><strong>${steps} step${steps === 1 ? '' : 's'}</strong></span>
              <span data-reading=${step?.reading?.digit ?? ''}
                >${
                  step?.reading
                    ? `Reads ${step.reading.digit} (${formatPercent(step.reading.confidence)})`
                    : step
                      ? 'No classifier reading'
                      : '…'
                }</span
              >
            </figcaption>
          </figure>`;
        })}
      </div>
      <p class="hint">
        A latent consistency model distilled from the latent diffusion model: one network call per
        step, the guidance scale an input of the network. Every input redraws the digit; a newer
        input drops the run in flight.
      </p>
    </section>`;
  }
}
