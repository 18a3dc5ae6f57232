import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** An element's `loading` attribute, as `<img loading>`: `eager` (the default) or `lazy`. */
export type LoadingMode = 'eager' | 'lazy';

/** Reads a `loading` attribute as HTML reads `<img loading>`: anything but `lazy` is eager. */
export const loadingMode = (value: string | null | undefined): LoadingMode =>
  value === 'lazy' ? 'lazy' : 'eager';

/**
 * How far outside the viewport a lazy element starts its work: about half a screen ahead, so a
 * reader scrolling down finds its models (a second or so to fetch and open) ready, while an
 * element a screen or more below fetches nothing until the reader heads its way. Browsers look
 * further ahead for lazy images, which cost far less than models.
 */
export const LAZY_ROOT_MARGIN = '400px 0px';

/**
 * `loading="lazy"` for an element: its automatic work (loading its models, a first round, a first
 * decode) waits until the element comes near the viewport. The host checks `reached` before
 * starting such work and is re-rendered once it turns true; work the reader or the page asks for
 * (a click, `play()`) runs at once either way. Eager elements are always `reached`.
 */
export class ViewportController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #loading: () => LoadingMode;
  #near = false;
  #observer: IntersectionObserver | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement, loading: () => LoadingMode) {
    this.#host = host;
    this.#loading = loading;
    host.addController(this);
  }

  /** Whether the host may start its automatic work. */
  get reached(): boolean {
    return this.#near || this.#loading() !== 'lazy';
  }

  hostConnected(): void {
    this.#observe();
  }

  hostUpdate(): void {
    // `loading` may turn lazy after connecting.
    this.#observe();
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }

  #observe(): void {
    if (this.#observer || this.reached || !this.#host.isConnected) return;
    if (typeof IntersectionObserver === 'undefined') {
      this.#near = true;
      return;
    }
    this.#observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        this.#near = true;
        this.hostDisconnected();
        this.#host.requestUpdate();
      },
      { rootMargin: LAZY_ROOT_MARGIN },
    );
    this.#observer.observe(this.#host);
  }
}
