import { SCHEDULER_CLASSES, SCHEDULER_NAMES, scheduleFromConfig } from '@genviz/core';
import type { SchedulerConfigJson } from '@genviz/core';
import { GenvizError, GenvizRuntime } from '@genviz/runtime';
import type {
  DeviceChoice,
  DeviceOption,
  DiffusionResult,
  DiffusionStep,
  LoadedModel,
  ModelProgress,
} from '@genviz/runtime';
import { LitElement, html, isServer, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { RunController } from '../controllers/run-controller.js';
import { diffusionStepperStyles } from './diffusion-stepper.styles.js';
import { displayRange, drawHistogram, drawSchedule, drawTensor, moments } from './draw.js';
import type { ScheduleCurves } from './draw.js';
import {
  GenvizCompleteEvent,
  GenvizErrorEvent,
  GenvizModelProgressEvent,
  GenvizStepEvent,
} from './events.js';
import type { DigitReading } from './events.js';
import { PIXELS, heldOutDigits, imageToTensor, pickDigit } from './images.js';

export {
  GenvizCompleteEvent,
  GenvizErrorEvent,
  GenvizModelProgressEvent,
  GenvizStepEvent,
} from './events.js';
export type { DiffusionRunKind, DigitReading } from './events.js';

/** What the element shows: the forward (noising) process, the reverse process, or the race. */
export type DiffusionStepperMode = 'forward' | 'reverse' | 'race';

const MODES: readonly DiffusionStepperMode[] = ['forward', 'reverse', 'race'];
const DEVICES: readonly DeviceOption[] = ['auto', 'webgpu', 'wasm'];
const TRAIN_STEPS = 1000;
const MILESTONES = [0, 200, 500, 800, 1000] as const;
const MAX_GUIDANCE = 20;

/** Friendly scheduler names with the label a reader sees. */
const SCHEDULER_LABELS: Record<string, string> = {
  ddpm: 'DDPM',
  ddim: 'DDIM',
  euler: 'Euler',
  'euler-ancestral': 'Euler ancestral',
  'dpmsolver++': 'DPM-Solver++',
  'dpmsolver++-karras': 'DPM-Solver++ (Karras)',
  heun: 'Heun',
  lms: 'LMS',
  pndm: 'PNDM',
  lcm: 'LCM',
  unipc: 'UniPC',
  deis: 'DEIS',
};

/** Every scheduler the core implements, by friendly name (new ones appear here by themselves). */
export const schedulerNames = (): string[] => Object.keys(SCHEDULER_NAMES);
const schedulerLabel = (name: string) => SCHEDULER_LABELS[name] ?? name;
/** A scheduler name as a part-name token (`dpmsolver++` -> `dpmsolver`). */
const laneId = (name: string) => name.replace(/[^a-z0-9-]/gi, '');

const digitConverter = {
  fromAttribute: (value: string | null): number | null =>
    value === null || value.trim() === '' || value.trim().toLowerCase() === 'none'
      ? null
      : Number(value),
  toAttribute: (value: number | null): string => (value === null ? 'none' : String(value)),
};

/**
 * Dispatches one of our typed events. A function outside the class, so the custom-elements
 * analyzer takes the events from the `@fires` tags instead of guessing names from arguments.
 */
const emit = (target: EventTarget, event: Event) => target.dispatchEvent(event);

/** Dev mode is Lit's: its development build keeps this set (https://lit.dev/docs/tools/development/). */
const devMode = () =>
  (globalThis as { litIssuedWarnings?: unknown }).litIssuedWarnings !== undefined;

interface ForwardData {
  /** x_t for t = 0..1000 (0: the clean image). */
  samples: Float32Array[];
  snr: number[];
  source: string;
}

interface RaceLane {
  scheduler: string;
  steps: number;
  every: number;
  status: 'waiting' | 'running' | 'done' | 'error';
  sample?: Float32Array;
  stepIndex: number;
  evaluations: number;
  elapsedMs: number;
  reading?: DigitReading;
  /** Why the lane failed. */
  error?: string;
}

const scheduleCache = new Map<string, ScheduleCurves>();
function scheduleCurves(config: Record<string, unknown> | undefined): ScheduleCurves {
  const base = { num_train_timesteps: TRAIN_STEPS, ...(config ?? {}) } as SchedulerConfigJson;
  const key = JSON.stringify(base);
  let curves = scheduleCache.get(key);
  if (!curves) {
    const linear = scheduleFromConfig({ ...base, beta_schedule: 'linear', trained_betas: null });
    const cosine = scheduleFromConfig({
      ...base,
      beta_schedule: 'squaredcos_cap_v2',
      trained_betas: null,
    });
    curves = { linear, cosine };
    scheduleCache.set(key, curves);
  }
  return curves;
}

const formatSnr = (snr: number) =>
  !Number.isFinite(snr) ? '∞' : snr >= 100 ? snr.toFixed(0) : snr.toPrecision(3);
const formatSeconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const formatPercent = (p: number) => `${(p * 100).toFixed(p > 0.995 && p < 1 ? 1 : 0)}%`;
const errorCode = (error: unknown) => (error instanceof GenvizError ? error.code : 'runtime-error');
const isAborted = (error: unknown) =>
  (error instanceof GenvizError && error.code === 'aborted') ||
  (error instanceof DOMException && error.name === 'AbortError');
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The diffusion explainer in one element. The forward process destroys any image with noise
 * (the closed form with one fixed noise draw, a histogram converging on N(0, 1), the
 * signal-to-noise ratio); the reverse process runs a real class-conditional model from pure
 * static, one stored step at a time (x_t, the predicted noise, the predicted clean image, and
 * how classifier-free guidance combines its two noise predictions); the race samples one seed
 * with DDPM, DDIM and DPM-Solver++ side by side. Models run in the shared genviz worker, never on
 * the page's main thread.
 *
 * Keyboard, with the element focused: Space or K plays and pauses, period and comma step
 * forward and back through the trajectory; every slider is a native range input.
 *
 * @summary Watch noise destroy an image, and a diffusion model bring one back, step by step.
 *
 * @fires {GenvizStepEvent} genviz-step - A newly computed sampling step (`step`, `run`, `scheduler`); not fired when scrubbing stored steps.
 * @fires {GenvizCompleteEvent} genviz-complete - A sampling run (or race lane) finished: `result`, and the classifier's `reading`.
 * @fires {GenvizModelProgressEvent} genviz-model-progress - Model download and verification progress (`progress`).
 * @fires {GenvizErrorEvent} genviz-error - A failure (`code`, `message`, `error`): a model that cannot load, an unreadable image, an invalid attribute.
 * @fires {Event} input - (native, from the sliders) While the reader drags the t slider or the scrubber.
 *
 * @csspart base - The focusable wrapper of everything (the container-query container).
 * @csspart modes - The forward / reverse / race switch.
 * @csspart message - The list of rejected attribute values.
 * @csspart error - The error message and its retry button.
 * @csspart progress - The model download progress bar.
 * @csspart device - The device line (WebGPU or WASM, and why).
 * @csspart forward - The forward-process view.
 * @csspart image - The forward process's x_t canvas.
 * @csspart histogram - The pixel-value histogram canvas with the N(0, 1) curve.
 * @csspart readout - The signal-to-noise ratio and histogram statistics.
 * @csspart slider - Every range input (also `timestep-slider`, `guidance-slider`, `scrubber`).
 * @csspart milestones - The t = 0, 200, 500, 800, 1000 buttons.
 * @csspart source - The image picker and drop zone.
 * @csspart schedule - The alpha-bar / log-SNR plot canvas.
 * @csspart reverse - The reverse-process view.
 * @csspart controls - Digit, guidance, scheduler, steps and seed fields.
 * @csspart transport - Play, pause, step and reset buttons, scrubber and counters.
 * @csspart button - Every button (also `play-button`, `step-button`, `back-button`, `reset-button`, `race-button`).
 * @csspart counter - Step, evaluations and elapsed time.
 * @csspart panel - Each image panel's canvas (also `panel-sample`, `panel-noise`, `panel-prediction`).
 * @csspart guidance - The guidance view (also `guidance-unconditional`, `guidance-conditional`, `guidance-direction`, `guidance-combined` on its canvases).
 * @csspart result - The classifier's reading of the result.
 * @csspart race - The race view.
 * @csspart lane - Each race lane (also `lane-ddpm`, `lane-ddim`, `lane-dpmsolver`).
 *
 * @cssproperty [--genviz-diffusion-stepper-background=light-dark(#ffffff, #16161d)] - Background.
 * @cssproperty [--genviz-diffusion-stepper-surface=light-dark(#f4f4f7, #1f1f28)] - Panel and control surfaces.
 * @cssproperty [--genviz-diffusion-stepper-text-color=light-dark(#1b1b22, #ececf1)] - Text and axes.
 * @cssproperty [--genviz-diffusion-stepper-muted-color=light-dark(#5b5b6b, #a3a3b3)] - Captions.
 * @cssproperty [--genviz-diffusion-stepper-accent-color=light-dark(#4f46e5, #a5b4fc)] - Buttons, alpha-bar and the N(0, 1) curve.
 * @cssproperty [--genviz-diffusion-stepper-second-color=light-dark(#c2410c, #fdba74)] - The log-SNR curves.
 * @cssproperty [--genviz-diffusion-stepper-bar-color=light-dark(#a5a5b8, #5d5d70)] - Histogram bars.
 * @cssproperty [--genviz-diffusion-stepper-error-color=light-dark(#b91c1c, #fca5a5)] - Error text.
 * @cssproperty [--genviz-diffusion-stepper-radius=0.5rem] - Corner radius.
 * @cssproperty [--genviz-diffusion-stepper-gap=0.75rem] - Spacing between parts.
 * @cssproperty [--genviz-focus-ring-color=light-dark(#1d4ed8, #93c5fd)] - Focus ring colour.
 *
 * @cssstate loading - The model (or the forward process's image) is loading.
 * @cssstate running - Sampling is in progress (not paused).
 * @cssstate paused - A sampling run is paused.
 * @cssstate complete - The trajectory (or race) is complete.
 * @cssstate error - An error or a rejected attribute value is shown.
 * @cssstate cpu-fallback - The model runs on WASM though WebGPU was allowed.
 */
export class GenvizDiffusionStepper extends LitElement {
  static override styles = diffusionStepperStyles;

  /** A default model id or the URL of a diffusion model's manifest.json. */
  @property() model = 'mnist-ddpm';
  /** The classifier that reads the results (a default model id or a manifest URL). */
  @property() classifier = 'mnist-classifier';
  /** Where models run: `auto` (WebGPU when usable, else WASM), `webgpu` or `wasm`; unset, the runtime's default (`auto`). */
  @property() device: DeviceOption | undefined;
  /** The reverse process's sampler: `ddpm`, `ddim`, `euler`, `euler-ancestral`, `dpmsolver++`, `dpmsolver++-karras`, `heun`, `lms`, `pndm`, `lcm`, ... */
  @property() scheduler = 'ddim';
  /** Sampling steps of the reverse process, 1 to 1000. */
  @property({ type: Number }) steps = 50;
  /** The seed of the noise (the forward process's draw and the sampler's): same settings, same image. */
  @property({ type: Number }) seed = 0;
  /** The digit to draw (0-9), or `none` (null) for the unconditional model. Also picks the default forward image. */
  @property({ converter: digitConverter, reflect: true }) digit: number | null = 3;
  /** Classifier-free guidance scale, 0 to 20 (1: no guidance; ignored without a digit). */
  @property({ type: Number }) guidance = 3;
  /** URL of the forward process's image (any size, colour or grey); a held-out MNIST digit when absent. */
  @property() image: string | undefined;
  /** `forward`, `reverse` or `race`. */
  @property({ reflect: true }) mode: DiffusionStepperMode = 'forward';
  /** The forward process's t, 0 (the image) to 1000 (pure noise). */
  @property({ type: Number }) timestep = 0;
  /** DDPM's step count in the race (1000 in the article; fewer for quick demos and tests). */
  @property({ type: Number, attribute: 'race-steps' }) raceSteps = 1000;
  /** Start sampling when shown in reverse mode (never when the reader prefers reduced motion). */
  @property({ type: Boolean }) autoplay = false;
  /** The runtime to use; by default the page's shared one (one worker for every element). */
  @property({ attribute: false }) runtime: GenvizRuntime | undefined;

  #internals: ElementInternals | undefined;
  #reducedMotion = false;
  #problems: string[] = [];
  #warned = new Set<string>();
  #announcement = '';

  // Forward process.
  #forward = new RunController<ForwardData>(this, { onError: (error) => this.#report(error) });
  #imageOverride: { blob: Blob; name: string } | undefined;

  // Model loading.
  #load = new RunController<LoadedModel>(this, { onError: (error) => this.#report(error) });
  #loading: Promise<LoadedModel | undefined> | undefined;
  #progress: ModelProgress | undefined;
  #device: DeviceChoice | undefined;

  // Reverse process: the trajectory is kept as it is computed; scrubbing only reads it.
  #reverse = new RunController<DiffusionResult>(this, {
    onComplete: (result) =>
      emit(this, new GenvizCompleteEvent(result, 'reverse', this.#reverseScheduler, this.#reading)),
    onError: (error) => this.#report(error),
  });
  #reverseScheduler = '';
  #trajectory: DiffusionStep[] = [];
  #shown = -1;
  #paused = false;
  #pauseAfterStep = false;
  #releaseGate: (() => void) | undefined;
  #reading: DigitReading | undefined;
  #replayTimer: ReturnType<typeof setTimeout> | undefined;
  #autoplayed = false;

  // The race.
  #race = new RunController<RaceLane[]>(this, { onError: (error) => this.#report(error) });
  #lanes: RaceLane[] = [];

  constructor() {
    super();
    this.addEventListener('keydown', this.#onKeyDown);
    this.addEventListener('paste', this.#onPaste);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#internals ??= this.attachInternals();
    this.#reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopReplay();
    this.#releaseGate?.();
  }

  // ---- Public API -------------------------------------------------------------------------

  /** The stored steps of the current reverse trajectory, oldest first. */
  get trajectory(): readonly DiffusionStep[] {
    return this.#trajectory;
  }

  /** The index of the step shown in the reverse view (-1 before the first step). */
  get currentStep(): number {
    return this.#shown;
  }

  set currentStep(index: number) {
    this.#stopReplay();
    const clamped = Math.max(0, Math.min(this.#trajectory.length - 1, Math.round(index)));
    if (this.#trajectory.length === 0 || clamped === this.#shown) return;
    this.#shown = clamped;
    this.#announceStep();
    this.requestUpdate();
  }

  /** Model evaluations of the reverse run so far. */
  get evaluations(): number {
    return this.#trajectory.at(-1)?.evaluations ?? 0;
  }

  /** Whether a reverse run is sampling now (not paused). */
  get running(): boolean {
    return (this.#reverse.pending && !this.#paused) || this.#race.pending;
  }

  /** Whether the reverse run is paused. */
  get paused(): boolean {
    return this.#reverse.pending && this.#paused;
  }

  /** The classifier's reading of the last reverse result. */
  get reading(): DigitReading | undefined {
    return this.#reading;
  }

  /** The race lanes: scheduler, steps, evaluations, time, reading. */
  get raceLanes(): readonly Readonly<RaceLane>[] {
    return this.#lanes;
  }

  /**
   * Plays: starts sampling (reverse mode) or the race, resumes a paused run, or replays a
   * finished trajectory.
   */
  play(): void {
    if (this.mode === 'race') {
      this.startRace();
      return;
    }
    if (!this.#canSample()) return;
    if (this.#reverse.pending) {
      this.#paused = false;
      this.#pauseAfterStep = false;
      this.#announce('Sampling resumed.');
      this.#release();
      this.requestUpdate();
      return;
    }
    if (this.#trajectory.length > 0 && this.#reverse.status === 'complete') {
      this.#replay();
      return;
    }
    this.#startReverse(false);
  }

  /** Pauses sampling after the step in flight (no further model evaluations), or a replay. */
  pause(): void {
    if (this.#replayTimer !== undefined) {
      this.#stopReplay();
      this.#announceStep('Paused at');
      return;
    }
    if (!this.#reverse.pending || this.#paused) return;
    this.#paused = true;
    this.#pauseAfterStep = true;
    this.#announceStep('Paused at');
    this.requestUpdate();
  }

  /** Shows the next stored step, or computes exactly one more. */
  stepForward(): void {
    this.#stopReplay();
    if (this.#shown < this.#trajectory.length - 1) {
      this.currentStep = this.#shown + 1;
      return;
    }
    if (!this.#canSample()) return;
    if (this.#reverse.pending) {
      this.#paused = true;
      this.#pauseAfterStep = true;
      this.#release();
      this.requestUpdate();
    } else if (this.#reverse.status !== 'complete') {
      this.#startReverse(true);
    }
  }

  /** Shows the previous stored step. */
  stepBack(): void {
    this.currentStep = this.#shown - 1;
  }

  /** Stops sampling and forgets the trajectory and the race. */
  reset(): void {
    this.#stopReplay();
    this.#reverse.reset();
    this.#race.reset();
    this.#release();
    this.#trajectory = [];
    this.#shown = -1;
    this.#paused = false;
    this.#pauseAfterStep = false;
    this.#reading = undefined;
    this.#lanes = [];
    this.requestUpdate();
  }

  /** Runs the race: the same seed, digit and guidance with DDPM, DDIM (50) and DPM-Solver++ (20). */
  startRace(): void {
    if (!this.#canSample()) return;
    void this.#race.run((signal) => this.#runRace(signal));
  }

  /** Uses an image (a file, a blob, or a URL) for the forward process. */
  setImage(
    source: Blob | string,
    name = source instanceof File ? source.name : 'your image',
  ): void {
    if (typeof source === 'string') {
      this.#imageOverride = undefined;
      this.image = source;
    } else {
      this.#imageOverride = { blob: source, name };
    }
    this.#forward.reset();
    this.requestUpdate();
  }

  /** Goes back to the default image (a held-out digit). */
  useDefaultImage(): void {
    this.#imageOverride = undefined;
    this.image = undefined;
    this.#forward.reset();
  }

  // ---- Lifecycle --------------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#validate();
    if (changed.has('model') || changed.has('device')) {
      if (this.#load.status !== 'initial' || this.#loading) {
        this.#load.reset();
        this.#loading = undefined;
        this.#device = undefined;
      }
    }
    const samplingInputs = ['model', 'device', 'scheduler', 'steps', 'seed', 'digit', 'guidance'];
    if (samplingInputs.some((key) => changed.has(key as keyof GenvizDiffusionStepper))) {
      if (this.#trajectory.length > 0 || this.#reverse.pending || this.#lanes.length > 0) {
        this.reset();
      }
    }
    if (
      changed.has('image') ||
      changed.has('seed') ||
      changed.has('model') ||
      (changed.has('digit') && !this.image && !this.#imageOverride)
    ) {
      if (this.#forward.status !== 'initial') this.#forward.reset();
    }
    if (isServer || !this.isConnected) return;
    // Work starts when its view is shown: the forward process needs only the schedule, the
    // reverse process and the race need the model.
    const blocking = this.#problems.length > 0;
    if (this.mode === 'forward' && this.#forward.status === 'initial' && !this.#seedProblem()) {
      void this.#forward.run((signal) => this.#runForward(signal));
    }
    if (this.mode !== 'forward' && this.#load.status === 'initial' && !this.#loading && !blocking) {
      void this.#ensureModel().catch(() => undefined);
    }
    if (
      this.autoplay &&
      !this.#autoplayed &&
      !this.#reducedMotion &&
      this.mode === 'reverse' &&
      !blocking
    ) {
      this.#autoplayed = true;
      this.#startReverse(false);
    }
  }

  protected override updated(): void {
    const root = this.renderRoot;
    const canvas = (part: string) => root.querySelector<HTMLCanvasElement>(`[part~="${part}"]`);
    const curves = this.#curves();
    if (this.mode === 'forward') {
      const sample = this.#forwardSample();
      drawTensor(canvas('image'), sample);
      drawHistogram(canvas('histogram'), sample);
      drawSchedule(canvas('schedule'), curves, this.#clampedTimestep());
    } else if (this.mode === 'reverse') {
      const step = this.#trajectory[this.#shown];
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
        drawTensor(canvas('guidance-direction'), direction, 0.5);
        drawTensor(canvas('guidance-combined'), step.noise, 2.5);
      }
      drawSchedule(canvas('schedule'), curves, step ? step.timestep + 1 : undefined);
    } else {
      for (const lane of this.#lanes) {
        drawTensor(
          canvas(`lane-canvas-${laneId(lane.scheduler)}`),
          lane.sample,
          lane.sample ? displayRange(lane.sample) : 1,
        );
      }
    }
    this.#syncStates();
  }

  // ---- Validation -------------------------------------------------------------------------

  #seedProblem(): string | undefined {
    const { seed } = this;
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      return `seed must be a whole number from 0 to 4294967295, not ${String(seed)}.`;
    }
    return undefined;
  }

  #validate(): void {
    const problems: string[] = [];
    const names = schedulerNames();
    if (!MODES.includes(this.mode)) {
      problems.push(`mode must be forward, reverse or race, not "${String(this.mode)}".`);
    }
    if (this.device !== undefined && !DEVICES.includes(this.device)) {
      problems.push(`device must be auto, webgpu or wasm, not "${String(this.device)}".`);
    }
    if (!Number.isInteger(this.steps) || this.steps < 1 || this.steps > TRAIN_STEPS) {
      problems.push(
        `steps must be a whole number from 1 to ${TRAIN_STEPS}, not ${String(this.steps)}.`,
      );
    }
    if (!names.includes(this.scheduler) && !Object.hasOwn(SCHEDULER_CLASSES, this.scheduler)) {
      problems.push(`Unknown scheduler "${this.scheduler}"; use one of ${names.join(', ')}.`);
    }
    const { digit } = this;
    if (digit !== null && !(Number.isInteger(digit) && digit >= 0 && digit <= 9)) {
      problems.push(`digit must be 0 to 9 or none, not ${String(digit)}.`);
    }
    if (!Number.isFinite(this.guidance) || this.guidance < 0 || this.guidance > MAX_GUIDANCE) {
      problems.push(
        `guidance must be a number from 0 to ${MAX_GUIDANCE}, not ${String(this.guidance)}.`,
      );
    }
    const seedProblem = this.#seedProblem();
    if (seedProblem) problems.push(seedProblem);
    if (!Number.isFinite(this.timestep) || this.timestep < 0 || this.timestep > TRAIN_STEPS) {
      problems.push(`timestep must be from 0 to ${TRAIN_STEPS}, not ${String(this.timestep)}.`);
    }
    if (!Number.isInteger(this.raceSteps) || this.raceSteps < 1 || this.raceSteps > TRAIN_STEPS) {
      problems.push(
        `race-steps must be a whole number from 1 to ${TRAIN_STEPS}, not ${String(this.raceSteps)}.`,
      );
    }
    for (const problem of problems) {
      if (this.#warned.has(problem)) continue;
      this.#warned.add(problem);
      if (devMode()) console.warn(`<genviz-diffusion-stepper>: ${problem}`);
      this.#dispatchLater(new GenvizErrorEvent('invalid-argument', problem));
    }
    this.#problems = problems;
  }

  #canSample(): boolean {
    if (this.#problems.length === 0) return true;
    this.#announce(`Cannot sample: ${this.#problems.join(' ')}`);
    return false;
  }

  // ---- Forward process --------------------------------------------------------------------

  #runtime(): GenvizRuntime {
    return this.runtime ?? GenvizRuntime.shared();
  }

  async #runForward(signal: AbortSignal): Promise<ForwardData> {
    const runtime = this.#runtime();
    let image: Float32Array;
    let source: string;
    if (this.#imageOverride) {
      image = await imageToTensor(this.#imageOverride.blob, signal);
      source = this.#imageOverride.name;
    } else if (this.image) {
      image = await imageToTensor(this.image, signal);
      source = this.image.split('/').at(-1) || this.image;
    } else {
      const picked = pickDigit(await heldOutDigits(runtime), this.digit);
      image = picked.image;
      source = `a held-out ${picked.label} (test digit #${picked.index})`;
    }
    const timesteps = Array.from({ length: TRAIN_STEPS + 1 }, (_, t) => t);
    const result = await runtime.diffusion.forward({
      model: this.model,
      image,
      timesteps,
      seed: this.seed,
      signal,
    });
    return { samples: result.samples, snr: result.snr, source };
  }

  #clampedTimestep(): number {
    const t = Number.isFinite(this.timestep) ? Math.round(this.timestep) : 0;
    return Math.max(0, Math.min(TRAIN_STEPS, t));
  }

  #forwardSample(): Float32Array | undefined {
    return this.#forward.value?.samples[this.#clampedTimestep()];
  }

  #setTimestep(t: number) {
    this.timestep = t;
    const snr = this.#forward.value?.snr[this.#clampedTimestep()];
    this.#announce(
      `t = ${this.#clampedTimestep()}${snr === undefined ? '' : `, signal-to-noise ratio ${formatSnr(snr)}`}.`,
    );
  }

  #curves(): ScheduleCurves {
    return scheduleCurves(this.#load.value?.manifest.scheduler);
  }

  // ---- Model ------------------------------------------------------------------------------

  async #ensureModel(): Promise<LoadedModel> {
    if (this.#load.value) return this.#load.value;
    this.#loading ??= this.#load.run(async (signal) => {
      try {
        const loaded = await this.#runtime().load(this.model, {
          device: this.device,
          signal,
          onProgress: (progress) => {
            this.#progress = progress;
            emit(this, new GenvizModelProgressEvent(progress));
            this.requestUpdate();
          },
        });
        this.#device = loaded.choice;
        this.#progress = undefined;
        return loaded;
      } catch (error) {
        this.#progress = undefined;
        throw error;
      }
    });
    const loading = this.#loading;
    const loaded = await loading;
    if (this.#loading === loading && !loaded) this.#loading = undefined;
    if (!loaded) throw this.#load.error ?? new GenvizError('aborted', 'Loading was cancelled.');
    return loaded;
  }

  async #classify(sample: Float32Array, signal: AbortSignal): Promise<DigitReading | undefined> {
    const images = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) images[i] = Math.min(1, Math.max(0, (sample[i]! + 1) / 2));
    try {
      const probabilities = await this.#runtime().classifier.classify(images, {
        model: this.classifier,
        device: this.device,
        signal,
      });
      let digit = 0;
      for (let k = 1; k < probabilities.length; k++) {
        if (probabilities[k]! > probabilities[digit]!) digit = k;
      }
      return { digit, confidence: probabilities[digit]!, probabilities };
    } catch (error) {
      // The reading is an extra: without a classifier the sample still stands.
      if (!isAborted(error) && devMode()) {
        console.warn(`<genviz-diffusion-stepper>: the classifier failed: ${messageOf(error)}`);
      }
      return undefined;
    }
  }

  // ---- Reverse process --------------------------------------------------------------------

  #release() {
    const release = this.#releaseGate;
    this.#releaseGate = undefined;
    release?.();
  }

  #startReverse(pauseAfterFirst: boolean) {
    this.#stopReplay();
    this.#trajectory = [];
    this.#shown = -1;
    this.#reading = undefined;
    this.#paused = pauseAfterFirst;
    this.#pauseAfterStep = pauseAfterFirst;
    this.#announce('Sampling started.');
    void this.#reverse.run((signal) => this.#runReverse(signal));
  }

  async #runReverse(signal: AbortSignal): Promise<DiffusionResult> {
    await this.#ensureModel();
    const scheduler = this.scheduler;
    this.#reverseScheduler = scheduler;
    // The runtime waits for onStep's promise before it streams the next step (it computes at
    // most one step ahead), so holding the promise pauses sampling between model evaluations.
    const onStep = (step: DiffusionStep) => this.#onReverseStep(step, scheduler, signal);
    const result = await this.#runtime().diffusion.sample({
      model: this.model,
      device: this.device,
      scheduler,
      steps: this.steps,
      seed: this.seed,
      classLabel: this.digit,
      guidanceScale: this.guidance,
      every: 1,
      includeGuidance: true,
      signal,
      onStep,
    });
    this.#device = result.device;
    this.#paused = false;
    this.#pauseAfterStep = false;
    const reading = await this.#classify(result.sample, signal);
    signal.throwIfAborted();
    this.#reading = reading;
    const readout = reading
      ? ` The classifier reads a ${reading.digit} (${formatPercent(reading.confidence)}).`
      : '';
    this.#announce(
      `Done: ${result.steps} steps, ${result.evaluations} model evaluations, ${formatSeconds(result.elapsedMs)}.${readout}`,
    );
    return result;
  }

  #onReverseStep(
    step: DiffusionStep,
    scheduler: string,
    signal: AbortSignal,
  ): Promise<void> | undefined {
    if (signal.aborted) return undefined;
    const following = this.#shown >= this.#trajectory.length - 1 && this.#replayTimer === undefined;
    this.#trajectory.push(step);
    if (following) this.#shown = this.#trajectory.length - 1;
    emit(this, new GenvizStepEvent(step, 'reverse', scheduler));
    this.requestUpdate();
    if (!this.#pauseAfterStep || step.index >= step.steps - 1) return undefined;
    this.#announceStep('Paused at');
    return new Promise<void>((resolve) => {
      this.#releaseGate = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  #replay() {
    if (this.#reducedMotion) {
      this.currentStep = this.#trajectory.length - 1;
      return;
    }
    if (this.#shown >= this.#trajectory.length - 1) this.#shown = 0;
    const tick = () => {
      if (this.#shown >= this.#trajectory.length - 1) {
        this.#stopReplay();
        this.#announceStep();
        return;
      }
      this.#shown += 1;
      this.requestUpdate();
      this.#replayTimer = setTimeout(tick, Math.max(16, 2000 / this.#trajectory.length));
    };
    this.#replayTimer = setTimeout(tick, 0);
    this.requestUpdate();
  }

  #stopReplay() {
    if (this.#replayTimer === undefined) return;
    clearTimeout(this.#replayTimer);
    this.#replayTimer = undefined;
    this.requestUpdate();
  }

  // ---- Race -------------------------------------------------------------------------------

  async #runRace(signal: AbortSignal): Promise<RaceLane[]> {
    const every = Math.max(1, Math.round(this.raceSteps / 50));
    const lanes: RaceLane[] = [
      { scheduler: 'ddpm', steps: this.raceSteps, every },
      { scheduler: 'ddim', steps: 50, every: 1 },
      { scheduler: 'dpmsolver++', steps: 20, every: 1 },
    ].map((lane) => ({ ...lane, status: 'waiting', stepIndex: -1, evaluations: 0, elapsedMs: 0 }));
    this.#lanes = lanes;
    this.#announce('The race started.');
    await this.#ensureModel();
    // One lane at a time, fastest first: every model call goes through one worker queue, so
    // lanes run together would each report the others' time as their own.
    for (const lane of [lanes[2]!, lanes[1]!, lanes[0]!]) {
      lane.status = 'running';
      this.requestUpdate();
      try {
        await this.#runLane(lane, signal);
      } catch (error) {
        if (signal.aborted || isAborted(error)) throw error;
        // One lane's failure (a scheduler that rejects the model's config) leaves the others.
        lane.status = 'error';
        lane.error = messageOf(error);
        this.#report(error);
        this.requestUpdate();
      }
    }
    this.#announce(
      `Race finished. ${lanes
        .map(
          (lane) =>
            `${schedulerLabel(lane.scheduler)}: ${lane.error ? `failed (${lane.error})` : `${lane.evaluations} evaluations, ${formatSeconds(lane.elapsedMs)}${lane.reading ? `, reads ${lane.reading.digit} (${formatPercent(lane.reading.confidence)})` : ''}`}.`,
        )
        .join(' ')}`,
    );
    return lanes;
  }

  async #runLane(lane: RaceLane, signal: AbortSignal): Promise<void> {
    const result = await this.#runtime().diffusion.sample({
      model: this.model,
      device: this.device,
      scheduler: lane.scheduler,
      steps: lane.steps,
      seed: this.seed,
      classLabel: this.digit,
      guidanceScale: this.guidance,
      every: lane.every,
      signal,
      onStep: (step) => {
        if (signal.aborted) return;
        lane.sample = step.sample;
        lane.stepIndex = step.index;
        lane.evaluations = step.evaluations;
        lane.elapsedMs = step.elapsedMs;
        emit(this, new GenvizStepEvent(step, 'race', lane.scheduler));
        this.requestUpdate();
      },
    });
    this.#device = result.device;
    lane.sample = result.sample;
    lane.evaluations = result.evaluations;
    lane.elapsedMs = result.elapsedMs;
    lane.stepIndex = result.steps - 1;
    lane.reading = await this.#classify(result.sample, signal);
    signal.throwIfAborted();
    lane.status = 'done';
    emit(this, new GenvizCompleteEvent(result, 'race', lane.scheduler, lane.reading));
    this.requestUpdate();
  }

  // ---- Errors, announcements, states -------------------------------------------------------

  #reported = new WeakSet<object>();

  /** Fires `genviz-error` once per failure (a failed load also fails the run that waited on it). */
  #report = (error: unknown) => {
    if (isAborted(error)) return;
    if (typeof error === 'object' && error !== null) {
      if (this.#reported.has(error)) return;
      this.#reported.add(error);
    }
    const code = errorCode(error);
    // A rejected input (an unreadable image, a scheduler the model's config refuses) is the
    // page author's to fix: say so in the console too.
    if (code === 'invalid-argument' && devMode()) {
      console.warn(`<genviz-diffusion-stepper>: ${messageOf(error)}`);
    }
    emit(this, new GenvizErrorEvent(code, messageOf(error), error));
  };

  #dispatchLater(event: Event) {
    // Validation runs inside an update; listeners get the event once the update is done.
    void this.updateComplete.then(() => emit(this, event));
  }

  /** The error to show: the first of the model load, the current view's run. */
  #visibleError(): unknown {
    const candidates =
      this.mode === 'forward'
        ? [this.#forward]
        : this.mode === 'reverse'
          ? [this.#load, this.#reverse]
          : [this.#load, this.#race];
    for (const controller of candidates) {
      if (controller.status === 'error' && !isAborted(controller.error)) return controller.error;
    }
    return undefined;
  }

  #announce(text: string) {
    this.#announcement = text;
    this.requestUpdate();
  }

  #announceStep(prefix = 'Step') {
    const step = this.#trajectory[this.#shown];
    if (!step) return;
    this.#announce(
      `${prefix} ${prefix === 'Step' ? '' : 'step '}${step.index + 1} of ${step.steps}, t = ${Math.round(step.timestep)}, ${step.evaluations} model evaluations.`.replace(
        '  ',
        ' ',
      ),
    );
  }

  /** WASM though WebGPU was allowed (asked for, or `auto`). */
  #cpuFallback(): boolean {
    const requested = this.device ?? this.#runtime().options.device ?? 'auto';
    return this.#device?.device === 'wasm' && requested !== 'wasm';
  }

  #syncStates() {
    const states = this.#internals?.states;
    if (!states) return;
    const set = (name: string, on: boolean) => (on ? states.add(name) : states.delete(name));
    const loading = this.#load.pending || (this.mode === 'forward' && this.#forward.pending);
    set('loading', loading);
    set('running', this.running);
    set('paused', this.paused);
    set(
      'complete',
      this.mode === 'race' ? this.#race.status === 'complete' : this.#reverse.status === 'complete',
    );
    set('error', this.#visibleError() !== undefined || this.#problems.length > 0);
    set('cpu-fallback', this.#cpuFallback());
  }

  // ---- Input ------------------------------------------------------------------------------

  #onKeyDown = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.composedPath()[0];
    const typing =
      target instanceof HTMLInputElement &&
      !['range', 'button', 'checkbox', 'radio', 'file'].includes(target.type);
    if (typing || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) {
      return;
    }
    const onControl = target instanceof HTMLButtonElement || target instanceof HTMLInputElement;
    if (this.mode === 'forward') return;
    if (event.key === 'k' || (event.key === ' ' && !onControl)) {
      event.preventDefault();
      if (this.mode === 'race') {
        if (this.#race.pending) this.#race.abort();
        else this.startRace();
      } else if (this.running || this.#replayTimer !== undefined) {
        this.pause();
      } else {
        this.play();
      }
    } else if (this.mode === 'reverse' && event.key === '.') {
      event.preventDefault();
      this.stepForward();
    } else if (this.mode === 'reverse' && event.key === ',') {
      event.preventDefault();
      this.stepBack();
    }
  };

  #onPaste = (event: ClipboardEvent) => {
    const file = [...(event.clipboardData?.files ?? [])].find((item) =>
      item.type.startsWith('image/'),
    );
    if (!file) return;
    event.preventDefault();
    this.mode = 'forward';
    this.setImage(file, 'a pasted image');
  };

  #onDrop = (event: DragEvent) => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) this.setImage(file);
  };

  #onDragOver = (event: DragEvent) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  };

  #onFile = (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) this.setImage(file);
    input.value = '';
  };

  #numberFrom(event: Event): number {
    return (event.target as HTMLInputElement).valueAsNumber;
  }

  // ---- Rendering --------------------------------------------------------------------------

  override render() {
    const error = this.#visibleError();
    return html`<div
      part="base"
      tabindex="0"
      role="group"
      aria-label="Diffusion stepper"
      aria-keyshortcuts=${this.mode === 'forward' ? nothing : 'Space k . ,'}
    >
      <div part="modes" role="group" aria-label="View">
        ${MODES.map(
          (mode) =>
            html`<button
              part="button mode-button"
              type="button"
              aria-pressed=${this.mode === mode ? 'true' : 'false'}
              @click=${() => (this.mode = mode)}
            >
              ${
                mode === 'forward'
                  ? 'Forward process'
                  : mode === 'reverse'
                    ? 'Reverse process'
                    : 'Race'
              }
            </button>`,
        )}
      </div>
      ${
        this.#problems.length > 0
          ? html`<ul part="message" role="alert">
              ${this.#problems.map((problem) => html`<li>${problem}</li>`)}
            </ul>`
          : nothing
      }
      ${
        error !== undefined
          ? html`<div part="error" role="alert">
              <span>${messageOf(error)}</span>
              <button part="button retry-button" type="button" @click=${this.#retry}>
                Try again
              </button>
            </div>`
          : nothing
      }
      ${this.#renderLoading()}
      ${
        this.mode === 'forward'
          ? this.#renderForward()
          : this.mode === 'reverse'
            ? this.#renderReverse()
            : this.#renderRace()
      }
      ${this.#renderDevice()}
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        ${this.#announcement}
      </div>
    </div>`;
  }

  #retry = () => {
    this.#load.reset();
    this.#loading = undefined;
    this.#forward.reset();
    this.#reverse.reset();
    this.#race.reset();
  };

  #renderLoading() {
    if (!this.#load.pending || this.mode === 'forward') return nothing;
    const progress = this.#progress;
    const fraction =
      progress && progress.totalBytes > 0 ? progress.loadedBytes / progress.totalBytes : undefined;
    return html`<div class="loading">
      <label>
        Loading the model${fraction === undefined ? '…' : ` (${Math.round(fraction * 100)}%)`}
        <progress part="progress" max="1" .value=${fraction ?? null}></progress>
      </label>
    </div>`;
  }

  #renderDevice() {
    const device = this.#device;
    if (!device || this.mode === 'forward') return nothing;
    const fallback = this.#cpuFallback();
    return html`<p part="device" class=${fallback ? 'fallback' : ''}>
      ${device.device === 'webgpu' ? 'Running on the GPU (WebGPU' : 'Running on the CPU (WASM'},
      ${device.dtype}): ${device.reason}.
    </p>`;
  }

  #renderSchedule(caption: string) {
    return html`<figure class="schedule">
      <canvas
        part="schedule"
        width="320"
        height="150"
        role="img"
        aria-label="Noise schedules: alpha-bar falls from 1 to 0 and log-SNR from about 9 to -10 over t = 0 to 1000; the cosine schedule keeps more signal in the middle. ${caption}"
      ></canvas>
      <figcaption>
        <span class="key accent">— ᾱ<sub>t</sub></span>
        <span class="key second">— log SNR</span>
        <span class="key">solid: linear, dashed: cosine</span>
        <span>${caption}</span>
      </figcaption>
    </figure>`;
  }

  #renderForward(): TemplateResult {
    const t = this.#clampedTimestep();
    const data = this.#forward.value;
    const sample = data?.samples[t];
    const snr = data?.snr[t];
    const stats = sample ? moments(sample) : undefined;
    const logSnr = snr === undefined ? undefined : Math.log(snr);
    return html`<section
      part="forward"
      aria-label="Forward process"
      @dragover=${this.#onDragOver}
      @drop=${this.#onDrop}
    >
      <div class="figures">
        <figure>
          <canvas
            part="image"
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
        ${this.#renderSchedule(`Cursor at t = ${t}.`)}
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
          @input=${(event: Event) => this.#setTimestep(this.#numberFrom(event))}
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
              @click=${() => this.#setTimestep(milestone)}
            >
              t = ${milestone}
            </button>`,
        )}
      </div>
      <div part="source">
        <span
          >Image:
          ${this.#forward.pending ? 'loading…' : (data?.source ?? (this.image || 'none'))}</span
        >
        <label class="file">
          <span>Choose an image</span>
          <input type="file" accept="image/*" @change=${this.#onFile} />
        </label>
        ${
          this.image || this.#imageOverride
            ? html`<button part="button" type="button" @click=${() => this.useDefaultImage()}>
                Use a held-out digit
              </button>`
            : nothing
        }
        <span class="hint">or drop or paste one here</span>
      </div>
    </section>`;
  }

  #renderSettings(withSampler: boolean) {
    const busy = this.#reverse.pending || this.#race.pending;
    return html`<div part="controls">
      <label>
        <span>Digit</span>
        <select
          @change=${(event: Event) =>
            (this.digit = digitConverter.fromAttribute((event.target as HTMLSelectElement).value))}
        >
          <option value="none" ?selected=${this.digit === null}>none</option>
          ${Array.from(
            { length: 10 },
            (_, d) => html`<option value=${d} ?selected=${this.digit === d}>${d}</option>`,
          )}
        </select>
      </label>
      <label class="guidance-field">
        <span>Guidance</span>
        <input
          part="slider guidance-slider"
          type="range"
          min="0"
          max="10"
          step="0.5"
          .value=${String(this.guidance)}
          ?disabled=${this.digit === null}
          @change=${(event: Event) => (this.guidance = this.#numberFrom(event))}
        />
        <output>${this.guidance}</output>
      </label>
      ${
        withSampler
          ? html`<label>
                <span>Scheduler</span>
                <select
                  .value=${this.scheduler}
                  @change=${(event: Event) =>
                    (this.scheduler = (event.target as HTMLSelectElement).value)}
                >
                  ${schedulerNames().map(
                    (name) =>
                      html`<option value=${name} ?selected=${name === this.scheduler}>
                        ${schedulerLabel(name)}
                      </option>`,
                  )}
                </select>
              </label>
              <label>
                <span>Steps</span>
                <input
                  type="number"
                  min="1"
                  max=${TRAIN_STEPS}
                  .value=${String(this.steps)}
                  @change=${(event: Event) => (this.steps = this.#numberFrom(event))}
                />
              </label>`
          : nothing
      }
      <label>
        <span>Seed</span>
        <input
          type="number"
          min="0"
          step="1"
          .value=${String(this.seed)}
          @change=${(event: Event) => (this.seed = this.#numberFrom(event))}
        />
      </label>
      ${busy ? html`<span class="hint">Changing a setting stops the run.</span>` : nothing}
    </div>`;
  }

  #renderReverse(): TemplateResult {
    const step = this.#trajectory[this.#shown];
    const stored = this.#trajectory.length;
    const total = step?.steps ?? this.steps;
    const playing = this.running || this.#replayTimer !== undefined;
    const guided = this.digit !== null && this.guidance !== 1;
    const last = this.#trajectory.at(-1);
    return html`<section part="reverse" aria-label="Reverse process">
      ${this.#renderSettings(true)}
      <div part="transport">
        <div class="buttons">
          <button
            part="button play-button"
            type="button"
            @click=${() => (playing ? this.pause() : this.play())}
          >
            ${
              playing
                ? 'Pause'
                : this.paused
                  ? 'Resume'
                  : this.#reverse.status === 'complete'
                    ? 'Replay'
                    : 'Play'
            }
          </button>
          <button
            part="button back-button"
            type="button"
            ?disabled=${this.#shown <= 0}
            @click=${() => this.stepBack()}
          >
            ◀ Step back
          </button>
          <button
            part="button step-button"
            type="button"
            ?disabled=${this.#reverse.status === 'complete' && this.#shown >= stored - 1}
            @click=${() => this.stepForward()}
          >
            Step ▶
          </button>
          <button
            part="button reset-button"
            type="button"
            ?disabled=${stored === 0 && !this.#reverse.pending}
            @click=${() => this.reset()}
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
            .value=${String(Math.max(0, this.#shown))}
            ?disabled=${stored < 2}
            aria-valuetext=${
              step
                ? `step ${step.index + 1} of ${total}, t = ${Math.round(step.timestep)}`
                : 'no steps yet'
            }
            @input=${(event: Event) => (this.currentStep = this.#numberFrom(event))}
          />
        </label>
        <p part="counter">
          <span>Step <strong>${step ? step.index + 1 : 0}</strong> of ${total}</span>
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
      <div class="panels">
        ${this.#panel('panel-sample', html`x<sub>t</sub> (the sample)`)}
        ${this.#panel('panel-noise', html`Predicted noise ε`)}
        ${this.#panel('panel-prediction', html`Predicted clean image x̂<sub>0</sub>`)}
      </div>
      ${
        this.#reading
          ? html`<p part="result">
              The classifier reads a <strong>${this.#reading.digit}</strong>
              (${formatPercent(this.#reading.confidence)}
              confident)${this.digit !== null ? html`; asked for a ${this.digit}` : nothing}.
            </p>`
          : nothing
      }
      <section part="guidance" aria-label="Guidance at the current step">
        <h3>Guidance at step ${step ? step.index + 1 : '—'}</h3>
        ${
          guided
            ? html`<div class="panels four">
                ${this.#panel('guidance-unconditional', html`ε(x<sub>t</sub>, ∅): no digit`)}
                ${this.#panel('guidance-conditional', html`ε(x<sub>t</sub>, ${this.digit})`)}
                ${this.#panel('guidance-direction', html`Direction: ε(${this.digit}) − ε(∅)`)}
                ${this.#panel(
                  'guidance-combined',
                  html`Guided: ε(∅) + ${this.guidance} × direction`,
                )}
              </div>`
            : html`<p class="hint">
                Guidance is off: pick a digit and a scale other than 1 to see the model's two noise
                predictions and their combination.
              </p>`
        }
      </section>
      ${this.#renderSchedule(step ? `Cursor at t = ${Math.round(step.timestep) + 1}.` : '')}
    </section>`;
  }

  #panel(part: string, caption: TemplateResult) {
    const name = part.startsWith('guidance') ? `guidance-panel ${part}` : `panel ${part}`;
    return html`<figure>
      <canvas
        part=${name}
        width="28"
        height="28"
        role="img"
        aria-labelledby="caption-${part}"
      ></canvas>
      <figcaption id="caption-${part}">${caption}</figcaption>
    </figure>`;
  }

  #renderRace(): TemplateResult {
    const lanes =
      this.#lanes.length > 0
        ? this.#lanes
        : [
            { scheduler: 'ddpm', steps: this.raceSteps },
            { scheduler: 'ddim', steps: 50 },
            { scheduler: 'dpmsolver++', steps: 20 },
          ].map((lane): RaceLane => ({
            ...lane,
            every: 1,
            status: 'waiting',
            stepIndex: -1,
            evaluations: 0,
            elapsedMs: 0,
          }));
    return html`<section part="race" aria-label="Race">
      ${this.#renderSettings(false)}
      <div class="buttons">
        <button
          part="button race-button"
          type="button"
          @click=${() => (this.#race.pending ? this.#race.abort() : this.startRace())}
        >
          ${this.#race.pending ? 'Stop' : this.#lanes.length > 0 ? 'Race again' : 'Start the race'}
        </button>
      </div>
      <div class="lanes">
        ${lanes.map(
          (lane) =>
            html`<figure part="lane lane-${laneId(lane.scheduler)}" data-status=${lane.status}>
              <canvas
                part="panel lane-canvas-${laneId(lane.scheduler)}"
                width="28"
                height="28"
                role="img"
                aria-label="${schedulerLabel(lane.scheduler)} sample"
              ></canvas>
              <figcaption>
                <span
                  ><strong>${schedulerLabel(lane.scheduler)}</strong> · ${lane.steps} steps</span
                >
                <span
                  >${
                    lane.status === 'waiting'
                      ? 'waiting'
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
        Same seed (${this.seed}), digit (${this.digit ?? 'none'}) and guidance; run one at a time so
        each time is its own.
      </p>
    </section>`;
  }
}
