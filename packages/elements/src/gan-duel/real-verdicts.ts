import type { HeldOutDigits } from '@genviz/runtime';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { PIXELS, digitImage } from '../kit/digits.js';

/** Held-out digits judged per background call, and the pause between calls. */
const CHUNK = 32;
const PAUSE_MS = 100;

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * The discriminator's verdicts on the held-out digits, kept per discriminator (model and
 * device) for the element's life. A real digit needs judging only once: a round judges its fakes
 * and the real digits not judged before, and after a round the rest are judged in the
 * background, CHUNK at a time with pauses between (the worker runs one call at a time, so a
 * reader's next round waits at most for one small call). Later rounds then cost their fakes only.
 */
export class RealVerdicts implements ReactiveController {
  readonly #tables = new Map<string, Float32Array>();
  #filling: AbortController | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** The verdicts of one discriminator, by held-out index; NaN where not judged yet. */
  table(key: string, count: number): Float32Array {
    let table = this.#tables.get(key);
    if (!table || table.length !== count) {
      table = new Float32Array(count).fill(Number.NaN);
      this.#tables.set(key, table);
    }
    return table;
  }

  /** How many held-out digits this discriminator has judged. */
  known(key: string): number {
    const table = this.#tables.get(key);
    return table ? table.reduce((count, verdict) => count + (Number.isNaN(verdict) ? 0 : 1), 0) : 0;
  }

  /** Stops the background judging (a round needs the worker now, or the host left). */
  stop(): void {
    this.#filling?.abort();
    this.#filling = undefined;
  }

  /** Judges the held-out digits not judged yet, in the background. */
  fill(
    key: string,
    digits: HeldOutDigits,
    judge: (images: Float32Array, signal: AbortSignal) => Promise<Float32Array>,
  ): void {
    this.stop();
    const controller = new AbortController();
    this.#filling = controller;
    void this.#fill(this.table(key, digits.count), digits, judge, controller.signal).catch(
      () => undefined,
    );
  }

  async #fill(
    table: Float32Array,
    digits: HeldOutDigits,
    judge: (images: Float32Array, signal: AbortSignal) => Promise<Float32Array>,
    signal: AbortSignal,
  ): Promise<void> {
    for (;;) {
      await pause(PAUSE_MS, signal);
      if (signal.aborted) return;
      const unknown: number[] = [];
      for (let index = 0; index < table.length && unknown.length < CHUNK; index++) {
        if (Number.isNaN(table[index])) unknown.push(index);
      }
      if (unknown.length === 0) return;
      const images = new Float32Array(unknown.length * PIXELS);
      unknown.forEach((index, k) => images.set(digitImage(digits, index).image, k * PIXELS));
      const verdicts = await judge(images, signal);
      if (signal.aborted) return;
      unknown.forEach((index, k) => (table[index] = verdicts[k]!));
    }
  }
}
