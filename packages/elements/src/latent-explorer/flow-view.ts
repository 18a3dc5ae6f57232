import { NormalGenerator } from '@genviz/core';
import type { DiffusionStep } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { scaleFrame, tensorFrame, tileFrames } from '../kit/animation-controller.js';
import type { AnimationFrames } from '../kit/animation-controller.js';
import { classColors } from '../kit/classes.js';
import { drawTensor } from '../kit/draw.js';
import { articleFor, formatSeconds } from '../kit/format.js';
import { RunController } from '../kit/run-controller.js';
import { TrajectoryController } from '../kit/trajectory-controller.js';
import type { LatentMarker, LatentPoints } from '../latent-pad/latent-pad.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';
import { unitToSigned } from './live-decoder.js';
import type { ExplorerServices } from './settings.js';

/** Points in the cloud. */
export const FLOW_POINTS = 256;
const FLOW_STEPS = 50;
const GUIDANCE = 3;
/** A saved flow's frame: the cloud, and the followed digit at 8x, this many pixels square. */
const FLOW_FRAME_SIDE = 224;

/**
 * Diffusion as a flow of points: a small class-conditional denoiser trained on the VAE's codes
 * of the training digits (`mnist-vae-flow`) moves 256 points from the Gaussian prior into the
 * class clusters of the map, step by step (DDIM, 50 steps, guidance 3). One point is followed:
 * its code is decoded at every step shown.
 */
export class FlowView {
  readonly run: RunController<void>;
  readonly trajectory: TrajectoryController<DiffusionStep>;
  readonly #host: GenvizLatentExplorer;
  readonly #services: ExplorerServices;
  /** The asked class of each point: every digit in turn, or one digit for all. */
  #digit: number | null = null;
  #followed = 0;
  #decoded: { step: DiffusionStep; image: Float32Array } | undefined;
  #decoding: DiffusionStep | undefined;

  constructor(host: GenvizLatentExplorer, services: ExplorerServices) {
    this.#host = host;
    this.#services = services;
    this.trajectory = new TrajectoryController<DiffusionStep>(host);
    this.run = new RunController<void>(host, { onError: services.feedback.report });
  }

  get error(): unknown {
    return this.run.status === 'error' ? this.run.error : undefined;
  }

