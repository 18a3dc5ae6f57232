/** What a latent event carries: the point, and the class of the held-out digits nearest it. */
export interface LatentDetail {
  /** The latent point (x, y). */
  readonly latent: readonly [number, number];
  /** The class most held-out digits near the point belong to (5 nearest), or null before they load. */
  readonly nearestClass: number | null;
}

/**
 * `input` while the reader drags or nudges the point, `change` when the drag or key press ends.
 * Native event names, so `@input` and `@change` bindings work; the detail rides on the event.
 */
export class GenvizLatentEvent extends Event implements LatentDetail {
  readonly latent: readonly [number, number];
  readonly nearestClass: number | null;

  constructor(type: 'input' | 'change', detail: LatentDetail) {
    super(type, { bubbles: true, composed: true });
    this.latent = detail.latent;
    this.nearestClass = detail.nearestClass;
  }
}

/** The decoded image beside the map was painted for a move: how long after the move. */
export class GenvizFrameEvent extends Event {
  static readonly eventName = 'genviz-frame' as const;
  /** From the pointer or key event to the start of the frame that shows its decoded image, in ms. */
  readonly latencyMs: number;

  constructor(latencyMs: number) {
    super(GenvizFrameEvent.eventName, { bubbles: true, composed: true });
    this.latencyMs = latencyMs;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-frame': GenvizFrameEvent;
  }
}
