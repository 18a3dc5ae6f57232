import type { GanSnapshot } from '@genviz/core';
import { html, nothing } from 'lit';
import type { ReactiveController, TemplateResult } from 'lit';
import { PIXELS } from '../kit/digits.js';
import { drawLinePlot, drawTensor } from '../kit/draw.js';
import { emit, formatPercent, formatSeconds } from '../kit/format.js';
import { RunController } from '../kit/run-controller.js';
import { GenvizSnapshotEvent } from './events.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { generateFakes, modelRef } from './round.js';
import type { DuelServices } from './round.js';
import { snapshotInfo } from './settings.js';
import type { GanRun } from './settings.js';

/** How many latent codes the history follows through training. */
export const HISTORY_SAMPLES = 16;
/** How long Play shows each snapshot. */
export const PLAY_INTERVAL_MS = 700;

interface ShownSnapshot {
  readonly key: string;
  readonly run: GanRun;
  readonly snapshot: GanSnapshot;
  readonly images: Float32Array;
  /** Time to generate this snapshot's images (0 when they were stored), ms. */
  readonly elapsedMs: number;
}

/** The snapshot shown: the `snapshot` setting, or the last (the final generator). */
export function shownIndex(
  host: GenvizGanDuel,
  snapshots: readonly GanSnapshot[] | undefined,
): number | undefined {
  return host.snapshot ?? snapshots?.at(-1)?.index;
}

const describeSnapshot = (snapshot: GanSnapshot, last: number) =>
  `Snapshot ${snapshot.index} of ${last}: epoch ${snapshot.epoch}, iteration ${snapshot.iteration}`;

/** The slider over a run's training snapshots (history and collapse views). */
export function renderScrubber(
  host: GenvizGanDuel,
  snapshots: readonly GanSnapshot[] | undefined,
  onMove?: () => void,
): TemplateResult | typeof nothing {
  if (!snapshots || snapshots.length === 0) return nothing;
  const index = shownIndex(host, snapshots) ?? 0;
  const last = snapshots.at(-1)!.index;
  const current = snapshots.find((snapshot) => snapshot.index === index);
  const set = (event: Event) => {
    onMove?.();
    host.snapshot = (event.target as HTMLInputElement).valueAsNumber;
  };
  return html`<label class="slider-row">
    <span>Snapshot</span>
    <input
      part="slider scrubber"
      type="range"
      min=${snapshots[0]!.index}
      max=${last}
      step="1"
      .value=${String(index)}
      aria-valuetext=${current ? describeSnapshot(current, last) : String(index)}
      @input=${set}
      @change=${set}
    />
    <output>${current ? `epoch ${current.epoch}` : index}</output>
  </label>`;
}

/**
 * The training history of `<genviz-gan-duel>`: the same latent codes regenerated at each
 * snapshot (each snapshot's images stored once made, so scrubbing back costs nothing), and the
 * discriminator's mean verdicts on real and fake digits over training with the snapshot marked.
 */
export class HistoryView implements ReactiveController {
  readonly run: RunController<ShownSnapshot>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  readonly #stored = new Map<string, Float32Array>();
  #requested: string | undefined;
  #playing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    host.addController(this);
    this.run = new RunController<ShownSnapshot>(host, {
      onError: (error) => {
        this.pause();
        services.feedback.report(error);
      },
      onComplete: (shown) => {
        services.feedback.announce(
          `${describeSnapshot(shown.snapshot, this.#last() ?? shown.snapshot.index)}. The discriminator's mean verdict then: real digits ${formatPercent(shown.snapshot.d_real)} real, fakes ${formatPercent(shown.snapshot.d_fake)} real.`,
        );
        emit(host, new GenvizSnapshotEvent(shown.run, snapshotInfo(shown.snapshot)));
        if (this.#playing) this.#timer = setTimeout(() => this.#advance(), PLAY_INTERVAL_MS);
      },
    });
  }

  hostDisconnected(): void {
    this.pause();
  }

  /** Whether Play is walking through the snapshots. */
  get playing(): boolean {
    return this.#playing;
  }

