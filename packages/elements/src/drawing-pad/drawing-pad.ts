import { LitElement, html } from 'lit';
import { property } from 'lit/decorators.js';
import { PIXELS, SIDE } from '../kit/digits.js';
import { drawingPadStyles } from './drawing-pad.styles.js';

/** The drawing surface's resolution: ten canvas pixels per MNIST pixel. */
const CANVAS_SIDE = SIDE * 10;
/** MNIST's digits fit a 20x20 box centred by mass in 28x28: drawings are fitted the same way. */
const DIGIT_BOX = 20;

/**
 * A square to draw a digit on with mouse, touch or pen, white on black like MNIST. Its value is
 * what the default models expect: the drawing cropped to its ink, fitted into a 20x20 box and
 * centred by its centre of mass in 28x28, as MNIST's digits were made.
 *
 * @summary Draw a digit for a model to read.
 *
 * @fires input - While a stroke is drawn (at most once per animation frame). Read `value`.
 * @fires change - When a stroke ends, or the drawing is cleared. Read `value`.
 *
 * @csspart surface - The drawing canvas.
 * @csspart clear-button - The button that clears the drawing.
 * @csspart button - Every button.
 *
 * @cssproperty [--genviz-drawing-pad-size=100%] - Inline size of the square.
 * @cssproperty [--genviz-drawing-pad-stroke-width=2.2] - Stroke width in MNIST pixels (of 28).
 * @cssproperty [--genviz-drawing-pad-background=var(--genviz-background)] - Background of the host. Every `--genviz-drawing-pad-*` colour, radius and gap token defaults to the page-wide `--genviz-*` token of the same name.
 * @cssproperty [--genviz-drawing-pad-surface=var(--genviz-surface)] - Panels.
 * @cssproperty [--genviz-drawing-pad-text-color=var(--genviz-text-color)] - Text.
 * @cssproperty [--genviz-drawing-pad-muted-color=var(--genviz-muted-color)] - Captions.
 * @cssproperty [--genviz-drawing-pad-accent-color=var(--genviz-accent-color)] - Button border.
 * @cssproperty [--genviz-drawing-pad-second-color=var(--genviz-second-color)] - Second accent.
 * @cssproperty [--genviz-drawing-pad-bar-color=var(--genviz-bar-color)] - Borders and tracks.
 * @cssproperty [--genviz-drawing-pad-error-color=var(--genviz-error-color)] - Error text.
 * @cssproperty [--genviz-drawing-pad-gap=var(--genviz-gap)] - Spacing.
 * @cssproperty [--genviz-drawing-pad-focus-ring-color=var(--genviz-focus-ring-color)] - Focus ring colour.
 * @cssproperty [--genviz-drawing-pad-radius=var(--genviz-radius)] - Corner radius.
 */
export class GenvizDrawingPad extends LitElement {
  static override styles = drawingPadStyles;

  /** Accessible name of the drawing surface. */
  @property() label = 'Drawing pad: draw a digit';

  #drawing = false;
  #last: [number, number] | undefined;
  #ink = false;
  #inputQueued = false;

  /** Whether nothing is drawn. */
  get empty(): boolean {
    return !this.#ink;
  }

  /** The drawing as a 28x28 image in [0, 1], MNIST-style (all zeros when empty). */
  get value(): Float32Array {
    return this.toTensor('unit');
  }

  /** The drawing as a 28x28 image in [0, 1] (`unit`) or [-1, 1] (`minus-one-to-one`). */
  toTensor(range: 'unit' | 'minus-one-to-one' = 'unit'): Float32Array {
    const unit = this.#ink ? mnistStyle(this.#canvas()!) : new Float32Array(PIXELS);
    return range === 'unit' ? unit : unit.map((value) => value * 2 - 1);
  }

  /** Clears the drawing and fires `change`. */
  clear(): void {
    const canvas = this.#canvas();
    canvas?.getContext('2d')?.clearRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
    this.#ink = false;
    this.dispatchEvent(new Event('change', { bubbles: true }));
  }

  override render() {
    return html`<canvas
        part="surface"
        width=${CANVAS_SIDE}
        height=${CANVAS_SIDE}
        role="img"
        aria-label=${this.label}
        @pointerdown=${this.#onPointerDown}
        @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp}
        @pointercancel=${this.#onPointerUp}
      ></canvas>
      <button part="button clear-button" type="button" @click=${() => this.clear()}>Clear</button>`;
  }

