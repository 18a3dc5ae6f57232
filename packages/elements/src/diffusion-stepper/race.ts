import type { DigitReading } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { displayRange, drawTensor } from '../kit/draw.js';
import type { CancelReason } from '../kit/events.js';
import { GenvizCancelEvent } from '../kit/events.js';
import { emit, formatPercent, formatSeconds, isAborted, messageOf } from '../kit/format.js';
import { readImage } from '../kit/reading.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import { GenvizCompleteEvent, GenvizStepEvent } from './events.js';
import type { StepperServices } from './reverse-process.js';
import { LIVE_STEPS } from './live.js';
import { renderSettings } from './settings.js';

export interface RaceLane {
  /** The lane's part-name token and key (`ddpm`, `ddim`, `dpmsolver`, `latent`). */
  id: string;
  /** What the reader sees it called. */
  label: string;
  /** `latent`: the latent diffusion model (or the consistency model), decoded once at the end. */
  space: 'pixel' | 'latent';
  /** Which of the element's models the lane samples (`consistency`: its consistency-model). */
  model: 'pixel' | 'latent' | 'consistency';
  scheduler: string;
  steps: number;
  every: number;
  /** `stopped`: the race was stopped (or the element left the page) before this lane finished. */
  status: 'waiting' | 'running' | 'done' | 'error' | 'stopped';
  sample?: Float32Array;
  stepIndex: number;
  evaluations: number;
  elapsedMs: number;
  reading?: DigitReading;
  /** Why the lane failed. */
  error?: string;
}

/** The settings a race depends on. */
export const raceKey = (host: GenvizDiffusionStepper): string =>
  JSON.stringify([
    host.model,
    host.latentModel,
    host.consistencyModel,
    host.device,
    host.seed,
    host.digit,
    host.guidance,
    host.raceSteps,
  ]);

/**
 * DDPM (race-steps), DDIM 50 and DPM-Solver++ 20 on pixels, DDIM 50 in latent space, and the
 * distilled consistency model in 4 steps.
 */
function plannedLanes(host: GenvizDiffusionStepper): RaceLane[] {
  const every = Math.max(1, Math.round(host.raceSteps / 50));
  const lanes: Pick<
    RaceLane,
    'id' | 'label' | 'space' | 'model' | 'scheduler' | 'steps' | 'every'
  >[] = [
    {
      id: 'ddpm',
      label: 'DDPM',
      space: 'pixel',
      model: 'pixel',
      scheduler: 'ddpm',
      steps: host.raceSteps,
      every,
    },
    {
      id: 'ddim',
      label: 'DDIM',
      space: 'pixel',
      model: 'pixel',
      scheduler: 'ddim',
      steps: 50,
      every: 1,
    },
    {
      id: 'dpmsolver',
      label: 'DPM-Solver++',
      space: 'pixel',
      model: 'pixel',
      scheduler: 'dpmsolver++',
      steps: 20,
      every: 1,
    },
  ];
  if (host.latentModel) {
    lanes.push({
      id: 'latent',
      label: 'Latent DDIM',
      space: 'latent',
      model: 'latent',
      scheduler: 'ddim',
      steps: 50,
      every: 5,
    });
  }
  if (host.consistencyModel) {
    lanes.push({
      id: 'consistency',
      label: 'Consistency',
      space: 'latent',
      model: 'consistency',
      scheduler: 'lcm',
      steps: LIVE_STEPS,
      every: 1,
    });
  }
  return lanes.map((lane) => ({
    ...lane,
    status: 'waiting',
    stepIndex: -1,
    evaluations: 0,
    elapsedMs: 0,
  }));
}

/**
 * The race of `<genviz-diffusion-stepper>`: one seed, digit and guidance sampled with DDPM, DDIM
 * (50 steps) and DPM-Solver++ (20), one lane after another so each lane's time is its own, each
 * result read by the classifier.
 */
export class Race {
  readonly run: RunController<RaceLane[]>;
  readonly #host: GenvizDiffusionStepper;
  readonly #services: StepperServices;
  #lanes: RaceLane[] = [];
  #key: string | undefined;

  constructor(host: GenvizDiffusionStepper, services: StepperServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController<RaceLane[]>(host, { onError: services.feedback.report });
  }

  get lanes(): readonly RaceLane[] {
    return this.#lanes;
  }

  get key(): string | undefined {
    return this.#key;
  }

  get idle(): boolean {
    return this.run.status === 'initial' && this.#lanes.length === 0;
  }

