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

/**
 * The image beside the map was painted for a move: how long after the move, and whether it is
 * the decoder's exact output or the preview blended from a grid of decodes kept in memory
 * (painted in the frame that delivers the move, before the exact decode comes back).
 */
export class GenvizFrameEvent extends Event {
  static readonly eventName = 'genviz-frame' as const;
  /**
   * From the pointer or key event's `timeStamp` to the frame that shows the image (the clock
   * read in that frame's animation-frame callbacks, after the image was drawn), in ms.
   */
  readonly latencyMs: number;
  /** `true`: the decoder's output at the point; `false`: the grid preview. */
  readonly exact: boolean;
  /** The latent point the image shows. */
  readonly latent: readonly [number, number];

  constructor(latencyMs: number, exact = true, latent: readonly [number, number] = [0, 0]) {
    super(GenvizFrameEvent.eventName, { bubbles: true, composed: true });
    this.latencyMs = latencyMs;
    this.exact = exact;
    this.latent = latent;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-frame': GenvizFrameEvent;
  }
}
