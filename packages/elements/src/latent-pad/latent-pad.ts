import { LitElement, html } from 'lit';
import { property } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import { latentPadStyles } from './latent-pad.styles.js';

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * A square pad for picking a point in a 2-D latent space, operable by pointer (mouse, touch,
 * pen) and keyboard. For assistive technology it is a pair of sliders, one per axis.
 *
 * @summary Drag or arrow-key through a two-dimensional latent space.
 *
 * @fires input - While the point moves (dragging or a key press). Read `x` and `y`.
 * @fires change - When a move is committed (pointer released, or after a key press).
 *
 * @csspart surface - The pad area that takes pointer input.
 * @csspart handle - The dot that marks the current point.
 * @csspart axis - Each of the two slider elements (also `axis-x` / `axis-y`).
 *
 * @cssproperty [--genviz-latent-pad-size=100%] - Inline size of the pad; it stays square.
 * @cssproperty [--genviz-latent-pad-background=var(--genviz-surface)] - Pad colour.
 * @cssproperty [--genviz-latent-pad-grid-color=var(--genviz-bar-color)] - Grid line colour.
 * @cssproperty [--genviz-latent-pad-handle-color=var(--genviz-accent-color)] - Handle colour.
 * @cssproperty [--genviz-latent-pad-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring colour.
 * @cssproperty [--genviz-latent-pad-radius=var(--genviz-radius)] - Corner radius.
 */
export class GenvizLatentPad extends LitElement {
  static override styles = latentPadStyles;

  /** The point's first coordinate, within [min, max]. */
  @property({ type: Number }) x = 0;
  /** The point's second coordinate, within [min, max]; larger values are drawn higher. */
  @property({ type: Number }) y = 0;
  /** The smallest value of either coordinate. */
  @property({ type: Number }) min = -3;
  /** The largest value of either coordinate. */
  @property({ type: Number }) max = 3;
  /** The change per arrow key press (Page Up/Down move ten times as far). */
  @property({ type: Number }) step = 0.1;
  /** Accessible name of the pad; each axis slider appends its axis. */
  @property() label = 'Latent point';

  #dragging = false;

  override render() {
    const span = this.max - this.min || 1;
    const left = ((clamp(this.x, this.min, this.max) - this.min) / span) * 100;
    const top = (1 - (clamp(this.y, this.min, this.max) - this.min) / span) * 100;
    const axis = (name: 'x' | 'y', value: number) =>
      html`<div
        part="axis axis-${name}"
        role="slider"
        tabindex="0"
        aria-label="${this.label}, ${name === 'x' ? 'horizontal' : 'vertical'} axis"
        aria-orientation=${name === 'x' ? 'horizontal' : 'vertical'}
        aria-valuemin=${this.min}
        aria-valuemax=${this.max}
        aria-valuenow=${value}
        aria-valuetext=${value.toFixed(2)}
        @keydown=${this.#onKeyDown}
        @keyup=${this.#onKeyUp}
      ></div>`;
    return html`<div
      part="surface"
      @pointerdown=${this.#onPointerDown}
      @pointermove=${this.#onPointerMove}
      @pointerup=${this.#onPointerUp}
      @pointercancel=${this.#onPointerUp}
    >
      ${axis('x', this.x)} ${axis('y', this.y)}
      <div part="handle" style=${styleMap({ left: `${left}%`, top: `${top}%` })}></div>
    </div>`;
  }

  #moveTo(x: number, y: number) {
    const nextX = clamp(x, this.min, this.max);
    const nextY = clamp(y, this.min, this.max);
    if (nextX === this.x && nextY === this.y) return false;
    this.x = nextX;
    this.y = nextY;
    this.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    return true;
  }

  #commit() {
    this.dispatchEvent(new Event('change', { bubbles: true }));
  }

  #pointToValue(event: PointerEvent) {
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    const span = this.max - this.min;
    const fx = clamp((event.clientX - box.left) / (box.width || 1), 0, 1);
    const fy = clamp((event.clientY - box.top) / (box.height || 1), 0, 1);
    return [this.min + fx * span, this.max - fy * span] as const;
  }

  #onPointerDown(event: PointerEvent) {
    if (event.button !== 0) return;
    const surface = event.currentTarget as HTMLElement;
    surface.setPointerCapture(event.pointerId);
    this.#dragging = true;
    // Focus the horizontal slider so the keyboard continues where the pointer left off.
    surface.querySelector<HTMLElement>('[part~="axis-x"]')?.focus({ preventScroll: true });
    this.#moveTo(...this.#pointToValue(event));
    event.preventDefault();
  }

  #onPointerMove(event: PointerEvent) {
    if (this.#dragging) this.#moveTo(...this.#pointToValue(event));
  }

  #onPointerUp(event: PointerEvent) {
    if (!this.#dragging) return;
    this.#dragging = false;
    (event.currentTarget as HTMLElement).releasePointerCapture(event.pointerId);
    this.#commit();
  }

  #onKeyDown(event: KeyboardEvent) {
    const big = this.step * 10;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-this.step, 0],
      ArrowRight: [this.step, 0],
      ArrowUp: [0, this.step],
      ArrowDown: [0, -this.step],
      PageUp: [0, big],
      PageDown: [0, -big],
    };
    const isX = (event.currentTarget as HTMLElement).getAttribute('part')?.includes('axis-x');
    let handled = true;
    if (event.key in moves) {
      const [dx, dy] = moves[event.key]!;
      this.#moveTo(this.x + dx, this.y + dy);
    } else if (event.key === 'Home') {
      this.#moveTo(isX ? this.min : this.x, isX ? this.y : this.min);
    } else if (event.key === 'End') {
      this.#moveTo(isX ? this.max : this.x, isX ? this.y : this.max);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  }

  #onKeyUp(event: KeyboardEvent) {
    if (
      [
        'ArrowLeft',
        'ArrowRight',
        'ArrowUp',
        'ArrowDown',
        'PageUp',
        'PageDown',
        'Home',
        'End',
      ].includes(event.key)
    ) {
      this.#commit();
    }
  }
}
