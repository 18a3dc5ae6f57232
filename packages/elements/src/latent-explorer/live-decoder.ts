import { latentGrid } from '@genviz/core';
import type { DeviceOption, GenvizRuntime, ModelRef } from '@genviz/runtime';
import { drawTensor } from '../kit/draw.js';
import { emit, isAborted } from '../kit/format.js';
import { GenvizFrameEvent } from './events.js';

const PIXELS = 784;

/** A VAE image in [0, 1] as drawTensor's [-1, 1] range. */
export function unitToSigned(image: Float32Array, offset = 0, length = PIXELS): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = image[offset + i]! * 2 - 1;
  return out;
}

/** Points per side of the preview grid: 1,024 images, 3.2 MB, decoded in one call. */
export const PREVIEW_SIZE = 32;

/** Images decoded on a PREVIEW_SIZE^2 grid over [-extent, extent]^2, row 0 at the largest y. */
export interface PreviewGrid {
  readonly size: number;
  readonly extent: number;
  /** size * size images of PIXELS values in [0, 1], row by row from the top. */
  readonly images: Float32Array;
}

/**
 * The preview at (x, y): the bilinear blend of the four grid images around the point (clamped
 * to the grid), as drawTensor's [-1, 1]. Written into `out`.
 */
export function blendPreview(grid: PreviewGrid, x: number, y: number, out: Float32Array): void {
  const { size, extent, images } = grid;
  const last = size - 1;
  const at = (value: number) =>
    Math.max(0, Math.min(last, ((value + extent) / (2 * extent)) * last));
  const u = at(x);
  // Row 0 is the top (largest y).
  const v = last - at(y);
  const col = Math.min(Math.floor(u), last - 1);
  const row = Math.min(Math.floor(v), last - 1);
  const fu = u - col;
  const fv = v - row;
  const a = (row * size + col) * PIXELS;
  const b = a + PIXELS;
  const c = a + size * PIXELS;
  const d = c + PIXELS;
  const wa = (1 - fu) * (1 - fv);
  const wb = fu * (1 - fv);
  const wc = (1 - fu) * fv;
  const wd = fu * fv;
  for (let i = 0; i < PIXELS; i++) {
    const value =
      wa * images[a + i]! + wb * images[b + i]! + wc * images[c + i]! + wd * images[d + i]!;
    out[i] = value * 2 - 1;
  }
}

export interface LiveDecoderOptions {
  readonly runtime: () => GenvizRuntime;
  readonly model: () => ModelRef;
  readonly device: () => DeviceOption | undefined;
  /** The map's half width: the preview grid covers [-extent, extent] on both axes. */
  readonly extent: () => number;
  /** Where the decoded image is painted. */
  readonly canvas: () => HTMLCanvasElement | null | undefined;
  readonly onError: (error: unknown) => void;
}

/** What the canvas shows: the point, and whether it is the exact decode or the preview. */
export interface ShownImage {
  readonly latent: readonly [number, number];
  readonly exact: boolean;
}

/**
 * Preview grids by runtime, then by model, device and extent: the explorers of one page (one
 * runtime) decode and keep one grid between them, not one each. A failed decode is forgotten,
 * so the next one tries again.
 */
const sharedGrids = new WeakMap<object, Map<string, Promise<PreviewGrid>>>();

function sharedPreviewGrid(
  runtime: GenvizRuntime,
  model: ModelRef,
  device: DeviceOption | undefined,
  extent: number,
): Promise<PreviewGrid> {
  let byKey = sharedGrids.get(runtime);
  if (!byKey) {
    byKey = new Map();
    sharedGrids.set(runtime, byKey);
  }
  const key = JSON.stringify([model, device ?? null, extent]);
  let grid = byKey.get(key);
  if (!grid) {
    const size = PREVIEW_SIZE;
    const range = { min: -extent, max: extent };
    const latents = latentGrid(new Float32Array(size * size * 2), size, size, range, range);
    grid = runtime.vae
      .decode(latents, { model, device })
      .then((images): PreviewGrid => ({ size, extent, images }));
    byKey.set(key, grid);
    grid.catch(() => byKey.delete(key));
  }
  return grid;
}

interface Job {
  readonly x: number;
  readonly y: number;
  readonly since: number;
}

/**
 * Decodes the point the reader is moving, keeping up with the pointer. Two layers:
 * - a preview, painted synchronously in the task of the move (so in the frame that delivers
 *   the pointer event): the bilinear blend of the four nearest images of a 32x32 grid of the
 *   latent plane, decoded once in the worker after the first exact decode and kept in memory
 *   (one grid for all the explorers of a runtime with the same model, device and extent);
 * - the exact decode: one in flight at a time, and only the newest point waiting, so the image
 *   is never more than one decode behind the pointer however fast it moves. It replaces the
 *   preview when it arrives, unless the reader has moved on (then the newer point's preview
 *   stays, and its own decode follows).
 * Each image is painted straight onto its canvas (no re-render), and `genviz-frame` reports the
 * time from the move to the frame that shows it, for the preview and for the exact decode.
 */
