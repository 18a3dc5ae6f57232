import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Where a run stands: not started (or aborted), in flight, finished, or failed. */
export type RunStatus = 'initial' | 'pending' | 'complete' | 'error';

/**
 * Owns one kind of async work for a host element, like `@lit/task` but started explicitly: each
 * `run()` gets its own AbortSignal, a new run aborts the one before, and a superseded or aborted
 * run never writes its result. The host re-renders whenever the status changes; disconnecting
 * the host aborts the run in flight.
 */
export class RunController<T> implements ReactiveController {
  status: RunStatus = 'initial';
  value: T | undefined;
  error: unknown;

  readonly #host: ReactiveControllerHost;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #onComplete: ((value: T) => void) | undefined;
  #controller: AbortController | undefined;
  #generation = 0;

  /**
   * `onComplete` and `onError` hear how each current (not superseded, not aborted) run ends,
   * after `status`, `value` and `error` are set, so listeners of events fired from them see
   * the host's final state.
   */
  constructor(
    host: ReactiveControllerHost,
    options: { onComplete?: (value: T) => void; onError?: (error: unknown) => void } = {},
  ) {
    this.#host = host;
    this.#onComplete = options.onComplete;
    this.#onError = options.onError;
    host.addController(this);
  }

  /** Whether a run is in flight. */
  get pending(): boolean {
    return this.status === 'pending';
  }

  /**
   * Starts `job`, aborting the run before. Resolves with the value, or undefined when the run
   * failed (read `error`), was aborted or was superseded; it never rejects.
   */
  async run(job: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    this.abort();
    const controller = new AbortController();
    this.#controller = controller;
    const generation = ++this.#generation;
    this.status = 'pending';
    this.error = undefined;
    this.#host.requestUpdate();
    try {
      const value = await job(controller.signal);
      if (generation !== this.#generation) return undefined;
      this.value = value;
      this.status = 'complete';
      this.#host.requestUpdate();
      this.#onComplete?.(value);
      return value;
    } catch (error) {
      if (generation !== this.#generation) return undefined;
      this.error = error;
      this.status = 'error';
      this.#host.requestUpdate();
      this.#onError?.(error);
      return undefined;
    } finally {
      if (generation === this.#generation) {
        this.#controller = undefined;
        this.#host.requestUpdate();
      }
    }
  }

  /** Aborts the run in flight, if any; its status returns to `initial`. */
  abort(): void {
    if (!this.#controller) return;
    this.#generation += 1;
    this.#controller.abort();
    this.#controller = undefined;
    this.status = 'initial';
    this.#host.requestUpdate();
  }

  /** Forgets the last value and error (after the inputs that produced them changed). */
  reset(): void {
    this.abort();
    this.value = undefined;
    this.error = undefined;
    this.status = 'initial';
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    this.abort();
  }
}
