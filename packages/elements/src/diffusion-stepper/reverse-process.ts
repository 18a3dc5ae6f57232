import type { DiffusionResult, DiffusionStep, DigitReading, GenvizRuntime } from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { renderChoice } from '../kit/choice.js';
import { PIXELS } from '../kit/digits.js';
import { displayRange, drawTensor } from '../kit/draw.js';
import type { CancelReason } from '../kit/events.js';
import { GenvizCancelEvent } from '../kit/events.js';
import type { FeedbackController } from '../kit/feedback-controller.js';
import { articleFor, emit, formatPercent, formatSeconds } from '../kit/format.js';
import type { ModelController } from '../kit/model-controller.js';
import { readImage } from '../kit/reading.js';
import { RunController } from '../kit/run-controller.js';
import { TrajectoryController } from '../kit/trajectory-controller.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import { GenvizCompleteEvent, GenvizStepEvent } from './events.js';
import { drawSchedule, renderSchedule } from './schedule.js';
import type { ScheduleCurves } from './schedule.js';
import { renderSettings } from './settings.js';

export interface StepperServices {
  readonly runtime: () => GenvizRuntime;
  readonly model: ModelController;
  readonly feedback: FeedbackController;
  readonly reducedMotion: () => boolean;
}

/** The settings a reverse run depends on: a run keeps going while they stay what it started with. */
export const reverseKey = (host: GenvizDiffusionStepper): string =>
  JSON.stringify([
    host.space === 'latent' ? host.latentModel : host.model,
    host.space,
    host.device,
    host.scheduler,
    host.steps,
    host.seed,
    host.digit,
    host.guidance,
  ]);

/** Channels and side of the latent diffusion model's latent (4x7x7 for mnist-ldm). */
const LATENT_CHANNELS = 4;
const LATENT_SIDE = 7;

/**
 * The reverse view of `<genviz-diffusion-stepper>`: a real class-conditional model samples from
 * static in the worker, one stored step at a time (x_t, the predicted noise, the predicted clean
 * image, and the two noise predictions classifier-free guidance combines). Pausing holds the
 * worker between model evaluations; scrubbing only reads stored steps.
 */
export class ReverseProcess {
  readonly run: RunController<DiffusionResult>;
  readonly trajectory: TrajectoryController<DiffusionStep>;
  readonly #host: GenvizDiffusionStepper;
  readonly #services: StepperServices;
  #scheduler = '';
  #key: string | undefined;
  /** Whether the stored run sampled in latent space. */
  #latent = false;
  #reading: DigitReading | undefined;