  /**
   * Walks through the snapshots from the shown one (from the first when at the end), one every
   * PLAY_INTERVAL_MS once it is drawn. With reduced motion nothing moves by itself: each press
   * shows the next snapshot.
   */
  play(): void {
    const snapshots = this.#snapshots();
    if (!snapshots || snapshots.length === 0) return;
    const index = shownIndex(this.#host, snapshots);
    const atEnd = index === snapshots.at(-1)!.index;
    if (this.#services.reducedMotion()) {
      this.#host.snapshot = atEnd ? snapshots[0]!.index : this.#next(snapshots, index);
      return;
    }
    this.#playing = true;
    this.#host.requestUpdate();
    if (atEnd) this.#host.snapshot = snapshots[0]!.index;
    else this.#advance();
  }

  pause(): void {
    clearTimeout(this.#timer);
    if (!this.#playing) return;
    this.#playing = false;
    this.#host.requestUpdate();
  }

  #next(snapshots: readonly GanSnapshot[], index: number | undefined): number {
    const position = snapshots.findIndex((snapshot) => snapshot.index === index);
    return snapshots[Math.min(snapshots.length - 1, position + 1)]!.index;
  }

  #advance(): void {
    const snapshots = this.#snapshots();
    const index = shownIndex(this.#host, snapshots);
    if (!snapshots || index === snapshots.at(-1)?.index) {
      this.pause();
      return;
    }
    this.#host.snapshot = this.#next(snapshots, index);
  }

  get shown(): ShownSnapshot | undefined {
    return this.run.value;
  }

  #snapshots(): readonly GanSnapshot[] | undefined {
    return this.#services.gan(this.#host.run).loaded?.manifest.snapshots;
  }

  #last(): number | undefined {
    return this.#snapshots()?.at(-1)?.index;
  }

