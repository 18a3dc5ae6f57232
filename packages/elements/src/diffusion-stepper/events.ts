import type {
  DiffusionResult,
  DiffusionStep,
  GenvizErrorCode,
  ModelProgress,
} from '@genviz/runtime';

/** Which run of `<genviz-diffusion-stepper>` an event belongs to. */
export type DiffusionRunKind = 'reverse' | 'race';

const init: EventInit = { bubbles: true, composed: true };

/** One newly computed sampling step (never fired when scrubbing through stored steps). */
export class GenvizStepEvent extends Event {
  static readonly eventName = 'genviz-step' as const;
  readonly step: DiffusionStep;
  readonly run: DiffusionRunKind;
  /** The scheduler of the run (in a race, the lane's). */
  readonly scheduler: string;

  constructor(step: DiffusionStep, run: DiffusionRunKind, scheduler: string) {
    super(GenvizStepEvent.eventName, init);
    this.step = step;
    this.run = run;
    this.scheduler = scheduler;
  }
}

/** The classifier's reading of a sampled image. */
export interface DigitReading {
  /** The most probable digit. */
  digit: number;
  /** Its probability. */
  confidence: number;
  /** All ten probabilities. */
  probabilities: Float32Array;
}

/** A sampling run finished (in a race, one lane). */
export class GenvizCompleteEvent extends Event {
  static readonly eventName = 'genviz-complete' as const;
  readonly result: DiffusionResult;
  readonly run: DiffusionRunKind;
  readonly scheduler: string;
  /** The classifier's reading, when the classifier could run. */
  readonly reading: DigitReading | undefined;

  constructor(
    result: DiffusionResult,
    run: DiffusionRunKind,
    scheduler: string,
    reading: DigitReading | undefined,
  ) {
    super(GenvizCompleteEvent.eventName, init);
    this.result = result;
    this.run = run;
    this.scheduler = scheduler;
    this.reading = reading;
  }
}

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

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-step': GenvizStepEvent;
    'genviz-complete': GenvizCompleteEvent;
    'genviz-model-progress': GenvizModelProgressEvent;
    'genviz-error': GenvizErrorEvent;
  }
}
