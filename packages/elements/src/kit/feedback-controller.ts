import { html, nothing } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import { GenvizErrorEvent } from './events.js';
import { devMode, emit, errorCode, isAborted, messageOf } from './format.js';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * What an element tells its reader and its page author, in one place:
 * - rejected attribute values: shown (`part="message"`, an alert), warned in Lit's dev mode,
 *   and fired as `genviz-error` each time a value becomes invalid (not once per element);
 * - failures: `genviz-error` once per failure, whichever run saw it first (runs that share a
 *   failed load report it once: one code and message, once while its error is shown);
 * - a polite live region for what changes (a step, a result, a pause);
 * - custom states (`:state(loading)`, ...), through ElementInternals.
 */
export class FeedbackController implements ReactiveController {
  readonly #host: Host;
  readonly #tag: string;
  #internals: ElementInternals | undefined;
  #problems: readonly string[] = [];
  readonly #problemSources: (() => readonly string[])[] = [];
  #announcement = '';
  readonly #reported = new WeakSet<object>();
  /**
   * The failures (code and message) reported while an error is shown: one failed load meets
   * every run that waited on it, each with its own error object, and is still one failure.
   * Forgotten once no error is shown, so the same failure after a retry fires again.
   */
  readonly #shown = new Set<string>();

  constructor(host: Host, tag: string) {
    this.#host = host;
    this.#tag = tag;
    host.addController(this);
  }

  hostConnected(): void {
    this.#internals ??= this.#host.attachInternals();
  }

  /** The rejected values shown now. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  get valid(): boolean {
    return this.#problems.length === 0;
  }

  /** The live region's text. */
  get announcement(): string {
    return this.#announcement;
  }

  /**
   * Sets the current list of rejected values (call it from `willUpdate`). A problem that was not
   * in the last list is warned and fired; one that stays is not fired again.
   */
  setProblems(own: readonly string[]): void {
    const before = new Set(this.#problems);
    const problems = [...own, ...this.#problemSources.flatMap((source) => source())];
    this.#problems = problems;
    for (const problem of problems) {
      if (before.has(problem)) continue;
      if (devMode()) console.warn(`<${this.#tag}>: ${problem}`);
      // Validation runs inside an update; listeners get the event once the update is done.
      void this.#host.updateComplete.then(() =>
        emit(this.#host, new GenvizErrorEvent('invalid-argument', problem)),
      );
    }
  }

  /** Adds rejected values a controller owns (a bad `state` string) to every `setProblems` list. */
  addProblemSource(source: () => readonly string[]): void {
    this.#problemSources.push(source);
  }

  /** Fires `genviz-error` once per failure (a failed load also fails the run that waited on it). */
  report = (error: unknown): void => {
    if (isAborted(error)) return;
    if (typeof error === 'object' && error !== null) {
      if (this.#reported.has(error)) return;
      this.#reported.add(error);
    }
    const code = errorCode(error);
    const key = `${code}\n${messageOf(error)}`;
    if (this.#shown.has(key)) return;
    this.#shown.add(key);
    // A rejected input (an unreadable image, a scheduler the model's config refuses) is the page
    // author's to fix: say so in the console too.
    if (code === 'invalid-argument' && devMode()) {
      console.warn(`<${this.#tag}>: ${messageOf(error)}`);
    }
    emit(this.#host, new GenvizErrorEvent(code, messageOf(error), error));
  };

  /** Says `text` in the polite live region. */
  announce(text: string): void {
    this.#announcement = text;
    this.#host.requestUpdate();
  }

  /** Sets the element's custom states (`:state(name)`). */
  setStates(states: Readonly<Record<string, boolean>>): void {
    const set = this.#internals?.states;
    if (!set) return;
    for (const [name, on] of Object.entries(states)) {
      if (on) set.add(name);
      else set.delete(name);
    }
  }

  /** The rejected values, as an alert list. */
  renderProblems(): TemplateResult | typeof nothing {
    if (this.#problems.length === 0) return nothing;
    return html`<ul part="message" role="alert">
      ${this.#problems.map((problem) => html`<li>${problem}</li>`)}
    </ul>`;
  }

  /** A failure with a retry button. */
  renderError(error: unknown, retry: () => void): TemplateResult | typeof nothing {
    if (error === undefined) {
      this.#shown.clear();
      return nothing;
    }
    return html`<div part="error" role="alert">
      <span>${messageOf(error)}</span>
      <button part="button retry-button" type="button" @click=${retry}>Try again</button>
    </div>`;
  }

  renderLiveRegion(): TemplateResult {
    return html`<div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      ${this.#announcement}
    </div>`;
  }
}
