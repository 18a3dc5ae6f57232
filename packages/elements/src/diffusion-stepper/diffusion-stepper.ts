import { GenvizRuntime } from '@genviz/runtime';
import type { DeviceOption, DiffusionStep } from '@genviz/runtime';
import { LitElement, html, isServer, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { renderChoice } from '../kit/choice.js';
import { FeedbackController } from '../kit/feedback-controller.js';
import { AnimationController, tensorFrame } from '../kit/animation-controller.js';
import type { AnimationFormat, AnimationFrames } from '../kit/animation-controller.js';
import { displayRange } from '../kit/draw.js';
import { PictureController, fileNamePart, modelNamePart } from '../kit/picture-controller.js';
import { StateController } from '../kit/state-controller.js';
import type { StateField } from '../kit/state-controller.js';
import { digitConverter, modelConverter, numberConverter } from '../kit/format.js';
import { ModelController } from '../kit/model-controller.js';
import { ViewportController, loadingMode } from '../kit/viewport-controller.js';
import type { LoadingMode } from '../kit/viewport-controller.js';
import { diffusionStepperStyles } from './diffusion-stepper.styles.js';
import type { DigitReading } from './events.js';
import { ForwardProcess } from './forward-process.js';
import { Race, raceKey } from './race.js';
import type { RaceLane } from './race.js';
import type { LiveDrawing } from './live.js';
import { LiveView } from './live.js';
import { ReverseProcess, reverseKey } from './reverse-process.js';
import { scheduleCurves } from './schedule.js';
import { imageInputHandlers, onStepperKeyDown, onStepperPaste } from './stepper-input.js';
import { MODES, MODE_LABELS, settingsProblems, seedProblemOf } from './settings.js';
import type { DiffusionSpace, DiffusionStepperMode } from './settings.js';

/** The forward process saves x_t every this many t: 51 frames from 0 to 1000. */
const FORWARD_T_PER_FRAME = 20;
const FORWARD_LAST_T = 1000;
const FRAME_MS = 100;
/** The last frame of a saved animation stays this long before it loops. */
const HOLD_MS = 1000;

/** The side of a square one-channel image of `length` values. */
function squareSide(length: number): number {
  const side = Math.round(Math.sqrt(length));
  if (side * side !== length)
    throw new Error(`Cannot save a ${length}-value image as a square frame.`);
  return side;
}

export {
  GenvizCancelEvent,
  GenvizCompleteEvent,
  GenvizErrorEvent,
  GenvizModelProgressEvent,
  GenvizStepEvent,
} from './events.js';
export type { CancelReason, DiffusionRunKind, DigitReading } from './events.js';
export type { RaceLane } from './race.js';
export type { LiveDrawing } from './live.js';
export { schedulerNames } from './settings.js';
export type { DiffusionSpace, DiffusionStepperMode } from './settings.js';

const TAG = 'genviz-diffusion-stepper';
const SAMPLING_INPUTS = [
  'space',
  'latentModel',
  'model',
  'device',
  'scheduler',
  'steps',
  'seed',
  'digit',
  'guidance',
  'raceSteps',
  'consistencyModel',
] as const;

/** The reader-visible state that `state` and `url-state` carry, in this order. */
const STATE_FIELDS: readonly StateField[] = [
  { key: 'mode', property: 'mode' },
  { key: 'space', property: 'space' },
  { key: 'scheduler', property: 'scheduler' },
  { key: 'steps', property: 'steps' },
  { key: 'seed', property: 'seed' },
  { key: 'digit', property: 'digit' },
  { key: 'guidance', property: 'guidance' },
  { key: 'timestep', property: 'timestep' },
  { key: 'race-steps', property: 'raceSteps' },
  { key: 'image', property: 'image' },
  { key: 'noise-seed', property: 'noiseSeed' },
];

/**
 * The diffusion explainer in one element. The forward process destroys any image with noise
 * (the closed form with one fixed noise draw, a histogram converging on N(0, 1), the
 * signal-to-noise ratio); the reverse process runs a real class-conditional model from pure
 * static, one stored step at a time (x_t, the predicted noise, the predicted clean image, and
 * how classifier-free guidance combines its two noise predictions); the race samples one seed
 * with DDPM, DDIM and DPM-Solver++ side by side, and latent diffusion (a UNet over an
 * autoencoder's 4x7x7 latents, decoded once) and a distilled latent consistency model (4 steps)
 * beside them. The live view draws with that consistency model at every input (guidance, digit,
 * seed, a noise seed dial) without Play, and one seed at 1, 2, 4 and 8 steps side by side.
 * Models run in the shared genviz worker, never on the page's main thread.
 *
 * Keyboard, with the element focused: Space or K plays and pauses, period and comma step
 * forward and back through the trajectory; every slider is a native range input.
 *
 * Methods act on the settings of the moment, also right after a property changed
 * (`el.seed = 9; el.play()` samples seed 9).
 *
 * @summary Watch noise destroy an image, and a diffusion model bring one back, step by step.
 *
 * @fires {GenvizStepEvent} genviz-step - A newly computed sampling step (`step`, `run`, `scheduler`); not fired when scrubbing stored steps.
 * @fires {GenvizCompleteEvent} genviz-complete - A sampling run (or race lane) finished: `result`, and the classifier's `reading`.
 * @fires {GenvizModelProgressEvent} genviz-model-progress - Model download and verification progress (`progress`).
 * @fires {GenvizCancelEvent} genviz-cancel - A run (`reverse` or `race`) stopped before it finished: `reason` is `settings` (a setting it depends on changed), `stopped` (reset or Stop) or `disconnected` (the element left the page; it restarts when it is back).
 * @fires {GenvizErrorEvent} genviz-error - A failure (`code`, `message`, `error`): a model that cannot load, an unreadable image, an invalid attribute.
 * @fires {GenvizSaveEvent} genviz-save - A picture or an animation was saved (the Save buttons, `downloadPicture()` or `downloadAnimation()`): `blob` (PNG, GIF or WebM), `fileName`.
 * @csspart save-buttons - The Save picture / Save GIF / Save video buttons (`save-button`, `save-gif-button`, `save-video-button`).
 * @fires {GenvizStateEvent} genviz-state - The reader-visible state changed: `state`, the string that restores it.
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
 * @csspart latent-channel - In latent space, each channel of the latent x_t (also `latent-channel-0` to `-3`).
 * @csspart space - The pixel / latent switch of the reverse view.
 * @csspart guidance - The guidance view (also `guidance-unconditional`, `guidance-conditional`, `guidance-direction`, `guidance-combined` on its canvases).
 * @csspart result - The classifier's reading of the result.
 * @csspart race - The race view.
 * @csspart lane - Each race lane (also `lane-ddpm`, `lane-ddim`, `lane-dpmsolver`, `lane-latent`, `lane-consistency`).
 * @csspart live - The live view (also `live-canvas`, `live-caption`, `live-guidance`, `live-seed`, `noise-seed-dial`).
 * @csspart quality - The steps-against-quality strip (also `quality-step`, `quality-step-1` ... `-8`, `quality-canvas-1` ... `-8`).
 *
 * @cssproperty [--genviz-diffusion-stepper-background=var(--genviz-background)] - Background. Every `--genviz-diffusion-stepper-*` token defaults to the page-wide `--genviz-*` token of the same name (`--genviz-background: light-dark(#ffffff, #16161d)`, ...), which themes every genviz element at once.
 * @cssproperty [--genviz-diffusion-stepper-surface=var(--genviz-surface)] - Panel and control surfaces.
 * @cssproperty [--genviz-diffusion-stepper-text-color=var(--genviz-text-color)] - Text and axes.
 * @cssproperty [--genviz-diffusion-stepper-muted-color=var(--genviz-muted-color)] - Captions.
 * @cssproperty [--genviz-diffusion-stepper-accent-color=var(--genviz-accent-color)] - Buttons, alpha-bar and the N(0, 1) curve.
 * @cssproperty [--genviz-diffusion-stepper-second-color=var(--genviz-second-color)] - The log-SNR curves.
 * @cssproperty [--genviz-diffusion-stepper-bar-color=var(--genviz-bar-color)] - Histogram bars.
 * @cssproperty [--genviz-diffusion-stepper-error-color=var(--genviz-error-color)] - Error text.
 * @cssproperty [--genviz-diffusion-stepper-radius=var(--genviz-radius)] - Corner radius.
 * @cssproperty [--genviz-diffusion-stepper-gap=var(--genviz-gap)] - Spacing between parts.
 * @cssproperty [--genviz-diffusion-stepper-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring colour.
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
  @property({ converter: modelConverter('mnist-ddpm') }) model = 'mnist-ddpm';
  /** The latent diffusion model (a UNet over an autoencoder's latents) for `space="latent"` and the race's latent lane; empty for none. */
  @property({ attribute: 'latent-model', converter: modelConverter('mnist-ldm') })
  latentModel = 'mnist-ldm';
  /** The distilled latent consistency model (guidance scale as a network input) for the live view and the race's consistency lane; empty for none. */
  @property({ attribute: 'consistency-model', converter: modelConverter('mnist-lcm') })
  consistencyModel = 'mnist-lcm';
  /** The live view's noise seed: the fresh noise the consistency model draws between its steps (the seed keeps the starting noise). */
  @property({ converter: numberConverter, attribute: 'noise-seed' }) noiseSeed = 0;
  /** Where the reverse process runs: `pixel` (the 28x28 image) or `latent` (the autoencoder's 4x7x7 latent, decoded to show). */
  @property({ reflect: true }) space: DiffusionSpace = 'pixel';
  /** The classifier that reads the results (a default model id or a manifest URL). */
  @property({ converter: modelConverter('mnist-classifier') }) classifier = 'mnist-classifier';
  /** Where models run: `auto` (WebGPU when usable, else WASM), `webgpu` or `wasm`; unset, the runtime's default (`auto`). */
  @property() device: DeviceOption | undefined;
  /** The reverse process's sampler: `ddpm`, `ddim`, `euler`, `euler-ancestral`, `dpmsolver++`, `dpmsolver++-karras`, `heun`, `lms`, `pndm`, `lcm`, ... */
  @property() scheduler = 'ddim';
  /** Sampling steps of the reverse process, 1 to 1000 (and what the scheduler allows: LCM at most its original_inference_steps, 50). */
  @property({ converter: numberConverter }) steps = 50;
  /** The seed of the noise (the forward process's draw and the sampler's): same settings, same image. */
  @property({ converter: numberConverter }) seed = 0;
  /** The digit to draw (0-9), or `none` (null) for the unconditional model. Also picks the default forward image. */
  @property({ converter: digitConverter, reflect: true }) digit: number | null = 3;
  /** Classifier-free guidance scale, 0 to 20 (1: no guidance; ignored without a digit). */
  @property({ converter: numberConverter }) guidance = 3;
  /** URL of the forward process's image (any size, colour or grey); a held-out MNIST digit when absent. */
  @property() image: string | undefined;
  /** `forward`, `reverse`, `race` or `live` (the consistency model redrawing at every input). */
  @property({ reflect: true }) mode: DiffusionStepperMode = 'forward';
  /** The forward process's t, 0 (the image) to 1000 (pure noise). */
  @property({ converter: numberConverter }) timestep = 0;
  /** DDPM's step count in the race (1000 in the article; fewer for quick demos and tests). */
  @property({ converter: numberConverter, attribute: 'race-steps' }) raceSteps = 1000;
  /** Start sampling when shown in reverse mode (never when the reader prefers reduced motion). */
  @property({ type: Boolean }) autoplay = false;
  /**
   * `lazy`: fetch the models and start only when the element comes near the viewport, as
   * `<img loading="lazy">` does (for elements below the fold). `eager` (the default): at once.
   */
  @property({ converter: { fromAttribute: loadingMode } })
  loading: LoadingMode = 'eager';
  /** The runtime to use; by default the page's shared one (one worker for every element). */
  @property({ attribute: false }) runtime: GenvizRuntime | undefined;
  /**
   * Keep this element's state in the page's URL fragment, under its `id`: a copied link opens
   * the page on what the reader saw. Needs an `id`.
   */
  @property({ type: Boolean, attribute: 'url-state' }) urlState = false;

  /**
   * The reader-visible state as a compact string (`v1;key=value;...`); setting it (or the
   * `state` attribute) restores that state, the same images included. A string this element
   * cannot read is refused with a message, and the element keeps its settings.
   */
  /**
   * What the element shows as a PNG: its images at their pixel size scaled up crisply, tiled,
   * with a caption of the state. Rejects while there is no image yet.
   */
  savePicture(): Promise<Blob> {
    return this.#picture.save();
  }

  /** Saves the picture as a download named after what it shows; resolves with the file name. */
  async downloadPicture(): Promise<string> {
    return (await this.#picture.download()).fileName;
  }

  /**
   * The shown trajectory as an animation: in reverse mode one frame per stored step (x_t, the
   * last one held for a second), in forward mode x_t for t = 0, 20, ..., 1000. `'gif'` gives
   * an animated GIF, `'webm'` a WebM video (where the browser has WebCodecs); both are encoded
   * in a worker. Rejects with a message when there is no trajectory yet (or in race mode).
   */
  saveAnimation(format: AnimationFormat = 'gif'): Promise<Blob> {
    return this.#animation.save(format);
  }

  /** Saves the animation as a download named after what it shows; resolves with the file name. */
  async downloadAnimation(format: AnimationFormat = 'gif'): Promise<string> {
    return (await this.#animation.download(format)).fileName;
  }

  @property()
  get state(): string {
    return this.#state.serialize();
  }
  set state(value: string) {
    this.#state.restore(value);
  }

  readonly #feedback = new FeedbackController(this, TAG);
  readonly #state = new StateController(this, {
    fields: STATE_FIELDS,
    feedback: this.#feedback,
    urlState: () => this.urlState,
  });
  readonly #picture = new PictureController(this, {
    fileName: () =>
      [
        'genviz-diffusion-stepper',
        modelNamePart(this.space === 'latent' ? this.latentModel : this.model),
        this.mode,
        `seed-${fileNamePart(this.seed)}`,
        this.mode === 'forward'
          ? `t-${fileNamePart(this.timestep)}`
          : `steps-${fileNamePart(this.steps)}`,
      ].join('-'),
    caption: () => `<genviz-diffusion-stepper> ${this.state}`,
  });
  readonly #animation = new AnimationController(this, {
    fileName: () =>
      [
        'genviz-diffusion-stepper',
        modelNamePart(
          this.space === 'latent' && this.mode === 'reverse' ? this.latentModel : this.model,
        ),
        this.mode,
        `seed-${fileNamePart(this.seed)}`,
        this.mode === 'forward'
          ? `t-0-${FORWARD_LAST_T}`
          : `steps-${fileNamePart(this.trajectory.length)}`,
      ].join('-'),
    available: () =>
      this.mode === 'forward'
        ? this.#forward.run.value !== undefined
        : this.mode === 'reverse' && this.trajectory.length > 0,
    frames: async () => this.#animationFrames(),
    onError: this.#feedback.report,
  });
  readonly #viewport = new ViewportController(this, () => this.loading);
  readonly #model = new ModelController(this, {
    model: () => this.#activeModel(),
    device: () => this.device,
    runtime: () => this.#runtime(),
    task: 'diffusion',
    onError: this.#feedback.report,
  });
  readonly #services = {
    runtime: () => this.#runtime(),
    model: this.#model,
    feedback: this.#feedback,
    reducedMotion: () => this.#reducedMotion,
  };
  readonly #forward = new ForwardProcess(this, () => this.#runtime(), this.#feedback);
  readonly #reverse = new ReverseProcess(this, this.#services);
  readonly #race = new Race(this, this.#services);
  readonly #live = new LiveView(this, this.#services);
  readonly #imageInput = imageInputHandlers(this);
  /** The model the model controller loads (it follows mode and space). */
  #loadedFor = '';
  #reducedMotion = false;
  #autoplayed = false;
  /** A run the element was doing when it left the page, to restart when it is back. */
  #interrupted: 'reverse' | 'race' | undefined;

  constructor() {
    super();
    this.addEventListener('keydown', (event) => onStepperKeyDown(this, event));
    this.addEventListener('paste', (event) => onStepperPaste(this, event));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    const interrupted = this.#interrupted;
    this.#interrupted = undefined;
    if (interrupted === 'reverse' && this.#feedback.valid) this.#reverse.start(false);
    if (interrupted === 'race' && this.#feedback.valid) this.#race.start();
  }

  override disconnectedCallback(): void {
    // Controllers abort their runs as the host disconnects: say so, and restart when back.
    if (this.#reverse.run.pending) {
      this.#interrupted = 'reverse';
      this.#reverse.interrupt();
    } else if (this.#race.run.pending) {
      this.#interrupted = 'race';
    }
    this.#live.stop();
    super.disconnectedCallback();
    if (this.#interrupted === 'race') this.#race.interrupted();
  }

  #animationFrames(): AnimationFrames {
    if (this.mode === 'forward') {
      const samples = this.#forward.run.value?.samples;
      if (!samples) throw new Error('There is no forward process to save yet.');
      const picked = samples.filter((_, t) => t % FORWARD_T_PER_FRAME === 0);
      const side = squareSide(picked[0]!.length);
      return {
        width: side,
        height: side,
        frames: picked.map((sample) => tensorFrame(sample, side, side)),
        delayMs: picked.map((_, i) => (i === picked.length - 1 ? HOLD_MS : FRAME_MS)),
      };
    }
    const steps = this.trajectory;
    if (this.mode !== 'reverse' || steps.length === 0)
      throw new Error('There is no trajectory to save yet: sample one in the reverse view.');
    const latent = this.space === 'latent';
    if (latent && steps.some((step) => step.decodedPrediction === undefined))
      throw new Error('This latent trajectory has no decoded images to save.');
    const images = steps.map((step) =>
      latent ? step.decodedPrediction!.map((value) => value * 2 - 1) : step.sample,
    );
    const side = squareSide(images[0]!.length);
    return {
      width: side,
      height: side,
      frames: images.map((image) =>
        tensorFrame(image, side, side, latent ? 1 : displayRange(image)),
      ),
      delayMs: images.map((_, i) => (i === images.length - 1 ? HOLD_MS : FRAME_MS)),
    };
  }

  // ---- Public API -------------------------------------------------------------------------

  /** The stored steps of the current reverse trajectory, oldest first. */
  get trajectory(): readonly DiffusionStep[] {
    return this.#reverse.trajectory.steps;
  }

  /** The index of the step shown in the reverse view (-1 before the first step). */
  get currentStep(): number {
    return this.#reverse.trajectory.shown;
  }

  set currentStep(index: number) {
    this.#reverse.show(index);
  }

  /** Model evaluations of the reverse run so far. */
  get evaluations(): number {
    return this.#reverse.trajectory.steps.at(-1)?.evaluations ?? 0;
  }

  /** Whether a reverse run is sampling now (not paused), the race is on, or a live digit is drawing. */
  get running(): boolean {
    return this.#reverse.running || this.#race.run.pending || this.#live.pending;
  }

  /** The live view's last digit (decoded, in [-1, 1]) with its reading, evaluations and time. */
  get liveDrawing(): Readonly<LiveDrawing> | undefined {
    return this.#live.drawing;
  }

  /** The live view's steps-against-quality strip: one seed at 1, 2, 4 and 8 steps, each read. */
  get qualityStrip(): readonly Readonly<LiveDrawing>[] {
    return this.#live.strip;
  }

  /**
   * The live view's counts: runs started, runs dropped because a newer input overtook them,
   * digits painted, and each painted digit's time from its input event to the frame showing it.
   */
  get liveStats(): {
    runs: number;
    dropped: number;
    drawn: number;
    latenciesMs: readonly number[];
  } {
    return this.#live.stats;
  }

  /** Whether the reverse run is paused. */
  get paused(): boolean {
    return this.#reverse.paused;
  }

  /** The classifier's reading of the last reverse result. */
  get reading(): DigitReading | undefined {
    return this.#reverse.reading;
  }

  /** The race lanes: scheduler, steps, evaluations, time, reading. */
  get raceLanes(): readonly Readonly<RaceLane>[] {
    return this.#race.lanes;
  }

  /**
   * Plays: walks the forward process to t = 1000 (forward mode), starts sampling (reverse
   * mode) or the race, resumes a paused run, or replays a finished trajectory.
   */
  play(): void {
    this.#validate();
    if (this.mode === 'forward') {
      this.#forward.play(this.#reducedMotion);
    } else if (this.mode === 'race') {
      this.startRace();
    } else if (this.#canSample()) {
      this.#reverse.play();
    }
  }

  /** Pauses sampling after the step in flight (no further model evaluations), a replay, or the forward walk. */
  pause(): void {
    this.#forward.stop();
    this.#reverse.pause();
  }

  /** Shows the next stored step, or computes exactly one more. */
  stepForward(): void {
    this.#validate();
    const { trajectory } = this.#reverse;
    if (trajectory.shown >= trajectory.steps.length - 1 && !this.#canSample()) return;
    this.#reverse.stepForward();
  }

  /** Shows the previous stored step. */
  stepBack(): void {
    this.currentStep = this.currentStep - 1;
  }

  /** Stops sampling and forgets the trajectory and the race. */
  reset(): void {
    this.#reverse.reset('stopped');
    this.#race.reset('stopped');
  }

  /** Stops the race; finished lanes keep their results, the others are marked stopped. */
  stopRace(): void {
    this.#race.stop('stopped');
  }

  /** Whether a finished trajectory is being replayed. */
  get replaying(): boolean {
    return this.#reverse.trajectory.replaying;
  }

  /** Runs the race: the same seed, digit and guidance with DDPM, DDIM (50) and DPM-Solver++ (20). */
  startRace(): void {
    this.#validate();
    if (this.#canSample()) this.#race.start();
  }

  /** Uses an image (a file, a blob, or a URL) for the forward process. */
  setImage(
    source: Blob | string,
    name = source instanceof File ? source.name : 'your image',
  ): void {
    if (typeof source === 'string') {
      this.#forward.clearBlob();
      this.image = source;
    } else {
      this.#forward.setBlob(source, name);
    }
  }

  /** Goes back to the default image (a held-out digit). */
  useDefaultImage(): void {
    this.image = undefined;
    this.#forward.clearBlob();
  }

  // ---- Lifecycle --------------------------------------------------------------------------

  /** The model the reverse view samples (and the race's pixel lanes' model is `model`). */
  #activeModel(): string {
    if (this.mode === 'live') return this.consistencyModel;
    return this.mode === 'reverse' && this.space === 'latent' ? this.latentModel : this.model;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const active = this.#activeModel();
    if (changed.has('device') || active !== this.#loadedFor) {
      this.#loadedFor = active;
      this.#model.reset();
    }
    if (SAMPLING_INPUTS.some((key) => changed.has(key))) {
      // A run started with the settings of the moment (a method called right after a property
      // changed) keeps going; anything older, or an error of older settings, is forgotten.
      if (!this.#reverse.idle && this.#reverse.key !== reverseKey(this)) {
        this.#reverse.reset('settings');
      }
      if (!this.#race.idle && this.#race.key !== raceKey(this)) this.#race.reset('settings');
    }
    if (
      changed.has('image') ||
      changed.has('seed') ||
      changed.has('model') ||
      (changed.has('digit') && !this.image && !this.#forward.hasOwnImage)
    ) {
      if (this.#forward.run.status !== 'initial') this.#forward.run.reset();
    }
    this.#validate();
    if (isServer || !this.isConnected || !this.#viewport.reached) return;
    // Work starts when its view is shown: the forward process needs only the schedule, the
    // reverse process and the race need the model.
    const valid = this.#feedback.valid;
    if (this.mode === 'forward' && !seedProblemOf(this)) this.#forward.start();
    if (this.mode !== 'forward' && this.#model.idle && valid) {
      void this.#model.ensure().catch(() => undefined);
    }
    // The live view draws at every input, without Play; anything else stops its run.
    if (this.mode !== 'live') this.#live.stop();
    else if (valid) this.#live.request(); // a no-op while the settings are the ones drawn
    if (this.autoplay && !this.#autoplayed && !this.#reducedMotion && this.mode === 'reverse') {
      this.#autoplayed = true;
      if (valid) this.#reverse.start(false);
    }
  }

  protected override updated(): void {
    const root = this.renderRoot;
    const curves = scheduleCurves(this.#model.loaded?.manifest.scheduler);
    if (this.mode === 'forward') this.#forward.draw(root, curves);
    else if (this.mode === 'reverse') this.#reverse.draw(root, curves);
    else if (this.mode === 'live') this.#live.draw(root);
    else this.#race.draw(root);
    this.#feedback.setStates({
      loading: this.#model.pending || (this.mode === 'forward' && this.#forward.run.pending),
      running: this.running,
      paused: this.paused,
      complete:
        this.mode === 'race'
          ? this.#race.run.status === 'complete'
          : this.#reverse.run.status === 'complete',
      error: this.#visibleError() !== undefined || !this.#feedback.valid,
      'cpu-fallback': this.#model.cpuFallback,
    });
  }

  #validate(): void {
    this.#feedback.setProblems(settingsProblems(this, this.#model.loaded?.manifest));
  }

  #canSample(): boolean {
    if (this.#feedback.valid) return true;
    this.#feedback.announce(`Cannot sample: ${this.#feedback.problems.join(' ')}`);
    return false;
  }

  #runtime(): GenvizRuntime {
    return this.runtime ?? GenvizRuntime.shared();
  }

  /** The error to show: the first of the model load, the current view's run. */
  #visibleError(): unknown {
    if (this.mode === 'forward') return this.#forward.run.error;
    const run = this.mode === 'reverse' ? this.#reverse.run : this.#race.run;
    return this.#model.error ?? (run.status === 'error' ? run.error : undefined);
  }

  #retry = () => {
    this.#model.reset();
    this.#forward.run.reset();
    this.#reverse.reset('stopped');
    this.#race.reset('stopped');
    this.#live.stop();
  };

  // ---- Rendering --------------------------------------------------------------------------

  override render() {
    const busy = this.#reverse.run.pending || this.#race.run.pending;
    return html`<div
      part="base"
      tabindex="0"
      role="group"
      aria-label="Diffusion stepper"
      aria-keyshortcuts=${this.mode === 'forward' ? nothing : 'Space k . ,'}
    >
      ${renderChoice({
        part: 'modes',
        label: 'View',
        buttonPart: 'mode-button',
        choices: MODES,
        labels: MODE_LABELS,
        current: this.mode,
        choose: (mode) => (this.mode = mode),
      })}
      ${this.#feedback.renderProblems()}
      ${this.#feedback.renderError(this.#visibleError(), this.#retry)}
      ${this.mode === 'forward' ? nothing : this.#model.renderLoading()}
      ${
        this.mode === 'forward'
          ? this.#forward.render(this.#imageInput)
          : this.mode === 'reverse'
            ? this.#reverse.render(busy)
            : this.mode === 'live'
              ? this.#live.render()
              : this.#race.render(busy)
      }
      ${this.mode === 'forward' ? nothing : this.#model.renderDevice()}
      <div class="buttons" part="save-buttons">
        ${this.#picture.renderButton()} ${this.#animation.renderButtons()}
      </div>
      ${this.#feedback.renderLiveRegion()}
    </div>`;
  }
}
