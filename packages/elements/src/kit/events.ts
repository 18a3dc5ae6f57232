import type { GenvizErrorCode, ModelProgress } from '@genviz/runtime';

// The events every genviz element fires. Element-specific events live beside their element.

export type { DigitReading } from '@genviz/runtime';

const init: EventInit = { bubbles: true, composed: true };

/** Model download and warm-up progress. */
export class GenvizModelProgressEvent extends Event {
  static readonly eventName = 'genviz-model-progress' as const;
  readonly progress: ModelProgress;

  constructor(progress: ModelProgress) {
    super(GenvizModelProgressEvent.eventName, init);
    this.progress = progress;
  }
}

/** Something failed or was rejected; the element shows the same message. */
export class GenvizErrorEvent extends Event {
  static readonly eventName = 'genviz-error' as const;
  /** The runtime's error code, or `invalid-argument` for a rejected attribute or image. */
  readonly code: GenvizErrorCode;
  readonly message: string;
  /** The underlying error, when there is one. */
  readonly error: unknown;

  constructor(code: GenvizErrorCode, message: string, error?: unknown) {
    super(GenvizErrorEvent.eventName, init);
    this.code = code;
    this.message = message;
    this.error = error;
  }
}

/** Why a run stopped before it finished. */
export type CancelReason =
  /** The element left the page (removed, or moved: it restarts when it is back). */
  | 'disconnected'
  /** A setting the run depends on changed. */
  | 'settings'
  /** `reset()`, or the reader pressed Stop. */
  | 'stopped';

/** A run stopped before it finished; the element says so too. */
export class GenvizCancelEvent extends Event {
  static readonly eventName = 'genviz-cancel' as const;
  /** Which run (an element's own name for it: `reverse`, `race`, ...). */
  readonly run: string;
  readonly reason: CancelReason;

  constructor(run: string, reason: CancelReason) {
    super(GenvizCancelEvent.eventName, init);
    this.run = run;
    this.reason = reason;
  }
}

/** The element's reader-visible state changed; `state` restores it (see `StateController`). */
export class GenvizStateEvent extends Event {
  static readonly eventName = 'genviz-state' as const;
  readonly state: string;

  constructor(state: string) {
    super(GenvizStateEvent.eventName, init);
    this.state = state;
  }
}

/** A picture of what the element shows was saved (`savePicture`, or the Save picture button). */
export class GenvizSaveEvent extends Event {
  static readonly eventName = 'genviz-save' as const;
  /** The file: a PNG picture, a GIF or a WebM animation. */
  readonly blob: Blob;
  /** What the download is called: element, model, seed and steps. */
  readonly fileName: string;

  constructor(blob: Blob, fileName: string) {
    super(GenvizSaveEvent.eventName, init);
    this.blob = blob;
    this.fileName = fileName;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-save': GenvizSaveEvent;
    'genviz-state': GenvizStateEvent;
    'genviz-model-progress': GenvizModelProgressEvent;
    'genviz-error': GenvizErrorEvent;
    'genviz-cancel': GenvizCancelEvent;
  }
}