export class LiveDecoder {
  readonly #host: HTMLElement;
  readonly #options: LiveDecoderOptions;
  #inFlight = false;
  #waiting: Job | undefined;
  /** The newest point asked for. */
  #requested: Job | undefined;
  #latest: Float32Array | undefined;
  #shown: ShownImage | undefined;
  #preview: PreviewGrid | undefined;
  /** The grid being waited for; replaced (and its result ignored) on reset. */
  #previewWait: object | undefined;
  readonly #scratch = new Float32Array(PIXELS);
  /** The image shown, [-1, 1], and the canvas it was painted on. */
  readonly #pixels = new Float32Array(PIXELS);
  #canvas: HTMLCanvasElement | undefined;

  constructor(host: HTMLElement, options: LiveDecoderOptions) {
    this.#host = host;
    this.#options = options;
  }

  /** The last exact decode, [0, 1]. */
  get image(): Float32Array | undefined {
    return this.#latest;
  }

  /** What the canvas shows now. */
  get shown(): ShownImage | undefined {
    return this.#shown;
  }

  /** Whether the preview grid is decoded (moves paint a preview in their own frame). */
  get previewReady(): boolean {
    return this.#preview !== undefined;
  }

  /** Forgets the preview grid (the model, device or extent changed); it is decoded again. */
  reset(): void {
    this.#previewWait = undefined;
    this.#preview = undefined;
  }

  /**
   * Shows (x, y): its preview now, when the grid is decoded, and its exact decode as soon as
   * the decode in flight is done; `since` is the moving event's time stamp.
   */
  request(x: number, y: number, since = performance.now()): void {
    const job = { x, y, since };
    this.#requested = job;
    this.#waiting = job;
    const preview = this.#preview;
    const canvas = this.#options.canvas();
    if (preview && canvas && preview.extent === this.#options.extent()) {
      blendPreview(preview, x, y, this.#scratch);
      this.#paint(canvas, this.#scratch, job, false);
    }
    if (!this.#inFlight) void this.#next();
  }

  /** Paints the image shown again if the canvas is a new one (after a re-render replaced it). */
  repaint(): void {
    const canvas = this.#options.canvas();
    if (!canvas || canvas === this.#canvas || !this.#shown) return;
    drawTensor(canvas, this.#pixels);
    this.#canvas = canvas;
  }

  #paint(canvas: HTMLCanvasElement, signed: Float32Array, job: Job, exact: boolean): void {
    drawTensor(canvas, signed);
    this.#pixels.set(signed);
    this.#canvas = canvas;
    const shown: ShownImage = { latent: [job.x, job.y], exact };
    this.#shown = shown;
    // The animation-frame callbacks of the frame that shows the image; none if another image
    // replaced it before that frame.
    requestAnimationFrame(() => {
      if (this.#shown !== shown) return;
      const latencyMs = Math.max(0, performance.now() - job.since);
      emit(this.#host, new GenvizFrameEvent(latencyMs, exact, shown.latent));
    });
  }

  async #next(): Promise<void> {
    const job = this.#waiting;
    if (!job) return;
    this.#waiting = undefined;
    this.#inFlight = true;
    try {
      const image = await this.#options.runtime().vae.decode(Float32Array.of(job.x, job.y), {
        model: this.#options.model(),
        device: this.#options.device(),
      });
      this.#latest = image;
      const canvas = this.#options.canvas();
      if (this.#requested === job) {
        if (canvas) this.#paint(canvas, unitToSigned(image), job, true);
        else {
          this.#pixels.set(unitToSigned(image));
          this.#shown = { latent: [job.x, job.y], exact: true };
        }
      }
      this.#decodePreview();
    } catch (error) {
      if (!isAborted(error)) this.#options.onError(error);
    } finally {
      this.#inFlight = false;
      if (this.#waiting) void this.#next();
    }
  }

  /**
   * Decodes the preview grid once, after the first exact decode (the model is open then), or
   * takes the one another explorer on the same runtime decoded.
   */
  #decodePreview(): void {
    if (this.#preview || this.#previewWait) return;
    const wait = {};
    this.#previewWait = wait;
    sharedPreviewGrid(
      this.#options.runtime(),
      this.#options.model(),
      this.#options.device(),
      this.#options.extent(),
    ).then(
      (grid) => {
        if (this.#previewWait === wait) this.#preview = grid;
      },
      (error: unknown) => {
        if (this.#previewWait !== wait) return;
        this.#previewWait = undefined;
        if (!isAborted(error)) this.#options.onError(error);
      },
    );
  }
}
