import { tensorToRgba } from '@genviz/core';
import { html, nothing } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import type { AnimationFormat, EncodeRequest, EncodeResponse } from './animation-protocol.js';
import { GenvizSaveEvent } from './events.js';
import { emit } from './format.js';

export type { AnimationFormat } from './animation-protocol.js';

type Host = ReactiveControllerHost & HTMLElement;

/** An animation's frames at the model's pixel size: RGBA bytes, all of one size. */
export interface AnimationFrames {
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Uint8ClampedArray[];
  /** How long each frame shows, ms (one value for all, or one per frame). */
  readonly delayMs: number | readonly number[];
}

export interface AnimationOptions {
  /** The file name without extension: element, model, seed, steps. */
  readonly fileName: () => string;
  /** Whether there is an animation to save in what the element shows now. */
  readonly available: () => boolean;
  /** The frames; rejects with a message a reader understands when there are none. */
  readonly frames: (signal: AbortSignal) => Promise<AnimationFrames>;
  /** Where the button's errors go (the element's alert). */
  readonly onError: (error: unknown) => void;
}

/** Each frame is drawn at least this many pixels on its longer side, in whole-pixel multiples. */
const MIN_SIDE = 224;

/** Whether this browser can encode video (WebCodecs' VideoEncoder, which the worker uses). */
export const canEncodeVideo = (): boolean => typeof VideoEncoder !== 'undefined';

const VIDEO_UNSUPPORTED =
  'This browser cannot save a video: it has no WebCodecs VideoEncoder. Save a GIF instead.';

function createWorker(): Worker {
  // As the runtime starts its worker (packages/runtime/src/client.ts, docs/decisions/0007):
  // served from another origin (a CDN), through a same-origin blob that imports the real
  // module; otherwise written exactly in the form bundlers recognise, so that they bundle the
  // worker with its imports (gifenc, mediabunny).
  const moduleUrl = new URL(import.meta.url);
  if (
    typeof location !== 'undefined' &&
    /^https?:$/.test(moduleUrl.protocol) &&
    moduleUrl.origin !== location.origin
  ) {
    const workerFile = './animation-worker.js';
    const href = new URL(workerFile, import.meta.url).href;
    const shim = new Blob([`import ${JSON.stringify(href)};`], { type: 'text/javascript' });
    return new Worker(URL.createObjectURL(shim), { type: 'module', name: 'genviz-animation' });
  }
  return new Worker(new URL('./animation-worker.js', import.meta.url), {
    type: 'module',
    name: 'genviz-animation',
  });
}

/**
 * Saves an element's animation (a trajectory, a training history, an interpolation) as an
 * animated GIF (gifenc) or a WebM video (WebCodecs through mediabunny). The encoding runs in a
 * module worker of its own, started on the first save and ended when the element leaves the
 * page; frames go to it at the model's pixel size (transferred) and are scaled up there by a
 * whole factor without smoothing, like the PNG.
 */
export class AnimationController implements ReactiveController {
  readonly #host: Host;
  readonly #options: AnimationOptions;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (blob: Blob) => void; reject: (error: Error) => void }
  >();
  #abort: AbortController | undefined;
  /** The format being saved from the buttons (they are disabled meanwhile). */
  #busy: AnimationFormat | undefined;

  constructor(host: Host, options: AnimationOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  hostDisconnected(): void {
    this.#abort?.abort();
    this.#worker?.terminate();
    this.#worker = undefined;
    const error = new Error('The element left the page before the animation was saved.');
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #startWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = createWorker();
    worker.addEventListener('message', (event: MessageEvent<EncodeResponse>) => {
      const response = event.data;
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(new Blob([response.bytes], { type: response.type }));
      else pending.reject(new Error(response.message));
    });
    worker.addEventListener('error', (event) => {
      const error = new Error(
        `The animation worker failed: ${event.message || 'it did not start'}`,
      );
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
      worker.terminate();
      if (this.#worker === worker) this.#worker = undefined;
    });
    this.#worker = worker;
    return worker;
  }

  /** The animation as a GIF (`image/gif`) or a WebM video (`video/webm`). */
  async save(format: AnimationFormat): Promise<Blob> {
    if (format !== 'gif' && format !== 'webm')
      throw new TypeError(`Cannot save an animation as "${String(format)}": use "gif" or "webm".`);
    if (format === 'webm' && !canEncodeVideo()) throw new Error(VIDEO_UNSUPPORTED);
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    const animation = await this.#options.frames(abort.signal);
    const { width, height, frames } = animation;
    if (frames.length === 0) throw new Error('There is no animation to save yet.');
    const scale = Math.max(1, Math.ceil(MIN_SIDE / Math.max(width, height)));
    const delays = frames.map((_, i) =>
      typeof animation.delayMs === 'number' ? animation.delayMs : (animation.delayMs[i] ?? 100),
    );
    // Copies, so that the transfer leaves the element's own arrays alone.
    const buffers = frames.map((frame) => {
      if (frame.length !== width * height * 4)
        throw new RangeError(
          `An animation frame has ${frame.length} bytes, not ${width * height * 4}.`,
        );
      return frame.slice().buffer;
    });
    const id = this.#nextId++;
    const request: EncodeRequest = { id, format, width, height, scale, frames: buffers, delays };
    const worker = this.#startWorker();
    return new Promise<Blob>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(request, buffers);
    });
  }

