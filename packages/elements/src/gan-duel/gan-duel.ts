import { GenvizRuntime } from '@genviz/runtime';
import type { DeviceOption } from '@genviz/runtime';
import { LitElement, html, isServer, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { FeedbackController } from '../kit/feedback-controller.js';
import { AnimationController, tensorFrame, tileFrames } from '../kit/animation-controller.js';
import type { AnimationFormat, AnimationFrames } from '../kit/animation-controller.js';
import { PictureController, fileNamePart, modelNamePart } from '../kit/picture-controller.js';
import { StateController } from '../kit/state-controller.js';
import type { StateField } from '../kit/state-controller.js';
import { digitConverter, emit, modelConverter, numberConverter } from '../kit/format.js';
import { ModelController } from '../kit/model-controller.js';
import { ViewportController, loadingMode } from '../kit/viewport-controller.js';
import type { LoadingMode } from '../kit/viewport-controller.js';
import { CollapseView } from './collapse-view.js';
import type { DiversityMeter, EntropyHistory } from './collapse-view.js';
import { renderControls, renderModes } from './controls.js';
import { CounterfeiterView } from './counterfeiter-view.js';
import { DuelView } from './duel-view.js';
import { ganDuelStyles } from './gan-duel.styles.js';
import { GenvizPairingEvent } from './events.js';
import { HISTORY_SAMPLES, HistoryView } from './history-view.js';
import { MatrixView, describeWinner } from './matrix.js';
import type { DuelMatrix } from './matrix.js';
import { Round, currentPairing, latentSizeOf, roundKey } from './round.js';
import type { DuelRound, DuelServices } from './round.js';
import { renderPairingSliders } from './pairing-sliders.js';
import { settingsProblems, snapshotInfo } from './settings.js';
import type { GanDuelMode, GanRun, Pairing, SnapshotInfo } from './settings.js';

export {
  GenvizErrorEvent,
  GenvizMatrixEvent,
  GenvizModelProgressEvent,
  GenvizPairingEvent,
  GenvizRoundEvent,
  GenvizSnapshotEvent,
  GenvizVerdictEvent,
} from './events.js';
export type { RoundCellResult } from './events.js';
export type { DiversityMeter, EntropyHistory } from './collapse-view.js';
export type { DuelCell, DuelRound } from './round.js';
export type { DuelMatrix, Winner } from './matrix.js';
export type { GanDuelMode, GanRun, Pairing, SnapshotInfo } from './settings.js';

const TAG = 'genviz-gan-duel';
const ROUND_MODES: readonly GanDuelMode[] = ['duel', 'detective', 'counterfeiter'];

/** The reader-visible state that `state` and `url-state` carry, in this order. */
const STATE_FIELDS: readonly StateField[] = [
  { key: 'mode', property: 'mode' },
  { key: 'run', property: 'run' },
  { key: 'seed', property: 'seed' },
  { key: 'digit', property: 'digit' },
  { key: 'snapshot', property: 'snapshot' },
  { key: 'detective-snapshot', property: 'detectiveSnapshot' },
  { key: 'counterfeiter-snapshot', property: 'counterfeiterSnapshot' },
  { key: 'grid-size', property: 'gridSize' },
];

/**
 * The GAN explainer in one element: a generator (the counterfeiter) makes fakes, a
 * discriminator (the detective) judges them. The duel shows real held-out digits and fakes
 * shuffled, each with the discriminator's verdict; the reader can play detective and compare
 * scores with it, or draw a counterfeit for it to judge. The training history regenerates the
 * same latent codes at each training snapshot beside the discriminator's mean verdicts over
 * training, and mode collapse sets a collapsed run's diversity meter beside the healthy run's.
 * Models run in the shared genviz worker, never on the page's main thread.
 *
 * Every control is a native button, field or slider; the detective's grid cells are toggle
 * buttons (pressed: "I say real") that arrow keys, Home and End move between; the history's
 * scrubber is a range input. With `prefers-reduced-motion` nothing moves by itself: the
 * history's Play shows one snapshot per press.
 *
 * @summary Counterfeiter against detective: a real GAN's fakes, verdicts, training history and mode collapse.
 *
 * @fires {GenvizRoundEvent} genviz-round - A round was revealed: `cells` (real, verdict, the reader's mark), `readerScore` (detective mode; null in the duel) and `discriminatorScore`, shares of right calls.
 * @fires {GenvizSnapshotEvent} genviz-snapshot - The history (or collapse view) shows another training snapshot: `run`, `snapshot` (index, epoch, iteration, dReal, dFake).
 * @fires {GenvizVerdictEvent} genviz-verdict - The discriminator judged the reader's drawing: `verdict` (P(real)), `image`.
 * @fires {GenvizModelProgressEvent} genviz-model-progress - Model download and verification progress (`progress`).
 * @fires {GenvizErrorEvent} genviz-error - A failure (`code`, `message`, `error`): a model that cannot load, an invalid attribute.
 * @fires {GenvizSaveEvent} genviz-save - A picture or an animation was saved (the Save buttons, `downloadPicture()` or `downloadAnimation()`): `blob` (PNG, GIF or WebM), `fileName`.
 * @csspart save-buttons - The Save picture / Save GIF / Save video buttons (`save-button`, `save-gif-button`, `save-video-button`).
 * @fires {GenvizStateEvent} genviz-state - The reader-visible state changed: `state`, the string that restores it.
 * @fires {Event} input - (native, from the scrubber) While the reader moves through the snapshots.
 *
 * @csspart base - The wrapper of everything (the container-query container).
 * @csspart modes - The view switch (buttons `mode-button`).
 * @csspart controls - Run switch, digit, seed and new-seed button.
 * @csspart runs - The healthy / collapsed run switch (buttons `run-button`).
 * @csspart digit - The digit asked of the generator's digit code.
 * @csspart seed - The seed field.
 * @csspart code - The text saying what the digit code is.
 * @csspart button - Every button (also `mode-button`, `run-button`, `seed-button`, `reveal-button`, `new-round-button`, `play-button`).
 * @csspart message - The list of rejected attribute values.
 * @csspart error - The error message and its retry button.
 * @csspart progress - The model download progress bar.
 * @csspart device - The device line (WebGPU or WASM, and why).
 * @csspart duel - The duel view.
 * @csspart detective - The detective view.
 * @csspart grid - The round's grid of images.
 * @csspart cell - Each image of the grid (a toggle button in detective mode; `data-truth` is `real`, `fake` or `hidden`).
 * @csspart cell-image - Each grid image's canvas.
 * @csspart verdict - The discriminator's verdict badge on an image.
 * @csspart mark - The reader's mark on an image (detective mode).
 * @csspart truth - Real or fake, after the reveal.
 * @csspart actions - The reveal and new-round buttons.
 * @csspart score - The reader's and the discriminator's scores.
 * @csspart counterfeiter - The counterfeiter view.
 * @csspart drawing - The drawing pad and the verdict on the drawing (`your-verdict`); the pad's own parts are exported as `drawing-surface` and `clear-button`.
 * @csspart rival - The best fake and the real digit beside the drawing (canvases `rival-fake`, `rival-real`).
 * @csspart history - The training-history view.
 * @csspart slider - The snapshot scrubber (also `scrubber`).
 * @csspart play-button - Plays the training history (with reduced motion: shows the next snapshot).
 * @csspart history-grid - The fakes at the shown snapshot (canvases `history-image`).
 * @csspart chart - The discriminator's mean verdicts over training, with the snapshot marked.
 * @csspart readout - The shown snapshot's epoch and mean verdicts.
 * @csspart collapse - The mode-collapse view.
 * @csspart meter - Each diversity meter (also `meter-healthy`, `meter-collapsed`; `data-entropy` in bits).
 * @csspart bars - Each meter's histogram of predicted digits (also `bars-healthy`, `bars-collapsed`).
 * @csspart entropy - Each meter's entropy line.
 *
 * @cssproperty [--genviz-gan-duel-background=var(--genviz-background)] - Background. Every `--genviz-gan-duel-*` token defaults to the page-wide `--genviz-*` token of the same name (`--genviz-background: light-dark(#ffffff, #16161d)`, ...), which themes every genviz element at once.
 * @cssproperty [--genviz-gan-duel-surface=var(--genviz-surface)] - Panel and control surfaces.
 * @cssproperty [--genviz-gan-duel-text-color=var(--genviz-text-color)] - Text and axes.
 * @cssproperty [--genviz-gan-duel-muted-color=var(--genviz-muted-color)] - Captions.
 * @cssproperty [--genviz-gan-duel-accent-color=var(--genviz-accent-color)] - Buttons, "says real" badges, the real-digit curve, histogram bars.
 * @cssproperty [--genviz-gan-duel-second-color=var(--genviz-second-color)] - "Says fake" badges and the fake-digit curve.
 * @cssproperty [--genviz-gan-duel-bar-color=var(--genviz-bar-color)] - Field borders.
 * @cssproperty [--genviz-gan-duel-error-color=var(--genviz-error-color)] - Error text.
 * @cssproperty [--genviz-gan-duel-radius=var(--genviz-radius)] - Corner radius.
 * @cssproperty [--genviz-gan-duel-gap=var(--genviz-gap)] - Spacing between parts.
 * @cssproperty [--genviz-gan-duel-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring colour.
 * @cssproperty [--genviz-gan-duel-real-color=var(--genviz-gan-duel-accent-color)] - The outline of real images after the reveal.
 * @cssproperty [--genviz-gan-duel-fake-color=var(--genviz-gan-duel-second-color)] - The outline of fakes after the reveal.
 *
 * @cssstate loading - A model is loading.
 * @cssstate busy - A round, snapshot, meter or verdict is being computed.
 * @cssstate playing - The history is walking through the snapshots.
 * @cssstate revealed - The round's truth is shown.
 * @cssstate error - An error or a rejected attribute value is shown.
 * @cssstate cpu-fallback - The models run on WASM though WebGPU was allowed.
 */
export class GenvizGanDuel extends LitElement {
  static override styles = ganDuelStyles;

  /** The healthy GAN: a default model id or the URL of a GAN's manifest.json. */
  @property({ converter: modelConverter('mnist-dcgan') }) model = 'mnist-dcgan';
  /** The mode-collapsed GAN (a default model id or a manifest URL). */
  @property({
    attribute: 'collapsed-model',
    converter: modelConverter('mnist-dcgan-collapsed'),
  })
  collapsedModel = 'mnist-dcgan-collapsed';
  /** The classifier of the diversity meters (a default model id or a manifest URL). */
  @property({ converter: modelConverter('mnist-classifier') }) classifier = 'mnist-classifier';
  /** Where models run: `auto`, `webgpu` or `wasm`; unset, the runtime's default (`auto`). */
  @property() device: DeviceOption | undefined;
  /** The seed of the latents, of the real digits picked and of the grid's order: same seed, same round. */
  @property({ converter: numberConverter }) seed = 0;
  /**
   * The training snapshot of both sides at once: the generator that makes the fakes and the
   * discriminator that judges them (history and collapse: the snapshot shown). Absent, and
   * without `detective-snapshot` / `counterfeiter-snapshot`, the healthy run's duel opens on a
   * pairing where the detective clearly wins (discriminator and generator after epoch 1);
   * the collapsed run's on its final networks.
   */
  @property({ converter: numberConverter }) snapshot: number | undefined;
  /** The detective's training snapshot: the discriminator that judges (overrides `snapshot` for it). */
  @property({ converter: numberConverter, attribute: 'detective-snapshot' })
  detectiveSnapshot: number | undefined;
  /** The counterfeiter's training snapshot: the generator that makes the fakes (overrides `snapshot` for it). */
  @property({ converter: numberConverter, attribute: 'counterfeiter-snapshot' })
  counterfeiterSnapshot: number | undefined;
  /** Which run makes the fakes: `healthy` or `collapsed`. */
  @property({ reflect: true }) run: GanRun = 'healthy';
  /** Images in a round, 2 to 64: half real digits (rounded up), half fakes. */
  @property({ converter: numberConverter, attribute: 'grid-size' }) gridSize = 16;
  /** `duel`, `detective`, `counterfeiter`, `matrix` (the arms race), `history` or `collapse`. */
  @property({ reflect: true }) mode: GanDuelMode = 'duel';
  /** The digit asked of the healthy generator's digit code, 0-9, or `none` (any digit). */
  @property({ converter: digitConverter }) digit: number | null = null;
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
   * The training history as an animation (history mode): one frame per training snapshot, the
   * same latent codes through the generator as it was then, as the history's grid shows them
   * (snapshots not yet seen are generated first). `'gif'` gives an animated GIF, `'webm'` a
   * WebM video (where the browser has WebCodecs); both are encoded in a worker. Rejects with a
   * message in the other modes.
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
        'genviz-gan-duel',
        modelNamePart(this.run === 'collapsed' ? this.collapsedModel : this.model),
        this.mode,
        `seed-${fileNamePart(this.seed)}`,
        ...(this.snapshot === undefined ? [] : [`snapshot-${fileNamePart(this.snapshot)}`]),
        ...(this.detectiveSnapshot === undefined
          ? []
          : [`detective-${fileNamePart(this.detectiveSnapshot)}`]),
        ...(this.counterfeiterSnapshot === undefined
          ? []
          : [`counterfeiter-${fileNamePart(this.counterfeiterSnapshot)}`]),
      ].join('-'),
    caption: () => `<genviz-gan-duel> ${this.state}`,
  });
  readonly #animation = new AnimationController(this, {
    fileName: () =>
      [
        'genviz-gan-duel',
        modelNamePart(this.run === 'collapsed' ? this.collapsedModel : this.model),
        'history',
        `seed-${fileNamePart(this.seed)}`,
        `snapshots-${this.snapshots.length}`,
      ].join('-'),
    available: () => this.mode === 'history' && this.#history.shown !== undefined,
    frames: (signal) => this.#animationFrames(signal),
    onError: this.#feedback.report,
  });
  readonly #viewport = new ViewportController(this, () => this.loading);
  readonly #healthy = this.#ganController(() => this.model, 'the GAN');
  readonly #collapsed = this.#ganController(() => this.collapsedModel, 'the collapsed GAN');
  readonly #classifier = new ModelController(this, {
    model: () => this.classifier,
    device: () => this.device,
    runtime: () => this.#runtime(),
    task: 'classifier',
    label: 'the classifier',
    onError: this.#feedback.report,
  });
  readonly #services: DuelServices = {
    runtime: () => this.#runtime(),
    feedback: this.#feedback,
    gan: (run) => (run === 'collapsed' ? this.#collapsed : this.#healthy),
    classifier: this.#classifier,
    reducedMotion: () => this.#reducedMotion,
  };
  readonly #round = new Round(this, this.#services);
  readonly #duel = new DuelView(this, this.#services);
  readonly #counterfeiter = new CounterfeiterView(this, this.#services);
  readonly #history = new HistoryView(this, this.#services);
  readonly #collapse = new CollapseView(this, this.#services);
  readonly #matrix = new MatrixView(this, this.#services);
  #reducedMotion = false;
  /** The round (its settings' key) that `reveal()` was asked for before it was made. */
  #revealWhenMade: string | undefined;
  /** The pairing last announced with `genviz-pairing`. */
  #pairingKey: string | undefined;

  #ganController(model: () => string, label: string): ModelController {
    return new ModelController(this, {
      model,
      device: () => this.device,
      runtime: () => this.#runtime(),
      task: 'gan',
      label,
      // The history and the diversity meters need only generators; the discriminator opens
      // when a verdict is first asked for.
      networks: () =>
        this.mode === 'history' || this.mode === 'collapse' || this.mode === 'matrix'
          ? ['generator']
          : undefined,
      onError: this.#feedback.report,
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    // Work a departure aborted (the controllers abort as the host leaves) starts again.
    this.requestUpdate();
  }

  async #animationFrames(signal: AbortSignal): Promise<AnimationFrames> {
    if (this.mode !== 'history')
      throw new Error('There is no animation to save here: the training history has one.');
    const history = await this.#history.allSnapshots(signal);
    const side = 28;
    const columns = Math.ceil(Math.sqrt(HISTORY_SAMPLES));
    const frames = history.map(({ images }) => {
      const tiles = Array.from({ length: images.length / (side * side) }, (_, i) =>
        tensorFrame(images, side, side, 1, i * side * side),
      );
      return tileFrames(tiles, side, side, columns, 2);
    });
    const { width, height } = frames[0]!;
    return {
      width,
      height,
      frames: frames.map(({ frame }) => frame),
      delayMs: frames.map((_, i) => (i === frames.length - 1 ? 1500 : 500)),
    };
  }

  // ---- Public API -------------------------------------------------------------------------

  /** The round shown (duel, detective, counterfeiter): its images, what they are, the verdicts. */
  get round(): DuelRound | undefined {
    return this.#round.value;
  }

  /**
   * How many held-out digits the run's discriminator has judged. Verdicts on real digits are
   * kept, and judged in the background after a round, so later rounds judge only their fakes.
   */
  get realVerdictsKnown(): number {
    return this.#round.realVerdictsKnown;
  }

  /** The reader's marks on the round: for each image, whether it is marked real. */
  get marks(): readonly boolean[] {
    const round = this.#round.value;
    return round ? this.#duel.marks(round) : [];
  }

  /** Whether the round's truth is shown. */
  get revealed(): boolean {
    return this.#round.value !== undefined && this.#duel.revealed;
  }

  /** The run's training snapshots (empty until its model has loaded). */
  get snapshots(): readonly SnapshotInfo[] {
    return (this.#services.gan(this.run).loaded?.manifest.snapshots ?? []).map(snapshotInfo);
  }

  /** The snapshot whose images the history shows. */
  get shownSnapshot(): SnapshotInfo | undefined {
    const shown = this.#history.shown;
    return shown ? snapshotInfo(shown.snapshot) : undefined;
  }

  /**
   * Which training snapshots face each other in the duel, detective and counterfeiter modes
   * (undefined on a side: the final network).
   */
  get pairing(): Pairing {
    return currentPairing(this, this.#services);
  }

  /**
   * The share of right calls of the pairing's detective on the arms race's 64 real digits and
   * 64 fakes (undefined until measured).
   */
  get pairingAccuracy(): number | undefined {
    return this.#matrix.accuracyOf(this.#scoredPairing());
  }

  /** The arms-race matrices (matrix mode), healthy run first, complete or being filled. */
  get matrices(): readonly DuelMatrix[] {
    return this.#matrix.matrices;
  }

  /** The diversity meters of the collapse view: the chosen run's, then the other run's. */
  get meters(): readonly DiversityMeter[] {
    return this.#collapse.meters;
  }

  /** The discriminator's P(real) for the reader's drawing (counterfeiter mode). */
  get counterfeitVerdict(): number | undefined {
    return this.#counterfeiter.verdict;
  }

  /** Marks image `position` of the round real or fake (detective mode; before the reveal). */
  mark(position: number, real: boolean): void {
    const round = this.#round.value;
    if (round) this.#duel.toggle(round, position, real);
  }

  /**
   * Reveals which images were real, and scores the round. It acts on the settings of the
   * moment: right after a setting changed (`el.seed = 9; el.reveal()`), the round of the new
   * settings is revealed as soon as it is made.
   */
  reveal(): void {
    const round = this.#round.value;
    if (round) this.#duel.reveal(round);
    else this.#revealWhenMade = roundKey(this, this.pairing);
  }

  /** A new seed: new fakes, new real digits, a new order. */
  newSeed(): void {
    const seed = Number.isInteger(this.seed) && this.seed >= 0 ? this.seed : 0;
    this.seed = (seed + 1) % 2 ** 32;
  }

  /**
   * Walks the history through the training snapshots, one every 0.7 s once drawn (history mode).
   * With `prefers-reduced-motion` nothing moves by itself: it shows the next snapshot.
   */
  playHistory(): void {
    if (this.mode === 'history') this.#history.play();
  }

  /** Stops the history's walk. */
  pauseHistory(): void {
    this.#history.pause();
  }

  /** The collapse view's chart: each run's diversity (entropy in bits) at every snapshot. */
  get entropyHistory(): readonly EntropyHistory[] {
    return this.#collapse.entropyHistory;
  }

  /** Whether the history is walking through the snapshots. */
  get playing(): boolean {
    return this.#history.playing;
  }

  /** Has the run's discriminator judge an image (28x28, values in [-1, 1]); resolves with P(real). */
  judge(image: Float32Array): Promise<number | undefined> {
    return this.#counterfeiter.judge(image);
  }

  // ---- Lifecycle --------------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    const deviceChanged = changed.has('device');
    if (changed.has('model') || deviceChanged) this.#healthy.reset();
    if (changed.has('collapsedModel') || deviceChanged) this.#collapsed.reset();
    if (changed.has('classifier') || deviceChanged) this.#classifier.reset();
    if (changed.has('mode') && this.mode !== 'history') this.#history.pause();
    if (changed.has('mode') && this.mode !== 'matrix') this.#matrix.pause();
    this.#validate();
    if (isServer || !this.isConnected || !this.#feedback.valid || !this.#viewport.reached) return;
    if (ROUND_MODES.includes(this.mode)) {
      this.#round.update();
      this.#matrix.updateScore(this.#scoredPairing());
    }
    if (this.mode === 'matrix') this.#matrix.update();
    if (this.#revealWhenMade !== undefined) {
      const round = this.#round.value;
      if (this.#revealWhenMade !== roundKey(this, this.pairing)) this.#revealWhenMade = undefined;
      else if (round) {
        this.#revealWhenMade = undefined;
        this.#duel.reveal(round);
      }
    }
    if (this.mode === 'history') this.#history.update();
    if (this.mode === 'collapse') this.#collapse.update();
    const judgeChanged = ['run', 'model', 'collapsedModel', 'device'].some((key) =>
      changed.has(key as keyof GenvizGanDuel),
    );
    if (this.mode === 'counterfeiter' && judgeChanged && changed.size > 0) {
      this.#counterfeiter.rejudge();
    }
  }

  protected override updated(): void {
    const root = this.renderRoot;
    const round = this.#round.value;
    if (this.mode === 'history') this.#history.draw(root);
    else if (this.mode === 'collapse') this.#collapse.draw(root);
    else if (this.mode === 'counterfeiter') this.#counterfeiter.draw(root, round);
    else this.#duel.draw(root, round);
    const model = this.#services.gan(this.run);
    this.#announcePairing();
    this.#feedback.setStates({
      loading: model.pending || (this.mode === 'collapse' && this.#classifier.pending),
      busy: this.#busy(),
      revealed: this.revealed && (this.mode === 'duel' || this.mode === 'detective'),
      error: this.#visibleError() !== undefined || !this.#feedback.valid,
      'cpu-fallback': model.cpuFallback,
      playing: this.#history.playing,
    });
  }

  /**
   * The pairing with a final network named by its snapshot (the last snapshot holds the final
   * weights), so that it can be scored and found in the matrix.
   */
  #scoredPairing(): Pairing {
    const pairing = this.pairing;
    const snapshots = this.#services.gan(pairing.run).loaded?.manifest.snapshots;
    const last = snapshots?.at(-1);
    if (!last) return pairing;
    return {
      run: pairing.run,
      detective: pairing.detective ?? (last.discriminatorVariants ? last.index : undefined),
      counterfeiter: pairing.counterfeiter ?? last.index,
    };
  }

  /** Fires `genviz-pairing` when the duel's pairing changes (not for the first one). */
  #announcePairing(): void {
    const snapshots = this.#services.gan(this.run).loaded?.manifest.snapshots;
    if (!snapshots || !this.#feedback.valid) return;
    const pairing = this.pairing;
    const key = JSON.stringify([pairing.run, pairing.detective, pairing.counterfeiter]);
    if (key === this.#pairingKey) return;
    const first = this.#pairingKey === undefined;
    this.#pairingKey = key;
    if (first) return;
    const info = (index: number | undefined) => {
      const snapshot = snapshots.find((candidate) => candidate.index === index);
      return snapshot ? snapshotInfo(snapshot) : undefined;
    };
    emit(
      this,
      new GenvizPairingEvent(pairing.run, info(pairing.detective), info(pairing.counterfeiter)),
    );
  }

  #busy(): boolean {
    if (this.mode === 'matrix') return this.#matrix.run.pending;
    if (this.mode === 'history') return this.#history.run.pending;
    if (this.mode === 'collapse')
      return this.#collapse.run.pending || this.#collapse.history.pending;
    return this.#round.run.pending || this.#counterfeiter.run.pending;
  }

  #validate(): void {
    this.#feedback.setProblems(
      settingsProblems(this, this.#services.gan(this.run).loaded?.manifest.snapshots),
    );
  }

  #runtime(): GenvizRuntime {
    return this.runtime ?? GenvizRuntime.shared();
  }

  /** The error to show: the models' first, then the current view's. */
  #visibleError(): unknown {
    const modelError =
      this.#services.gan(this.run).error ??
      (this.mode === 'collapse'
        ? (this.#services.gan(this.run === 'healthy' ? 'collapsed' : 'healthy').error ??
          this.#classifier.error)
        : undefined);
    if (modelError !== undefined) return modelError;
    // A run of settings the element rejects has failed for the reason the message already gives.
    if (!this.#feedback.valid) return undefined;
    if (this.mode === 'matrix') {
      return this.#matrix.run.status === 'error' ? this.#matrix.run.error : undefined;
    }
    const run =
      this.mode === 'history'
        ? this.#history.run
        : this.mode === 'collapse'
          ? this.#collapse.run
          : this.mode === 'counterfeiter' && this.#counterfeiter.run.status === 'error'
            ? this.#counterfeiter.run
            : this.#round.run;
    return run.status === 'error' ? run.error : undefined;
  }

  #retry = () => {
    this.#healthy.reset();
    this.#collapsed.reset();
    this.#classifier.reset();
    this.#round.reset();
    this.#history.reset();
    this.#collapse.reset();
    this.#matrix.reset();
    this.#counterfeiter.clear();
    this.requestUpdate();
  };

  #chooseMode = (mode: GanDuelMode) => {
    if (mode === 'collapse' && this.mode !== 'collapse') this.#chooseRun('collapsed');
    this.mode = mode;
  };

  #chooseRun = (run: GanRun) => {
    if (run === this.run) return;
    // Snapshot numbers are per run: the other run starts on its default pairing.
    this.snapshot = undefined;
    this.detectiveSnapshot = undefined;
    this.counterfeiterSnapshot = undefined;
    this.run = run;
  };

  // ---- Rendering --------------------------------------------------------------------------

  #renderView() {
    const round = this.#round.value;
    switch (this.mode) {
      case 'history':
        return this.#history.render();
      case 'collapse':
        return this.#collapse.render();
      case 'matrix':
        return this.#matrix.render(this.#scoredPairing());
      case 'counterfeiter':
        return html`${this.#renderPairing()} ${this.#counterfeiter.render(round)}`;
      case 'duel':
      case 'detective':
        return html`${this.#renderPairing()} ${this.#duel.render(round, this.#round.run.pending)}`;
      default:
        return nothing;
    }
  }

  /** The two sliders (detective, counterfeiter) and who is winning. */
  #renderPairing() {
    const snapshots = this.#services.gan(this.run).loaded?.manifest.snapshots;
    const pairing = this.#scoredPairing();
    const accuracy = this.#matrix.accuracyOf(pairing);
    return renderPairingSliders(
      snapshots,
      pairing,
      (side, index) => {
        if (side === 'detective') this.detectiveSnapshot = index;
        else this.counterfeiterSnapshot = index;
      },
      accuracy === undefined ? undefined : { accuracy, text: describeWinner(accuracy) },
    );
  }

  override render() {
    const model = this.#services.gan(this.run);
    const manifest = model.loaded?.manifest;
    return html`<div part="base" role="group" aria-label="GAN duel">
      ${renderModes(this, this.#chooseMode)}
      ${renderControls(this, this.#chooseRun, manifest ? latentSizeOf(manifest) : undefined)}
      ${this.#feedback.renderProblems()}
      ${this.#feedback.renderError(this.#visibleError(), this.#retry)} ${model.renderLoading()}
      ${this.mode === 'collapse' ? this.#classifier.renderLoading() : nothing} ${this.#renderView()}
      <div class="buttons" part="save-buttons">
        ${this.#picture.renderButton()} ${this.#animation.renderButtons()}
      </div>
      ${model.renderDevice()} ${this.#feedback.renderLiveRegion()}
    </div>`;
  }
}
