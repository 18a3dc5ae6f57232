import { LitElement, html } from 'lit';
import type { PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { cssomStyle } from '../kit/cssom-style.js';
import { classColors } from '../kit/classes.js';
import { latentPadStyles } from './latent-pad.styles.js';

/** Points drawn on the pad: x, y pairs and, optionally, each point's class (its colour). */
export interface LatentPoints {
  readonly xy: Float32Array;
  readonly labels?: Uint8Array;
}

/** A mark on the pad: a ring at a point, an ellipse (a spread), a cross, or a path through points. */
export type LatentMarker =
  | {
      readonly kind: 'ring' | 'cross';
      readonly x: number;
      readonly y: number;
      readonly label?: string;
    }
  | {
      readonly kind: 'ellipse';
      readonly x: number;
      readonly y: number;
      readonly rx: number;
      readonly ry: number;
    }
  | { readonly kind: 'path'; readonly xy: Float32Array };

/** The pointer is over a point of `points` (index), or over none (-1). */
export class GenvizPointHoverEvent extends Event {
  static readonly eventName = 'genviz-point-hover' as const;
  readonly index: number;

  constructor(index: number) {
    super(GenvizPointHoverEvent.eventName, { bubbles: true, composed: true });
    this.index = index;
  }
}

/**
 * The pad's `input` (a native event name, so `@input` bindings work): `sourceTimeStamp` is the
 * `timeStamp` of the pointer or key event that moved the point, so a host can time what it
 * shows from the reader's input rather than from this event.
 */
export class GenvizPadInputEvent extends Event {
  readonly sourceTimeStamp: number;

  constructor(sourceTimeStamp: number) {
    super('input', { bubbles: true, composed: true });
    this.sourceTimeStamp = sourceTimeStamp;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-point-hover': GenvizPointHoverEvent;
  }
}

// A host re-renders on every move of the handle and passes new wrapper objects each time: the
// layer is redrawn only when what it shows changed, not on every frame of a drag.
const pointsChanged = (next?: LatentPoints, previous?: LatentPoints) =>
  next?.xy !== previous?.xy || next?.labels !== previous?.labels;
const markerKey = (markers: readonly LatentMarker[] | undefined) =>
  JSON.stringify(markers, (_, value: unknown) =>
    value instanceof Float32Array ? Array.from(value) : value,
  );
const markersChanged = (next?: readonly LatentMarker[], previous?: readonly LatentMarker[]) =>
  next !== previous && markerKey(next) !== markerKey(previous);

/** How near (CSS px) the pointer must be to a point to hover it. */
const HOVER_RADIUS = 6;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * A square pad for picking a point in a 2-D latent space, operable by pointer (mouse, touch,
 * pen) and keyboard. For assistive technology it is a pair of sliders, one per axis.
 *
 * @summary Drag or arrow-key through a two-dimensional latent space.
 *
 * Keyboard: arrows nudge by `step`, Shift+arrows and Page Up/Down move ten steps, Home centres,
 * End goes to the axis's maximum. It can also show points (a dataset encoded into the latent
 * space, coloured by class) and marks (a ring, an ellipse for a spread, a path).
 *
 * @fires {GenvizPadInputEvent} input - While the point moves (dragging or a key press). Read `x` and `y`; `sourceTimeStamp` is the moving pointer or key event's `timeStamp`.
 * @fires change - When a move is committed (pointer released, or after a key press).
 * @fires {GenvizPointHoverEvent} genviz-point-hover - The pointer moved over one of `points` (`index`), or off them (-1).
 *
 * @csspart surface - The pad area that takes pointer input.
 * @csspart handle - The dot that marks the current point.
 * @csspart axis - Each of the two slider elements (also `axis-x` / `axis-y`).
 * @csspart points - The canvas of points and marks.
 *
 * @cssproperty [--genviz-latent-pad-size=100%] - Inline size of the pad; it stays square.
 * @cssproperty [--genviz-latent-pad-background=var(--genviz-latent-pad-surface)] - Pad colour.
 * @cssproperty [--genviz-latent-pad-grid-color=var(--genviz-latent-pad-bar-color)] - Grid line colour.
 * @cssproperty [--genviz-latent-pad-handle-color=var(--genviz-latent-pad-accent-color)] - Handle colour.
 * @cssproperty [--genviz-latent-pad-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring colour.
 * @cssproperty [--genviz-latent-pad-radius=var(--genviz-radius)] - Corner radius.
 * @cssproperty [--genviz-latent-pad-mark-color=var(--genviz-latent-pad-text-color)] - Rings, ellipses and paths.
 * @cssproperty [--genviz-latent-pad-surface=var(--genviz-surface)] - The background's default.
 * @cssproperty [--genviz-latent-pad-text-color=var(--genviz-text-color)] - The marks' default.
 * @cssproperty [--genviz-latent-pad-accent-color=var(--genviz-accent-color)] - The handle's default.
 * @cssproperty [--genviz-latent-pad-bar-color=var(--genviz-bar-color)] - The grid's default.
 * @cssproperty [--genviz-class-0-color=#4e79a7] - Points of class 0 (and so on to `--genviz-class-9-color`).
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
  /** What a screen reader says of the point (both sliders); the coordinates when unset. */
  @property({ attribute: 'value-text' }) valueText: string | undefined;
  /** Points to draw, coloured by class. */
  @property({ attribute: false, hasChanged: pointsChanged }) points: LatentPoints | undefined;
  /** A second set of points drawn over `points`, larger and outlined (a cloud in motion). */
  @property({ attribute: false, hasChanged: pointsChanged }) cloud: LatentPoints | undefined;
  /** Marks to draw over the points. */
  @property({ attribute: false, hasChanged: markersChanged }) markers: readonly LatentMarker[] = [];

  #dragging = false;
  #hovered = -1;
  #resize: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#resize ??= new ResizeObserver(() => this.#drawLayer());
    this.#resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize?.disconnect();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (
      changed.has('points') ||
      changed.has('cloud') ||
      changed.has('markers') ||
      changed.has('min') ||
      changed.has('max')
    ) {
      this.#drawLayer();
    }
  }

  /** The pad's CSS-pixel position of latent (x, y). */
  #toPixel(x: number, y: number, width: number, height: number): [number, number] {
    const span = this.max - this.min || 1;
    return [((x - this.min) / span) * width, (1 - (y - this.min) / span) * height];
  }

  #drawLayer() {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('[part~="points"]');
    if (!canvas) return;
    const { clientWidth: width, clientHeight: height } = canvas;
    if (width === 0) return;
    const ratio = devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext('2d')!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const points = this.points;
    if (points) {
      const colours = classColors(this);
      const radius = points.xy.length / 2 > 400 ? 2 : 3;
      for (let i = 0; i < points.xy.length / 2; i++) {
        const [px, py] = this.#toPixel(points.xy[2 * i]!, points.xy[2 * i + 1]!, width, height);
        context.fillStyle = colours[points.labels?.[i] ?? 9] ?? colours[9]!;
        context.globalAlpha = 0.75;
        context.beginPath();
        context.arc(px, py, radius, 0, 2 * Math.PI);
        context.fill();
      }
      context.globalAlpha = 1;
    }
    const cloud = this.cloud;
    const ink = getComputedStyle(canvas).color;
    if (cloud) {
      const colours = classColors(this);
      context.lineWidth = 1;
      context.strokeStyle = ink;
      for (let i = 0; i < cloud.xy.length / 2; i++) {
        const [px, py] = this.#toPixel(cloud.xy[2 * i]!, cloud.xy[2 * i + 1]!, width, height);
        context.fillStyle = colours[cloud.labels?.[i] ?? 9] ?? colours[9]!;
        context.beginPath();
        context.arc(px, py, 3.5, 0, 2 * Math.PI);
        context.fill();
        context.stroke();
      }
    }
    context.strokeStyle = ink;
    context.fillStyle = ink;
    context.lineWidth = 2;
    const span = this.max - this.min || 1;
    for (const marker of this.markers) {
      context.beginPath();
      if (marker.kind === 'path') {
        for (let i = 0; i < marker.xy.length / 2; i++) {
          const [px, py] = this.#toPixel(marker.xy[2 * i]!, marker.xy[2 * i + 1]!, width, height);
          if (i === 0) context.moveTo(px, py);
          else context.lineTo(px, py);
        }
        context.stroke();
        continue;
      }
      const [px, py] = this.#toPixel(marker.x, marker.y, width, height);
      if (marker.kind === 'ellipse') {
        context.ellipse(
          px,
          py,
          (marker.rx / span) * width,
          (marker.ry / span) * height,
          0,
          0,
          2 * Math.PI,
        );
        context.stroke();
      } else if (marker.kind === 'cross') {
        context.moveTo(px - 5, py - 5);
        context.lineTo(px + 5, py + 5);
        context.moveTo(px + 5, py - 5);
        context.lineTo(px - 5, py + 5);
        context.stroke();
      } else {
        context.arc(px, py, 6, 0, 2 * Math.PI);
        context.stroke();
      }
      if ('label' in marker && marker.label) {
        context.font = '12px system-ui, sans-serif';
        context.fillText(marker.label, px + 8, py - 8);
      }
    }
  }

  /** The index of the point of `points` within HOVER_RADIUS of the pointer, or -1. */
  #pointUnder(event: PointerEvent): number {
    const points = this.points;
    if (!points) return -1;
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    const x = event.clientX - box.left;
    const y = event.clientY - box.top;
    let best = -1;
    let bestDistance = HOVER_RADIUS * HOVER_RADIUS;
    for (let i = 0; i < points.xy.length / 2; i++) {
      const [px, py] = this.#toPixel(
        points.xy[2 * i]!,
        points.xy[2 * i + 1]!,
        box.width,
        box.height,
      );
      const distance = (px - x) ** 2 + (py - y) ** 2;
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    return best;
  }

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
        aria-valuetext=${this.valueText ?? value.toFixed(2)}
        @keydown=${this.#onKeyDown}
        @keyup=${this.#onKeyUp}
      ></div>`;
    return html`<div
      part="surface"
      @pointerdown=${this.#onPointerDown}
      @pointermove=${this.#onPointerMove}
      @pointerup=${this.#onPointerUp}
      @pointercancel=${this.#onPointerUp}
      @pointerleave=${this.#onPointerLeave}
    >
      <canvas part="points" aria-hidden="true"></canvas>
      ${axis('x', this.x)} ${axis('y', this.y)}
      <div part="handle" style=${cssomStyle({ left: `${left}%`, top: `${top}%` })}></div>
    </div>`;
  }

  #moveTo(x: number, y: number, source: Event) {
    const nextX = clamp(x, this.min, this.max);
    const nextY = clamp(y, this.min, this.max);
    if (nextX === this.x && nextY === this.y) return false;
    this.x = nextX;
    this.y = nextY;
    this.dispatchEvent(new GenvizPadInputEvent(source.timeStamp));
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
    this.#moveTo(...this.#pointToValue(event), event);
    event.preventDefault();
  }

  #onPointerMove(event: PointerEvent) {
    if (this.#dragging) {
      this.#moveTo(...this.#pointToValue(event), event);
      return;
    }
    const hovered = this.#pointUnder(event);
    if (hovered !== this.#hovered) {
      this.#hovered = hovered;
      this.dispatchEvent(new GenvizPointHoverEvent(hovered));
    }
  }

  #onPointerLeave() {
    if (this.#hovered === -1) return;
    this.#hovered = -1;
    this.dispatchEvent(new GenvizPointHoverEvent(-1));
  }

  #onPointerUp(event: PointerEvent) {
    if (!this.#dragging) return;
    this.#dragging = false;
    (event.currentTarget as HTMLElement).releasePointerCapture(event.pointerId);
    this.#commit();
  }

  #onKeyDown(event: KeyboardEvent) {
    const big = this.step * 10;
    const nudge = event.shiftKey ? big : this.step;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-nudge, 0],
      ArrowRight: [nudge, 0],
      ArrowUp: [0, nudge],
      ArrowDown: [0, -nudge],
      PageUp: [0, big],
      PageDown: [0, -big],
    };
    const isX = (event.currentTarget as HTMLElement).getAttribute('part')?.includes('axis-x');
    let handled = true;
    if (event.key in moves) {
      const [dx, dy] = moves[event.key]!;
      this.#moveTo(this.x + dx, this.y + dy, event);
    } else if (event.key === 'Home') {
      const centre = (this.min + this.max) / 2;
      this.#moveTo(centre, centre, event);
    } else if (event.key === 'End') {
      this.#moveTo(isX ? this.max : this.x, isX ? this.y : this.max, event);
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