  get labels(): number[] {
    return Array.from({ length: FLOW_POINTS }, (_, i) => this.#digit ?? i % 10);
  }

  reset(): void {
    this.run.reset();
    this.trajectory.clear();
    this.#decoded = undefined;
  }

  /** Starts a flow when the view is first shown. */
  start(): void {
    if (this.run.status === 'initial' && this.trajectory.steps.length === 0) this.play();
  }

  play(): void {
    this.trajectory.begin(false);
    this.#decoded = undefined;
    void this.run.run((signal) => this.#flow(signal));
  }

  async #flow(signal: AbortSignal): Promise<void> {
    const result = await this.#services.runtime().diffusion.sample({
      model: this.#host.flowModel,
      device: this.#host.device,
      classLabels: this.labels,
      guidanceScale: GUIDANCE,
      steps: FLOW_STEPS,
      // The points are the result; one of them is decoded per shown step, not all 256.
      decode: false,
      seed: this.#host.seed,
      every: 1,
      signal,
      onStep: (step) => this.trajectory.push(step, step.index >= step.steps - 1, signal),
    });
    this.trajectory.end();
    this.#services.feedback.announce(
      `The flow is done: ${FLOW_POINTS} points in ${result.evaluations} steps, ${formatSeconds(result.elapsedMs)}.`,
    );
  }

  /** The prior's points before the first step (the same draw the sampler starts from). */
  #start(): Float32Array {
    const { seed } = this.#host;
    // A seed the element rejects (its message says so) draws no cloud.
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) return new Float32Array(0);
    return new NormalGenerator(seed).fill(new Float32Array(FLOW_POINTS * 2));
  }

  /** The cloud to draw: the shown step's points, or the prior before any. */
  cloud(): LatentPoints {
    const step = this.trajectory.current;
    const xy = step?.sample ?? this.#start();
    return { xy, labels: Uint8Array.from(this.labels.slice(0, xy.length / 2)) };
  }

  /**
   * The flow as animation frames, one per stored step: the cloud of points in the map's square
   * (each a dot in its class colour) beside the followed point decoded at that step (the
   * followed codes of all steps are decoded in one call).
   */
  async animationFrames(signal: AbortSignal): Promise<AnimationFrames> {
    const steps = this.trajectory.steps;
    if (steps.length === 0) throw new Error('There is no flow to save yet: play it first.');
    const i = this.#followed;
    const codes = new Float32Array(2 * steps.length);
    steps.forEach((step, s) => codes.set(step.sample.subarray(2 * i, 2 * i + 2), 2 * s));
    const decoded = await this.#services.runtime().vae.decode(codes, {
      model: this.#host.model,
      device: this.#host.device,
      signal,
    });
    const colours = classColors(this.#host);
    const labels = this.labels;
    const extent = this.#host.extent;
    const side = FLOW_FRAME_SIDE;
    const canvas = new OffscreenCanvas(side, side);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    const frames = steps.map((step, s) => {
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, side, side);
      for (let p = 0; p < labels.length; p++) {
        const px = Math.round(((step.sample[2 * p]! + extent) / (2 * extent)) * (side - 1));
        const py = Math.round(((extent - step.sample[2 * p + 1]!) / (2 * extent)) * (side - 1));
        context.fillStyle = colours[labels[p]!]!;
        context.fillRect(px - 1, py - 1, 3, 3);
      }
      const cloud = context.getImageData(0, 0, side, side).data;
      const digit = scaleFrame(
        tensorFrame(unitToSigned(decoded, s * 784), 28, 28),
        28,
        28,
        side / 28,
      );
      return tileFrames([cloud, digit], side, side, 2, 4).frame;
    });
    return {
      width: 2 * side + 4,
      height: side,
      frames,
      delayMs: frames.map((_, s) => (s === frames.length - 1 ? 1500 : 80)),
    };
  }

  markers(): LatentMarker[] {
    const xy = this.cloud().xy;
    const i = this.#followed;
    if (xy.length < 2 * (i + 1)) return [];
    return [{ kind: 'ring', x: xy[2 * i]!, y: xy[2 * i + 1]!, label: `#${i}` }];
  }

  /** Decodes the followed point at the shown step (one decode at a time, the newest wins). */
  #decodeFollowed(step: DiffusionStep | undefined) {
    if (!step || this.#decoded?.step === step || this.#decoding) return;
    this.#decoding = step;
    const i = this.#followed;
    void this.#services
      .runtime()
      .vae.decode(step.sample.slice(2 * i, 2 * i + 2), {
        model: this.#host.model,
        device: this.#host.device,
      })
      .then(
        (image) => {
          this.#decoded = { step, image };
          this.#decoding = undefined;
          this.#host.requestUpdate();
        },
        (error: unknown) => {
          this.#decoding = undefined;
          this.#services.feedback.report(error);
        },
      );
  }

  draw(root: ParentNode): void {
    const step = this.trajectory.current;
    this.#decodeFollowed(step);
    drawTensor(
      root.querySelector<HTMLCanvasElement>('[part~="followed"]'),
      this.#decoded ? unitToSigned(this.#decoded.image) : undefined,
    );
  }

  render(): TemplateResult {
    const { trajectory } = this;
    const step = trajectory.current;
    const stored = trajectory.steps.length;
    return html`<div class="flow">
      <div part="controls">
        <button
          part="button"
          class="primary"
          type="button"
          @click=${() => this.play()}
          ?disabled=${this.run.pending}
        >
          ${stored > 0 ? 'Flow again' : 'Flow'}
        </button>
        <label>
          <span>Asked digit</span>
          <select
            @change=${(event: Event) => {
              const value = (event.target as HTMLSelectElement).value;
              this.#digit = value === 'all' ? null : Number(value);
              this.play();
            }}
          >
            <option value="all" ?selected=${this.#digit === null}>every digit</option>
            ${Array.from(
              { length: 10 },
              (_, d) => html`<option value=${d} ?selected=${this.#digit === d}>${d}</option>`,
            )}
          </select>
        </label>
        <label>
          <span>Follow point</span>
          <input
            type="number"
            min="0"
            max=${FLOW_POINTS - 1}
            .value=${String(this.#followed)}
            @change=${(event: Event) => {
              const value = (event.target as HTMLInputElement).valueAsNumber;
              this.#followed = Math.max(0, Math.min(FLOW_POINTS - 1, Math.round(value || 0)));
              this.#decoded = undefined;
              this.#host.requestUpdate();
            }}
          />
        </label>
      </div>
      <label class="slider-row">
        <span>Step</span>
        <input
          part="slider"
          type="range"
          min="0"
          max=${Math.max(0, stored - 1)}
          .value=${String(Math.max(0, trajectory.shown))}
          ?disabled=${stored < 2}
          aria-valuetext=${step ? `step ${step.index + 1} of ${step.steps}` : 'no steps yet'}
          @input=${(event: Event) =>
            trajectory.show((event.target as HTMLInputElement).valueAsNumber)}
        />
        <output>${step ? `${step.index + 1} / ${step.steps}` : `0 / ${FLOW_STEPS}`}</output>
      </label>
      <figure>
        <canvas
          part="followed"
          class="pixels"
          width="28"
          height="28"
          role="img"
          aria-label="The followed point's code, decoded"
        ></canvas>
        <figcaption>
          Point #${this.#followed}, asked to be ${articleFor(this.labels[this.#followed]!)}
          ${this.labels[this.#followed]}, decoded${step ? ` at step ${step.index + 1}` : ''}.
        </figcaption>
      </figure>
      <p class="hint">
        ${FLOW_POINTS} points start as Gaussian noise. At each step a small denoiser, trained on the
        codes of the training digits, predicts the noise in every point; the sampler removes a
        little of it, with guidance toward each point's asked digit. The cloud flows into the class
        clusters of the map.
      </p>
    </div>`;
  }
}
