import { lerp, slerp } from '@genviz/core';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { drawTensor } from '../kit/draw.js';
import { RunController } from '../kit/run-controller.js';
import type { LatentMarker } from '../latent-pad/latent-pad.js';
import type { EncodedDrawing } from './draw-view.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';
import type { ExplorerServices } from './settings.js';

/** Images in the strip between the two ends, both included. */
export const STRIP = 9;
const SIDE = 28;

type Source = `digit-${number}` | 'drawing' | 'handle';

/**
 * Interpolation between two codes (two real digits, your drawing, or the handle), linear or
 * spherical: a strip of decoded images along the path, and a slider that moves the handle
 * along it.
 */
export class InterpolateView {
  readonly run: RunController<Float32Array>;
  readonly #host: GenvizLatentExplorer;
  readonly #services: ExplorerServices;
  readonly #drawing: () => EncodedDrawing | undefined;
  #sources: [Source, Source] = ['digit-1', 'digit-7'];
  /** Where the handle was when it was picked as each end (an end stays put as the handle moves on). */
  #pinned: [Float32Array | undefined, Float32Array | undefined] = [undefined, undefined];
  #ends: [Float32Array, Float32Array] | undefined;
  #t = 0;
  #stripFor = '';
  readonly #painted = new WeakMap<HTMLCanvasElement, Float32Array>();

  constructor(
    host: GenvizLatentExplorer,
    services: ExplorerServices,
    drawing: () => EncodedDrawing | undefined,
  ) {
    this.#host = host;
    this.#services = services;
    this.#drawing = drawing;
    this.run = new RunController<Float32Array>(host, { onError: services.feedback.report });
  }

  get error(): unknown {
    return this.run.status === 'error' ? this.run.error : undefined;
  }

  /** The path's point at t in [0, 1]. */
  pointAt(t: number): [number, number] {
    const ends = this.#ends;
    if (!ends) return [this.#host.x, this.#host.y];
    const out = new Float32Array(2);
    (this.#host.interpolation === 'spherical' ? slerp : lerp)(out, ends[0], ends[1], t);
    return [out[0]!, out[1]!];
  }

  /**
   * `count` images decoded along the path from A to B (values in [-1, 1], 784 each): the frames
   * of the interpolation's animation. Rejects while the path's ends are not known.
   */
  async decodePath(count: number, signal: AbortSignal): Promise<Float32Array> {
    if (!this.#ends || this.run.value === undefined)
      throw new Error('There is no interpolation to save yet.');
    const latents = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) latents.set(this.pointAt(i / (count - 1)), 2 * i);
    const images = await this.#services.runtime().vae.decode(latents, {
      model: this.#host.model,
      device: this.#host.device,
      signal,
    });
    return images.map((value) => value * 2 - 1);
  }

  /** Resolves the ends and decodes the strip when they or the mode changed. */
  start(): void {
    const ends = this.#resolveEnds();
    if (!ends) return;
    const key = `${ends[0][0]},${ends[0][1]},${ends[1][0]},${ends[1][1]},${this.#host.interpolation},${this.#host.model}`;
    if (key === this.#stripFor && this.run.status !== 'initial') return;
    this.#ends = ends;
    this.#stripFor = key;
    void this.run.run((signal) => this.#decodeStrip(signal));
  }

  #resolveEnds(): [Float32Array, Float32Array] | undefined {
    const data = this.#services.data();
    const resolve = (source: Source, which: 0 | 1): Float32Array | undefined => {
      if (source === 'handle') return this.#pinned[which];
      if (source === 'drawing') {
        const drawing = this.#drawing();
        return drawing ? Float32Array.of(...drawing.mean) : undefined;
      }
      if (!data) return undefined;
      const index = data.labels.indexOf(Number(source.slice('digit-'.length)));
      return index < 0 ? undefined : Float32Array.of(data.xy[2 * index]!, data.xy[2 * index + 1]!);
    };
    const a = resolve(this.#sources[0], 0);
    const b = resolve(this.#sources[1], 1);
    return a && b ? [a, b] : undefined;
  }

  async #decodeStrip(signal: AbortSignal): Promise<Float32Array> {
    const latents = new Float32Array(STRIP * 2);
    for (let i = 0; i < STRIP; i++) latents.set(this.pointAt(i / (STRIP - 1)), 2 * i);
    const images = await this.#services.runtime().vae.decode(latents, {
      model: this.#host.model,
      device: this.#host.device,
      signal,
    });
    const width = STRIP * SIDE;
    const strip = new Float32Array(width * SIDE);
    for (let i = 0; i < STRIP; i++) {
      for (let py = 0; py < SIDE; py++) {
        for (let px = 0; px < SIDE; px++) {
          strip[py * width + i * SIDE + px] = images[i * 784 + py * SIDE + px]! * 2 - 1;
        }
      }
    }
    return strip;
  }