  constructor(host: GenvizDiffusionStepper, services: StepperServices) {
    this.#host = host;
    this.#services = services;
    this.trajectory = new TrajectoryController<DiffusionStep>(host);
    this.run = new RunController<DiffusionResult>(host, {
      onComplete: (result) =>
        emit(host, new GenvizCompleteEvent(result, 'reverse', this.#scheduler, this.#reading)),
      onError: services.feedback.report,
    });
  }

  get reading(): DigitReading | undefined {
    return this.#reading;
  }

  /** Sampling now (not paused). */
  get running(): boolean {
    return this.run.pending && !this.trajectory.paused;
  }

  get paused(): boolean {
    return this.run.pending && this.trajectory.paused;
  }

  /** The settings the stored run was started with (undefined when there is none). */
  get key(): string | undefined {
    return this.#key;
  }

  /** Whether there is anything to forget: a run, stored steps or an error. */
  get idle(): boolean {
    return this.run.status === 'initial' && this.trajectory.steps.length === 0;
  }

  /** Forgets a run of other settings than the element's now (changed since, not yet updated). */
  #forgetStale(): void {
    if (this.#key !== undefined && this.#key !== reverseKey(this.#host)) this.reset('settings');
  }

  play(): void {
    this.#forgetStale();
    if (this.run.pending) {
      this.trajectory.resume();
      this.#services.feedback.announce('Sampling resumed.');
      return;
    }
    if (this.trajectory.steps.length > 0 && this.run.status === 'complete') {
      this.trajectory.replay(this.#services.reducedMotion(), () => this.announceStep());
      return;
    }
    this.start(false);
  }

  pause(): void {
    if (this.trajectory.replaying) {
      this.trajectory.stopReplay();
      this.announceStep('Paused at');
      return;
    }
    if (!this.run.pending || this.trajectory.paused) return;
    this.trajectory.pause();
    this.announceStep('Paused at');
  }

  stepForward(): void {
    this.#forgetStale();
    const { trajectory } = this;
    trajectory.stopReplay();
    if (trajectory.shown < trajectory.steps.length - 1) {
      this.show(trajectory.shown + 1);
    } else if (this.run.pending) {
      trajectory.resume(true);
    } else if (this.run.status !== 'complete') {
      this.start(true);
    }
  }

  show(index: number): void {
    if (this.trajectory.show(index)) this.announceStep();
  }

  /** Stops and forgets the run; a run in flight fires `genviz-cancel` with `reason`. */
  reset(reason: CancelReason): void {
    if (this.run.pending) emit(this.#host, new GenvizCancelEvent('reverse', reason));
    this.run.reset();
    this.trajectory.clear();
    this.#reading = undefined;
    this.#key = undefined;
  }

  /** A run in flight was cut short (the element left the page): say so where it was shown. */
  interrupt(): void {
    if (!this.run.pending) return;
    emit(this.#host, new GenvizCancelEvent('reverse', 'disconnected'));
    this.trajectory.end();
    this.#services.feedback.announce('Sampling stopped: the element left the page.');
  }

  start(pauseAfterFirst: boolean): void {
    this.trajectory.begin(pauseAfterFirst);
    this.#reading = undefined;
    this.#latent = this.#host.space === 'latent';
    this.#key = reverseKey(this.#host);
    this.#services.feedback.announce('Sampling started.');
    void this.run.run((signal) => this.#sample(signal));
  }

  async #sample(signal: AbortSignal): Promise<DiffusionResult> {
    const host = this.#host;
    const { model, feedback } = this.#services;
    await model.ensure();
    const scheduler = host.scheduler;
    this.#scheduler = scheduler;
    const latent = host.space === 'latent';
    this.#latent = latent;
    const result = await this.#services.runtime().diffusion.sample({
      model: latent ? host.latentModel : host.model,
      device: host.device,
      scheduler,
      steps: host.steps,
      seed: host.seed,
      classLabel: host.digit,
      guidanceScale: host.guidance,
      every: 1,
      includeGuidance: !latent,
      decodeSteps: latent,
      signal,
      // The runtime waits for this promise before it streams the next step (it computes at
      // most one step ahead), so holding it pauses sampling between model evaluations.
      onStep: (step) => {
        if (signal.aborted) return undefined;
        const gate = this.trajectory.push(step, step.index >= step.steps - 1, signal);
        emit(host, new GenvizStepEvent(step, 'reverse', scheduler));
        if (gate) this.announceStep('Paused at');
        return gate;
      },
    });
    model.noteDevice(result.device);
    this.trajectory.end();
    const reading = await readImage(this.#services.runtime(), result.image ?? result.sample, {
      classifier: host.classifier,
      device: host.device,
      signal,
      tag: 'genviz-diffusion-stepper',
      range: result.image ? 'unit' : 'minus-one-to-one',
    });
    signal.throwIfAborted();
    this.#reading = reading;
    const readout = reading
      ? ` The classifier reads ${articleFor(reading.digit)} ${reading.digit} (${formatPercent(reading.confidence)}).`
      : '';
    feedback.announce(
      `Done: ${result.steps} steps, ${result.evaluations} model evaluations, ${formatSeconds(result.elapsedMs)}.${readout}`,
    );
    return result;
  }

  /** The stored run's space, or before any run the element's. */
  #showsLatent(): boolean {
    return this.trajectory.steps.length > 0 ? this.#latent : this.#host.space === 'latent';
  }

  #renderLatentPanels(): TemplateResult {
    return html`<div class="panels">
        <figure>
          <div class="latent-channels">
            ${Array.from({ length: LATENT_CHANNELS }, (_, c) => latentChannel(c))}
          </div>
          <figcaption>
            x<sub>t</sub> in latent space: ${LATENT_CHANNELS} channels of
            ${LATENT_SIDE}x${LATENT_SIDE} (${LATENT_CHANNELS * LATENT_SIDE * LATENT_SIDE} numbers, a
            quarter of the image's 784)
          </figcaption>
        </figure>
        ${panel('panel-prediction', html`Predicted clean latent x̂<sub>0</sub>, decoded`)}
      </div>
      <p class="hint">
        The UNet denoises the autoencoder's latent; only to show each step is its prediction decoded
        into pixels. The sample itself is decoded once, at the end.
      </p>`;
  }

