import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * A trajectory kept as it is computed (a sampling run's steps, a flow of points), and what a
 * reader does with it: follow it live, scrub back through stored steps (never recomputing),
 * pause the run between two steps, step once, and replay a finished one.
 *
 * Pausing works with the runtime's streaming contract: `push()` returns a promise while paused,
 * and the runtime computes nothing past one step ahead until that promise settles.
 */
export class TrajectoryController<Step> implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #steps: Step[] = [];
  #shown = -1;
  #paused = false;
  #pauseAfterStep = false;
  #releaseGate: (() => void) | undefined;
  #replayTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stopReplay();
    this.release();
  }

  get steps(): readonly Step[] {
    return this.#steps;
  }

  /** The index shown (-1 before the first step). */
  get shown(): number {
    return this.#shown;
  }

  get current(): Step | undefined {
    return this.#steps[this.#shown];
  }

  get paused(): boolean {
    return this.#paused;
  }

  get replaying(): boolean {
    return this.#replayTimer !== undefined;
  }

  /** Forgets every step; a run held at a pause is let go. */
  clear(): void {
    this.stopReplay();
    this.release();
    this.#steps = [];
    this.#shown = -1;
    this.#paused = false;
    this.#pauseAfterStep = false;
    this.#host.requestUpdate();
  }

  /** Starts a run: paused after its first step (single-stepping) or playing. */
  begin(pauseAfterFirst: boolean): void {
    this.clear();
    this.#paused = pauseAfterFirst;
    this.#pauseAfterStep = pauseAfterFirst;
  }

  /** The run finished or stopped: nothing is paused any more. */
  end(): void {
    this.#paused = false;
    this.#pauseAfterStep = false;
    this.release();
  }

  /**
   * Stores a newly computed step; the view follows it if it was showing the last one. Returns a
   * promise that holds the run while paused (`isLast`: the run's final step never holds).
   */
  push(step: Step, isLast: boolean, signal: AbortSignal): Promise<void> | undefined {
    const following = this.#shown >= this.#steps.length - 1 && !this.replaying;
    this.#steps.push(step);
    if (following) this.#shown = this.#steps.length - 1;
    this.#host.requestUpdate();
    if (!this.#pauseAfterStep || isLast) return undefined;
    return new Promise<void>((resolve) => {
      this.#releaseGate = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Holds the run after the step in flight. */
  pause(): void {
    this.#paused = true;
    this.#pauseAfterStep = true;
    this.#host.requestUpdate();
  }

  /**
   * Lets the run go on: playing, or for exactly one more step (`oneStep`). The view follows
   * the run again from its newest step, also after the reader scrubbed back.
   */
  resume(oneStep = false): void {
    this.stopReplay();
    this.#shown = this.#steps.length - 1;
    this.#paused = oneStep;
    this.#pauseAfterStep = oneStep;
    this.release();
    this.#host.requestUpdate();
  }

  /** Lets a held run compute its next step. */
  release(): void {
    const release = this.#releaseGate;
    this.#releaseGate = undefined;
    release?.();
  }

  /** Shows stored step `index` (clamped); false when nothing changed. */
  show(index: number): boolean {
    this.stopReplay();
    const clamped = Math.max(0, Math.min(this.#steps.length - 1, Math.round(index)));
    if (this.#steps.length === 0 || clamped === this.#shown) return false;
    this.#shown = clamped;
    this.#host.requestUpdate();
    return true;
  }

  /**
   * Plays the stored steps back over about two seconds (at once with reduced motion), from the
   * start when the last one is shown; `onDone` hears the end.
   */
  replay(reducedMotion: boolean, onDone: () => void): void {
    if (reducedMotion) {
      this.show(this.#steps.length - 1);
      onDone();
      return;
    }
    if (this.#shown >= this.#steps.length - 1) this.#shown = 0;
    const tick = () => {
      if (this.#shown >= this.#steps.length - 1) {
        this.stopReplay();
        onDone();
        return;
      }
      this.#shown += 1;
      this.#host.requestUpdate();
      this.#replayTimer = setTimeout(tick, Math.max(16, 2000 / this.#steps.length));
    };
    this.#replayTimer = setTimeout(tick, 0);
    this.#host.requestUpdate();
  }

  stopReplay(): void {
    if (this.#replayTimer === undefined) return;
    clearTimeout(this.#replayTimer);
    this.#replayTimer = undefined;
    this.#host.requestUpdate();
  }
}
