import { GenvizRuntime } from '@genviz/runtime';
import type { DeviceOption, DiffusionStep, HeldOutDigits } from '@genviz/runtime';
import { LitElement, html, isServer, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { cssomStyle } from '../kit/cssom-style.js';
import { renderChoice } from '../kit/choice.js';
import { CLASS_COLORS } from '../kit/classes.js';
import { digitImage } from '../kit/digits.js';
import { drawTensor } from '../kit/draw.js';
import { FeedbackController } from '../kit/feedback-controller.js';
import { AnimationController, tensorFrame } from '../kit/animation-controller.js';
import type { AnimationFormat, AnimationFrames } from '../kit/animation-controller.js';
import { PictureController, fileNamePart, modelNamePart } from '../kit/picture-controller.js';
import { StateController } from '../kit/state-controller.js';
import type { StateField } from '../kit/state-controller.js';
import { articleFor, emit, modelConverter, numberConverter } from '../kit/format.js';
import { ModelController } from '../kit/model-controller.js';
import { RunController } from '../kit/run-controller.js';
import { ViewportController, loadingMode } from '../kit/viewport-controller.js';
import type { LoadingMode } from '../kit/viewport-controller.js';
import type {
  GenvizPadInputEvent,
  GenvizPointHoverEvent,
  LatentMarker,
} from '../latent-pad/latent-pad.js';
import { DrawView } from './draw-view.js';
import type { EncodedDrawing } from './draw-view.js';
import { FlowView } from './flow-view.js';
import { GenvizLatentEvent } from './events.js';
import { GridView } from './grid-view.js';
import { InterpolateView } from './interpolate-view.js';
import { latentExplorerStyles } from './latent-explorer.styles.js';
import { LiveDecoder } from './live-decoder.js';
import type { ShownImage } from './live-decoder.js';
import { SampleView } from './sample-view.js';
import { VIEWS, VIEW_LABELS, explorerProblems, nearestClass } from './settings.js';
import type { ExplorerData, ExplorerView } from './settings.js';

export { GenvizFrameEvent, GenvizLatentEvent } from './events.js';
export type { LatentDetail } from './events.js';
export type { ShownImage } from './live-decoder.js';
export type { ExplorerView, Interpolation } from './settings.js';
export type { EncodedDrawing } from './draw-view.js';

const TAG = 'genviz-latent-explorer';
/** A saved interpolation: this many images along the path from A to B. */
const INTERPOLATION_FRAMES = 41;

/** The reader-visible state that `state` and `url-state` carry, in this order. */
const STATE_FIELDS: readonly StateField[] = [
  { key: 'view', property: 'view' },
  { key: 'x', property: 'x' },
  { key: 'y', property: 'y' },
  { key: 'seed', property: 'seed' },
  { key: 'grid-size', property: 'gridSize' },
  { key: 'extent', property: 'extent' },
  { key: 'interpolation', property: 'interpolation' },
];

/**
 * A VAE's latent space to touch. The map shows the 1,000 held-out digits encoded to two numbers,
 * coloured by class; dragging the handle decodes live, every animation frame. The grid decodes
 * the whole plane at once (the classic manifold picture); drawing a digit shows where the
 * encoder puts it and how sure it is (an ellipse); interpolation walks between two codes;
 * sampling draws codes from the prior, and a real digit beside its reconstruction, with a
 * sharpness figure for each, shows why VAEs blur; and a small denoiser trained on the codes
 * moves a cloud of points from the prior into the class clusters, diffusion as a flow. Models run in the shared genviz worker.
 *
 * Keyboard: the map is a pair of ARIA sliders (arrows nudge, Shift+arrows take big steps, Home
 * centres); every control is reachable with Tab.
 *
 * @summary Drag through a VAE's latent space, encode your own drawing, see why VAEs blur.
 *
 * @fires {GenvizLatentEvent} input - While the point moves: `latent` and `nearestClass`.
 * @fires {GenvizLatentEvent} change - When a drag or key press ends: `latent` and `nearestClass`.
 * @fires {GenvizFrameEvent} genviz-frame - An image for a move was painted: `latencyMs` from the pointer or key event's `timeStamp`; `exact` (the decode) or not (the preview from the grid kept in memory, painted in the frame of the move).
 * @fires {GenvizModelProgressEvent} genviz-model-progress - Model download and verification progress.
 * @fires {GenvizErrorEvent} genviz-error - A failure or an invalid attribute (`code`, `message`).
 * @fires {GenvizSaveEvent} genviz-save - A picture or an animation was saved (the Save buttons, `downloadPicture()` or `downloadAnimation()`): `blob` (PNG, GIF or WebM), `fileName`.
 * @csspart save-buttons - The Save picture / Save GIF / Save video buttons (`save-button`, `save-gif-button`, `save-video-button`).
 * @fires {GenvizStateEvent} genviz-state - The reader-visible state changed: `state`, the string that restores it.
 *
 * @csspart base - The wrapper of everything (the container-query container).
 * @csspart views - The view switch (also `view-button` on each button).
 * @csspart pad - The latent map (a `<genviz-latent-pad>`; style its own parts through it).
 * @csspart legend - The class colours of the map.
 * @csspart decoded - The canvas of the image decoded at the handle.
 * @csspart hovered - The canvas of the real digit under the pointer.
 * @csspart readout - The handle's coordinates and nearest class.
 * @csspart grid - The decoded grid's canvas (also `grid-cell`, the cell under the handle).
 * @csspart drawing - The drawing pad (a `<genviz-drawing-pad>`).
 * @csspart reconstruction - The reconstruction of the drawing.
 * @csspart strip - The interpolation strip and the samples strip.
 * @csspart slider - The interpolation slider.
 * @csspart blur - The sharpness comparison (also `real`, `reconstructed` canvases).
 * @csspart followed - The flow view's decoded image of the followed point.
 * @csspart controls - Each view's fields and buttons.
 * @csspart button - Every button.
 * @csspart message - The list of rejected attribute values.
 * @csspart error - The error message and its retry button.
 * @csspart progress - The model download progress bar.
 * @csspart device - The device line.
 *
 * @cssproperty [--genviz-latent-explorer-background=var(--genviz-background)] - Background. Every `--genviz-latent-explorer-*` token defaults to the page-wide `--genviz-*` token of the same name.
 * @cssproperty [--genviz-latent-explorer-surface=var(--genviz-surface)] - Panels and the map.
 * @cssproperty [--genviz-latent-explorer-text-color=var(--genviz-text-color)] - Text and marks.
 * @cssproperty [--genviz-latent-explorer-muted-color=var(--genviz-muted-color)] - Captions.
 * @cssproperty [--genviz-latent-explorer-accent-color=var(--genviz-accent-color)] - Buttons and the handle.
 * @cssproperty [--genviz-latent-explorer-second-color=var(--genviz-second-color)] - The second series: the interpolation's other end, column rules.
 * @cssproperty [--genviz-latent-explorer-bar-color=var(--genviz-bar-color)] - Bars, borders and the progress track.
 * @cssproperty [--genviz-latent-explorer-error-color=var(--genviz-error-color)] - Error text.
 * @cssproperty [--genviz-latent-explorer-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring.
 * @cssproperty [--genviz-latent-explorer-radius=var(--genviz-radius)] - Corner radius.
 * @cssproperty [--genviz-latent-explorer-gap=var(--genviz-gap)] - Spacing.
 * @cssproperty [--genviz-class-0-color=#4e79a7] - Class 0's dots and legend (to `--genviz-class-9-color`).
 *
 * @cssstate loading - The model or the map's data is loading.
 * @cssstate error - An error or a rejected attribute value is shown.
 * @cssstate cpu-fallback - The model runs on WASM though WebGPU was allowed.
 */
export class GenvizLatentExplorer extends LitElement {
  static override styles = latentExplorerStyles;

  /** A default model id or the URL of a VAE's manifest.json (a 2-D latent). */
  @property({ converter: modelConverter('mnist-vae') }) model = 'mnist-vae';
  /** The classifier that reads drawings, reconstructions and samples. */
  @property({ converter: modelConverter('mnist-classifier') }) classifier = 'mnist-classifier';
  /** Where models run: `auto`, `webgpu` or `wasm`; unset, the runtime's default. */
  @property() device: DeviceOption | undefined;
  /** The handle's first coordinate. */
  @property({ converter: numberConverter, reflect: true }) x = 0;
  /** The handle's second coordinate. */
  @property({ converter: numberConverter, reflect: true }) y = 0;
  /** `map`, `grid`, `draw`, `interpolate`, `sample` (sampling, and why VAEs blur) or `flow` (diffusion as a flow of points). */
  @property({ reflect: true }) view: ExplorerView = 'map';
  /** Rows and columns of the decoded grid, 2 to 30. */
  @property({ converter: numberConverter, attribute: 'grid-size' }) gridSize = 12;
  /** Whether the map shows the held-out digits as dots (`show-dots="false"` hides them). */
  @property({
    attribute: 'show-dots',
    converter: { fromAttribute: (value: string | null) => value !== 'false' },
  })
  showDots = true;
  /** The seed of the prior samples and of the real digit in the blur comparison. */
  @property({ converter: numberConverter }) seed = 0;
  /** Half the width of the map: it shows [-extent, extent] on both axes. */
  @property({ converter: numberConverter }) extent = 4;
  /** How interpolation walks between two codes: `linear` or `spherical`. */
  @property() interpolation: 'linear' | 'spherical' = 'linear';
  /** The 2-D denoiser of the flow view: a default model id or a diffusion manifest URL over this VAE's latents. */
  @property({ attribute: 'flow-model', converter: modelConverter('mnist-vae-flow') })
  flowModel = 'mnist-vae-flow';
  /**
   * `lazy`: fetch the models and decode only when the element comes near the viewport, as
   * `<img loading="lazy">` does (for elements below the fold). `eager` (the default): at once.
   */
  @property({ converter: { fromAttribute: loadingMode } })
  loading: LoadingMode = 'eager';
  /** The runtime to use; by default the page's shared one. */
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
   * The interpolation or the flow as an animation. Interpolate view: 41 images decoded along
   * the path from A to B. Flow view: one frame per stored step, the cloud of points beside the
   * followed point decoded. `'gif'` gives an animated GIF, `'webm'` a WebM video (where the
   * browser has WebCodecs); both are encoded in a worker. Rejects with a message in the other
   * views, or before there is anything to save.
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
        'genviz-latent-explorer',
        modelNamePart(this.model),
        this.view,
        `seed-${fileNamePart(this.seed)}`,
      ].join('-'),
    caption: () => `<genviz-latent-explorer> ${this.state}`,
  });
  readonly #animation = new AnimationController(this, {
    fileName: () =>
      [
        'genviz-latent-explorer',
        modelNamePart(this.view === 'flow' ? this.flowModel : this.model),
        this.view,
        ...(this.view === 'interpolate' ? [this.interpolation] : []),
        `seed-${fileNamePart(this.seed)}`,
        this.view === 'flow' ? `steps-${this.flowSteps.length}` : `frames-${INTERPOLATION_FRAMES}`,
      ].join('-'),
    available: () =>
      (this.view === 'interpolate' && this.#interpolate.run.value !== undefined) ||
      (this.view === 'flow' && this.flowSteps.length > 0 && !this.#flow.run.pending),
    frames: (signal) => this.#animationFrames(signal),
    onError: this.#feedback.report,
  });
  readonly #viewport = new ViewportController(this, () => this.loading);
  readonly #model = new ModelController(this, {
    model: () => this.model,
    device: () => this.device,
    runtime: () => this.#runtime(),
    task: 'vae',
    // The map needs only the decoder; the encoder opens when the reader draws.
    networks: () => ['decoder'],
    onError: this.#feedback.report,
  });
  /** The held-out digits and their codes: the map's dots and the hover images. */
  readonly #data = new RunController<ExplorerData>(this, { onError: this.#feedback.report });
  readonly #decoder = new LiveDecoder(this, {
    runtime: () => this.#runtime(),
    model: () => this.model,
    device: () => this.device,
    extent: () => this.extent,
    canvas: () => this.renderRoot.querySelector<HTMLCanvasElement>('[part~="decoded"]'),
    onError: this.#feedback.report,
  });
  readonly #services = {
    runtime: () => this.#runtime(),
    feedback: this.#feedback,
    data: () => this.#data.value,
    moveTo: (x: number, y: number, commit = true) => this.#moveTo(x, y, performance.now(), commit),
  };
  readonly #grid = new GridView(this, this.#services);
  readonly #draw = new DrawView(this, this.#services);
  readonly #interpolate = new InterpolateView(this, this.#services, () => this.#draw.encoded);
  readonly #sample = new SampleView(this, this.#services);
  readonly #flow = new FlowView(this, this.#services);
  #hovered = -1;
  /** The point whose image was last asked for. */
  #requested: [number, number] = [Number.NaN, Number.NaN];

  async #animationFrames(signal: AbortSignal): Promise<AnimationFrames> {
    if (this.view === 'flow') return this.#flow.animationFrames(signal);
    if (this.view !== 'interpolate')
      throw new Error(
        'There is no animation to save here: the interpolate and flow views have one.',
      );
    const images = await this.#interpolate.decodePath(INTERPOLATION_FRAMES, signal);
    const frames = Array.from({ length: INTERPOLATION_FRAMES }, (_, i) =>
      tensorFrame(images, 28, 28, 1, i * 784),
    );
    return {
      width: 28,
      height: 28,
      frames,
      delayMs: frames.map((_, i) => (i === 0 || i === frames.length - 1 ? 800 : 80)),
    };
  }

  #request(since: number): void {
    this.#requested = [this.x, this.y];
    this.#decoder.request(this.x, this.y, since);
  }

  /** The class of the held-out digits nearest the handle (null before they load). */
  get nearestClass(): number | null {
    const data = this.#data.value;
    return data ? nearestClass(data, this.x, this.y) : null;
  }

  /** The flow view's stored steps: each step's 256 points (x, y pairs), oldest first. */
  get flowSteps(): readonly DiffusionStep[] {
    return this.#flow.trajectory.steps;
  }

  /** The class each point of the flow is asked to become. */
  get flowLabels(): readonly number[] {
    return this.#flow.labels;
  }

  /**
   * The draw view's last encoding: the drawing it was made from, its code (`mean`, `sigma`),
   * the reconstruction and both readings. Undefined before the first stroke and after Clear.
   */
  get encodedDrawing(): EncodedDrawing | undefined {
    return this.#draw.encoded;
  }

  /** The image decoded at the handle, [1, 28, 28] in [0, 1]. */
  get decoded(): Float32Array | undefined {
    return this.#decoder.image;
  }

  /**
   * What the decoded canvas shows: the point, and whether it is the decoder's exact output or
   * the preview blended from the grid kept in memory (painted in the frame of the move).
   */
  get shownImage(): ShownImage | undefined {
    return this.#decoder.shown;
  }

  /** Whether the preview grid is decoded, so a move paints its image in its own frame. */
  get previewReady(): boolean {
    return this.#decoder.previewReady;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') || changed.has('device')) {
      this.#model.reset();
      this.#data.reset();
      this.#grid.reset();
      this.#draw.reset();
      this.#sample.reset();
      this.#decoder.reset();
    }
    if (changed.has('gridSize') || changed.has('extent')) this.#grid.reset();
    if (changed.has('extent')) this.#decoder.reset();
    if (changed.has('seed')) this.#sample.reset();
    if (changed.has('seed') || changed.has('flowModel') || changed.has('model')) this.#flow.reset();
    this.#feedback.setProblems(explorerProblems(this));
    if (isServer || !this.isConnected || !this.#feedback.valid || !this.#viewport.reached) return;
    if (this.#model.idle) void this.#model.ensure().catch(() => undefined);
    if (this.#data.status === 'initial') void this.#data.run((signal) => this.#loadData(signal));
    // Moves made here already asked for their image; a property set by the page has not.
    const [x, y] = this.#requested;
    if (changed.has('model') || this.x !== x || this.y !== y) this.#request(performance.now());
    if (this.view === 'draw') this.#draw.prepare();
    if (this.view === 'grid') this.#grid.start();
    if (this.view === 'interpolate') this.#interpolate.start();
    if (this.view === 'sample') this.#sample.start();
    if (this.view === 'flow') this.#flow.start();
  }

  protected override updated(): void {
    this.#decoder.repaint();
    const data = this.#data.value;
    const hovered = this.renderRoot.querySelector<HTMLCanvasElement>('[part~="hovered"]');
    if (data && hovered && this.#hovered >= 0) {
      drawTensor(hovered, digitImage(data.digits, this.#hovered).image);
    }
    if (this.view === 'grid') this.#grid.draw(this.renderRoot);
    if (this.view === 'draw') this.#draw.draw(this.renderRoot);
    if (this.view === 'interpolate') this.#interpolate.draw(this.renderRoot);
    if (this.view === 'sample') this.#sample.draw(this.renderRoot);
    if (this.view === 'flow') this.#flow.draw(this.renderRoot);
    this.#feedback.setStates({
      loading: this.#model.pending || this.#data.pending,
      error: this.#visibleError() !== undefined || !this.#feedback.valid,
      'cpu-fallback': this.#model.cpuFallback,
    });
  }

  async #loadData(signal: AbortSignal): Promise<ExplorerData> {
    const runtime = this.#runtime();
    const [latents, digits] = await Promise.all([
      runtime.vae.heldOutLatents({ model: this.model, device: this.device, signal }),
      runtime.data.heldOutDigits({ signal }),
    ]);
    if (latents.dims !== 2) {
      throw new Error(
        `This element needs a VAE with a 2-D latent; ${this.model} has ${latents.dims}.`,
      );
    }
    return { xy: latents.mean, labels: latents.labels, digits: digits as HeldOutDigits };
  }

  #runtime(): GenvizRuntime {
    return this.runtime ?? GenvizRuntime.shared();
  }

  #visibleError(): unknown {
    return (
      this.#model.error ??
      (this.#data.status === 'error' ? this.#data.error : undefined) ??
      this.#grid.error ??
      this.#draw.error ??
      this.#interpolate.error ??
      this.#sample.error ??
      this.#flow.error
    );
  }

  #retry = () => {
    this.#model.reset();
    this.#data.reset();
    this.#grid.reset();
    this.#draw.reset();
    this.#sample.reset();
    this.#flow.reset();
    this.#request(performance.now());
  };

  /** Moves the handle; `commit` fires `change` (a jump, or the end of a drag or key press). */
  #moveTo(x: number, y: number, since: number, commit: boolean): void {
    this.x = x;
    this.y = y;
    this.#request(since);
    const detail = { latent: [x, y] as const, nearestClass: this.nearestClass };
    emit(this, new GenvizLatentEvent('input', detail));
    if (commit) this.#commit();
  }

  #commit(): void {
    const nearest = this.nearestClass;
    emit(
      this,
      new GenvizLatentEvent('change', { latent: [this.x, this.y], nearestClass: nearest }),
    );
    this.#feedback.announce(this.#valueText());
  }

  #valueText(): string {
    const nearest = this.nearestClass;
    return `z = (${this.x.toFixed(1)}, ${this.y.toFixed(1)})${nearest === null ? '' : `, looks like ${articleFor(nearest)} ${nearest}`}`;
  }

  #onPadInput = (event: GenvizPadInputEvent) => {
    event.stopPropagation();
    const pad = event.target as HTMLElement & { x: number; y: number };
    // Timed from the pointer or key event itself, which waited for its frame before the pad
    // saw it; the pad's own input event comes later.
    this.#moveTo(pad.x, pad.y, event.sourceTimeStamp, false);
  };

  #onPadChange = (event: Event) => {
    event.stopPropagation();
    this.#commit();
  };

  #onHover = (event: GenvizPointHoverEvent) => {
    this.#hovered = event.index;
    this.requestUpdate();
  };

  #markers(): LatentMarker[] {
    if (this.view === 'draw') return this.#draw.markers();
    if (this.view === 'interpolate') return this.#interpolate.markers();
    if (this.view === 'sample') return this.#sample.markers();
    if (this.view === 'flow') return this.#flow.markers();
    return [];
  }

  override render() {
    const data = this.#data.value;
    const nearest = this.nearestClass;
    const hoveredLabel = data && this.#hovered >= 0 ? data.labels[this.#hovered] : undefined;
    return html`<div part="base" role="group" aria-label="Latent explorer">
      ${renderChoice({
        part: 'views',
        label: 'View',
        buttonPart: 'view-button',
        choices: VIEWS,
        labels: VIEW_LABELS,
        current: this.view,
        choose: (view) => (this.view = view),
      })}
      ${this.#feedback.renderProblems()}
      ${this.#feedback.renderError(this.#visibleError(), this.#retry)}
      ${this.#model.renderLoading()}
      <div class="explorer">
        <div class="map">
          <genviz-latent-pad
            part="pad"
            exportparts="surface: pad-surface, handle: pad-handle"
            label="Latent point"
            .x=${this.x}
            .y=${this.y}
            .min=${-this.extent}
            .max=${this.extent}
            .step=${this.extent / 40}
            .valueText=${this.#valueText()}
            .points=${this.showDots && data ? { xy: data.xy, labels: data.labels } : undefined}
            .markers=${this.#markers()}
            .cloud=${this.view === 'flow' ? this.#flow.cloud() : undefined}
            @input=${this.#onPadInput}
            @change=${this.#onPadChange}
            @genviz-point-hover=${this.#onHover}
          ></genviz-latent-pad>
          ${
            this.showDots
              ? html`<ul part="legend" aria-label="Class colours of the held-out digits">
                  ${CLASS_COLORS.map(
                    (_, k) =>
                      html`<li>
                        <span
                          class="swatch"
                          style=${cssomStyle({
                            '--k': `var(--genviz-class-${k}-color, ${CLASS_COLORS[k]})`,
                          })}
                        ></span
                        >${k}
                      </li>`,
                  )}
                </ul>`
              : nothing
          }
        </div>
        <div class="side">
          ${
            // The flow view shows its own followed point, not the handle's decoded image.
            this.view === 'flow' ? nothing : this.#renderFigures(nearest, hoveredLabel)
          }
          ${this.#renderView()}
        </div>
      </div>
      <div class="buttons" part="save-buttons">
        ${this.#picture.renderButton()} ${this.#animation.renderButtons()}
      </div>
      ${this.#model.renderDevice()} ${this.#feedback.renderLiveRegion()}
    </div>`;
  }

  #renderFigures(nearest: number | null, hoveredLabel: number | undefined) {
    return html`<div class="figures">
      <figure>
        <canvas
          part="decoded"
          class="pixels"
          width="28"
          height="28"
          role="img"
          aria-label="The image decoded at ${this.#valueText()}"
        ></canvas>
        <figcaption part="readout">
          Decoded at z = (<span data-x=${this.x}>${this.x.toFixed(2)}</span>,
          <span data-y=${this.y}>${this.y.toFixed(2)}</span>)${
            nearest === null ? '' : html`; nearest digits: <strong>${nearest}</strong>`
          }
        </figcaption>
      </figure>
      ${
        hoveredLabel !== undefined
          ? html`<figure>
              <canvas
                part="hovered"
                class="pixels"
                width="28"
                height="28"
                role="img"
                aria-label="The real held-out ${hoveredLabel} under the pointer"
              ></canvas>
              <figcaption>A real ${hoveredLabel} (held-out digit #${this.#hovered})</figcaption>
            </figure>`
          : nothing
      }
    </div>`;
  }

  #renderView() {
    switch (this.view) {
      case 'grid':
        return this.#grid.render();
      case 'draw':
        return this.#draw.render();
      case 'interpolate':
        return this.#interpolate.render();
      case 'sample':
        return this.#sample.render();
      case 'flow':
        return this.#flow.render();
      default:
        return html`<p class="hint">
          Each dot is a real held-out digit, encoded to two numbers; colours are classes. Drag the
          handle, or click anywhere: the decoder turns the point back into an image. Hover a dot to
          see its digit.
        </p>`;
    }
  }
}
