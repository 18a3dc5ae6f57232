import type { ReactiveController, ReactiveControllerHost, ReactiveElement } from 'lit';
import { GenvizStateEvent } from './events.js';
import type { FeedbackController } from './feedback-controller.js';
import { emit } from './format.js';

/**
 * An element's reader-visible state as one compact string, and back: what a link to "this seed,
 * at step 12" carries. The string is `v1;key=value;...` with one pair per state property (values
 * URI-encoded), in the order the element lists them, so the same state is the same string.
 *
 * - `state` (property and attribute, on the element) reads and restores it. A restored string is
 *   parsed with each property's own attribute converter, so it is validated as an attribute
 *   value would be; an unknown version or key, or a malformed string, is refused with a message
 *   (`part="message"`, `genviz-error`) and the element keeps its defaults. Nothing throws.
 * - `genviz-state` fires after an update that changed the string (not for the first render).
 * - With `url-state`, the element keeps its state in the page's URL fragment under its `id`
 *   (`#stepper=v1;mode=reverse;...&explorer=...`), restores it when it connects, and replaces the
 *   fragment (no new history entry) when the state changes: a copied link opens on it.
 */
export const STATE_VERSION = 'v1';

type Host = ReactiveControllerHost & HTMLElement;

/** One state field: the key in the string and the element property it reads and sets. */
export interface StateField {
  readonly key: string;
  readonly property: string;
}

export interface StateOptions {
  readonly fields: readonly StateField[];
  readonly feedback: FeedbackController;
  /** Whether the element keeps its state in the URL fragment (`url-state`). */
  readonly urlState: () => boolean;
}

interface AttributeConverter {
  fromAttribute?(value: string | null, type?: unknown): unknown;
  toAttribute?(value: unknown, type?: unknown): unknown;
}

export class StateController implements ReactiveController {
  readonly #host: Host;
  readonly #options: StateOptions;
  #last: string | undefined;
  #problem: string | undefined;

  constructor(host: Host, options: StateOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
    options.feedback.addProblemSource(() => (this.#problem ? [this.#problem] : []));
  }

  /** The current state string. */
  serialize(): string {
    const pairs = this.#options.fields.map(
      ({ key, property }) => `${key}=${encodeURIComponent(this.#text(property))}`,
    );
    return [STATE_VERSION, ...pairs].join(';');
  }

  /**
   * Restores a state string. Returns false (and shows why) for a string it cannot read; the
   * element's properties are then left as they are.
   */
  restore(state: string): boolean {
    const parsed = this.#parse(state);
    if (typeof parsed === 'string') {
      this.#problem = `state ${JSON.stringify(state)} cannot be restored: ${parsed}. The element keeps its defaults.`;
      this.#host.requestUpdate();
      return false;
    }
    this.#problem = undefined;
    const properties = this.#host as unknown as Record<string, unknown>;
    for (const [property, value] of parsed) properties[property] = value;
    this.#host.requestUpdate();
    return true;
  }

  hostConnected(): void {
    if (!this.#options.urlState()) return;
    const id = this.#host.id;
    if (!id) {
      this.#problem =
        'url-state needs an id on the element: the URL fragment keeps one state per id.';
      return;
    }
    const saved = new URLSearchParams(location.hash.slice(1)).get(id);
    if (saved !== null) this.restore(saved);
  }

  hostUpdated(): void {
    const state = this.serialize();
    if (this.#last === undefined) {
      this.#last = state;
      return;
    }
    if (state === this.#last) return;
    this.#last = state;
    emit(this.#host, new GenvizStateEvent(state));
    if (this.#options.urlState() && this.#host.id) this.#writeFragment(this.#host.id, state);
  }

  #writeFragment(id: string, state: string): void {
    const params = new URLSearchParams(location.hash.slice(1));
    params.set(id, state);
    history.replaceState(history.state, '', `#${params.toString()}`);
  }

  #declaration(property: string): { converter?: unknown; type?: unknown } {
    const element = this.#host.constructor as typeof ReactiveElement;
    return element.elementProperties.get(property) ?? {};
  }

  /** A property's value as its attribute would be written. */
  #text(property: string): string {
    const value = (this.#host as unknown as Record<string, unknown>)[property];
    // Unset is empty (a null digit is not unset: its converter writes `none`).
    if (value === undefined) return '';
    const { converter, type } = this.#declaration(property);
    const toAttribute = (converter as AttributeConverter | undefined)?.toAttribute;
    if (typeof toAttribute === 'function') return String(toAttribute(value, type));
    return value === null ? '' : String(value);
  }

  #fromText(property: string, text: string): unknown {
    // An empty value is an unset optional property (the duel's `snapshot`, the stepper's `image`).
    if (text === '') return undefined;
    const { converter, type } = this.#declaration(property);
    if (typeof converter === 'function') return (converter as (v: string) => unknown)(text);
    const fromAttribute = (converter as AttributeConverter | undefined)?.fromAttribute;
    if (typeof fromAttribute === 'function') return fromAttribute(text, type);
    if (type === Number) return Number(text);
    if (type === Boolean) return text === 'true';
    return text;
  }

  /** The properties to set, or why the string cannot be read. */
  #parse(state: string): Map<string, unknown> | string {
    const [version, ...pairs] = state.trim().split(';');
    if (version !== STATE_VERSION) {
      return version?.startsWith('v')
        ? `it was written by another version (${version}; this element reads ${STATE_VERSION})`
        : `it does not start with ${STATE_VERSION}`;
    }
    const byKey = new Map(this.#options.fields.map((field) => [field.key, field.property]));
    const values = new Map<string, unknown>();
    for (const pair of pairs) {
      if (pair === '') continue;
      const at = pair.indexOf('=');
      const key = at < 0 ? pair : pair.slice(0, at);
      const property = byKey.get(key);
      if (at < 0 || property === undefined) {
        return `"${key}" is not part of this element's state (it has ${[...byKey.keys()].join(', ')})`;
      }
      let text: string;
      try {
        text = decodeURIComponent(pair.slice(at + 1));
      } catch {
        return `the value of "${key}" is not valid URI encoding`;
      }
      values.set(property, this.#fromText(property, text));
    }
    return values;
  }
}