  #canvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector<HTMLCanvasElement>('canvas');
  }

  /**
   * Where a pointer event falls on the canvas, in canvas pixels. Measured against the pad's own
   * canvas: a coalesced event (what a real pointer move carries) has no `currentTarget`.
   */
  #point(event: PointerEvent, box: DOMRect): [number, number] {
    return [
      ((event.clientX - box.left) / (box.width || 1)) * CANVAS_SIDE,
      ((event.clientY - box.top) / (box.height || 1)) * CANVAS_SIDE,
    ];
  }

  #stroke(to: [number, number]) {
    const context = this.#canvas()?.getContext('2d', { willReadFrequently: true });
    if (!context) return;
    const width = Number.parseFloat(
      getComputedStyle(this).getPropertyValue('--genviz-drawing-pad-stroke-width') || '2.2',
    );
    context.strokeStyle = '#fff';
    context.fillStyle = '#fff';
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = (Number.isFinite(width) && width > 0 ? width : 2.2) * 10;
    const from = this.#last ?? to;
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
    this.#last = to;
    this.#ink = true;
    if (!this.#inputQueued) {
      this.#inputQueued = true;
      requestAnimationFrame(() => {
        this.#inputQueued = false;
        this.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      });
    }
  }

  #onPointerDown(event: PointerEvent) {
    const canvas = this.#canvas();
    if (event.button !== 0 || !canvas) return;
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser does not track (a synthetic event) draws without capture.
    }
    this.#drawing = true;
    this.#last = undefined;
    this.#stroke(this.#point(event, canvas.getBoundingClientRect()));
    event.preventDefault();
  }

  #onPointerMove(event: PointerEvent) {
    const canvas = this.#canvas();
    if (!this.#drawing || !canvas) return;
    const box = canvas.getBoundingClientRect();
    // Coalesced events keep fast strokes smooth where the browser batches them.
    const events = event.getCoalescedEvents?.() ?? [];
    for (const point of events.length > 0 ? events : [event]) {
      this.#stroke(this.#point(point, box));
    }
  }

  #onPointerUp(event: PointerEvent) {
    if (!this.#drawing) return;
    this.#drawing = false;
    this.#last = undefined;
    const canvas = this.#canvas();
    if (canvas?.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    this.dispatchEvent(new Event('change', { bubbles: true }));
  }
}

/**
 * A drawing as MNIST made its digits: the ink's bounding box fitted into 20x20 (aspect kept),
 * then the image shifted so its centre of mass is at the centre of 28x28.
 */
function mnistStyle(canvas: HTMLCanvasElement): Float32Array {
  const source = canvas.getContext('2d', { willReadFrequently: true })!;
  const full = source.getImageData(0, 0, CANVAS_SIDE, CANVAS_SIDE).data;
  let left = CANVAS_SIDE;
  let top = CANVAS_SIDE;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < CANVAS_SIDE; y++) {
    for (let x = 0; x < CANVAS_SIDE; x++) {
      if (full[(y * CANVAS_SIDE + x) * 4 + 3]! > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  const out = new Float32Array(PIXELS);
  if (right < 0) return out;
  const width = right - left + 1;
  const height = bottom - top + 1;
  const scale = DIGIT_BOX / Math.max(width, height);
  const fitted = new OffscreenCanvas(SIDE, SIDE);
  const context = fitted.getContext('2d', { willReadFrequently: true })!;
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const w = width * scale;
  const h = height * scale;
  context.drawImage(canvas, left, top, width, height, (SIDE - w) / 2, (SIDE - h) / 2, w, h);
  const small = context.getImageData(0, 0, SIDE, SIDE).data;
  let mass = 0;
  let cx = 0;
  let cy = 0;
  const grey = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const value = small[i * 4 + 3]! / 255;
    grey[i] = value;
    mass += value;
    cx += value * (i % SIDE);
    cy += value * Math.floor(i / SIDE);
  }
  const dx = Math.round((SIDE - 1) / 2 - cx / mass);
  const dy = Math.round((SIDE - 1) / 2 - cy / mass);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = grey[sy * SIDE + sx]!;
    }
  }
  return out;
}