  markers(): LatentMarker[] {
    const ends = this.#ends;
    if (!ends) return [];
    const path = new Float32Array(2 * 41);
    for (let i = 0; i <= 40; i++) path.set(this.pointAt(i / 40), 2 * i);
    return [
      { kind: 'path', xy: path },
      { kind: 'ring', x: ends[0][0]!, y: ends[0][1]!, label: 'A' },
      { kind: 'ring', x: ends[1][0]!, y: ends[1][1]!, label: 'B' },
    ];
  }

  #setSource(which: 0 | 1, source: Source) {
    this.#sources[which] = source;
    this.#pinned[which] =
      source === 'handle' ? Float32Array.of(this.#host.x, this.#host.y) : undefined;
    this.#stripFor = '';
    this.start();
    this.#host.requestUpdate();
  }

  #onSlide = (event: Event) => {
    this.#t = (event.target as HTMLInputElement).valueAsNumber;
    const [x, y] = this.pointAt(this.#t);
    this.#services.moveTo(x, y, event.type === 'change');
  };

  draw(root: ParentNode): void {
    const canvas = root.querySelector<HTMLCanvasElement>('[part~="strip"]');
    const strip = this.run.value;
    if (!canvas || !strip || this.#painted.get(canvas) === strip) return;
    drawTensor(canvas, strip);
    this.#painted.set(canvas, strip);
  }

  render(): TemplateResult {
    const drawing = this.#drawing();
    const select = (which: 0 | 1) =>
      html`<label>
        <span>${which === 0 ? 'From' : 'To'}</span>
        <select
          @change=${(event: Event) =>
            this.#setSource(which, (event.target as HTMLSelectElement).value as Source)}
        >
          ${Array.from(
            { length: 10 },
            (_, d) =>
              html`<option value="digit-${d}" ?selected=${this.#sources[which] === `digit-${d}`}>
                a real ${d}
              </option>`,
          )}
          <option
            value="drawing"
            ?disabled=${!drawing}
            ?selected=${this.#sources[which] === 'drawing'}
          >
            your drawing
          </option>
          <option value="handle" ?selected=${this.#sources[which] === 'handle'}>the handle</option>
        </select>
      </label>`;
    return html`<div class="interpolate">
      <div part="controls">
        ${select(0)} ${select(1)}
        <label>
          <span>Path</span>
          <select
            @change=${(event: Event) =>
              (this.#host.interpolation = (event.target as HTMLSelectElement).value as
                'linear' | 'spherical')}
          >
            <option value="linear" ?selected=${this.#host.interpolation === 'linear'}>
              linear
            </option>
            <option value="spherical" ?selected=${this.#host.interpolation === 'spherical'}>
              spherical
            </option>
          </select>
        </label>
      </div>
      <figure>
        <canvas
          part="strip"
          class="strip"
          width=${STRIP * SIDE}
          height=${SIDE}
          role="img"
          aria-label="${STRIP} images decoded along the ${this.#host.interpolation} path from A to B"
        ></canvas>
        <figcaption>
          From A to B, ${this.#host.interpolation}: every image is decoded from a point of the path.
        </figcaption>
      </figure>
      <label class="slider-row">
        <span>A</span>
        <input
          part="slider"
          type="range"
          min="0"
          max="1"
          step="0.01"
          .value=${String(this.#t)}
          aria-label="Position along the path from A to B"
          @input=${this.#onSlide}
          @change=${this.#onSlide}
        />
        <span>B</span>
      </label>
    </div>`;
  }
}