  #requestKey(): string {
    const host = this.#host;
    return JSON.stringify([
      host.run,
      modelRef(host, host.run),
      host.device,
      host.seed,
      host.digit,
      host.snapshot ?? null,
    ]);
  }

  /** Shows the snapshot of the current settings (generating it the first time). */
  update(): void {
    const key = this.#requestKey();
    if (this.#requested === key && this.run.status !== 'initial') return;
    this.#requested = key;
    void this.run.run((signal) => this.#show(signal));
  }

  reset(): void {
    this.pause();
    this.#requested = undefined;
    this.run.reset();
  }

  async #show(signal: AbortSignal): Promise<ShownSnapshot> {
    const host = this.#host;
    const { run } = host;
    const loaded = await this.#services.gan(run).ensure();
    const snapshots = loaded.manifest.snapshots ?? [];
    const index = shownIndex(host, snapshots);
    const snapshot = snapshots.find((candidate) => candidate.index === index);
    if (!snapshot) {
      throw new Error(
        snapshots.length === 0
          ? `The model ${loaded.manifest.id} has no training snapshots to show.`
          : `The model ${loaded.manifest.id} has no snapshot ${String(index)}.`,
      );
    }
    const started = performance.now();
    const { key, images, stored } = await this.#imagesOf(snapshot, snapshots, signal);
    return { key, run, snapshot, images, elapsedMs: stored ? 0 : performance.now() - started };
  }

  /** A snapshot's fakes for the current settings, generated once and then stored. */
  async #imagesOf(
    snapshot: GanSnapshot,
    snapshots: readonly GanSnapshot[],
    signal: AbortSignal,
  ): Promise<{ key: string; images: Float32Array; stored: boolean }> {
    const host = this.#host;
    const { run } = host;
    const key = JSON.stringify([
      run,
      modelRef(host, run),
      host.device,
      host.seed,
      host.digit,
      snapshot.index,
    ]);
    const stored = this.#stored.get(key);
    if (stored) return { key, images: stored, stored: true };
    // The last snapshot is the final generator: its session is the one already open.
    const images = await generateFakes(
      host,
      this.#services,
      run,
      HISTORY_SAMPLES,
      snapshot.index === snapshots.at(-1)!.index ? undefined : snapshot.index,
      signal,
    );
    signal.throwIfAborted();
    this.#stored.set(key, images);
    return { key, images, stored: false };
  }

  /**
   * Every training snapshot's fakes for the current settings, in training order (the ones not
   * yet seen are generated now): the frames of the history's animation.
   */
  async allSnapshots(
    signal: AbortSignal,
  ): Promise<{ snapshot: GanSnapshot; images: Float32Array }[]> {
    const loaded = await this.#services.gan(this.#host.run).ensure();
    const snapshots = loaded.manifest.snapshots ?? [];
    if (snapshots.length === 0)
      throw new Error(`The model ${loaded.manifest.id} has no training snapshots to save.`);
    const frames = [];
    for (const snapshot of snapshots)
      frames.push({ snapshot, images: (await this.#imagesOf(snapshot, snapshots, signal)).images });
    return frames;
  }

  draw(root: ParentNode): void {
    const shown = this.run.value;
    for (const canvas of root.querySelectorAll<HTMLCanvasElement>('canvas[data-history]')) {
      const i = Number(canvas.dataset.history);
      drawTensor(canvas, shown?.images.subarray(i * PIXELS, (i + 1) * PIXELS));
    }
    const snapshots = this.#snapshots();
    if (!snapshots || snapshots.length === 0) return;
    const last = snapshots.at(-1)!.index;
    drawLinePlot(
      root.querySelector<HTMLCanvasElement>('[part~="chart"]'),
      [
        { values: snapshots.map((s) => s.d_real), axis: 'left', colour: 'accent' },
        { values: snapshots.map((s) => s.d_fake), axis: 'left', colour: 'second', dashed: true },
      ],
      {
        xMax: last,
        left: [0, 1],
        // Every third snapshot and the last: twelve labels would run into each other.
        xTicks: snapshots
          .map((s) => s.index)
          .filter((index, i) => (i % 3 === 0 && last - index >= 2) || index === last),
        cursor: shownIndex(this.#host, snapshots),
      },
    );
  }

  render(): TemplateResult {
    const host = this.#host;
    const snapshots = this.#snapshots();
    const index = shownIndex(host, snapshots);
    const snapshot = snapshots?.find((candidate) => candidate.index === index);
    const shown = this.run.value;
    return html`<section part="history" role="group" aria-label="Training history">
      <p class="hint">
        The same ${HISTORY_SAMPLES} latent codes through the generator as it was at each point of
        training: from the untrained network's noise to digits.
      </p>
      <div class="buttons">
        <button
          part="button play-button"
          type="button"
          ?disabled=${!snapshots}
          @click=${() => (this.#playing ? this.pause() : this.play())}
        >
          ${this.#playing ? 'Pause' : this.#services.reducedMotion() ? 'Next snapshot' : 'Play training'}
        </button>
      </div>
      ${renderScrubber(host, snapshots, () => this.pause())}
      <div class="history">
        <ul
          part="history-grid"
          class="strip"
          aria-label=${snapshot ? `Fakes at snapshot ${snapshot.index}, epoch ${snapshot.epoch}` : 'Fakes'}
          aria-busy=${this.run.pending ? 'true' : 'false'}
        >
          ${Array.from(
            { length: HISTORY_SAMPLES },
            (_, i) =>
              html`<li>
                <canvas
                  part="history-image"
                  class="pixels"
                  width="28"
                  height="28"
                  data-history=${i}
                  aria-hidden="true"
                ></canvas>
              </li>`,
          )}
        </ul>
        <figure>
          <canvas
            part="chart"
            width="320"
            height="150"
            role="img"
            aria-label=${
              snapshots
                ? `The discriminator's mean verdict over training, snapshot by snapshot: on real digits ${snapshots.map((s) => formatPercent(s.d_real)).join(', ')}; on fakes ${snapshots.map((s) => formatPercent(s.d_fake)).join(', ')}.`
                : 'The discriminator’s mean verdict over training'
            }
          ></canvas>
          <figcaption>
            <span>Over the snapshots (0 to ${snapshots?.at(-1)?.index ?? '…'}):</span>
            <span><span class="key accent">━</span> mean P(real) on real digits</span>
            <span><span class="key second">╍</span> on fakes</span>
            ${
              snapshot
                ? html`<span
                    part="readout"
                    data-d-real=${snapshot.d_real}
                    data-d-fake=${snapshot.d_fake}
                    >Epoch ${snapshot.epoch} (iteration ${snapshot.iteration}): real
                    ${formatPercent(snapshot.d_real)}, fakes
                    ${formatPercent(snapshot.d_fake)}.</span
                  >`
                : nothing
            }
            ${
              shown && shown.elapsedMs > 0
                ? html`<span>Generated in ${formatSeconds(shown.elapsedMs)}.</span>`
                : nothing
            }
          </figcaption>
        </figure>
      </div>
      <p class="hint">
        A healthy duel ends near 50%: the discriminator can no longer tell the two apart.
      </p>
    </section>`;
  }
}