  /**
   * Which of the asked steps a stored update belongs to, and of how many. A second-order or
   * SDE sampler (Heun, KDPM2, DPM-Solver SDE) makes more updates than the steps asked, each a
   * model evaluation: 10 steps are 19 updates, and the last is still step 10 of 10.
   */
  stepOf(step: DiffusionStep): { step: number; of: number } {
    const asked = this.#host.steps;
    if (!(step.steps > asked && asked > 0)) return { step: step.index + 1, of: step.steps };
    return { step: Math.max(1, Math.ceil(((step.index + 1) * asked) / step.steps)), of: asked };
  }

  announceStep(prefix = 'Step'): void {
    const step = this.trajectory.current;
    if (!step) return;
    const at = this.stepOf(step);
    this.#services.feedback.announce(
      `${prefix} ${prefix === 'Step' ? '' : 'step '}${at.step} of ${at.of}, t = ${Math.round(step.timestep)}, ${step.evaluations} model evaluations.`.replace(
        '  ',
        ' ',
      ),
    );
  }

  draw(root: ParentNode, curves: ScheduleCurves): void {
    const canvas = (part: string) => root.querySelector<HTMLCanvasElement>(`[part~="${part}"]`);
    const step = this.trajectory.current;
    if (this.#showsLatent()) {
      for (let c = 0; c < LATENT_CHANNELS; c++) {
        drawTensor(
          canvas(`latent-channel-${c}`),
          step?.sample,
          step ? displayRange(step.sample) : 1,
          c * LATENT_SIDE * LATENT_SIDE,
        );
      }
      const decoded = step?.decodedPrediction;
      drawTensor(
        canvas('panel-prediction'),
        decoded ? decoded.map((value) => value * 2 - 1) : undefined,
      );
      drawSchedule(canvas('schedule'), curves, step ? step.timestep + 1 : undefined);
      return;
    }
    drawTensor(canvas('panel-sample'), step?.sample, step ? displayRange(step.sample) : 1);
    drawTensor(canvas('panel-noise'), step?.noise, 2.5);
    drawTensor(canvas('panel-prediction'), step?.predictedOriginal);
    if (step?.unconditionalNoise && step.conditionalNoise) {
      const direction = new Float32Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) {
        direction[i] = step.conditionalNoise[i]! - step.unconditionalNoise[i]!;
      }
      drawTensor(canvas('guidance-unconditional'), step.unconditionalNoise, 2.5);
      drawTensor(canvas('guidance-conditional'), step.conditionalNoise, 2.5);
      // Early on the two predictions nearly agree: scaled to its own largest value, the
      // direction shows its shape instead of a flat grey.
      let largest = 0;
      for (const value of direction) largest = Math.max(largest, Math.abs(value));
      drawTensor(canvas('guidance-direction'), direction, largest > 0 ? largest : 1);
      drawTensor(canvas('guidance-combined'), step.noise, 2.5);
    }
    drawSchedule(canvas('schedule'), curves, step ? step.timestep + 1 : undefined);
  }

  render(busy: boolean): TemplateResult {
    const host = this.#host;
    const { trajectory } = this;
    const step = trajectory.current;
    const stored = trajectory.steps.length;
    const at = step ? this.stepOf(step) : { step: 0, of: host.steps };
    const total = at.of;
    const playing = this.running || trajectory.replaying;
    const guided = host.digit !== null && host.guidance !== 1;
    const last = trajectory.steps.at(-1);
    const complete = this.run.status === 'complete';
    // Every view's section is a named group, not a region landmark: a page with two steppers
    // (or two duels) would otherwise hold two landmarks of the same name (axe landmark-unique).
    return html`<section part="reverse" role="group" aria-label="Reverse process">
      ${renderSettings(host, true, busy)}
      <div part="transport">
        <div class="buttons">
          <button
            part="button play-button"
            type="button"
            @click=${() => (playing ? host.pause() : host.play())}
          >
            ${playing ? 'Pause' : this.paused ? 'Resume' : complete ? 'Replay' : 'Play'}
          </button>
          <button
            part="button back-button"
            type="button"
            ?disabled=${trajectory.shown <= 0}
            @click=${() => host.stepBack()}
          >
            ◀ Step back
          </button>
          <button
            part="button step-button"
            type="button"
            ?disabled=${complete && trajectory.shown >= stored - 1}
            @click=${() => host.stepForward()}
          >
            Step ▶
          </button>
          <button
            part="button reset-button"
            type="button"
            ?disabled=${stored === 0 && !this.run.pending}
            @click=${() => host.reset()}
          >
            Reset
          </button>
        </div>
        <label class="slider-row">
          <span>Step</span>
          <input
            part="slider scrubber"
            type="range"
            min="0"
            max=${Math.max(0, stored - 1)}
            step="1"
            .value=${String(Math.max(0, trajectory.shown))}
            ?disabled=${stored < 2}
            aria-valuetext=${
              step
                ? `step ${at.step} of ${total}, t = ${Math.round(step.timestep)}`
                : 'no steps yet'
            }
            @input=${(event: Event) =>
              (host.currentStep = (event.target as HTMLInputElement).valueAsNumber)}
          />
        </label>
        <p part="counter">
          <span>Step <strong>${at.step}</strong> of ${total}</span>
          <span>t = ${step ? Math.round(step.timestep) : 1000}</span>
          <span
            >Model evaluations:
            <strong data-evaluations=${last?.evaluations ?? 0}
              >${last?.evaluations ?? 0}</strong
            ></span
          >
          <span>Time: ${formatSeconds(last?.elapsedMs ?? 0)}</span>
          <span>Stored: ${stored}</span>
        </p>
      </div>
      ${renderChoice({
        part: 'space',
        label: 'Where diffusion runs',
        buttonPart: 'space-button',
        choices: ['pixel', 'latent'] as const,
        labels: { pixel: 'On pixels (1x28x28)', latent: 'In latent space (4x7x7)' },
        current: host.space,
        choose: (space) => (host.space = space),
        disabled: (space) => space === 'latent' && !host.latentModel,
      })}
      ${
        this.#showsLatent()
          ? this.#renderLatentPanels()
          : html`<div class="panels">
              ${panel('panel-sample', html`x<sub>t</sub> (the sample)`)}
              ${panel('panel-noise', html`Predicted noise ε`)}
              ${panel('panel-prediction', html`Predicted clean image x̂<sub>0</sub>`)}
            </div>`
      }
      ${
        this.#reading
          ? html`<p part="result">
              The classifier reads ${articleFor(this.#reading.digit)}
              <strong>${this.#reading.digit}</strong>
              (${formatPercent(this.#reading.confidence)}
              confident)${host.digit !== null ? html`; asked for ${articleFor(host.digit)} ${host.digit}` : nothing}.
            </p>`
          : nothing
      }
      ${
        host.space === 'latent'
          ? nothing
          : html`<section part="guidance" role="group" aria-label="Guidance at the current step">
              <h3>Guidance at step ${step ? step.index + 1 : '—'}</h3>
              ${
                guided
                  ? html`<div class="panels four">
                      ${panel('guidance-unconditional', html`ε(x<sub>t</sub>, ∅): no digit`)}
                      ${panel('guidance-conditional', html`ε(x<sub>t</sub>, ${host.digit})`)}
                      ${panel('guidance-direction', html`Direction: ε(${host.digit}) − ε(∅), scaled to fit`)}
                      ${panel('guidance-combined', html`Guided: ε(∅) + ${host.guidance} × direction`)}
                    </div>`
                  : html`<p class="hint">
                      Guidance is off: pick a digit and a scale other than 1 to see the model's two
                      noise predictions and their combination.
                    </p>`
              }
            </section>`
      }
      ${renderSchedule(step ? `Cursor at t = ${Math.round(step.timestep)}.` : '')}
    </section>`;
  }
}

function latentChannel(channel: number): TemplateResult {
  return html`<canvas
    part="latent-channel latent-channel-${channel}"
    class="pixels"
    width=${LATENT_SIDE}
    height=${LATENT_SIDE}
    role="img"
    aria-label="Channel ${channel + 1} of the latent x_t, 7 by 7"
  ></canvas>`;
}

function panel(part: string, caption: TemplateResult): TemplateResult {
  const name = part.startsWith('guidance') ? `guidance-panel ${part}` : `panel ${part}`;
  return html`<figure>
    <canvas
      part=${name}
      class="pixels"
      width="28"
      height="28"
      role="img"
      aria-labelledby="caption-${part}"
    ></canvas>
    <figcaption id="caption-${part}">${caption}</figcaption>
  </figure>`;
}