  /** Saves the animation as a download named after what it shows, and fires `genviz-save`. */
  async download(format: AnimationFormat): Promise<GenvizSaveEvent> {
    const blob = await this.save(format);
    const fileName = `${this.#options.fileName()}.${format}`;
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
    // The download has its own reference once started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    const event = new GenvizSaveEvent(blob, fileName);
    emit(this.#host, event);
    return event;
  }

  #click(format: AnimationFormat): void {
    this.#busy = format;
    this.#host.requestUpdate();
    this.download(format)
      .catch(this.#options.onError)
      .finally(() => {
        this.#busy = undefined;
        this.#host.requestUpdate();
      });
  }

  /** "Save GIF" and "Save video" while the element shows an animation; nothing otherwise. */
  renderButtons(): TemplateResult | typeof nothing {
    if (!this.#options.available()) return nothing;
    const video = canEncodeVideo();
    return html`<button
        part="button save-gif-button"
        type="button"
        ?disabled=${this.#busy !== undefined}
        @click=${() => this.#click('gif')}
      >
        ${this.#busy === 'gif' ? 'Saving GIF…' : 'Save GIF'}
      </button>
      <button
        part="button save-video-button"
        type="button"
        ?disabled=${this.#busy !== undefined || !video}
        title=${video ? 'Save a WebM video' : VIDEO_UNSUPPORTED}
        @click=${() => this.#click('webm')}
      >
        ${this.#busy === 'webm' ? 'Saving video…' : video ? 'Save video' : 'No video here'}
      </button>`;
  }
}

/**
 * One frame from a tensor (values shown from black at -`range` to white at +`range`, as
 * `drawTensor` paints them), `offset` into `tensor`.
 */
export function tensorFrame(
  tensor: Float32Array,
  width: number,
  height: number,
  range = 1,
  offset = 0,
): Uint8ClampedArray {
  const size = width * height;
  const scaled = new Float32Array(size);
  for (let i = 0; i < size; i++) scaled[i] = tensor[offset + i]! / range;
  const rgba = new Uint8ClampedArray(size * 4);
  return tensorToRgba(rgba, scaled, { channels: 1, height, width }, 'minus-one-to-one');
}

/** A frame scaled up by a whole factor, nearest neighbour. */
export function scaleFrame(
  frame: Uint8ClampedArray,
  width: number,
  height: number,
  scale: number,
): Uint8ClampedArray {
  const outWidth = width * scale;
  const out = new Uint8ClampedArray(outWidth * height * scale * 4);
  for (let y = 0; y < height * scale; y++)
    for (let x = 0; x < outWidth; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 4;
      out.set(frame.subarray(from, from + 4), (y * outWidth + x) * 4);
    }
  return out;
}

/** Tiles equal-size frames into a grid, `columns` wide, with a `gap` of white between them. */
export function tileFrames(
  tiles: readonly Uint8ClampedArray[],
  tileWidth: number,
  tileHeight: number,
  columns: number,
  gap = 1,
): { frame: Uint8ClampedArray; width: number; height: number } {
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * tileWidth + (columns - 1) * gap;
  const height = rows * tileHeight + (rows - 1) * gap;
  const frame = new Uint8ClampedArray(width * height * 4).fill(255);
  tiles.forEach((tile, i) => {
    const left = (i % columns) * (tileWidth + gap);
    const top = Math.floor(i / columns) * (tileHeight + gap);
    for (let y = 0; y < tileHeight; y++)
      frame.set(
        tile.subarray(y * tileWidth * 4, (y + 1) * tileWidth * 4),
        ((top + y) * width + left) * 4,
      );
  });
  return { frame, width, height };
}
