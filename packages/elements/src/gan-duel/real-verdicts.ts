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

interface Table {
  /** Verdicts by held-out index; NaN where not judged yet. */
  readonly verdicts: Float32Array;
  /** The background judging of the rest, by whichever element runs it. */
  filler: AbortController | undefined;
}

/**
 * Per runtime (one worker), per discriminator: elements on one page share what their worker
 * computed, and only one of them judges the rest in the background.
 */
const tables = new WeakMap<object, Map<string, Table>>();

/**
 * The discriminator's verdicts on the held-out digits, kept per runtime and discriminator (model
 * and device) for the page's life. A real digit needs judging only once: a round judges its
 * fakes and the real digits not judged before, and after a round the rest are judged in the
 * background, CHUNK at a time with pauses between (the worker runs one call at a time, so a
 * reader's next round waits at most for one small call). Later rounds then cost their fakes only.
 */
export class RealVerdicts implements ReactiveController {
  #filling: AbortController | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stop();
  }

  #table(owner: object, key: string, count: number): Table {
    let byKey = tables.get(owner);
    if (!byKey) {
      byKey = new Map();
      tables.set(owner, byKey);
    }
    let table = byKey.get(key);
    if (!table || table.verdicts.length !== count) {
      table = { verdicts: new Float32Array(count).fill(Number.NaN), filler: undefined };
      byKey.set(key, table);
    }
    return table;
  }

  /** The verdicts of one discriminator in `owner`'s worker, by held-out index; NaN where not judged yet. */
  table(owner: object, key: string, count: number): Float32Array {
    return this.#table(owner, key, count).verdicts;
  }

  /** How many held-out digits this discriminator has judged. */
  known(owner: object, key: string): number {
    const table = tables.get(owner)?.get(key);
    if (!table) return 0;
    return table.verdicts.reduce((count, verdict) => count + (Number.isNaN(verdict) ? 0 : 1), 0);
  }

  /** Stops this element's background judging (a round needs the worker now, or the host left). */
  stop(): void {
    this.#filling?.abort();
    this.#filling = undefined;
  }

  /** Judges the held-out digits not judged yet, in the background, unless another element is. */
  fill(
    owner: object,
    key: string,
    digits: HeldOutDigits,
    judge: (images: Float32Array, signal: AbortSignal) => Promise<Float32Array>,
  ): void {
    this.stop();
    const table = this.#table(owner, key, digits.count);
    // Another element's (ours was just stopped) is running.
    if (table.filler && !table.filler.signal.aborted) return;
    const controller = new AbortController();
    this.#filling = controller;
    table.filler = controller;
    void this.#fill(table.verdicts, digits, judge, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        if (table.filler === controller) table.filler = undefined;
      });
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
