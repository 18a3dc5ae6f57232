// Shared by the element benchmarks: a benchmark that waits on an element stops at the first
// `genviz-error` on the page (a refused setting, a failed load or run) with that error, instead
// of waiting for an event that will never come until the bench's 20-minute limit.
import type { GenvizErrorEvent } from '../src/kit/events.js';

export class BenchFailure extends Error {
  override name = 'BenchFailure';
}

/** Watches the page for `genviz-error` from the moment it is made until `stop()`. */
export class ErrorWatch {
  #error: BenchFailure | undefined;
  #rejects = new Set<(error: BenchFailure) => void>();

  readonly #onError = (event: Event) => {
    const { code, message } = event as GenvizErrorEvent;
    const source = event.composedPath()[0];
    const tag = source instanceof Element ? `<${source.localName}> ` : '';
    this.#error ??= new BenchFailure(`${tag}fired genviz-error (${code}): ${message}`);
    for (const reject of this.#rejects) reject(this.#error);
  };

  constructor(readonly target: EventTarget = document) {
    target.addEventListener('genviz-error', this.#onError);
  }

  stop(): void {
    this.target.removeEventListener('genviz-error', this.#onError);
  }

  /** Throws the first error seen, if any. */
  check(): void {
    if (this.#error) throw this.#error;
  }

  /** Settles as `promise` does, or rejects at the first error (or after `timeoutMs`). */
  race<T>(promise: Promise<T>, what: string, timeoutMs = 300_000): Promise<T> {
    this.check();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reject: ((error: BenchFailure) => void) | undefined;
    const failed = new Promise<never>((_, fail) => {
      reject = fail;
      this.#rejects.add(fail);
      timer = setTimeout(
        () => fail(new BenchFailure(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
    });
    return Promise.race([promise, failed]).finally(() => {
      clearTimeout(timer);
      this.#rejects.delete(reject!);
    });
  }

  /** Resolves with the first `type` event from `target`, or rejects at the first error. */
  event<E extends Event>(
    target: EventTarget,
    type: string,
    what = type,
    timeoutMs?: number,
  ): Promise<E> {
    let listener: ((event: Event) => void) | undefined;
    const fired = new Promise<E>((resolve) => {
      listener = (event) => resolve(event as E);
      target.addEventListener(type, listener, { once: true });
    });
    return this.race(fired, what, timeoutMs).finally(() =>
      target.removeEventListener(type, listener!),
    );
  }

  /** Polls `check` (every task) until true, or rejects at the first error or the timeout. */
  async until(check: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
    const started = performance.now();
    while (!check()) {
      this.check();
      if (performance.now() - started > timeoutMs) {
        throw new BenchFailure(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.check();
  }
}
