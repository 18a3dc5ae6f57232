import type { DeviceOption, GenvizRuntime, ModelRef } from '@genviz/runtime';
import { drawTensor } from '../kit/draw.js';
import { emit, isAborted } from '../kit/format.js';
import { GenvizFrameEvent } from './events.js';

/** A VAE image in [0, 1] as drawTensor's [-1, 1] range. */
export function unitToSigned(image: Float32Array, offset = 0, length = 784): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = image[offset + i]! * 2 - 1;
  return out;
}

export interface LiveDecoderOptions {
  readonly runtime: () => GenvizRuntime;
  readonly model: () => ModelRef;
  readonly device: () => DeviceOption | undefined;
  /** Where the decoded image is painted. */
  readonly canvas: () => HTMLCanvasElement | null | undefined;
  readonly onError: (error: unknown) => void;
}

/**
 * Decodes the point the reader is moving, keeping up with the pointer: one decode in flight at
 * a time, and only the newest point waiting, so the image is never more than one decode behind
 * the pointer however fast it moves. Each result is painted straight onto its canvas (no
 * re-render) and `genviz-frame` reports the time from the move to the frame that shows it.
 */
export class LiveDecoder {
  readonly #host: HTMLElement;
  readonly #options: LiveDecoderOptions;
  #inFlight = false;
  #waiting: { x: number; y: number; since: number } | undefined;
  #latest: Float32Array | undefined;

  constructor(host: HTMLElement, options: LiveDecoderOptions) {
    this.#host = host;
    this.#options = options;
  }

  /** The last decoded image, [0, 1]. */
  get image(): Float32Array | undefined {
    return this.#latest;
  }

  /** Decodes (x, y) as soon as the decode in flight is done; `since` is the move's time stamp. */
  request(x: number, y: number, since = performance.now()): void {
    this.#waiting = { x, y, since };
    if (!this.#inFlight) void this.#next();
  }

  /** Paints the last image again (after the canvas was re-rendered). */
  repaint(): void {
    const canvas = this.#options.canvas();
    if (this.#latest && canvas) drawTensor(canvas, unitToSigned(this.#latest));
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
      this.repaint();
      // The next frame is the one that shows the image: its time stamp is when it began.
      requestAnimationFrame((frameStart) =>
        emit(this.#host, new GenvizFrameEvent(Math.max(0, frameStart - job.since))),
      );
    } catch (error) {
      if (!isAborted(error)) this.#options.onError(error);
    } finally {
      this.#inFlight = false;
      if (this.#waiting) void this.#next();
    }
  }
}