  start(): void {
    if (this.run.pending) this.reset('stopped');
    this.#key = raceKey(this.#host);
    void this.run.run((signal) => this.#race(signal));
  }

  /** Stops the race, keeping the finished lanes; unfinished ones say they were stopped. */
  stop(reason: CancelReason): void {
    if (!this.run.pending) return;
    emit(this.#host, new GenvizCancelEvent('race', reason));
    this.run.abort();
    this.#markStopped();
    this.#services.feedback.announce(
      reason === 'disconnected'
        ? 'The race stopped: the element left the page.'
        : 'The race was stopped.',
    );
  }

  /** Forgets the race (its settings changed, or reset). */
  reset(reason: CancelReason): void {
    if (this.run.pending) emit(this.#host, new GenvizCancelEvent('race', reason));
    this.run.reset();
    this.#lanes = [];
    this.#key = undefined;
  }

  /** The race was cut short by the element leaving the page (its run already aborted). */
  interrupted(): void {
    emit(this.#host, new GenvizCancelEvent('race', 'disconnected'));
    this.#markStopped();
    this.#services.feedback.announce('The race stopped: the element left the page.');
  }

  #markStopped(): void {
    for (const lane of this.#lanes) {
      if (lane.status === 'running' || lane.status === 'waiting') lane.status = 'stopped';
    }
    this.#host.requestUpdate();
  }

  async #race(signal: AbortSignal): Promise<RaceLane[]> {
    const lanes = plannedLanes(this.#host);
    this.#lanes = lanes;
    const { feedback } = this.#services;
    feedback.announce('The race started.');
    await this.#services.model.ensure();
    // One lane at a time, fastest first: every model call goes through one worker queue, so
    // lanes run together would each report the others' time as their own.
    for (const lane of [lanes[2]!, lanes[1]!, lanes[0]!, ...lanes.slice(3)]) {
      lane.status = 'running';
      this.#host.requestUpdate();
      try {
        await this.#runLane(lane, signal);
      } catch (error) {
        if (signal.aborted || isAborted(error)) throw error;
        // One lane's failure (a scheduler that rejects the model's config) leaves the others.
        lane.status = 'error';
        lane.error = messageOf(error);
        feedback.report(error);
        this.#host.requestUpdate();
      }
    }
    feedback.announce(
      `Race finished. ${lanes
        .map(
          (lane) =>
            `${lane.label}: ${lane.error ? `failed (${lane.error})` : `${lane.evaluations} evaluations, ${formatSeconds(lane.elapsedMs)}${lane.reading ? `, reads ${lane.reading.digit} (${formatPercent(lane.reading.confidence)})` : ''}`}.`,
        )
        .join(' ')}`,
    );
    return lanes;
  }

  async #runLane(lane: RaceLane, signal: AbortSignal): Promise<void> {
    const host = this.#host;
    const runtime = this.#services.runtime();
    const latent = lane.space === 'latent';
    const result = await runtime.diffusion.sample({
      model:
        lane.model === 'consistency'
          ? host.consistencyModel
          : lane.model === 'latent'
            ? host.latentModel
            : host.model,
      device: host.device,
      scheduler: lane.scheduler,
      steps: lane.steps,
      seed: host.seed,
      classLabel: host.digit,
      guidanceScale: host.guidance,
      every: lane.every,
      signal,
      onStep: (step) => {
        if (signal.aborted) return;
        // A latent lane shows its image once decoded, at the end: the latent is not a picture.
        if (!latent) lane.sample = step.sample;
        lane.stepIndex = step.index;
        lane.evaluations = step.evaluations;
        lane.elapsedMs = step.elapsedMs;
        emit(host, new GenvizStepEvent(step, 'race', lane.scheduler));
        host.requestUpdate();
      },
    });
    this.#services.model.noteDevice(result.device);
    lane.sample = result.image ? result.image.map((value) => value * 2 - 1) : result.sample;
    lane.evaluations = result.evaluations;
    lane.elapsedMs = result.elapsedMs;
    lane.stepIndex = result.steps - 1;
    lane.reading = await readImage(runtime, lane.sample, {
      classifier: host.classifier,
      device: host.device,
      signal,
      tag: 'genviz-diffusion-stepper',
    });
    signal.throwIfAborted();
    lane.status = 'done';
    emit(host, new GenvizCompleteEvent(result, 'race', lane.scheduler, lane.reading));
    host.requestUpdate();
  }

  draw(root: ParentNode): void {
    for (const lane of this.#lanes) {
      drawTensor(
        root.querySelector<HTMLCanvasElement>(`[part~="lane-canvas-${lane.id}"]`),
        lane.sample,
        lane.sample ? displayRange(lane.sample) : 1,
      );
    }
  }

  render(busy: boolean): TemplateResult {
    const host = this.#host;
    const lanes = this.#lanes.length > 0 ? this.#lanes : plannedLanes(host);
    const pending = this.run.pending;
    return html`<section part="race" role="group" aria-label="Race">
      ${renderSettings(host, false, busy)}
      <div class="buttons">
        <button
          part="button race-button"
          type="button"
          @click=${() => (pending ? this.stop('stopped') : host.startRace())}
        >
          ${pending ? 'Stop' : this.#lanes.length > 0 ? 'Race again' : 'Start the race'}
        </button>
      </div>
      <div class="lanes">
        ${lanes.map(
          (lane) =>
            html`<figure part="lane lane-${lane.id}" data-status=${lane.status}>
              <canvas
                part="panel lane-canvas-${lane.id}"
                class="pixels"
                width="28"
                height="28"
                role="img"
                aria-label="${lane.label} sample"
              ></canvas>
              <figcaption>
                <span
                  ><strong>${lane.label}</strong> · ${lane.steps}
                  steps${lane.space === 'latent' ? ' on 4x7x7, decoded once' : ''}</span
                >
                <span
                  >${
                    lane.status === 'waiting'
                      ? 'waiting'
                      : lane.status === 'stopped'
                        ? `stopped at step ${lane.stepIndex + 1} of ${lane.steps}`
                        : `step ${lane.stepIndex + 1} of ${lane.steps}`
                  }</span
                >
                <span
                  >Evaluations:
                  <strong data-evaluations=${lane.evaluations}>${lane.evaluations}</strong></span
                >
                <span>Time: ${formatSeconds(lane.elapsedMs)}</span>
                <span data-confidence=${lane.reading?.confidence ?? ''}
                  >${
                    lane.reading
                      ? `Reads ${lane.reading.digit} (${formatPercent(lane.reading.confidence)})`
                      : lane.status === 'done'
                        ? 'No classifier reading'
                        : lane.error
                          ? `Failed: ${lane.error}`
                          : ''
                  }</span
                >
              </figcaption>
            </figure>`,
        )}
      </div>
      <p class="hint">
        Same seed (${host.seed}), digit (${host.digit ?? 'none'}) and guidance; run one at a time so
        each time is its own.
      </p>
    </section>`;
  }
}
